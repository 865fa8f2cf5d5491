"""Helpers for the watch-folder tests: distinct valid MP4s, a watcher in a thread, waiting on the disk."""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from aivp_nle.ingest.watcher import Watcher
from aivp_nle.project import Project


def variant(base: bytes, tag: str, padding: int = 0) -> bytes:
    """The same MP4 with a trailing `free` box: still valid, but a different file (and hash)."""
    payload = tag.encode() + b"\0" * padding
    return base + struct.pack(">I4s", 8 + len(payload), b"free") + payload


def write_slowly(path: Path, data: bytes, pieces: int, pause: float, between: Callable[[], None] = lambda: None) -> None:
    """Write a file in pieces with pauses, as a slow download does; `between` runs after each piece."""
    size = len(data) // pieces + 1
    with open(path, "wb") as handle:
        for start in range(0, len(data), size):
            handle.write(data[start : start + size])
            handle.flush()
            time.sleep(pause)
            between()


def takes(project: Project) -> list[Path]:
    return sorted(p for p in project.stage_dir("v1_exploration").iterdir() if p.suffix == ".mp4" and not p.name.startswith("."))


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@contextmanager
def watching(project: Project, **settings: object) -> Iterator[tuple[Watcher, list[str]]]:
    """A real watcher (real observer, real inbox) running in a thread while the block runs."""
    values = {"settle": 0.4, "rebuild": False, "rescan": 60.0, **settings}
    lines: list[str] = []
    watcher = Watcher(project, settings=project.config.watch.model_copy(update=values), on_event=lines.append)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        yield watcher, lines
    finally:
        watcher.stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the watcher did not stop"
