"""Long jobs (build, render, QC) in the background, one of each kind at a time, their progress
shared by every page that asks: a second tab sees the same job, a closed tab stops nothing. Each job
writes as every writer of ours does (temporary name, claimed when complete), so a page closed or
a panel stopped mid-job leaves nothing half-written."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import AivpError

__all__ = ["Job", "Jobs"]

Work = Callable[[Callable[[float], None]], str]  # gets a progress callback (0-1), returns what it did


@dataclass
class Job:
    id: int
    kind: str
    state: str = "running"  # running, done, failed
    progress: float = 0.0
    message: str = ""
    started: float = field(default_factory=time.time)


class Jobs:
    def __init__(self) -> None:
        self._jobs: dict[int, Job] = {}
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def start(self, kind: str, work: Work) -> Job:
        """Run `work` in the background; while a job of the kind runs, that job is returned instead."""
        with self._lock:
            running = next((j for j in self._jobs.values() if j.kind == kind and j.state == "running"), None)
            if running is not None:
                return running
            job = Job(next(self._numbers), kind)
            self._jobs[job.id] = job

        def advance(fraction: float) -> None:
            job.progress = max(job.progress, min(1.0, fraction))

        def run() -> None:
            try:
                job.message = work(advance)
                job.progress, job.state = 1.0, "done"
            except (AivpError, OSError) as error:
                job.message, job.state = str(error), "failed"

        threading.Thread(target=run, name=f"aivp-{kind}-{job.id}", daemon=True).start()
        return job

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(j) for j in sorted(self._jobs.values(), key=lambda j: j.id)]

    def wait(self, timeout: float = 600.0) -> None:
        """Until no job runs (the tests, and a panel asked to stop)."""
        deadline = time.monotonic() + timeout
        while any(j["state"] == "running" for j in self.listing()) and time.monotonic() < deadline:
            time.sleep(0.05)
