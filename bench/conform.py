"""Benchmark conform: four 60 s 1080p takes whose only problems are colour tags, timecode and a
44.1 kHz audio track (what a generator delivers) are remuxed, then one of them is re-encoded to
ProRes 422 HQ the way every take was before (the baseline). Prints seconds and the ratio.

    python bench/conform.py [--seconds 60]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aivp_nle.config import ConformTarget  # noqa: E402
from aivp_nle.conform import ConformOptions, conform_clip, problems  # noqa: E402
from aivp_nle.ffmpeg import locate, media_arg  # noqa: E402
from aivp_nle.probe import probe  # noqa: E402


def main() -> None:
    seconds = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 60.0
    ff = locate()
    target = ConformTarget(width=1920, height=1080)
    with tempfile.TemporaryDirectory() as folder:
        takes = []
        for index in range(4):
            take = Path(folder) / f"s01_angle{'ABCD'[index]}_v001.mp4"
            ff.run(["-f", "lavfi", "-i", f"testsrc2=s=1920x1080:r=24:d={seconds}", "-f", "lavfi", "-i", f"sine=r=44100:d={seconds}",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", media_arg(take)], "making a take")
            takes.append(take)
        print(f"problems of each take: {'; '.join(problems(probe(takes[0], ff), target))}")
        started = time.perf_counter()
        for take in takes:
            conform_clip(take, target, ConformOptions(), ff)
        remux = time.perf_counter() - started
        started = time.perf_counter()
        conform_clip(takes[0], target, ConformOptions(intermediate=True), ff)
        encode = time.perf_counter() - started
    print(f"remux of four {seconds:g} s 1080p takes: {remux:.2f} s in all ({remux / 4:.2f} s each)")
    print(f"ProRes re-encode of one (the old way): {encode:.2f} s; four would take ~{4 * encode:.0f} s, {4 * encode / remux:.0f}x the remux")


if __name__ == "__main__":
    main()
