"""Benchmark: build and write the beat-cut of a 10,000-beat song with 5 angles.

Targets: under 2 s and under 500 MB peak on a 2-core machine. Each case runs in a fresh
child process so its peak memory is its own. The baseline is the least work OTIO itself needs for
the same edit: one track of as many clips, written as .otio, with no multicam, markers or checks.

    python bench/beatcut.py [--beats 10000] [--angles 5]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _case_ours(beats: int, angles: int, out: Path) -> None:
    from aivp_nle.beats import BeatGrid
    from aivp_nle.config import ConformTarget, CutSettings, GrainSettings
    from aivp_nle.edit import Angle, GrainAsset, Song, build_beatcut
    from aivp_nle.timelines import save_timeline

    seconds = beats * 0.5
    grid = BeatGrid(beats=tuple(i * 0.5 for i in range(beats)), downbeats=tuple(i * 2.0 for i in range(beats // 4)), bpm=120.0)
    takes = [
        Angle(name=f"angle{i}", path=Path(f"/media/angle{i}_v001.mp4"), rate=24, frames=int(seconds * 24) + 48, start_frame=86400)
        for i in range(angles)
    ]
    timeline = build_beatcut(
        takes, Song(Path("/media/song.wav"), seconds), grid, ConformTarget(), CutSettings(every=1, min_shot=0.4),
        grain=GrainAsset(Path("/media/grain.mp4"), 10.0), grain_settings=GrainSettings(),
    )
    save_timeline(timeline, out)


def _case_baseline(beats: int, angles: int, out: Path) -> None:
    import opentimelineio as otio

    track = otio.schema.Track(name="Cut")
    for i in range(beats):
        track.append(otio.schema.Clip(
            name=f"angle{i % angles}",
            media_reference=otio.schema.ExternalReference(target_url=f"/media/angle{i % angles}_v001.mp4"),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(i * 12, 24), otio.opentime.RationalTime(12, 24)),
        ))
    timeline = otio.schema.Timeline(tracks=[track])
    otio.adapters.write_to_file(timeline, str(out))


CASES = {"aivp beat-cut": _case_ours, "OTIO baseline": _case_baseline}


def _child(name: str, beats: int, angles: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "edit.otio"
        started = time.perf_counter()
        CASES[name](beats, angles, out)
        seconds = time.perf_counter() - started
        size = out.stat().st_size
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "bytes": size}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--beats", type=int, default=10_000)
    parser.add_argument("--angles", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.beats, args.angles)
        return
    results = {}
    for name in CASES:
        runs = []
        for _ in range(args.repeat):
            done = subprocess.run(
                [sys.executable, __file__, "--child", name, "--beats", str(args.beats), "--angles", str(args.angles)],
                capture_output=True, text=True, check=True,
            )
            runs.append(json.loads(done.stdout))
        results[name] = min(runs, key=lambda r: r["seconds"])
    base = results["OTIO baseline"]
    print(f"beat-cut of {args.beats} beats, {args.angles} angles (best of {args.repeat}, fresh process each)")
    print(f"{'case':<16}{'seconds':>9}{'peak MB':>9}{'.otio MB':>10}{'time ratio':>12}")
    for name, r in results.items():
        print(f"{name:<16}{r['seconds']:>9.3f}{r['peak_mb']:>9.0f}{r['bytes'] / 1e6:>10.1f}{r['seconds'] / base['seconds']:>12.2f}")
    ours = results["aivp beat-cut"]
    print(f"targets: < 2 s ({'met' if ours['seconds'] < 2 else 'MISSED'}), < 500 MB ({'met' if ours['peak_mb'] < 500 else 'MISSED'})")


if __name__ == "__main__":
    main()
