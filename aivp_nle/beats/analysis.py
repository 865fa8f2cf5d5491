"""Where an edit's beats come from: a tracker (cached by the audio's content), or the user.

The user can pin the grid (a BPM and the first downbeat: AI music tools state the tempo), load
beat times from a file (CSV or text, a time a line, optional bar position; or the markers of an
OTIO timeline), and nudge everything by an offset. Trackers are named backends; the default,
`beatnet`, hears with BeatNet's trained network (weights CC BY 4.0, shipped inside the package)
and decodes with our own tempo curve; `aivp` is ours alone (MIT, no model); librosa's is offered
when installed (ISC licence; it assumes a steady tempo). Any grid can be asked for at half or
double its metrical level.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..ffmpeg import FFmpeg, locate
from ..files import hash_file, write_bytes
from ..probe import probe
from .grid import BeatGrid
from .tracker import Signal, beats_from_signal, track_beats
from .trained import trained_beats

__all__ = ["BeatOptions", "TRACKERS", "analyse", "beats_from_file", "cache_folder", "pinned_grid"]

TRACKER_VERSION = "3"  # part of the cache key: a better tracker must not serve old results


def _librosa(signal: Signal, sample_rate: int, bpm: float | None) -> BeatGrid | None:
    import librosa  # optional: `pip install aivp-nle[librosa]`

    tempo, frames = librosa.beat.beat_track(y=signal, sr=sample_rate, start_bpm=bpm or 120.0)
    times = librosa.frames_to_time(frames, sr=sample_rate)
    if len(times) < 4:
        return None
    return BeatGrid(beats=tuple(round(float(t), 6) for t in times), bpm=round(float(np.atleast_1d(tempo)[0]), 3), source="librosa")


@dataclass(frozen=True)
class Backend:
    track: Callable[[Signal, int, float | None], BeatGrid | None]
    licence: str


TRACKERS = {
    "beatnet": Backend(trained_beats, "BeatNet's network (weights CC BY 4.0, Heydari et al.) in our NumPy code, our decoding"),
    "aivp": Backend(beats_from_signal, "MIT, this project's own code; no trained model"),
    "librosa": Backend(_librosa, "ISC (librosa, installed separately); follows one steady tempo"),
}


DEFAULT_TRACKER = "beatnet"  # the best measured over all our data (bench/beats.py)
LEVELS = ("auto", "half", "double")


@dataclass(frozen=True)
class BeatOptions:
    tracker: str = DEFAULT_TRACKER
    level: str = "auto"  # or half / double the tracked metrical level
    bpm: float | None = None
    first_downbeat: float | None = None
    offset: float = 0.0
    file: Path | None = None
    meter: int = 4
    known: BeatGrid | None = None  # beats already found elsewhere (an edit's markers): used as they are


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aivp" / "beats"


def analyse(audio: Path, options: BeatOptions, ff: FFmpeg | None = None, cache: Path | None = None) -> BeatGrid:
    """The beat grid the edit cuts on, by the user's overrides first, else the tracker."""
    ff = ff or locate()
    if options.known is not None:
        grid = options.known
    elif options.file is not None:
        grid = beats_from_file(options.file)
    elif options.bpm is not None and options.first_downbeat is not None:
        grid = pinned_grid(options.bpm, options.first_downbeat, probe(audio, ff).duration, options.meter)
    else:
        grid = at_level(_tracked(audio, options, ff, cache or cache_folder()), options.level)
    return nudged(grid, options.offset)


