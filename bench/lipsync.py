"""Benchmark the lip-sync check of a whole song against the limit: decoding the audio it must read.

A 3-minute song in stems (demo phrases: four seconds sung in every eight) and two lip-synced angles
generated in 10 s chunks, the handbook's way (36 chunks, AAC, the second angle one frame late).
The limit is decoding the vocal stem and every chunk's audio once; the check is finding the sung
phrases and measuring every chunk's offset against the stem from its place in the song. Each is run
--runs times in this process; the best wall times are compared.

    python bench/lipsync.py [--seconds 180] [--runs 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from best_of import best_of  # noqa: E402

from aivp_nle.audio import decode_mono  # noqa: E402
from aivp_nle.demo import sung_phrases as demo_phrases  # noqa: E402
from aivp_nle.ffmpeg import locate, media_arg  # noqa: E402
from aivp_nle.synthetic import make_stems  # noqa: E402
from aivp_nle.vocals import RATE, VocalStem  # noqa: E402

CHUNK = 10.0
LATE_MS = (0.0, 1000 / 24)



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ff = locate()
    with tempfile.TemporaryDirectory(prefix="aivp-lipsync-bench-") as scratch:
        folder = Path(scratch)
        print(f"making a {args.seconds:g} s song in stems and {len(LATE_MS)} lip-synced angles in {CHUNK:g} s chunks ...", flush=True)
        vocals = make_stems(folder, args.seconds, 120.0, demo_phrases(args.seconds), ff=ff)["vocals"]
        chunks: list[tuple[Path, float]] = []
        for angle, late in enumerate(LATE_MS):
            for index in range(int(args.seconds // CHUNK)):
                start = index * CHUNK
                path = folder / f"chunk{index + 1:02d}_singer{angle}.m4a"
                ff.run(["-i", media_arg(vocals), "-af", f"adelay={late:g}:all=1,atrim=start={start}:end={start + CHUNK},asetpts=PTS-STARTPTS",
                        "-c:a", "aac", media_arg(path)], "a lip-synced chunk")
                chunks.append((path, start))

        def decode_only() -> None:
            decode_mono(vocals, RATE, ff)
            for path, _ in chunks:
                decode_mono(path, RATE, ff)

        def check() -> list[float]:
            stem = VocalStem.load(vocals, ff)
            stem.phrases()
            return [stem.measure(path, -start, ff=ff).offset + start for path, start in chunks]

        limit = best_of(args.runs, decode_only)
        offsets = check()
        checked = best_of(args.runs, check)
    errors = [abs(1000 * offset - LATE_MS[i * len(LATE_MS) // len(offsets)]) for i, offset in enumerate(offsets)]
    print(f"decode the stem and {len(chunks)} chunks (the limit): {limit:6.2f} s")
    print(f"phrases + {len(chunks)} chunk offsets:                {checked:6.2f} s  ({checked / limit:.2f}x the decode)")
    print(f"worst offset error: {max(errors):.3f} ms")


if __name__ == "__main__":
    main()
