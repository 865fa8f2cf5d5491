"""Session fixtures for the interchange checks: the edit (see interchange_edit), its exports to
every format, what melt plays of them, and what the real editors made of them.

The real programs are started once per session (each takes half a minute); a missing one leaves
its fixture None, and the tests that need it skip, naming the program.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import opentimelineio as otio
import pytest

from aivp_nle.edit import meta
from aivp_nle.ffmpeg import FFmpeg
from aivp_nle.interchange import FORMATS, export_edit
from aivp_nle.pipeline import build_project
from aivp_nle.project import Project

from . import interchange_checks as checks
from . import real_editors
from .interchange_edit import STRANGE, make_project


@pytest.fixture(scope="session")
def interchange_project(tmp_path_factory: pytest.TempPathFactory, ff: FFmpeg) -> Project:
    return make_project(tmp_path_factory.mktemp("interchange"), ff)


@pytest.fixture(scope="session")
def edit(interchange_project: Project, ff: FFmpeg) -> otio.schema.Timeline:
    timeline = build_project(interchange_project, ff).timeline
    timeline.name = "beatcut ü"
    return timeline


@pytest.fixture(scope="session")
def media(interchange_project: Project) -> Path:
    """The folder the edit's relative paths start from."""
    return interchange_project.edit_dir


@pytest.fixture(scope="session")
def cut(edit: otio.schema.Timeline) -> otio.schema.Track:
    return next(t for t in edit.video_tracks() if meta.role_of(t) == meta.Role.CUT)


@pytest.fixture(scope="session")
def exports(edit: otio.schema.Timeline, media: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("exports") / STRANGE
    out.mkdir()
    written = {}
    for name, kind in FORMATS.items():
        (path,) = export_edit(edit, out / f"edit {name}{kind.suffix}", to=name, media_root=media)
        written[name] = path
    return written


@pytest.fixture(scope="session")
def expected_frames(edit: otio.schema.Timeline, cut: otio.schema.Track) -> list[tuple[str, int]]:
    """(angle, frame code) on screen at every record frame: the cut's angle, at the record frame plus
    the angle's offset (every take's frame code counts the performance's frames)."""
    offsets = {meta.get(t)["angle"]: int(meta.get(t)["offset_frames"]) for t in edit.video_tracks() if meta.role_of(t) == meta.Role.ANGLE}
    frames = []
    for clip in cut.find_clips():
        angle, record = meta.get(clip)["angle"], round(clip.range_in_parent().start_time.value)
        frames += [(angle, record + i + offsets[angle]) for i in range(round(clip.duration().value))]
    return frames


@pytest.fixture(scope="session")
def screen() -> object:
    missing = real_editors.missing_programs("Xvfb", "xdotool")
    if missing:
        yield None
        return
    with real_editors.virtual_screen() as display:
        yield display


def _open(program: str, exports: dict[str, Path], screen: str | None, tmp_path_factory: pytest.TempPathFactory,
          ) -> real_editors.Opened | None:
    if screen is None or real_editors.missing_programs(program):
        return None
    folder = tmp_path_factory.mktemp(program)
    if program == "kdenlive":
        return real_editors.open_in_kdenlive(Path(shutil.copy(exports["kdenlive"], folder / exports["kdenlive"].name)), folder, screen)
    return real_editors.open_in_shotcut(Path(shutil.copy(exports["mlt"], folder / exports["mlt"].name)), folder, screen)


@pytest.fixture(scope="session")
def kdenlive(exports: dict[str, Path], screen: str | None, tmp_path_factory: pytest.TempPathFactory) -> real_editors.Opened | None:
    return _open("kdenlive", exports, screen, tmp_path_factory)


@pytest.fixture(scope="session")
def shotcut(exports: dict[str, Path], screen: str | None, tmp_path_factory: pytest.TempPathFactory) -> real_editors.Opened | None:
    return _open("shotcut", exports, screen, tmp_path_factory)


@pytest.fixture(scope="session")
def openshot(exports: dict[str, Path], interchange_project: Project, tmp_path_factory: pytest.TempPathFactory) -> dict | None:  # type: ignore[type-arg]
    """OpenShot's FCP7 XML importer on our FCP7 export, and its EDL importer on our EDL."""
    if not real_editors.DEBIAN_PYTHON.exists() or not Path("/usr/lib/python3/dist-packages/openshot_qt").is_dir():
        return None
    results = {}
    for kind in ("fcp7", "edl"):
        folder = tmp_path_factory.mktemp(f"openshot-{kind}")
        results[kind] = real_editors.import_in_openshot(kind, exports[kind], interchange_project.root, folder, 24)
    return results


@pytest.fixture(scope="session")
def played(
    exports: dict[str, Path], kdenlive: real_editors.Opened | None, shotcut: real_editors.Opened | None,
    ff: FFmpeg, tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[list[tuple[str, int]], Path]]:
    """Every frame melt plays of our MLT and Kdenlive exports, and of the files Shotcut and Kdenlive saved."""
    out = tmp_path_factory.mktemp("melt")
    files = {"mlt": exports["mlt"], "kdenlive": exports["kdenlive"]}
    for name, opened in (("saved by kdenlive", kdenlive), ("saved by shotcut", shotcut)):
        if opened is not None and opened.saved is not None:
            files[name] = opened.saved
    length = round(exports_length(exports))
    return {name: checks.play_in_melt(path, out / f"{name} ü.mp4", ff, length if "kdenlive" in name else None)
            for name, path in files.items()}


def exports_length(exports: dict[str, Path]) -> int:
    """The edit's length in frames, from our OTIO export."""
    return round(otio.adapters.read_from_file(str(exports["otio"])).duration().value)
