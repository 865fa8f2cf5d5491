"""Benchmark the beat trackers on real music: human-annotated long excerpts (and tempo-warped
variants of them) and a MIDI-rendered development set with exact beats.

Scores BeatNet's network with our decoding (`beatnet`, the default), our own tracker (`aivp`, no
model) and librosa's `beat_track` in the same run: mir_eval F-measure (70 ms window), CMLt, AMLt,
downbeat F where the data marks bars, the number of pieces refused ("no pulse"), and seconds of
processing per audio-minute (warm). Long-excerpt variants: the tempo ramps smoothly from -15 % to
+20 % ("ramp") or jumps by +25 % half-way ("jump"), the human beat times warped the same way.
The development set is split: the pieces our decoding was tuned on, and a held-out third it never
saw (HELD_OUT). Finally a 10-minute song is tracked in a fresh process for its time and peak RSS.

Data: $AIVP_BEATS_DATA and $AIVP_BEATS_DEV (default: the shared data folders beside the checkout).

    python bench/beats.py            (needs the `bench` extra: librosa, mir_eval)
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aivp_nle.audio import decode_mono  # noqa: E402
from aivp_nle.beats.analysis import TRACKERS  # noqa: E402
from aivp_nle.beats.tracker import SAMPLE_RATE  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DATA = Path(os.environ.get("AIVP_BEATS_DATA", SHARED / "beats"))
DEV = Path(os.environ.get("AIVP_BEATS_DEV", SHARED / "beats_midi_dev"))
LONG = ["ballroom_waltz_Media-105901", "gtzan_country_00000", "hainsworth_001", "simac_greek_01_H_mikri_Rallou"]
HELD_OUT = {"dnb_light_em_up", "funk_keep_on_rolling", "funk_keep_on_rolling_jump25", "latinpop_say_what",
            "pop_no_work_song", "rock_oxidine", "trance_jump_is_not_allowed"}
NAMES = ("beatnet", "aivp", "librosa")

Signal = np.ndarray
Row = dict[str, float]


def warp(signal: Signal, sample_rate: int, kind: str) -> tuple[Signal, Callable[[np.ndarray], np.ndarray]]:
    """The music played at a tempo that changes over time, and where each original moment lands."""
    duration = signal.size / sample_rate
    grid = np.linspace(0.0, duration, 4001)  # original time
    if kind == "ramp":
        rate = 0.85 + (1.20 - 0.85) * grid / duration
    elif kind == "jump":
        rate = np.where(grid < duration / 2, 1.0, 1.25)
    else:
        return signal, lambda t: t
    played = np.concatenate([[0.0], np.cumsum(np.diff(grid) / rate[:-1])])  # new time of each original moment
    new_times = np.arange(int(played[-1] * sample_rate)) / sample_rate
    source = np.interp(new_times, played, grid) * sample_rate
    warped = np.interp(source, np.arange(signal.size), signal).astype(np.float32)
    return warped, lambda t: np.interp(t, grid, played)


def read_annotations(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    rows = [line.split() for line in (folder / "beats.beats").read_text().splitlines() if line.strip() and not line.startswith("#")]
    beats = np.array([float(r[0]) for r in rows])
    downbeats = np.array([float(r[0]) for r in rows if len(r) > 1 and r[1].split(".")[0] == "1"])
    return beats, downbeats


def tracked(name: str, signal: Signal) -> tuple[np.ndarray, np.ndarray] | None:
    """Beats and downbeats, or None when the tracker refused the music."""
    if name == "librosa":
        import librosa

        _, frames = librosa.beat.beat_track(y=signal, sr=SAMPLE_RATE)
        return librosa.frames_to_time(frames, sr=SAMPLE_RATE), np.array([])
    grid = TRACKERS[name].track(signal, SAMPLE_RATE, None)
    return (np.array(grid.beats), np.array(grid.downbeats)) if grid else None


def score(name: str, signal: Signal, truth: np.ndarray, bars: np.ndarray) -> Row:
    import mir_eval

    started = time.perf_counter()
    found = tracked(name, signal)
    seconds = time.perf_counter() - started
    beats, downbeats = found if found else (np.array([]), np.array([]))
    _, cmlt, _, amlt = mir_eval.beat.continuity(truth, beats) if beats.size > 1 else (0, 0.0, 0, 0.0)
    return {
        "F": mir_eval.beat.f_measure(truth, beats, f_measure_threshold=0.07) if beats.size else 0.0,
        "CMLt": cmlt, "AMLt": amlt,
        "downF": mir_eval.beat.f_measure(bars, downbeats, 0.07) if bars.size and name != "librosa" else float("nan"),
        "refused": float(found is None), "s/min": seconds / (signal.size / SAMPLE_RATE / 60),
    }


def print_row(label: str, row: Row) -> None:
    print(f"{label:<46}" + "".join(f"{row[k]:>7.3f}" for k in ("F", "CMLt", "AMLt", "downF")) + f"{int(row['refused']):>5}{row['s/min']:>7.2f}")


def mean(rows: list[Row]) -> Row:
    out = {}
    for key in rows[0]:
        values = [r[key] for r in rows if not np.isnan(r[key])]
        out[key] = float(np.sum(values) if key == "refused" else np.mean(values)) if values else float("nan")
    return out


def main() -> None:
    if "--ten-minutes" in sys.argv:
        return ten_minutes(sys.argv[-1])
    if not DATA.is_dir():
        print(f"no benchmark data at {DATA}; set AIVP_BEATS_DATA")
        return
    noise = np.random.default_rng(0).standard_normal(SAMPLE_RATE * 5).astype(np.float32) * 0.1
    for name in NAMES:  # warm up (numba compiles librosa's parts on first use)
        tracked(name, noise)
    groups: dict[tuple[str, str], list[Row]] = {}
    print(f"{'piece':<46}{'F':>7}{'CMLt':>7}{'AMLt':>7}{'downF':>7}{'ref':>5}{'s/min':>7}")
    for piece in LONG:
        folder = DATA / piece
        original = decode_mono(next(folder.glob("audio.*")), SAMPLE_RATE)
        reference, bars = read_annotations(folder)
        for variant in ("original", "ramp", "jump"):
            signal, moved = warp(original, SAMPLE_RATE, variant)
            for name in NAMES:
                row = score(name, signal, moved(reference), moved(bars))
                groups.setdefault((f"long {variant}", name), []).append(row)
                groups.setdefault(("long, all variants", name), []).append(row)
                print_row(f"{piece[:28]} {variant} {name}", row)
    for folder in sorted(p for p in DEV.glob("*") if (p / "beats.beats").is_file()) if DEV.is_dir() else []:
        signal = decode_mono(folder / "audio.flac", SAMPLE_RATE)
        truth, bars = read_annotations(folder)
        part = "dev held-out" if folder.name in HELD_OUT else "dev tuned-on"
        for name in NAMES:
            row = score(name, signal, truth, bars)
            groups.setdefault((part, name), []).append(row)
            groups.setdefault(("dev, all", name), []).append(row)
            print_row(f"{folder.name[:32]} {name}", row)
    print("\nmeans (refused: a count)")
    for (group, name), rows in sorted(groups.items()):
        print_row(f"{group} ({len(rows)}) {name}", mean(rows))
    for name in ("beatnet", "aivp"):
        print(f"10-minute song, {name}: " + subprocess.run(
            [sys.executable, __file__, "--ten-minutes", name], capture_output=True, text=True, check=True).stdout.strip())


def ten_minutes(name: str) -> None:
    """Track a 10-minute song (a long excerpt repeated) in this fresh process: time and peak RSS."""
    song = np.resize(decode_mono(next((DATA / LONG[2]).glob("audio.*")), SAMPLE_RATE), SAMPLE_RATE * 600)
    started = time.perf_counter()
    TRACKERS[name].track(song, SAMPLE_RATE, None)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{seconds:.2f} s ({seconds / 10:.2f} s per audio-minute), peak RSS {peak:.0f} MB (whole process; target < 400 MB)")


if __name__ == "__main__":
    main()
