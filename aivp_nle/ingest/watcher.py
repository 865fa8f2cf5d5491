"""The watch-folder daemon: finished generations are filed, described, and the edit rebuilt.

Events (watchdog's inotify/FSEvents/ReadDirectoryChanges, or polling for network shares, where
no events arrive) only say where to look. The observer starts first, then the inbox is scanned (files
already there make no event), and it is rescanned periodically, which also recovers whatever an
overflowing event queue dropped. Files are judged and imported one at a time, so a stop (SIGTERM)
lets the current file finish. Only one watcher runs per project (a lock file).

No per-file error ever stops the daemon: whatever a file does to a check or to the copy (a name
that is not UTF-8 or at the length limit, a FIFO, bytes that crash a reader), it goes to
quarantine with its reason, or is reported and left where it is if even that fails, and the rest
keep flowing. With `--once` a file still arriving after `[watch] patience` seconds (growing for
ever, never settling) is reported and left in the inbox, and the run ends.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from ..config import WatchSettings
from ..conform import conform_clip, problems, unusable
from ..errors import AivpError, ConfigError
from ..ffmpeg import FFmpeg, locate
from ..files import shown
from ..interchange import export_edit, export_path
from ..pipeline import build_project
from ..project import Project, TakeFile
from .finished import TEMPORARY_SUFFIXES, Broken, Judge, Ready, Settled, Verdict, Waiting, is_companion, is_temporary
from .importer import DiskFullError, Duplicate, Importer, SourceChanged
from .ledger import Ledger
from .sidecar import neighbour_info

__all__ = ["Watcher", "ledger_path"]

PAUSE_WHEN_FULL = 30.0
CHANGES = frozenset({"created", "modified", "moved", "closed"})  # watchdog's names for what can finish a file
WORKERS = max(2, min(4, (os.cpu_count() or 2) * 2))  # ffprobe's 60 ms start-up overlaps well


def ledger_path(project: Project) -> Path:
    return project.root / ".aivp" / "ledger.sqlite"


class _Hints(FileSystemEventHandler):
    """Collects the paths events mention; the watcher decides what they are."""

    def __init__(self, inbox: Path) -> None:
        self.inbox = inbox
        self.paths: set[Path] = set()
        self.lock = threading.Lock()
        self.arrived = threading.Event()  # wakes the watcher at once instead of at its next tick

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in CHANGES:
            return  # opened, read, closed without writing: our own copy makes these
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            path = Path(os.fsdecode(raw)) if raw else None
            if path is not None and path.parent == self.inbox and not is_companion(path):
                with self.lock:
                    self.paths.add(path)
                self.arrived.set()

    def take(self) -> set[Path]:
        with self.lock:
            paths, self.paths = self.paths, set()
        return paths


def _arrival(path: Path) -> tuple[float, str]:
    try:
        return path.lstat().st_mtime, path.name
    except FileNotFoundError:
        return 0.0, path.name


def _done(verdict: Verdict) -> Future[Verdict]:
    future: Future[Verdict] = Future()
    future.set_result(verdict)
    return future


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
        self.judge = Judge(self.ff, self.settings.settle, self.settings.stall)
        self.hints = _Hints(self.inbox)
        self.candidates: set[Path] = set()
        self.first_seen: dict[Path, float] = {}
        self.given_up: dict[Path, str] = {}  # --once: still arriving after the patience, left in the inbox
        self.still_arriving: dict[Path, str] = {}  # why the costly checks said "not yet"
        self.failures: list[str] = []  # what went wrong this run (files refused, a build that failed): `--once` exits 1
        self.stop = threading.Event()
        self.paused_until = 0.0
        self.imported_since_build = 0
        self.once = False

    def run(self, once: bool = False) -> None:
        self.once = once
        with self._lock(), Ledger(ledger_path(self.project)) as ledger:
            importer = Importer(self.project, ledger, self.ff, self.settings, self.inbox)
            for note in importer.recover():
                self.say(f"recovered: {shown(note)}")
            observer: Any = PollingObserver(timeout=max(0.1, self.settings.settle / 2)) if self.settings.polling else Observer()
            # Recursive, so our own moves into imported/ and quarantine/ pair at once: watchdog holds an
            # unpaired move 0.5 s, and every event behind it (a latency of settle + 0.57 s, not + 0.08).
            observer.schedule(self.hints, str(self.inbox), recursive=True)
            observer.start()
            try:
                self._loop(importer, ledger, once)
            finally:
                observer.stop()
                observer.join(timeout=10)
            if self.imported_since_build:
                self._rebuild()
            for path, reason in self.given_up.items():
                self.say(f"left in the inbox {shown(path.name)}: still arriving after {self.settings.patience:g} s ({reason})")
            if once:
                for path in sorted(p for p in self.inbox.iterdir() if p.name.lower().endswith(TEMPORARY_SUFFIXES) and p.is_file()):
                    self.say(f"left in the inbox {shown(path.name)}: a download's temporary name (it finishes, or it is stale)")

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
        self._consider(ledger, self.inbox.iterdir())

    def _consider(self, ledger: Ledger, paths: Iterable[Path]) -> None:
        """New candidates: files in the inbox the ledger has not handled in their present state."""
        for path in paths:
            try:
                if (path.is_dir() and not path.is_symlink()) or is_companion(path) or path in self.given_up:
                    continue
                status = path.lstat()
            except (OSError, ValueError):
                continue
            if not ledger.already_handled(path, status.st_size, status.st_mtime_ns):
                self.candidates.add(path)

    def _loop(self, importer: Importer, ledger: Ledger, once: bool) -> None:
        self.rescan(ledger)
        last_scan = time.monotonic()
        checking: dict[Path, Future[Verdict]] = {}  # in arrival order: takes are named in that order
        with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="aivp-check") as pool:
            while not self.stop.is_set():
                now = time.monotonic()
                self._consider(ledger, self.hints.take())
                if now - last_scan >= self.settings.rescan:
                    self.rescan(ledger)
                    last_scan = now
                waiting = len(self.candidates)
                if now >= self.paused_until:
                    self._import_checked(importer, checking, now)
                    waiting = self._tick(pool, checking)
                if self.imported_since_build and not waiting:
                    self._rebuild()
                if once and not waiting:
                    break
                self.hints.arrived.wait(0.05 if waiting else 0.25)
                self.hints.arrived.clear()
            for future in checking.values():
                future.cancel()

    def _tick(self, pool: ThreadPoolExecutor, checking: dict[Path, Future[Verdict]]) -> int:
        """Judge every candidate cheaply; settled ones go to the workers for the costly checks.
        Returns how many files still wait (temporary names do not count)."""
        waiting = len(checking)
        arrival = sorted(self.candidates - set(checking), key=_arrival)
        now = time.monotonic()
        for path in arrival:
            if not os.path.lexists(path):
                self.candidates.discard(path)
                self.judge.forget(path)
                self.first_seen.pop(path, None)
                continue
            try:
                verdict = self.judge.observe(path)
            except (OSError, ValueError) as error:
                verdict = Broken(f"could not be read ({shown(str(error))})")
            if isinstance(verdict, Settled):
                checking[path] = pool.submit(self._check, path)
                waiting += 1
            elif isinstance(verdict, Waiting):
                if is_temporary(path.name):
                    continue
                if self.once and now - self.first_seen.setdefault(path, now) > self.settings.patience:
                    self.given_up[path] = self.still_arriving.pop(path, verdict.reason)
                    self.candidates.discard(path)
                    continue
                waiting += 1
            else:
                checking[path] = _done(verdict)
                waiting += 1
        return waiting

    def _check(self, path: Path) -> Verdict:
        """The costly checks in a worker; a check that fails on the file is a reason to quarantine it."""
        try:
            return self.judge.check(path, neighbour_info(path).expected_duration)
        except Exception as error:  # noqa: BLE001 - whatever the bytes do to a reader, the daemon goes on
            return Broken(f"could not be checked ({type(error).__name__}: {shown(str(error))})")

    def _import_checked(self, importer: Importer, checking: dict[Path, Future[Verdict]], now: float) -> None:
        """Import or quarantine the checked files, one at a time and in arrival order, so a stop
        (SIGTERM) always lands between two files."""
        while checking and not self.stop.is_set():
            path, future = next(iter(checking.items()))
            if not future.done():
                return
            del checking[path]
            verdict = future.result()
            try:
                line = self._file(importer, path, verdict)
            except DiskFullError as full:
                self.paused_until = now + PAUSE_WHEN_FULL
                self.say(f"paused: {full}")
                self.judge.forget(path)
                return
            except SourceChanged as changed:
                line = None
                self.say(f"not yet: {changed}")
            except Exception as error:  # noqa: BLE001 - one file never stops the daemon
                line = self._set_aside(importer, path, f"{type(error).__name__}: {shown(str(error))}")
            self.judge.forget(path)
            if line is not None:
                self.say(line)
                self.candidates.discard(path)
                self.first_seen.pop(path, None)
                self.still_arriving.pop(path, None)

    def _set_aside(self, importer: Importer, path: Path, reason: str) -> str:
        """A file the import failed on goes to quarantine; if even that fails, it is reported and left."""
        try:
            moved = importer.quarantine(path, reason)
        except Exception as error:  # noqa: BLE001
            self.given_up[path] = reason
            return f"not imported {shown(path.name)}: {reason}; could not move it to quarantine either ({shown(str(error))})"
        self.failures.append(f"quarantined {shown(path.name)}")
        return f"quarantined {shown(path.name)}: {reason} (see {shown(moved.moved_to.name)}.why.txt)"

    def _file(self, importer: Importer, path: Path, verdict: Verdict) -> str | None:
        if isinstance(verdict, Broken):
            return self._set_aside(importer, path, verdict.reason)
        if isinstance(verdict, Waiting):
            self.still_arriving[path] = verdict.reason
        if not isinstance(verdict, Ready):
            return None  # not yet after all (a writer appeared, the boxes are incomplete): judged again from the start
        target = self.project.config.conform
        refusal = None if self.settings.conform else unusable(verdict.info, target)
        if refusal:
            return self._set_aside(importer, path, f"{refusal}: the edit could not use it. {self._conform_hint(importer)}")
        outcome = importer.take_in(path, verdict.info, neighbour_info(path), verdict.identity)
        kept = f" (original kept in {self.inbox.name}/imported/)" if outcome.moved_to else ""
        if isinstance(outcome, Duplicate):
            return f"skipped {shown(path.name)}: the same take as {outcome.take.name}{kept}"
        self.imported_since_build += 1
        asked = TakeFile.from_path(outcome.take).version
        moved = f" (v{outcome.wanted_version:03d} was taken)" if outcome.wanted_version not in (None, asked) else ""
        line = f"imported {shown(path.name)} as {outcome.take.name}{moved}{kept}"
        if self.settings.conform and problems(verdict.info, target):
            line += f"; {self._conform(outcome.take)}"
        return line

    def _conform_hint(self, importer: Importer) -> str:
        # the quarantined name can differ from the inbox's (numbered beside an earlier one): name the folder
        return (f"Conform it (aivp conform apply on the file in {shown(str(importer.quarantine_dir))} writes a conformed "
                "copy beside it) and put the copy in the inbox, or set [watch] conform = true to conform on import")

    def _conform(self, take: Path) -> str:
        try:
            copy = conform_clip(take, self.project.config.conform, ff=self.ff)
        except AivpError as error:
            self.failures.append(f"{take.name} not conformed: {error}")
            return f"not conformed: {error}"
        return f"conformed to {copy.parent.name}/{copy.name}"

    def _rebuild(self) -> None:
        self.imported_since_build = 0
        if not self.settings.rebuild:
            return
        try:
            result = build_project(self.project, self.ff)
        except AivpError as error:
            self.failures.append("the edit was not rebuilt")
            self.say(f"edit not rebuilt: {error}")
            return
        self.say(f"rebuilt {result.multicam.name} and {result.beatcut.name}")
        for warning in result.warnings:
            self.say(f"warning: {warning}")
        for name in self.settings.export:
            try:
                target = export_path(result.beatcut, name)
                for written in export_edit(result.timeline, target, name, media_root=self.project.edit_dir, ff=self.ff):
                    self.say(f"exported {written.name}")
            except AivpError as error:
                self.say(f"not exported as {name}: {error}")
