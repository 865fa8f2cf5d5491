"""Benchmark downloads: 20 files of 50 MB from a local server, in parallel, against curl.

The same local HTTP server (Python's http.server, in its own process) serves both, best of three; curl runs the same 20 transfers
in parallel (`curl --parallel`). Our wall time should be within 1.2x of curl's, and our memory
flat whatever the file size (streamed to disk, never held whole): the peak RSS of this process is
printed before and after, and once more for a single 500 MB file.

    python bench/fetch.py [--files 20] [--mb 50]
"""

from __future__ import annotations

import argparse
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from aivp_nle.fetch.download import DownloadPolicy, download  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(base: str) -> None:
    for _ in range(100):
        try:
            httpx.get(base + "/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _fresh(path: Path) -> Path:
    path.unlink(missing_ok=True)  # a repeat run downloads again under the same name
    Path(str(path) + ".json").unlink(missing_ok=True)
    return path


def _random_file(path: Path, megabytes: int) -> None:
    with open(path, "wb") as out:
        subprocess.run(["head", "-c", str(megabytes * 1024 * 1024), "/dev/urandom"], stdout=out, check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--mb", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aivp-fetch-bench-") as folder:
        root = Path(folder)
        served = root / "served"
        served.mkdir()
        for index in range(args.files):  # made by head(1), so this process never holds them
            _random_file(served / f"take{index:02d}.mp4", args.mb)
        _random_file(served / "big.mp4", 10 * args.mb)
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(served)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # its own process: no shared GIL with ours
        base = f"http://127.0.0.1:{port}"
        _wait_for(base)
        names = [f"take{i:02d}.mp4" for i in range(args.files)]

        curl_dir = root / "curl"
        curl_dir.mkdir()
        command = ["curl", "-s", "--no-progress-meter", "--parallel", "--parallel-max", str(args.files)]
        for name in names:
            command += [f"{base}/{name}", "-o", str(curl_dir / name)]
        curl_seconds = min(_timed(lambda: subprocess.run(command, check=True)) for _ in range(3))

        ours_dir = root / "ours"
        ours_dir.mkdir()
        policy = DownloadPolicy(insecure_hosts=frozenset({"127.0.0.1"}))
        before = _rss_mb()
        with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=args.files)) as client, ThreadPoolExecutor(args.files) as pool:
            ours_seconds = min(_timed(lambda: list(pool.map(lambda n: download(client, f"{base}/{n}", _fresh(ours_dir / n), policy), names)))
                               for _ in range(3))
            after = _rss_mb()
            download(client, f"{base}/big.mp4", ours_dir / "big.mp4", policy)
            big = _rss_mb()
        server.terminate()
        server.wait()
    total = args.files * args.mb
    print(f"{args.files} downloads of {args.mb} MB in parallel ({total} MB) from 127.0.0.1:")
    print(f"  curl --parallel   {curl_seconds:6.2f} s   1.00x")
    print(f"  aivp (httpx)      {ours_seconds:6.2f} s   {ours_seconds / curl_seconds:.2f}x  (target <= 1.2x; ours also hashes each file as it arrives)")
    print(f"peak RSS of this process: {before:.0f} MB before, {after:.0f} MB after the 20 downloads, {big:.0f} MB after one {10 * args.mb} MB file "
          f"(target: flat, under 100 MB of growth)")


if __name__ == "__main__":
    main()
