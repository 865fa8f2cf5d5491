"""`aivp demo`: the whole main job on self-made material, no footage and no editor needed.

It plays a user's part with ffmpeg (a song with a clear beat, split into a vocal and an
instrumental stem; three takes of one "performance" and a lip-synced take whose audio is the
vocal; a grain plate), then runs the real pipeline: init, takes filed into the generations folder,
beats, the sung phrases and the lip-sync check, build, render. The edit plays the stems
recombined, the handbook's way.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .config import AudioSettings, GrainSettings, ProjectConfig
from .errors import ConfigError
from .ffmpeg import FFmpeg, locate
from .files import next_version
from .interchange import export_edit, export_path
from .pipeline import BuildResult, build_project
from .project import add_file, init_project
from .render import render
from .synthetic import make_angle, make_grain, make_stems

__all__ = ["DemoResult", "run_demo"]

ANGLES = ("red", "green", "blue")
SINGER = ("yellow", "yellow-lipsync")  # its colour and its angle name: a lip-synced take
GRAIN_ASSET = "06_Edit/assets/film_grain.mp4"


# What the demo hands to editors, beside the beat-cut.
EXPORTS = ("resolve", "fcpxml", "fcp7", "mlt", "kdenlive")


@dataclass(frozen=True)
class DemoResult:
    project: Path
    build: BuildResult
    preview: Path
    exports: dict[str, Path]


def sung_phrases(seconds: float) -> list[tuple[float, float]]:
    """The singer's lines: four seconds sung in every eight, each followed by a half-second one too
    short for a close-up."""
    lines = [(start + a, start + b) for start in range(2, int(seconds), 8) for a, b in ((0.0, 4.0), (5.5, 6.0))]
    return [(a, b) for a, b in lines if b <= seconds - 1.0]


def run_demo(
    root: Path,
    seconds: float = 30.0,
    bpm: float = 120.0,
    ff: FFmpeg | None = None,
    on_step: Callable[[str], None] = lambda step: None,
    on_progress: Callable[[float], None] | None = None,
) -> DemoResult:
    ff = ff or locate()
    root = root.expanduser().absolute()
    if root.exists() and any(root.iterdir()):
        raise ConfigError(f"{root}: not empty. The demo makes a new project; give it a new or empty folder")
    on_step(f"project layout in {root}")
    config = ProjectConfig(grain=GrainSettings(asset=GRAIN_ASSET), audio=AudioSettings(play="stems"))
    project = init_project(root, config)
    with tempfile.TemporaryDirectory(prefix="aivp-demo-") as scratch:
        material = Path(scratch)
        on_step(f"a {seconds:g} s song at {bpm:g} BPM in stems, {len(ANGLES)} takes and a lip-synced one, a grain plate (ffmpeg)")
        stems = make_stems(project.audio_dir, seconds, bpm, sung_phrases(seconds), ff=ff)
        make_grain(project.path(GRAIN_ASSET), 2.0, 24, (1280, 720), ff)
        for colour in ANGLES:
            take = make_angle(material / f"{colour}.mp4", colour, seconds + 1.0, 24, (1280, 720), ff=ff)
            add_file(take, project.stage_dir("v1_exploration"), colour)
        colour, name = SINGER
        take = make_angle(material / f"{name}.mp4", colour, seconds + 1.0, 24, (1280, 720), label=name, ff=ff, sound=stems["vocals"])
        add_file(take, project.stage_dir("v1_exploration"), name)
    on_step("beats, sung phrases, lip-sync check, multicam and beat-cut")
    build = build_project(project, ff)
    on_step("exports for Resolve, Final Cut Pro, Premiere, Shotcut, Kdenlive")
    exports = {
        name: export_edit(build.timeline, export_path(build.beatcut, name), name, media_root=project.edit_dir, ff=ff)[0]
        for name in EXPORTS
    }
    on_step("preview render")
    preview = next_version(
        project.edit_dir, "preview", ".mp4",
        lambda path: render(build.timeline, path, ff=ff, on_progress=on_progress),
    )
    return DemoResult(project=root, build=build, preview=preview, exports=exports)
