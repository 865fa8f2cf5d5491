"""Benchmark the watch folder: latency, throughput against a plain copy, idle CPU, memory.

Targets: latency from a file's last write to its ledger entry at most the settle time
plus 0.5 s; 1,000 files of 5 MB within 1.5x a plain copy of the same files; under 1 % CPU while
idle for 60 s; under 150 MB resident while watching. The watcher runs as the real command
(`python -m aivp_nle watch`) in a child process; the baselines run in this one.

    python bench/ingest.py [--files 1000] [--mb 5] [--idle 60] [--latency 10] [--kills 100]

`--kills N` kills the watcher with SIGKILL at N random moments during the import of 30 files of 3 MB,
then checks: every file imported exactly once, no take that is not a whole source file, the ledger
equal to the disk, no temporary file left.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aivp_nle import synthetic as synth  # noqa: E402
from aivp_nle.project import init_project  # noqa: E402
from tests.watch_helpers import variant  # noqa: E402

WATCH = [sys.executable, "-m", "aivp_nle", "watch"]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def _ledger_count(project: Path) -> int:
    ledger = project / ".aivp" / "ledger.sqlite"
    if not ledger.exists():
        return 0
    with sqlite3.connect(ledger, timeout=30) as db:
        return int(db.execute("SELECT count(*) FROM takes WHERE state = 'published'").fetchone()[0])


def _project(root: Path, settle: float) -> Path:
    project = init_project(root).root
    (project / "aivp.toml").write_text(f"[watch]\nrebuild = false\nsettle = {settle}\n")
    (project / "inbox").mkdir()
    return project


def throughput(scratch: Path, base: bytes, files: int, megabytes: float) -> None:
    sources = scratch / "sources"
    sources.mkdir()
    padding = int(megabytes * 1_000_000)
    for index in range(files):
        (sources / f"take {index:04d}.mp4").write_bytes(variant(base, f"t{index}", padding))
    plain = scratch / "plain"
    plain.mkdir()
    os.sync()  # each run starts with nothing of the one before still being written out
    started = time.perf_counter()
    for path in sources.iterdir():
        shutil.copyfile(path, plain / path.name)
    copy_seconds = time.perf_counter() - started
    synced = scratch / "synced"
    synced.mkdir()
    os.sync()
    started = time.perf_counter()
    for path in sources.iterdir():
        shutil.copyfile(path, synced / path.name)
        with open(synced / path.name, "rb") as handle:
            os.fsync(handle.fileno())
    synced_seconds = time.perf_counter() - started
    shutil.rmtree(plain)
    shutil.rmtree(synced)
    project = _project(scratch / "throughput", 0.1)
    for path in sources.iterdir():
        path.rename(project / "inbox" / path.name)
    os.sync()
    started = time.perf_counter()
    subprocess.run([*WATCH, str(project), "--once"], check=True, stdout=subprocess.DEVNULL)
    ours = time.perf_counter() - started
    assert _ledger_count(project) == files
    print(f"throughput, {files} files of {megabytes:g} MB ({files * megabytes / 1000:.1f} GB):")
    print(f"  plain copy            {copy_seconds:7.2f} s   1.00x")
    print(f"  copy + fsync          {synced_seconds:7.2f} s   {synced_seconds / copy_seconds:.2f}x")
    print(f"  aivp watch --once     {ours:7.2f} s   {ours / copy_seconds:.2f}x  (target <= 1.5x)  "
          f"{ours / synced_seconds:.2f}x of copy + fsync")
    shutil.rmtree(project)


def idle_and_latency(scratch: Path, base: bytes, idle: float, samples: int) -> None:
    settle = 1.0
    project = _project(scratch / "idle", settle)
    watcher = subprocess.Popen([*WATCH, str(project)], stdout=subprocess.DEVNULL)
    try:
        time.sleep(3.0)  # started and settled
        cpu_before, started = _cpu_seconds(watcher.pid), time.perf_counter()
        time.sleep(idle)
        cpu = (_cpu_seconds(watcher.pid) - cpu_before) / (time.perf_counter() - started)
        rss_idle = _rss_mb(watcher.pid)
        latencies = []
        for index in range(samples):
            target = project / "inbox" / f"latency {index}.mp4"
            target.write_bytes(variant(base, f"latency{index}", 2_000_000))
            last_write = time.perf_counter()
            while _ledger_count(project) < index + 1:
                time.sleep(0.01)
            latencies.append(time.perf_counter() - last_write)
        rss_busy = _rss_mb(watcher.pid)
    finally:
        watcher.terminate()
        watcher.wait(timeout=60)
    print(f"idle for {idle:g} s: {100 * cpu:.2f} % CPU (target < 1 %); resident {rss_idle:.0f} MB idle, "
          f"{rss_busy:.0f} MB after importing (target < 150 MB)")
    print(f"latency, last write to ledger entry, settle {settle:g} s, {samples} files: median {statistics.median(latencies):.2f} s, "
          f"worst {max(latencies):.2f} s; worst minus settle {max(latencies) - settle:.2f} s (target <= 0.5 s)")


def paused_writer(scratch: Path, base: bytes, pause: float = 3.0) -> None:
    """A take written in 6 sessions with pauses longer than the settle time (a sync client, `dd
    conv=notrunc`): it must be imported once, complete, and nothing quarantined."""
    settle = 1.0
    project = _project(scratch / "paused", settle)
    data = variant(base, "paused", 6_000_000)
    watcher = subprocess.Popen([*WATCH, str(project)], stdout=subprocess.DEVNULL)
    try:
        time.sleep(3.0)
        target, size = project / "inbox" / "synced.mp4", len(data) // 6 + 1
        for start in range(0, len(data), size):
            with open(target, "ab") as handle:
                handle.write(data[start : start + size])
            last_write = time.perf_counter()
            if start + size < len(data):
                time.sleep(pause)
        while _ledger_count(project) < 1:
            time.sleep(0.01)
        latency = time.perf_counter() - last_write
        time.sleep(2 * settle)
    finally:
        watcher.terminate()
        watcher.wait(timeout=60)
    takes = _takes(project / "03_Generations" / "v1_exploration")
    quarantined = list((project / "inbox" / "quarantine").glob("*")) if (project / "inbox" / "quarantine").exists() else []
    print(f"paused writer (6 chunks, {pause:g} s apart, settle {settle:g} s): imported {len(takes)} take(s), complete: "
          f"{[t.read_bytes() for t in takes] == [data]}, quarantined: {len(quarantined)}; last write to ledger {latency:.2f} s")


def _takes(stage: Path) -> list[Path]:
    """Final takes only: pathlib's `*` also matches our hidden `.aivp-tmp-*` copies in progress."""
    return [p for p in stage.glob("*.mp4") if not p.name.startswith(".")]


