"""Benchmark the renderer: one ffmpeg pass against the naive way and against the encoder's limit.

The same 60 s beat-cut (3 angles at 1080p, a cut every beat pair: 60 shots, grain over it, the song)
is rendered three ways with the same encoder and settings (H.264 veryfast, CRF 18, tuned for grain):
our one-pass render; the naive way (each shot encoded on its own with its grain, then joined and
the song muxed in); and a plain single-input encode of the same 60 s picture (our output, decoded and encoded again),
the speed limit set by the encoder.
Wall and CPU time (children) and the ffmpeg processes' peak memory are printed, with ratios.
Targets: within 1.25x of the limit, faster than the naive way, under 1.5 GB peak memory.

    python bench/render.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aivp_nle import synthetic as synth  # noqa: E402
from aivp_nle.config import ConformTarget, CutSettings, GrainSettings  # noqa: E402
from aivp_nle.edit import meta  # noqa: E402
from aivp_nle.edit.clips import clip_media  # noqa: E402
from aivp_nle.ffmpeg import locate, media_arg  # noqa: E402
from aivp_nle.pipeline import beatcut_files  # noqa: E402
from aivp_nle.render import PRESETS, render  # noqa: E402

SIZE = (1920, 1080)
ENCODE = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-tune", "grain", "-pix_fmt", "yuv420p"]


def _children() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _timed(label: str, work: object) -> dict[str, float]:
    cpu_before, _ = _children()
    started = time.perf_counter()
    work()  # type: ignore[operator]
    wall = time.perf_counter() - started
    cpu_after, peak = _children()
    return {"wall": wall, "cpu": cpu_after - cpu_before, "peak_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    ff = locate()
    with tempfile.TemporaryDirectory(prefix="aivp-render-bench-") as folder:
        scratch = Path(folder)
        print(f"making {args.seconds:g} s of 1080p material ...", flush=True)
        angles = [synth.make_angle(scratch / f"{c}.mp4", c, args.seconds + 1, 24, SIZE, ff=ff) for c in ("red", "green", "blue")]
        song = synth.make_song(scratch / "song.wav", args.seconds, 120.0, ff)
        grain = synth.make_grain(scratch / "grain.mp4", 2.0, 24, SIZE, ff)
        timeline = beatcut_files(
            angles, song, CutSettings(every=2, min_shot=1.0), grain=grain, grain_settings=GrainSettings(),
            conform=ConformTarget(width=SIZE[0], height=SIZE[1]), ff=ff,
        )
        cut = next(t for t in timeline.video_tracks() if meta.role_of(t) == meta.Role.CUT)
        shots = [clip_media(c, 24.0, scratch) for c in cut.find_clips()]
        assert PRESETS["preview"].video["preset"] == "veryfast"  # the same settings as ENCODE
        print(f"{len(shots)} shots, 3 angles, grain, {SIZE[0]}x{SIZE[1]}", flush=True)

        ours = _timed("ours", lambda: render(timeline, scratch / "ours.mp4", size=SIZE, ff=ff))

        def naive() -> None:
            parts, record = [], 0
            for index, shot in enumerate(shots):
                part = scratch / f"part{index:03d}.mp4"
                grain_start = (record % 48) / 24
                subprocess.run([
                    str(ff.ffmpeg), "-v", "error", "-y", "-ss", f"{shot.first / 24:.6f}", "-i", media_arg(shot.path),
                    "-stream_loop", "-1", "-ss", f"{grain_start:.6f}", "-i", media_arg(grain),
                    "-filter_complex", "[0:v][1:v]blend=all_mode=overlay:all_opacity=0.3[v]", "-map", "[v]",
                    "-frames:v", str(shot.frames), *ENCODE, media_arg(part),
                ], check=True)
                parts.append(part)
                record += shot.frames
            listing = scratch / "parts.txt"
            listing.write_text("".join(f"file '{p.name}'\n" for p in parts))
            subprocess.run([
                str(ff.ffmpeg), "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", media_arg(listing),
                "-i", media_arg(song), "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-t", f"{args.seconds}",
                media_arg(scratch / "naive.mp4"),
            ], check=True)

        naive_run = _timed("naive", naive)
        # The floor: the same finished picture (our output) decoded and encoded again, one input, no
        # graph. A flat synthetic clip would be no floor at all: x264 encodes grain six times slower.
        limit = _timed("limit", lambda: subprocess.run([
            str(ff.ffmpeg), "-v", "error", "-y", "-i", media_arg(scratch / "ours.mp4"), "-map", "0:v", *ENCODE,
            media_arg(scratch / "limit.mp4"),
        ], check=True))
    print(f"\n{'':<28}{'wall s':>8}{'CPU s':>8}{'peak MB':>9}{'wall/limit':>12}{'CPU/limit':>11}")
    for label, row in (("one pass (aivp render)", ours), ("naive: per shot + join", naive_run), ("limit: re-encode 60 s", limit)):
        print(f"{label:<28}{row['wall']:>8.1f}{row['cpu']:>8.1f}{row['peak_mb']:>9.0f}{row['wall'] / limit['wall']:>12.2f}{row['cpu'] / limit['cpu']:>11.2f}")
    print(f"\none pass vs naive: {naive_run['wall'] / ours['wall']:.2f}x faster (wall), {naive_run['cpu'] / ours['cpu']:.2f}x less CPU")
    print("targets: within 1.25x of the limit, faster than naive, under 1.5 GB (peak MB is the largest ffmpeg child so far)")


if __name__ == "__main__":
    main()
