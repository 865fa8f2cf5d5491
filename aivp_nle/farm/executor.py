"""Where our jobs run: processes on this machine (embedded, the default) or a Dask cluster.

A job is a list of tasks, each a top-level function of `farm.tasks` with plain arguments (paths as
text, timelines as OTIO JSON), so any worker process can run it wherever it is. Dask brings what a
home-made queue would get wrong: a task whose worker dies is run again on another one, a failing
task is retried (three attempts in all), and the scheduler sees the tasks of every client, which
`aivp farm status` reads back by the key prefix each task carries.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import AivpError

__all__ = ["ATTEMPTS", "DaskCluster", "Embedded", "Executor", "FarmError", "Tally", "Task", "connect", "job_keys"]

ATTEMPTS = 3  # tries of a task on the farm before its log goes back to the user
POLL = 0.25  # seconds between looks at a Dask job's progress


class FarmError(AivpError):
    """The farm could not run a job: no scheduler, a worker without a tool, a task that kept failing."""


@dataclass(frozen=True)
class Task:
    key: str  # names the task on the cluster: aivp-PROJECT-JOB-RUN-NUMBER
    function: Callable[..., Any]
    args: tuple[Any, ...]


@dataclass
class Tally:
    """One progress line for a whole job."""

    total: int
    done: int = 0
    running: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.done}/{self.total} tasks done, {self.running} running, {self.failed} failed"


def job_keys(project: str, job: str, count: int) -> list[str]:
    """Task keys unique to this run (two runs of one job never share results) and findable by project."""
    run = secrets.token_hex(3)
    return [f"aivp-{project}-{job}-{run}-{number:03d}" for number in range(count)]


class Executor(Protocol):
    name: str

    def workers(self) -> int: ...

    def run(self, tasks: Sequence[Task], *, on_tally: Callable[[Tally], None] | None = None) -> list[Any]: ...

    def close(self) -> None: ...


def _failed(task: Task, error: BaseException, where: str) -> FarmError:
    return FarmError(f"{task.key} failed{where}; its log:\n{error}")


class Embedded:
    """A pool of processes on this machine: no server, nothing to set up."""

    name = "this machine"

    def __init__(self, processes: int | None = None) -> None:
        self.processes = processes or os.cpu_count() or 1

    def workers(self) -> int:
        return self.processes

    def run(self, tasks: Sequence[Task], *, on_tally: Callable[[Tally], None] | None = None) -> list[Any]:
        tally = Tally(len(tasks))
        # forkserver (spawn where there is none): a fork of a process with threads (the watcher's, a
        # test runner's) can inherit a held lock; the tasks import what they need themselves
        context = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn")
        with ProcessPoolExecutor(max_workers=min(self.processes, max(1, len(tasks))), mp_context=context) as pool:
            futures: dict[Future[Any], int] = {pool.submit(t.function, *t.args): n for n, t in enumerate(tasks)}
            results: list[Any] = [None] * len(tasks)
            pending = set(futures)
            while pending:
                tally.running = min(self.processes, len(pending))
                if on_tally:
                    on_tally(tally)
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    error = future.exception()
                    if error is not None:
                        tally.failed += 1
                        for other in pending:
                            other.cancel()
                        raise _failed(tasks[futures[future]], error, "") from None
                    results[futures[future]] = future.result()
                    tally.done += 1
            tally.running = 0
            if on_tally:
                on_tally(tally)
            return results

    def close(self) -> None:
        pass


class DaskCluster:
    """A Dask scheduler and its workers (`dask scheduler`, `dask worker`, or SSH, SLURM, Kubernetes)."""

    def __init__(self, address: str, *, timeout: float = 10.0) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise FarmError("the Dask farm needs the farm extra: pip install 'aivp-nle[farm]'") from None
        self.name = address
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise FarmError(
                f"no Dask scheduler answers at {address} ({error.__class__.__name__}). Start one there "
                f"(`dask scheduler`, then `dask worker {address}` on each machine), or leave out --cluster "
                "(and [farm] scheduler in aivp.toml) to run on this machine"
            ) from None

    def workers(self) -> int:
        return sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values())

    def run(self, tasks: Sequence[Task], *, on_tally: Callable[[Tally], None] | None = None) -> list[Any]:
        tally = Tally(len(tasks))
        futures = [self.client.submit(t.function, *t.args, key=t.key, retries=ATTEMPTS - 1, pure=False) for t in tasks]
        try:
            while True:
                states = [f.status for f in futures]
                busy = {key for keys in self.client.processing().values() for key in keys}
                tally.done = states.count("finished")
                tally.failed = sum(s in ("error", "cancelled") for s in states)
                tally.running = sum(t.key in busy for t in tasks) if tally.done + tally.failed < len(tasks) else 0
                if on_tally:
                    on_tally(tally)
                for task, future in zip(tasks, futures, strict=True):
                    if future.status in ("error", "cancelled"):
                        raise _failed(task, future.exception() or RuntimeError("cancelled"), f" {ATTEMPTS} times on {self.name}")
                if tally.done == len(tasks):
                    return [f.result() for f in futures]
                time.sleep(POLL)
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        self.client.close()


def connect(cluster: str | None, *, processes: int | None = None) -> Executor:
    """The Dask cluster at `cluster` (tcp://HOST:8786), or this machine's processes when None."""
    return DaskCluster(cluster) if cluster else Embedded(processes)
