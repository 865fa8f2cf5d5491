"""Filing one finished generation into the project, crash-safely and exactly once.

The copy goes to a temporary name in the generations folder, hashed as it is written and flushed
to disk; the ledger records the name it will claim; a hard link claims it (a link never replaces a
file, unlike rename); the sidecar is written; the ledger publishes. A kill -9 anywhere leaves either
a stray temporary file (swept at the next start) or a take `recover` can verify by its hash and
finish. The inbox file itself is only read, never changed, unless it goes to quarantine.

The copy reads the very file that was checked: the same inode, size and mtime before and after
reading it, else the copy is dropped and the file judged again (a file swapped or rewritten
between the checks and the copy is never filed under another file's description). Room is
checked against the file's own size plus a margin. A ledger lost or rebuilt is filled again from
the takes' sidecars before anything is taken in.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..config import WatchSettings
from ..errors import AivpError, MediaError
from ..ffmpeg import FFmpeg
from ..files import claim, fitting_name, hash_file, next_version, scratch_path, shown, write_bytes
from ..probe import MediaInfo, probe
from ..project import STAGES, VIDEO_SUFFIXES, Project, TakeFile, media_files
from .finished import Identity
from .ledger import Ledger
from .naming import take_identity
from .sidecar import NeighbourInfo, Source, TakeSidecar, neighbour_info, sidecar_path

__all__ = ["DiskFullError", "Duplicate", "Imported", "Importer", "Quarantined", "SourceChanged", "move_aside"]

CHUNK = 4 * 1024 * 1024
MARGIN = 1024 * 1024  # room left free beyond the file itself (at least; a tenth of a large file)
WHY = ".why.txt"


class DiskFullError(AivpError):
    """Not enough room to copy a take in: intake pauses until there is."""


class SourceChanged(AivpError):
    """The inbox file is not the one that was checked any more: it is judged again."""


@dataclass(frozen=True)
class Imported:
    source: Path
    take: Path
    moved_to: Path | None = None  # where the original went in `inbox/imported/`
    wanted_version: int | None = None  # the version its name asked for


@dataclass(frozen=True)
class Duplicate:
    source: Path
    take: Path
    moved_to: Path | None = None


def move_aside(source: Path, folder: Path) -> Path:
    """Move an inbox file into `folder` under its own name (numbered when taken, shortened where the
    quarantine note's suffix would not fit); never over another file."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = source.suffix if len(os.fsencode(source.suffix)) <= 16 else ""
    stem = source.name[: len(source.name) - len(suffix)] if suffix else source.name
    target, number = folder / fitting_name(stem, suffix, len(WHY)), 1
    while os.path.lexists(target):
        number += 1
        target = folder / fitting_name(stem, f" ({number}){suffix}", len(WHY))
    os.rename(source, target)
    return target


@dataclass(frozen=True)
class Quarantined:
    source: Path
    moved_to: Path
    reason: str


@dataclass
class _StageIndex:
    """What the importer knows of the generation folders between two imports."""

    listing: tuple[frozenset[str], ...] = ()  # every name each stage folder held when read, in STAGES order
    angles: set[str] = field(default_factory=set)  # SHOT_ANGLE names in the stage (arrival order names the next)
    unfiled: dict[int, list[Path]] = field(default_factory=dict)  # takes the ledger does not know, by size


def _is_take_name(name: str) -> bool:
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in VIDEO_SUFFIXES


class Importer:
    def __init__(self, project: Project, ledger: Ledger, ff: FFmpeg, settings: WatchSettings, inbox: Path) -> None:
        self.project, self.ledger, self.ff, self.settings = project, ledger, ff, settings
        self.stage = project.stage_dir(settings.stage)
        self.quarantine_dir = inbox / "quarantine"
        self.imported_dir = inbox / "imported"
        self._hashes: dict[tuple[Path, int, int], str] = {}
        self._known = _StageIndex()

    def take_in(self, source: Path, info: MediaInfo, neighbour: NeighbourInfo, identity: Identity | None = None) -> Imported | Duplicate:
        """Copy the take in under its versioned name; a full disk raises DiskFullError with nothing half-filed."""
        try:
            return self._take_in(source, info, neighbour, identity)
        except OSError as error:
            if error.errno == errno.ENOSPC:
                raise DiskFullError(f"{self.stage}: the disk filled up while taking in {shown(source.name)}; intake paused") from None
            raise

    def _take_in(self, source: Path, info: MediaInfo, neighbour: NeighbourInfo, identity: Identity | None) -> Imported | Duplicate:
        status = source.lstat()
        self._ensure_room(status.st_size)
        with scratch_path(self.stage / f"incoming{source.suffix.lower()}") as scratch:
            digest = self._copy(source, scratch, identity or Identity.of(status))
            index = self._index()
            known = self._same_take(digest, status.st_size, index)
            if known is not None:
                self.ledger.note(source, status.st_size, status.st_mtime_ns, "duplicate", str(known))
                return Duplicate(source, known, self._file_away(source))
            named = take_identity(source, neighbour, self.settings, index.angles)

            def link(destination: Path) -> Path:
                self.ledger.begin(digest, destination, source)
                # the bytes were flushed by the copy; the folder is flushed once, by the sidecar's
                # claim in the same folder, before the ledger publishes
                return claim(scratch, destination, durable=False)

            take = next_version(self.stage, f"{named.shot}_{named.angle}", source.suffix.lower(), link, wanted=named.version)
        index.angles.add(TakeFile.from_path(take).angle)
        index.listing = tuple(names | {take.name} if stage == self.settings.stage else names  # the change was ours:
                              for stage, names in zip(STAGES, index.listing, strict=True))  # a take the ledger knows
        self._write_sidecar(take, digest, status.st_size, source, info, neighbour)
        self.ledger.publish(digest, source, status.st_size, status.st_mtime_ns)
        return Imported(source, take, self._file_away(source), named.version)

    def _same_take(self, digest: str, size: int, index: _StageIndex) -> Path | None:
        """A take of the project with these bytes, however it got there (imported, or placed by hand)."""
        known = self.ledger.take_for(digest)
        if known is not None and known.exists():
            return known
        for take in index.unfiled.get(size, []):  # only a file of the same size can be the same take
            try:
                status = take.stat()
                key = (take, status.st_size, status.st_mtime_ns)
                if key not in self._hashes:
                    self._hashes[key] = hash_file(take)
            except OSError:
                continue  # removed since the folder was read
            if self._hashes[key] == digest:
                return take
        return None

    def _listing(self) -> tuple[frozenset[str], ...]:
        """Every name in each generation folder: one listing in C per folder, no stat, so comparing
        it before each of 1,000 imports into a folder of 2,000 files stays cheap."""
        listing = []
        for stage in STAGES:
            try:
                listing.append(frozenset(os.listdir(self.project.stage_dir(stage))))
            except FileNotFoundError:
                listing.append(frozenset())
        return tuple(listing)

    def _index(self) -> _StageIndex:
        """The generation folders as last read, read again only when something else than our own
        filing changed them (a take placed or removed by hand): filing 1,000 takes stays linear."""
        listing = self._listing()
        changed = (before ^ now for before, now in zip(self._known.listing, listing, strict=True))
        if not self._known.listing or any(_is_take_name(name) for names in changed for name in names):
            filed = {take for _, take in self.ledger.published()}  # their hashes are in the ledger
            unfiled: dict[int, list[Path]] = {}
            for stage in STAGES:
                for take in media_files(self.project.stage_dir(stage), VIDEO_SUFFIXES):
                    if take not in filed:
                        unfiled.setdefault(take.stat().st_size, []).append(take)
            angles = {TakeFile.from_path(p).angle for p in media_files(self.stage, VIDEO_SUFFIXES)}
            self._known = _StageIndex(listing, angles, unfiled)
        self._known.listing = listing  # what else came and went (sidecars, our temporary files) changes nothing
        return self._known

    def _file_away(self, source: Path) -> Path | None:
        """The original, once filed, moves to `inbox/imported/` (kept, never deleted); None if it could not."""
        try:
            return move_aside(source, self.imported_dir)
        except OSError:
            return None

    def _ensure_room(self, size: int) -> None:
        free = shutil.disk_usage(self.stage).free
        needed = size + max(MARGIN, size // 10)
        if free < needed:
            raise DiskFullError(f"{self.stage}: {free / 1e6:.1f} MB free, a {size / 1e6:.1f} MB take needs {needed / 1e6:.1f} MB; intake paused")

    def _copy(self, source: Path, scratch: Path, checked: Identity) -> str:
        """Copy while hashing, without following a symlink swapped in since the file was judged, and
        only the file that was checked, unchanged while it was read."""
        digest = hashlib.sha256()
        descriptor = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            before = os.fstat(descriptor)
            if not stat.S_ISREG(before.st_mode):
                raise MediaError(source, "is not a regular file", "Put the file itself in the inbox")
            with os.fdopen(descriptor, "rb", closefd=False) as reader, open(scratch, "wb") as writer, \
                    ThreadPoolExecutor(1) as hasher:
                hashed: Future[None] | None = None
                while chunk := reader.read(CHUNK):
                    if hashed is not None:
                        hashed.result()
                    # hashing one chunk while the disk takes the previous one: both let go of the
                    # GIL, so the hash (a quarter of the copy's time) hides behind the write
                    hashed = hasher.submit(digest.update, chunk)
                    writer.write(chunk)
                if hashed is not None:
                    hashed.result()
                writer.flush()
                os.fsync(writer.fileno())
            after = os.fstat(descriptor)
        finally:
            os.close(descriptor)
        if not Identity.of(before) == Identity.of(after) == checked:
            raise SourceChanged(f"{shown(source.name)} changed since it was checked; judged again")
        return digest.hexdigest()

    def _write_sidecar(self, take: Path, digest: str, size: int, source: Path, info: MediaInfo, neighbour: NeighbourInfo) -> None:
        named = TakeFile.from_path(take)
        shot, _, angle = named.angle.partition("_")
        sidecar = TakeSidecar(
            take=take.name, shot=shot, angle=angle or shot, take_version=named.version, original_name=shown(source.name),
            sha256=digest, size=size, imported_at=datetime.now(UTC),
            source=Source(original_path=shown(source), service=neighbour.service, task_id=neighbour.task_id),
            prompt=neighbour.prompt or self._prompt_from_project(source, take), model=neighbour.model,
            seed=neighbour.seed, probe=info.model_copy(update={"path": take}),
        )
        write_bytes(sidecar_path(take), sidecar.model_dump_json(indent=2).encode("utf-8"), replace=True)

    def _prompt_from_project(self, source: Path, take: Path) -> str | None:
        """A line `NAME: prompt` in prompts.txt, NAME being the incoming or the filed name."""
        prompts = self.project.root / "prompts.txt"
        if not prompts.is_file():
            return None
        for line in prompts.read_text(encoding="utf-8", errors="replace").splitlines():
            key, sep, prompt = line.partition(":")
            if sep and key.strip() in (source.stem, source.name, take.stem, take.name):
                return prompt.strip() or None
        return None

    def quarantine(self, source: Path, reason: str) -> Quarantined:
        """Move the file aside with a `.why.txt` beside it; nothing is deleted. The name stays the
        file's own, shortened where the note's suffix would not fit (the note names the original)."""
        status = source.lstat()
        target = move_aside(source, self.quarantine_dir)
        when = datetime.now(UTC).isoformat(timespec="seconds")
        note = f"{shown(source.name)} was not imported ({when}):\n{reason}\nFix or regenerate it, then put it back in the inbox.\n"
        write_bytes(target.with_name(target.name + WHY), note.encode("utf-8", "backslashreplace"), replace=True)
        self.ledger.note(source, status.st_size, status.st_mtime_ns, "quarantined", reason)
        return Quarantined(source, target, reason)

    def adopt_sidecars(self) -> list[str]:
        """Fill an empty ledger (lost, or rebuilt from an unreadable one) from the takes' sidecars."""
        if not self.ledger.is_empty():
            return []
        adopted = 0
        for stage in STAGES:
            for path in sorted(self.project.stage_dir(stage).glob("*.aivp.json")):
                take = path.with_name(path.name.removesuffix(".aivp.json"))
                try:
                    sidecar = TakeSidecar.model_validate_json(path.read_bytes())
                except (OSError, ValueError):
                    continue  # not ours, or damaged: its take is judged like a new one
                if take.is_file():
                    self.ledger.adopt(sidecar.sha256, take, Path(sidecar.source.original_path))
                    adopted += 1
        notes = [f"rebuilt the ledger from {adopted} takes' sidecars"] if adopted else []
        if self.ledger.rebuilt_from is not None:
            notes.insert(0, f"the ledger could not be read: moved to {self.ledger.rebuilt_from.name}")
        return notes

    def recover(self) -> list[str]:
        """After a crash: finish takes that were linked, forget the rest, sweep our temporary files."""
        notes = self.adopt_sidecars()
        for pending in self.ledger.pending():
            if pending.take.is_file() and hash_file(pending.take) == pending.sha256:
                info = probe(pending.take, self.ff)
                source = pending.source
                status = source.stat() if source.is_file() else pending.take.stat()
                if not sidecar_path(pending.take).exists():
                    self._write_sidecar(pending.take, pending.sha256, status.st_size, source, info, neighbour_info(source))
                self.ledger.publish(pending.sha256, source, status.st_size, status.st_mtime_ns)
                if source.is_file() and source.parent == self.imported_dir.parent:
                    self._file_away(source)  # the original of a finished take leaves the inbox like any other
                notes.append(f"finished {pending.take.name}, interrupted after its copy")
            else:
                self.ledger.forget(pending.sha256)
        for stray in self.stage.glob(".aivp-tmp-*"):
            stray.unlink(missing_ok=True)
            notes.append(f"removed the unfinished copy {stray.name}")
        for digest, take in list(self.ledger.published()):
            if not take.exists():
                self.ledger.forget(digest)
                self.ledger.mark_removed(take)
                notes.append(f"{take.name} is gone from disk: removed, so its original is not imported again "
                             "(put the file in the inbox anew to bring it back)")
        return notes
