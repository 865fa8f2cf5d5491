"""`otio_samples/`: example timelines written by the builders from fixed inputs.

No media is needed: the builders are pure, so the samples are exactly what the tool writes for
three 24 fps takes of an 8-second song at 120 BPM, with media paths relative to the sample folder;
`musicvideo.otio` adds two lip-synced takes, the song's stems and its sung phrases.
`aivp samples` rewrites them; a test fails when they drift from what the code writes.
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

from .beats import BeatGrid
from .config import ConformTarget, CutSettings, GrainSettings
from .edit import Angle, GrainAsset, LipSyncCut, Song, SongTrack, build_beatcut, build_multicam, meta
from .timelines import save_timeline
from .vocals import Phrase

__all__ = ["SAMPLE_NAMES", "sample_timelines", "write_samples"]

SAMPLE_NAMES = ("multicam.otio", "beatcut.otio", "grain.otio", "musicvideo.otio")
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


def _music_video(angles: list[Angle], song: Song, grid: BeatGrid, grain: GrainAsset) -> otio.schema.Timeline:
    singers = [Angle(name=f"{c}-lipsync", path=Path(f"media/{c}-lipsync_v001.mp4"), rate=_RATE, frames=9 * _RATE, start_frame=86400)
               for c in ("yellow", "magenta")]
    sound = (
        SongTrack(meta.Role.SONG, song),
        SongTrack(meta.Role.INSTRUMENTAL, Song(Path("media/song_instrumental.wav"), _SONG), enabled=False),
        SongTrack(meta.Role.VOCALS, Song(Path("media/song_vocals.wav"), _SONG), enabled=False),
    )
    lipsync = LipSyncCut(frozenset(a.name for a in singers), (Phrase(1.0, 4.0), Phrase(5.0, 7.0)))
    return build_beatcut([*angles, *singers], song, grid, ConformTarget(fps=24), CutSettings(every=2, min_shot=1.0), grain=grain,
                         grain_settings=GrainSettings(), name="musicvideo", sound=sound, lipsync=lipsync)


def sample_timelines() -> dict[str, otio.schema.Timeline]:
    angles, song, grid, grain = _inputs()
    conform, settings = ConformTarget(fps=24), GrainSettings()
    return {
        "multicam.otio": build_multicam(angles, song, grid, conform, grain=grain, grain_settings=settings),
        "beatcut.otio": build_beatcut(angles, song, grid, conform, CutSettings(every=2, min_shot=1.0), grain=grain, grain_settings=settings),
        "grain.otio": build_multicam(angles[:1], song, grid, conform, grain=grain, grain_settings=settings, name="grain"),
        "musicvideo.otio": _music_video(angles, song, grid, grain),
    }


def write_samples(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [save_timeline(t, folder / name, replace=True) for name, t in sample_timelines().items()]
