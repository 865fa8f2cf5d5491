"""Benchmark the beat tracker on real, human-annotated music, and on tempo-warped variants of it.

For each long excerpt in $AIVP_BEATS_DATA (default: the shared data folder beside the checkout) it scores our default tracker
and librosa's `beat_track` in the same run (mir_eval: F-measure with a 70 ms window, CMLt, AMLt,
downbeat F where the data marks bars, all on the whole excerpt), and seconds of processing per
minute of audio (warm). Variants: the tempo ramps smoothly from -15 % to +20 % ("ramp"), or jumps
by +25 % half-way ("jump"); the human beat times go through the same time warp.

    python bench/beats.py            (needs the `bench` extra: librosa, mir_eval)
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aivp_nle.audio import decode_mono  # noqa: E402
from aivp_nle.beats.tracker import SAMPLE_RATE, beats_from_signal  # noqa: E402

DATA = Path(os.environ.get("AIVP_BEATS_DATA", Path(__file__).resolve().parents[2] / "shared" / "data" / "beats"))
LONG = ["ballroom_waltz_Media-105901", "gtzan_country_00000", "hainsworth_001", "simac_greek_01_H_mikri_Rallou"]

Signal = np.ndarray


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


def ours(signal: Signal) -> tuple[np.ndarray, np.ndarray]:
    grid = beats_from_signal(signal, SAMPLE_RATE)
    return (np.array(grid.beats), np.array(grid.downbeats)) if grid else (np.array([]), np.array([]))


def librosa_tracker(signal: Signal) -> tuple[np.ndarray, np.ndarray]:
    import librosa

    _, frames = librosa.beat.beat_track(y=signal, sr=SAMPLE_RATE)
    return librosa.frames_to_time(frames, sr=SAMPLE_RATE), np.array([])


def main() -> None:
    import mir_eval

    if not DATA.is_dir():
        print(f"no benchmark data at {DATA}; set AIVP_BEATS_DATA")
        return
    trackers = {"aivp": ours, "librosa": librosa_tracker}
    for tracker in trackers.values():  # warm both up (numba compiles librosa's parts on first use)
        tracker(np.random.default_rng(0).standard_normal(SAMPLE_RATE * 5).astype(np.float32) * 0.1)
    scores: dict[tuple[str, str], list[dict[str, float]]] = {}
    print(f"{'excerpt':<34}{'variant':<8}{'tracker':<9}{'F':>7}{'CMLt':>7}{'AMLt':>7}{'downF':>7}{'s/min':>7}")
    for name in LONG:
        folder = DATA / name
        original = decode_mono(next(folder.glob("audio.*")), SAMPLE_RATE)
        reference, bars = read_annotations(folder)
        for variant in ("original", "ramp", "jump"):
            signal, moved = warp(original, SAMPLE_RATE, variant)
            truth, truth_bars = moved(reference), moved(bars)
            minutes = signal.size / SAMPLE_RATE / 60
            for label, tracker in trackers.items():
                started = time.perf_counter()
                beats, downbeats = tracker(signal)
                seconds = time.perf_counter() - started
                cmlc, cmlt, amlc, amlt = mir_eval.beat.continuity(truth, beats)
                row = {
                    "F": mir_eval.beat.f_measure(truth, beats, f_measure_threshold=0.07) if beats.size else 0.0,
                    "CMLt": cmlt, "AMLt": amlt, "s/min": seconds / minutes,
                    "downF": mir_eval.beat.f_measure(truth_bars, downbeats, 0.07) if truth_bars.size and downbeats.size else float("nan"),
                }
                scores.setdefault((variant, label), []).append(row)
                print(f"{name[:33]:<34}{variant:<8}{label:<9}" + "".join(f"{row[k]:>7.3f}" for k in ("F", "CMLt", "AMLt", "downF")) + f"{row['s/min']:>7.2f}")
    print("\nmean over the four long excerpts")
    for (variant, label), rows in scores.items():
        mean = {k: float(np.nanmean([r[k] for r in rows])) if any(not np.isnan(r[k]) for r in rows) else float("nan") for k in rows[0]}
        print(f"{variant:<9}{label:<9}" + "  ".join(f"{k} {v:.3f}" for k, v in mean.items()))
    for variant in ("ramp", "jump"):
        for label in trackers:
            loss = np.mean([r["F"] for r in scores[("original", label)]]) - np.mean([r["F"] for r in scores[(variant, label)]])
            print(f"F lost to the tempo {variant}, {label}: {loss:+.3f} (target for aivp: at most 0.03)")
    long_song = np.tile(decode_mono(next((DATA / LONG[2]).glob('audio.*')), SAMPLE_RATE), 11)[: SAMPLE_RATE * 600]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    ours(long_song)
    print(f"10-minute song: {time.perf_counter() - started:.2f} s ({(time.perf_counter() - started) / 10:.2f} s per minute), "
          f"peak RSS {max(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024:.0f} MB (whole process, target < 1 GB)")


if __name__ == "__main__":
    main()
