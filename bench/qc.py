"""Benchmark QC of a take against the limit: a plain ffmpeg decode of the same file.

A 60 s 1080p take (ffmpeg's moving test pattern, H.264 at 24 fps with AAC sound) is decoded with
nothing else done (`ffmpeg -i take.mp4 -f null -`: the least any check of every frame costs) and
then run through `qc_take`, which decodes it once small and grey, reads the packets' timestamps and
measures the sound. Each is run --runs times in this process; the best wall times are compared and
printed as seconds per minute of video. Target: QC within 2x of the decode.

    python bench/qc.py [--seconds 60] [--runs 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from best_of import best_of  # noqa: E402

from aivp_nle.ffmpeg import locate, media_arg  # noqa: E402
from aivp_nle.qc import qc_take  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ff = locate()
    with tempfile.TemporaryDirectory(prefix="aivp-qc-bench-") as folder:
        take = Path(folder) / "take_v001.mp4"
        print(f"making a {args.seconds:g} s 1080p take ...", flush=True)
        ff.run([
            "-f", "lavfi", "-i", f"testsrc2=s=1920x1080:r=24:d={args.seconds}", "-f", "lavfi",
            "-i", f"sine=f=440:sample_rate=48000:d={args.seconds}", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
            "-pix_fmt", "yuv420p", "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
            "-c:a", "aac", "-timecode", "01:00:00:00", media_arg(take),
        ], "making the benchmark take")
        decode = best_of(args.runs, lambda: ff.run(["-i", media_arg(take), "-f", "null", "-"], "decoding the take"))
        report = qc_take(take, ff=ff)
        checked = best_of(args.runs, lambda: qc_take(take, ff=ff))
    minutes = args.seconds / 60
    print(f"plain decode (the limit): {decode / minutes:6.2f} s per minute of video")
    print(f"aivp qc:                  {checked / minutes:6.2f} s per minute of video  ({len(report.findings)} finding(s))")
    ratio = checked / decode
    print(f"ratio: {ratio:.2f}x of the decode (target <= 2x): {'met' if ratio <= 2 else 'MISSED'}")


if __name__ == "__main__":
    main()