def kills(scratch: Path, base: bytes, count: int) -> None:
    import hashlib
    import random
    import signal

    project = _project(scratch / "kills", 0.1)
    sources = []
    for index in range(30):
        path = project / "inbox" / f"take {index:02d}.mp4"
        path.write_bytes(variant(base, f"kill{index}", 3_000_000))
        sources.append(hashlib.sha256(path.read_bytes()).hexdigest())
    stage = project / "03_Generations" / "v1_exploration"
    rng, partial = random.Random(7), 0
    started = time.perf_counter()
    for _ in range(count):
        process = subprocess.Popen([*WATCH, str(project), "--once"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        partial += sum(hashlib.sha256(t.read_bytes()).hexdigest() not in sources for t in _takes(stage))
    subprocess.run([*WATCH, str(project), "--once"], check=True, stdout=subprocess.DEVNULL)
    takes = sorted(hashlib.sha256(t.read_bytes()).hexdigest() for t in _takes(stage))
    with sqlite3.connect(project / ".aivp" / "ledger.sqlite") as db:
        ledger = sorted(Path(os.fsdecode(r[0])).name for r in db.execute("SELECT take FROM takes WHERE state = 'published'"))
    print(f"kill -9 x{count} during the import of 30 files ({time.perf_counter() - started:.0f} s): "
          f"exactly once: {takes == sorted(sources)}; partial takes seen: {partial}; "
          f"ledger equals disk: {ledger == sorted(t.name for t in _takes(stage))}; "
          f"temporary files left: {len(list(stage.glob('.aivp-tmp-*')))}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--mb", type=float, default=5.0)
    parser.add_argument("--idle", type=float, default=60.0)
    parser.add_argument("--latency", type=int, default=10)
    parser.add_argument("--kills", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aivp-bench-", dir=os.environ.get("AIVP_BENCH_DIR")) as folder:
        scratch = Path(folder)
        base = synth.make_angle(scratch / "base.mp4", "red", 1.0, 24, (64, 36)).read_bytes()
        idle_and_latency(scratch, base, args.idle, args.latency)
        paused_writer(scratch, base)
        throughput(scratch, base, args.files, args.mb)
        if args.kills:
            kills(scratch, base, args.kills)


if __name__ == "__main__":
    main()
