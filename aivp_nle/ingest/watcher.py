"""The watch-folder daemon: finished generations are filed, described, and the edit rebuilt.

Events (watchdog's inotify/FSEvents/ReadDirectoryChanges, or polling for network shares, where
no events arrive) only say where to look. The observer starts first, then the inbox is scanned (files
already there make no event), and it is rescanned periodically, which also recovers whatever an
overflowing event queue dropped. Files are judged and imported one at a time, so a stop (SIGTERM)
lets the current file finish. Only one watcher runs per project (a lock file).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from ..config import WatchSettings
from ..errors import AivpError, ConfigError
from ..ffmpeg import FFmpeg, locate
from ..interchange import export_edit, export_path
from ..pipeline import build_project
from ..project import Project
from .finished import Broken, Judge, Ready, is_companion, is_temporary
from .importer import DiskFullError, Duplicate, Imported, Importer
from .ledger import Ledger
from .sidecar import neighbour_info

__all__ = ["Watcher", "ledger_path"]

PAUSE_WHEN_FULL = 30.0


def ledger_path(project: Project) -> Path:
    return project.root / ".aivp" / "ledger.sqlite"


class _Hints(FileSystemEventHandler):
    """Collects the paths events mention; the watcher decides what they are."""

    def __init__(self, inbox: Path) -> None:
        self.inbox = inbox
        self.paths: set[Path] = set()
        self.lock = threading.Lock()

    def on_any_event(self, event: FileSystemEvent) -> None:
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            path = Path(os.fsdecode(raw)) if raw else None
            if path is not None and path.parent == self.inbox and not is_companion(path):
                with self.lock:
                    self.paths.add(path)

    def take(self) -> set[Path]:
        with self.lock:
            paths, self.paths = self.paths, set()
        return paths


class Watcher:
    def __init__(
        self,
        project: Project,
        inbox: Path | None = None,
        settings: WatchSettings | None = None,
        ff: FFmpeg | None = None,
        on_event: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.project = project
        self.settings = settings or project.config.watch
        self.inbox = (inbox or project.path(self.settings.inbox)).absolute()
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.ff = ff or locate()
        self.say = on_event
        self.judge = Judge(self.ff, self.settings.settle)
        self.hints = _Hints(self.inbox)
        self.candidates: set[Path] = set()
        self.stop = threading.Event()
        self.paused_until = 0.0
        self.imported_since_build = 0

    def run(self, once: bool = False) -> None:
        with self._lock(), Ledger(ledger_path(self.project)) as ledger:
            importer = Importer(self.project, ledger, self.ff, self.settings, self.inbox)
            for note in importer.recover():
                self.say(f"recovered: {note}")
            observer: Any = PollingObserver(timeout=max(0.1, self.settings.settle / 2)) if self.settings.polling else Observer()
            observer.schedule(self.hints, str(self.inbox), recursive=False)
            observer.start()
            try:
                self._loop(importer, ledger, once)
            finally:
                observer.stop()
                observer.join(timeout=10)
            if self.imported_since_build:
                self._rebuild()

    def _lock(self) -> Any:
        path = ledger_path(self.project).with_suffix(".lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise ConfigError(f"{self.project.root}: another `aivp watch` is already running for this project") from None
        return handle

    def rescan(self, ledger: Ledger) -> None:
        for path in self.inbox.iterdir():
            if (path.is_dir() and not path.is_symlink()) or is_companion(path):
                continue
            try:
                status = path.lstat()
            except FileNotFoundError:
                continue
            if not ledger.already_handled(path, status.st_size, status.st_mtime_ns):
                self.candidates.add(path)

    def _loop(self, importer: Importer, ledger: Ledger, once: bool) -> None:
        self.rescan(ledger)
        last_scan = time.monotonic()
        while not self.stop.is_set():
            now = time.monotonic()
            self.candidates |= {p for p in self.hints.take() if p.exists() or p.is_symlink()}
            if now - last_scan >= self.settings.rescan:
                self.rescan(ledger)
                last_scan = now
            waiting = self._tick(importer, now) if now >= self.paused_until else len(self.candidates)
            if self.imported_since_build and not waiting:
                self._rebuild()
            if once and not waiting:
                return
            self.stop.wait(0.05 if waiting else 0.25)

    def _tick(self, importer: Importer, now: float) -> int:
        """Judge every candidate once and import the finished ones; returns how many still wait."""
        waiting = 0
        for path in sorted(self.candidates):
            if self.stop.is_set():
                return waiting
            if not (path.exists() or path.is_symlink()):
                self.candidates.discard(path)
                self.judge.forget(path)
                continue
            neighbour = neighbour_info(path)
            verdict = self.judge.observe(path, neighbour.expected_duration)
            if isinstance(verdict, Broken):
                moved = importer.quarantine(path, verdict.reason)
                self.say(f"quarantined {path.name}: {verdict.reason} (see {moved.moved_to.name}.why.txt)")
            elif isinstance(verdict, Ready):
                try:
                    outcome = importer.take_in(path, verdict.info, neighbour)
                except DiskFullError as full:
                    self.paused_until = now + PAUSE_WHEN_FULL
                    self.say(f"paused: {full}")
                    return waiting + 1
                if isinstance(outcome, Imported):
                    self.imported_since_build += 1
                    self.say(f"imported {path.name} as {outcome.take.name}")
                elif isinstance(outcome, Duplicate):
                    self.say(f"skipped {path.name}: the same take as {outcome.take.name}")
            else:
                if not is_temporary(path.name):
                    waiting += 1
                continue
            self.candidates.discard(path)
            self.judge.forget(path)
        return waiting

    def _rebuild(self) -> None:
        self.imported_since_build = 0
        if not self.settings.rebuild:
            return
        try:
            result = build_project(self.project, self.ff)
        except AivpError as error:
            self.say(f"edit not rebuilt: {error}")
            return
        self.say(f"rebuilt {result.multicam.name} and {result.beatcut.name}")
        for name in self.settings.export:
            try:
                target = export_path(result.beatcut, name)
                for written in export_edit(result.timeline, target, name, self.project.edit_dir, ff=self.ff):
                    self.say(f"exported {written.name}")
            except AivpError as error:
                self.say(f"not exported as {name}: {error}")
