"""Benchmark the command's start: `aivp --help`, and one command's own help, against Python starting
and against importing the whole library (what --help cost before the commands were loaded lazily).

Target: `aivp --help` in under 0.3 s.

    python bench/cli.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

AIVP = [sys.executable, "-c", "import sys; from aivp_nle.cli import main; sys.argv[0] = 'aivp'; main()"]


def _best(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, cwd=Path(__file__).resolve().parents[1])
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    python = _best([sys.executable, "-c", "pass"], runs)
    library = _best([sys.executable, "-c", "import aivp_nle.pipeline, aivp_nle.interchange, aivp_nle.qc, aivp_nle.ingest.watcher"], runs)
    for label, command in (("aivp --help", [*AIVP, "--help"]), ("aivp render -h", [*AIVP, "render", "-h"]),
                           ("aivp doctor -h", [*AIVP, "doctor", "-h"])):
        best, median = _best(command, runs)
        print(f"{label:16} best {best:.3f} s, median {median:.3f} s "
              f"(python alone {python[0]:.3f} s: {best / python[0]:.1f}x; importing the library {library[0]:.3f} s: "
              f"{best / library[0]:.2f}x)")


if __name__ == "__main__":
    main()