def at_level(grid: BeatGrid, level: str) -> BeatGrid:
    """The grid at half its metrical level (every other beat, the downbeats kept) or double it (a
    beat between each two): for the song whose tapped pulse is not the one the tracker chose."""
    if level == "auto":
        return grid
    if level not in LEVELS:
        raise ConfigError(f"beat level {level!r} is refused: one of {', '.join(LEVELS)}")
    beats = np.array(grid.beats)
    positions = list(grid.bar_positions) or [0] * beats.size
    meter = grid.meter
    if level == "double":
        between = (beats[:-1] + beats[1:]) / 2
        beats = np.sort(np.concatenate([beats, between]))
        bars = set(grid.downbeats)
        positions, count = [], 0
        for t in beats:
            count = 1 if t in bars else count + 1
            positions.append(count)
        meter = meter * 2 if meter else None
    else:
        start = next((i for i, p in enumerate(positions) if p == 1), 0) % 2
        beats, positions = beats[start::2], positions[start::2]
        meter = max(1, meter // 2) if meter else None
        positions = [(p - 1) // 2 + 1 if p else 0 for p in positions]
    return grid.model_copy(update={
        "beats": tuple(round(float(t), 6) for t in beats),
        "bpm": round(grid.bpm * (2.0 if level == "double" else 0.5), 3),
        "bar_positions": tuple(positions) if grid.bar_positions else (),
        "meter": meter, "energy": (), "other_level": None,
        "tempo_curve": tuple((round(float(b), 6), round(60.0 / float(b - a), 3)) for a, b in zip(beats, beats[1:])),
        "source": f"{grid.source}, at {level} its level",
    })


def _tracked(audio: Path, options: BeatOptions, ff: FFmpeg, cache: Path) -> BeatGrid:
    if options.tracker not in TRACKERS:
        raise ConfigError(f"beats tracker {options.tracker!r} is refused: one of {', '.join(TRACKERS)}")
    digest = hash_file(audio)
    key = cache / f"{digest}-{options.tracker}-{options.bpm or 'auto'}-v{TRACKER_VERSION}.json"
    if key.is_file():
        try:
            return BeatGrid.model_validate_json(key.read_text(encoding="utf-8"))
        except ValueError:
            pass  # a damaged cache entry is recomputed, not trusted
    try:
        grid = track_beats(audio, options.bpm, ff, listen=TRACKERS[options.tracker].track)
    except ImportError:
        raise ConfigError(f"beats tracker {options.tracker!r} is not installed: pip install {options.tracker}") from None
    write_bytes(key, grid.model_dump_json().encode("utf-8"), replace=True)
    return grid


def pinned_grid(bpm: float, first_downbeat: float, duration: float, meter: int = 4) -> BeatGrid:
    """A steady grid from a known tempo and where a bar starts (before it too, back to the start)."""
    period = 60.0 / bpm
    first = first_downbeat - period * np.floor(first_downbeat / period)
    times = np.arange(first, duration - 1e-6, period)
    positions = [int((round((t - first_downbeat) / period)) % meter) + 1 for t in times]
    return BeatGrid(
        beats=tuple(round(float(t), 6) for t in times),
        downbeats=tuple(round(float(t), 6) for t, p in zip(times, positions) if p == 1),
        bpm=bpm, bar_positions=tuple(positions), meter=meter, confidence=1.0, source="pinned grid",
    )


def nudged(grid: BeatGrid, offset: float) -> BeatGrid:
    """Every beat moved by `offset` seconds (later when positive); beats pushed before 0 are dropped."""
    if offset == 0:
        return grid
    keep = [i for i, t in enumerate(grid.beats) if t + offset >= 0]
    return grid.model_copy(update={
        "beats": tuple(round(grid.beats[i] + offset, 6) for i in keep),
        "downbeats": tuple(round(t + offset, 6) for t in grid.downbeats if t + offset >= 0),
        "bar_positions": tuple(grid.bar_positions[i] for i in keep) if grid.bar_positions else (),
        "energy": tuple(grid.energy[i] for i in keep) if grid.energy else (),
        "tempo_curve": tuple((round(t + offset, 6), b) for t, b in grid.tempo_curve if t + offset >= 0),
    })


def beats_from_file(path: Path) -> BeatGrid:
    """Beat times from a text/CSV file (seconds, optionally a bar position: 1 = downbeat).

    An edit's markers are beats too, but reading them is the edit layer's job: see
    `aivp_nle.edit.multicam.marked_beats`, which `pipeline.beat_options` uses for an .otio."""
    if not path.is_file():
        raise ConfigError(f"{path}: beats file not found")
    if path.suffix.lower() in {".otio", ".otioz"}:
        raise ConfigError(f"{path}: an edit's markers are read by aivp_nle.pipeline.beat_options, not as a beats text file")
    rows = []
    for number, row in enumerate(csv.reader(io.StringIO(path.read_text(encoding="utf-8", errors="replace")), delimiter=","), start=1):
        fields = " ".join(row).split()
        if not fields or fields[0].startswith("#"):
            continue
        try:
            rows.append((float(fields[0]), fields[1] if len(fields) > 1 else ""))
        except ValueError:
            if rows:
                raise ConfigError(f"{path}, line {number}: {fields[0]!r} is not a time in seconds") from None
            continue  # a header line
    times = sorted(t for t, _ in rows)
    if len(times) < 2:
        raise ConfigError(f"{path}: needs at least two beat times, one per line (seconds)")
    downbeats = [t for t, position in rows if position.split(".")[0] == "1"]
    return BeatGrid(
        beats=tuple(times), downbeats=tuple(sorted(downbeats)), bpm=round(60.0 / float(np.median(np.diff(times))), 3),
        source=f"file {path.name}",
    )
