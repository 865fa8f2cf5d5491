"""Benchmark the farm render: one pass against the segment render, on this machine and on 2 Dask workers.

A beat-cut of 5 angles (textured, grainy takes that cost what a generation costs to decode; a cut
every beat pair, the grain over it, the song) at the master preset
(ProRes 422 HQ, where decoding weighs most) and at the preview preset, rendered in one pass (each
angle decoded for the whole song) and in segments (each file opened at its in-point: only what is
on screen is decoded); the baseline is transcoding one angle with the grain, the same edit with
every shot taken from one angle. Target: the master of the 5-angle edit within 1.2x of it.
Then the serial parts measured (split, join) and the per-segment cost, and the speed-up on paper
for 4, 16 and 64 workers (Amdahl's law with the measured serial part).

    python bench/farm.py [--seconds 30] [--size 1280x720]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import opentimelineio as otio  # noqa: E402

from aivp_nle import synthetic as synth  # noqa: E402
from aivp_nle.config import ConformTarget, CutSettings, GrainSettings  # noqa: E402
from aivp_nle.edit import meta  # noqa: E402
from aivp_nle.edit.clips import media_url  # noqa: E402
from aivp_nle.farm.executor import DaskCluster, Embedded, Executor, Tally  # noqa: E402
from aivp_nle.farm.segments import render_segments  # noqa: E402
from aivp_nle.ffmpeg import locate  # noqa: E402
from aivp_nle.pipeline import beatcut_files  # noqa: E402
from aivp_nle.render import render  # noqa: E402
from tests.dask_cluster import Cluster  # noqa: E402

COLOURS = ("red", "green", "blue", "yellow", "magenta")


def _textured_angle(path: Path, seconds: float, size: tuple[int, int], seed: int) -> Path:
    """A take that costs what a generation costs to decode: moving detail and grain, not a flat colour,
    a keyframe every 2 s (a seek decodes at most that much before an in-point)."""
    width, height = size
    picture = (f"testsrc2=s={width}x{height}:r=24:d={seconds},hue=h={seed * 72},"
               f"noise=alls=12:allf=t+u:all_seed={seed}")
    locate().run(["-f", "lavfi", "-i", picture, "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-g", "48", "-pix_fmt", "yuv420p",
                  "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-y", str(path)], f"making {path.name}")
    return path


def _one_angle(timeline: otio.schema.Timeline, angle: Path) -> otio.schema.Timeline:
    """The same edit with every shot from one angle: the takes share timing, so it plays that angle through."""
    single = timeline.deepcopy()
    for track in single.video_tracks():
        if meta.role_of(track) != meta.Role.GRAIN:
            for clip in track.find_clips():
                clip.media_reference.target_url = media_url(angle)
    return single


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


class _Clock:
    """When the tasks began and ended, from the job's own progress reports."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.all_done: float | None = None

    def __call__(self, tally: Tally) -> None:
        now = time.perf_counter()
        self.first = self.first or now
        if tally.done == tally.total and self.all_done is None:
            self.all_done = now


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--size", default="1280x720")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    ff = locate()
    with tempfile.TemporaryDirectory(prefix="aivp-farm-bench-") as folder:
        scratch = Path(folder)
        print(f"making {args.seconds:g} s of {width}x{height} material, 5 angles ...", flush=True)
        angles = [_textured_angle(scratch / f"{c}.mp4", args.seconds + 1, (width, height), n) for n, c in enumerate(COLOURS)]
        song = synth.make_song(scratch / "song.wav", args.seconds, 120.0, ff)
        grain = synth.make_grain(scratch / "grain.mp4", 2.0, 24, (width, height), ff)
        edit = beatcut_files(angles, song, CutSettings(every=2, min_shot=1.0), grain=grain, grain_settings=GrainSettings(),
                             conform=ConformTarget(width=width, height=height), ff=ff)
        single = _one_angle(edit, angles[0])
        cluster = Cluster(scratch / "dask")
        farm: Executor = DaskCluster(cluster.address)
        here = Embedded(2)
        rows: list[tuple[str, float]] = []
        try:
            for preset, suffix in (("master", ".mov"), ("preview", ".mp4")):
                def out(name: str, s: str = suffix) -> Path:
                    return scratch / f"{name}{s}"

                base = _timed(lambda p=preset: render(single, out(f"one-{p}"), size=(width, height), preset=p, ff=ff))
                rows.append((f"{preset}: one angle + grain, one pass (baseline)", base))
                for label, work in (
                    ("5 angles, one pass (today)", lambda p=preset: render(edit, out(f"pass-{p}"), size=(width, height), preset=p, ff=ff)),
                    ("5 angles, segments, this machine (2 processes)", lambda p=preset: render_segments(
                        edit, out(f"here-{p}"), executor=here, preset=p, size=(width, height), ff=ff)),
                    ("5 angles, segments, 2 Dask workers", lambda p=preset: render_segments(
                        edit, out(f"farm-{p}"), executor=farm, preset=p, size=(width, height), ff=ff)),
                ):
                    rows.append((f"{preset}: {label}", _timed(work)))
                baseline = base
                for name, seconds in rows[-4:]:
                    print(f"{name:<62}{seconds:7.1f} s  {seconds / baseline:5.2f}x", flush=True)
            clock = _Clock()
            count = 8
            started = time.perf_counter()
            render_segments(edit, scratch / "serial.mov", executor=Embedded(1), preset="master", size=(width, height),
                            segments=count, on_tally=clock, ff=ff)
            ended = time.perf_counter()
        finally:
            farm.close()
            cluster.stop()
    assert clock.first is not None and clock.all_done is not None
    split, join = clock.first - started, ended - clock.all_done
    per_segment = (clock.all_done - clock.first) / (count + 1)  # the segments and the sound, one after another
    serial, parallel = split + join, clock.all_done - clock.first
    print(f"\nmaster target: 5 angles in segments within 1.2x of one angle + grain; measured "
          f"{rows[2][1] / rows[0][1]:.2f}x on this machine, {rows[3][1] / rows[0][1]:.2f}x on 2 Dask workers")
    print(f"parts (one process, {count} segments): split {split:.2f} s, per task {per_segment:.2f} s, join {join:.2f} s")
    for workers in (4, 16, 64):
        speedup = (serial + parallel) / (serial + parallel / workers)
        print(f"  {workers:>2} workers: {speedup:5.1f}x on paper (Amdahl, serial part {serial / (serial + parallel):.1%})")


if __name__ == "__main__":
    main()
