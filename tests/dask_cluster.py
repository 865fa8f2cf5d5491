"""A real Dask cluster on 127.0.0.1 for the farm's tests and bench: its own `dask scheduler` and
`dask worker` processes (no nanny, so a worker killed stays dead, as a crashed machine does)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from aivp_nle.farm.executor import DaskCluster


class Cluster:
    """`dask scheduler` and `dask worker` processes, as a studio would start them."""

    def __init__(self, folder: Path, workers: int = 2, env: dict[str, str] | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.file = folder / "scheduler.json"
        dask = [sys.executable, "-m"]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        self.scheduler = subprocess.Popen([*dask, "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                                           "--no-dashboard", "--scheduler-file", str(self.file)], **quiet)
        self.workers = [subprocess.Popen([*dask, "distributed.cli.dask_worker", "--scheduler-file", str(self.file),
                                          "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"],
                                         env={**os.environ, **(env or {})}, **quiet)
                        for _ in range(workers)]
        deadline = time.monotonic() + 60
        while not self.file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.address = json.loads(self.file.read_text())["address"]
        probe = DaskCluster(self.address)
        try:
            probe.client.wait_for_workers(workers, timeout=60)
        finally:
            probe.close()

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            process.kill()
            process.wait()
