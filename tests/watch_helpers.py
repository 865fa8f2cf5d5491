"""Helpers for the watch-folder tests: distinct valid MP4s, a watcher in a thread, waiting on the disk."""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from aivp_nle import synthetic as synth
from aivp_nle.ffmpeg import FFmpeg
from aivp_nle.ingest.watcher import Watcher
from aivp_nle.project import Project, init_project, open_project


def one_second_clip(folder: Path, ff: FFmpeg) -> bytes:
    """A one-second take: small, so hundreds of them stay quick."""
    return synth.make_angle(folder / "clip.mp4", "red", 1.0, 24, (64, 36), ff=ff).read_bytes()


def watch_project(folder: Path, watch_settings: str = "") -> Project:
    """A project that files takes without rebuilding the edit (the watch tests' subject is intake)."""
    root = init_project(folder / "mv").root
    (root / "aivp.toml").write_text(f"[watch]\nrebuild = false\n{watch_settings}", encoding="utf-8")
    return open_project(root)


def inbox(project: Project) -> Path:
    folder = project.root / "inbox"
    folder.mkdir(exist_ok=True)
    return folder


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


def write_in_sessions(path: Path, data: bytes, pieces: int, pause: float, between: Callable[[], None] = lambda: None) -> None:
    """Write a file a piece at a time, closing it between pieces, as `dd conv=notrunc` or a sync client does."""
    size = len(data) // pieces + 1
    for start in range(0, len(data), size):
        with open(path, "ab") as handle:
            handle.write(data[start : start + size])
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
