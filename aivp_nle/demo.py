"""`aivp demo`: the whole main job on self-made material, no footage and no editor needed.

It plays a user's part with ffmpeg (a song with a clear beat, three takes of one "performance",
a grain plate), then runs the real pipeline: init, takes filed into the generations folder,
beats, build, render.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .config import GrainSettings, ProjectConfig
from .errors import ConfigError
from .ffmpeg import FFmpeg, locate
from .files import next_version
from .interchange import export_edit, export_path
from .pipeline import BuildResult, build_project
from .project import add_file, init_project
from .render import render
from .synth import make_angle, make_grain, make_song

__all__ = ["DemoResult", "run_demo"]

ANGLES = ("red", "green", "blue")
GRAIN_ASSET = "06_Edit/assets/film_grain.mp4"


# What the demo hands to editors, beside the beat-cut.
EXPORTS = ("resolve", "fcpxml", "fcp7", "mlt")


@dataclass(frozen=True)
class DemoResult:
    project: Path
    build: BuildResult
    preview: Path
    exports: dict[str, Path]


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
    project = init_project(root, ProjectConfig(grain=GrainSettings(asset=GRAIN_ASSET)))
    with tempfile.TemporaryDirectory(prefix="aivp-demo-") as scratch:
        material = Path(scratch)
        on_step(f"a {seconds:g} s song at {bpm:g} BPM, {len(ANGLES)} takes, a grain plate (ffmpeg)")
        make_song(project.audio_dir / "song.wav", seconds, bpm, ff)
        make_grain(project.path(GRAIN_ASSET), 2.0, 24, (1280, 720), ff)
        for colour in ANGLES:
            take = make_angle(material / f"{colour}.mp4", colour, seconds + 1.0, 24, (1280, 720), ff=ff)
            add_file(take, project.stage_dir("v1_exploration"), colour)
    on_step("beats, multicam and beat-cut")
    build = build_project(project, ff)
    on_step("exports for Resolve, Final Cut Pro, Premiere, Shotcut")
    exports = {
        name: export_edit(build.timeline, export_path(build.beatcut, name), name, project.edit_dir, ff=ff)[0]
        for name in EXPORTS
    }
    on_step("preview render")
    preview = next_version(
        project.edit_dir, "preview", ".mp4",
        lambda path: render(build.timeline, path, ff=ff, on_progress=on_progress),
    )
    return DemoResult(project=root, build=build, preview=preview, exports=exports)
