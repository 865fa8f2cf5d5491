"""From a task at a service to files in the inbox: poll until done, failed or expired (never
forever), download every output under our own name with the task's metadata beside it, so the
watch folder files it with its prompt, model and seed. Fetching a task twice is a no-op."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..errors import AivpError
from .download import DownloadPolicy, download, suffix_for
from .services import Service, TaskState, poll

__all__ = ["FetchedTask", "TaskFailed", "fetch_task", "wait_for"]


class TaskFailed(AivpError):
    """The service did not deliver this task: failed, filtered, expired, or not yet (pending). Said
    plainly; a failed or expired task is never retried."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class FetchedTask:
    service: str
    task: str
    files: tuple[Path, ...]
    already_there: tuple[Path, ...]


def wait_for(
    client: httpx.Client, service: Service, task: str, key: str, kind: str = "", interval: float = 10.0,
    timeout: float = 600.0, sleep: Callable[[float], None] = time.sleep,
) -> TaskState:
    """Poll until the task is done, failed or expired, or `timeout` passes (then it is still pending)."""
    deadline = time.monotonic() + timeout
    while True:
        state = poll(client, service, task, key, kind)
        if state.status != "pending" or time.monotonic() + interval > deadline:
            return state
        sleep(interval)


def _stem(service: Service, task: str) -> str:
    return f"{service.name}_{re.sub(r'[^A-Za-z0-9-]+', '-', task.rsplit('/', 1)[-1]).strip('-')[:40]}"


def fetch_task(
    client: httpx.Client, service: Service, task: str, key: str, inbox: Path, *, kind: str = "",
    policy: DownloadPolicy | None = None, interval: float = 10.0, timeout: float = 600.0,
    sleep: Callable[[float], None] = time.sleep, on_progress: Callable[[int, int | None], None] | None = None,
    on_retry: Callable[[str], None] | None = None,
) -> FetchedTask:
    """Wait for a task and download its outputs into `inbox` as SERVICE_TASK_N.ext (+ .json metadata)."""
    state = wait_for(client, service, task, key, kind, interval, timeout, sleep)
    if state.status in ("failed", "expired"):
        raise TaskFailed(f"{service.name} task {task} {state.status}: {state.reason}", state.status)
    if state.status == "pending":
        raise TaskFailed(f"{service.name} task {task} is still {state.reason or 'pending'}; fetch it again later", "pending")
    policy = policy or DownloadPolicy(allowed_hosts=service.hosts)
    inbox.mkdir(parents=True, exist_ok=True)
    stem = _stem(service, task)
    files, there = [], []
    for index, url in enumerate(state.videos, start=1):
        existing = [p for p in inbox.glob(f"{stem}_{index}.*") if not p.name.endswith(".json")]
        if existing:
            there.append(existing[0])
            continue
        destination = inbox / f"{stem}_{index}{suffix_for(None, url)}"
        metadata = {"service": service.name, "task_id": task, **{k: v for k, v in state.metadata.items() if v is not None}}
        if state.metadata.get("duration"):
            metadata["expected_duration"] = state.metadata["duration"]
        headers = service.headers(key) if service.key_on_download else {}
        files.append(download(client, url, destination, policy, headers=headers, metadata=metadata, sleep=sleep, on_progress=on_progress,
                              on_retry=on_retry).path)
    return FetchedTask(service.name, task, tuple(files), tuple(there))
