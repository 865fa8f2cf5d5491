"""Synthetic media made once per session with real ffmpeg, and helpers that read rendered frames back."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from aivp_nle import synthetic as synth
from aivp_nle.config import ProjectConfig
from aivp_nle.ffmpeg import FFmpeg, locate, media_arg
from aivp_nle.project import Project, add_file, init_project, open_project

SIZE = (160, 90)


@pytest.fixture(autouse=True, scope="session")
def _beat_cache_outside_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The beat cache lives under XDG_CACHE_HOME: keep the tests' out of the real one."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
SONG_SECONDS = 12.0
BPM = 120.0


@pytest.fixture(scope="session")
def ff() -> FFmpeg:
    return locate()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def make(media_dir: Path, ff: FFmpeg) -> Callable[..., Path]:
    """Make (once) a named piece of media: angle_<colour>[_<fps>][_<seconds>], song, grain, silence."""
    made: dict[str, Path] = {}

    def build(name: str, **options: object) -> Path:
        key = f"{name}{sorted(options.items())}"
        if key not in made:
            made[key] = _make(media_dir / f"{len(made):03d}", name, ff, **options)
        return made[key]

    return build


def _make(folder: Path, name: str, ff: FFmpeg, **options: object) -> Path:
    folder.mkdir()
    kind, _, rest = name.partition("_")
    if kind == "angle":
        colour, fps, seconds = (rest.split("_") + ["24", str(SONG_SECONDS + 1)])[:3]
        path = folder / f"{colour}.mp4"
        return synth.make_angle(path, colour, float(seconds), int(fps), SIZE, frame_code=True, ff=ff, **options)  # type: ignore[arg-type]
    if kind == "song":
        return synth.make_song(folder / f"song{options.pop('suffix', '.wav')}", SONG_SECONDS, BPM, ff)
    if kind == "grain":
        return synth.make_grain(folder / "grain.mp4", 1.0, 24, SIZE, ff)
    if kind == "silence":
        return synth.make_silence(folder / "silence.wav", 6.0, ff)
    raise ValueError(name)


@pytest.fixture(scope="session")
def song(make: Callable[..., Path]) -> Path:
    return make("song")


@pytest.fixture(scope="session")
def angles(make: Callable[..., Path]) -> list[Path]:
    return [make(f"angle_{colour}") for colour in ("red", "green", "blue")]


ProjectMaker = Callable[..., Project]


@pytest.fixture(scope="session")
def project_with_takes(angles: list[Path], song: Path) -> ProjectMaker:
    """A project as a user has it after the handbook's first steps: three takes of one performance
    (red, green, blue: `NAME_v001.mp4` in v1_exploration) and the song in 04_Audio.

    `config` is the project file's content; `grain` is copied to `config.grain.asset`; `with_song=False`
    leaves the audio folder for the test to fill (stems, say); `takes` replaces the three."""

    def build(root: Path, *, config: ProjectConfig | dict[str, object] | None = None, grain: Path | None = None,
              with_song: bool = True, takes: list[Path] | None = None) -> Project:
        settings = config if isinstance(config, ProjectConfig) else ProjectConfig.model_validate(config or {})
        project = init_project(root, settings)
        for take in angles if takes is None else takes:
            add_file(take, project.stage_dir("v1_exploration"), take.stem)
        if with_song:
            add_file(song, project.audio_dir, "song")
        if grain is not None:
            assert settings.grain.asset, "give the grain's place in the project: config grain.asset"
            place = project.path(settings.grain.asset)
            place.parent.mkdir(parents=True, exist_ok=True)
            place.write_bytes(grain.read_bytes())
        return open_project(project.root)

    return build


def read_frames(ff: FFmpeg, path: Path, size: tuple[int, int] = SIZE) -> npt.NDArray[np.uint8]:
    """Every frame of a video as RGB, shape (frames, height, width, 3)."""
    width, height = size
    raw = ff.read(
        ["-i", media_arg(path), "-map", "0:v:0", "-s", f"{width}x{height}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        "reading frames",
    )
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, height, width, 3)


def frame_code(frame: npt.NDArray[np.uint8]) -> int:
    """The source frame number a synthetic angle burnt into its bottom strip."""
    height, width, _ = frame.shape
    row = frame[height - height // 16, :, :].mean(axis=1)
    bits = [row[int((i + 0.5) * width / synth.FRAME_CODE_BITS)] > 128 for i in range(synth.FRAME_CODE_BITS)]
    return sum(1 << i for i, bit in enumerate(bits) if bit)


def angle_on_screen(frame: npt.NDArray[np.uint8]) -> str:
    """Which synthetic angle's flat colour fills the frame's top-left corner."""
    patch = frame[2:10, 2:14, :].reshape(-1, 3).mean(axis=0)
    return min(synth.ANGLE_COLOURS, key=lambda name: float(np.sum((patch - synth.ANGLE_COLOURS[name]) ** 2)))


# The interchange edit, its exports and the real editors' view of them, shared by the interchange
# and real-editor tests (imported last: they use the helpers above).
from .interchange_fixtures import (  # noqa: E402, F401
    cut,
    edit,
    expected_frames,
    exports,
    interchange_project,
    kdenlive,
    media,
    openshot,
    played,
    screen,
    shotcut,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Opening a real editor takes seconds: those tests are slow too, for `-m "not slow"`."""
    for item in items:
        if item.get_closest_marker("real_editors"):
            item.add_marker(pytest.mark.slow)

