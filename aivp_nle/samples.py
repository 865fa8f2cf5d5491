"""`otio_samples/`: example timelines written by the builders from fixed inputs.

No media is needed: the builders are pure, so the samples are exactly what the tool writes for
three 24 fps takes of an 8-second song at 120 BPM, with media paths relative to the sample folder.
`aivp samples` rewrites them; a test fails when they drift from what the code writes.
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

from .beats import BeatGrid
from .config import ConformTarget, CutSettings, GrainSettings
from .edit import Angle, GrainAsset, Song, build_beatcut, build_multicam
from .timelines import save_timeline

__all__ = ["SAMPLE_NAMES", "sample_timelines", "write_samples"]

SAMPLE_NAMES = ("multicam.otio", "beatcut.otio", "grain.otio")
_RATE = 24
_SONG = 8.0


def _inputs() -> tuple[list[Angle], Song, BeatGrid, GrainAsset]:
    angles = [
        Angle(name=name, path=Path(f"media/{name}_v001.mp4"), rate=_RATE, frames=9 * _RATE, start_frame=86400)
        for name in ("red", "green", "blue")
    ]
    beats = [i * 0.5 for i in range(16)]
    grid = BeatGrid(beats=tuple(beats), downbeats=tuple(beats[::4]), bpm=120.0)
    return angles, Song(path=Path("media/song.wav"), seconds=_SONG), grid, GrainAsset(Path("media/film_grain.mp4"), 2.0)


def sample_timelines() -> dict[str, otio.schema.Timeline]:
    angles, song, grid, grain = _inputs()
    conform, settings = ConformTarget(fps=24), GrainSettings()
    return {
        "multicam.otio": build_multicam(angles, song, grid, conform, grain, settings),
        "beatcut.otio": build_beatcut(angles, song, grid, conform, CutSettings(every=2, min_shot=1.0), grain, settings),
        "grain.otio": build_multicam(angles[:1], song, grid, conform, grain, settings, name="grain"),
    }


def write_samples(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [save_timeline(t, folder / name, replace=True) for name, t in sample_timelines().items()]
