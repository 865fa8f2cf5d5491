"""Filing one finished generation into the project, crash-safely and exactly once.

The copy goes to a temporary name in the generations folder, hashed as it is written and flushed
to disk; the ledger records the name it will claim; a hard link claims it (a link never replaces a
file, unlike rename); the sidecar is written; the ledger publishes. A kill -9 anywhere leaves either
a stray temporary file (swept at the next start) or a take `recover` can verify by its hash and
finish. The inbox file itself is only read, never changed, unless it goes to quarantine.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..config import WatchSettings
from ..errors import AivpError, MediaError
from ..ffmpeg import FFmpeg
from ..files import claim, hash_file, next_version, scratch_path, write_bytes
from ..probe import MediaInfo, probe
from ..project import Project, TakeFile
from .ledger import Ledger
from .naming import take_identity
from .sidecar import NeighbourInfo, Source, TakeSidecar, neighbour_info, sidecar_path

__all__ = ["DiskFullError", "Duplicate", "Imported", "Importer", "Quarantined"]

CHUNK = 4 * 1024 * 1024
SPARE = 64 * 1024 * 1024  # room left free beyond the file itself


class DiskFullError(AivpError):
    """Not enough room to copy a take in: intake pauses until there is."""


@dataclass(frozen=True)
class Imported:
    source: Path
    take: Path


@dataclass(frozen=True)
class Duplicate:
    source: Path
    take: Path


@dataclass(frozen=True)
class Quarantined:
    source: Path
    moved_to: Path
    reason: str


class Importer:
    def __init__(self, project: Project, ledger: Ledger, ff: FFmpeg, settings: WatchSettings, inbox: Path) -> None:
        self.project, self.ledger, self.ff, self.settings = project, ledger, ff, settings
        self.stage = project.stage_dir(settings.stage)
        self.quarantine_dir = inbox / "quarantine"

    def take_in(self, source: Path, info: MediaInfo, neighbour: NeighbourInfo) -> Imported | Duplicate:
        """Copy the take in under its versioned name; a full disk raises DiskFullError with nothing half-filed."""
        try:
            return self._take_in(source, info, neighbour)
        except OSError as error:
            if error.errno == errno.ENOSPC:
                raise DiskFullError(f"{self.stage}: the disk filled up while taking in {source.name}; intake paused") from None
            raise

    def _take_in(self, source: Path, info: MediaInfo, neighbour: NeighbourInfo) -> Imported | Duplicate:
        status = source.lstat()
        self._ensure_room(status.st_size)
        with scratch_path(self.stage / f"incoming{source.suffix.lower()}") as scratch:
            digest = self._copy(source, scratch)
            known = self.ledger.take_for(digest)
            if known is not None and known.exists():
                self.ledger.note(source, status.st_size, status.st_mtime_ns, "duplicate", str(known))
                return Duplicate(source, known)
            shot, angle = take_identity(source, neighbour, self.settings, self.stage)

            def link(destination: Path) -> Path:
                self.ledger.begin(digest, destination, source)
                return claim(scratch, destination)

            take = next_version(self.stage, f"{shot}_{angle}", source.suffix.lower(), link)
        self._write_sidecar(take, digest, status.st_size, source, info, neighbour)
        self.ledger.publish(digest, source, status.st_size, status.st_mtime_ns)
        return Imported(source, take)

    def _ensure_room(self, size: int) -> None:
        free = shutil.disk_usage(self.stage).free
        if free < size + SPARE:
            raise DiskFullError(f"{self.stage}: {free / 1e6:.0f} MB free, a {size / 1e6:.0f} MB take needs more; intake paused")

    def _copy(self, source: Path, scratch: Path) -> str:
        """Copy while hashing, without following a symlink swapped in since the file was judged."""
        digest = hashlib.sha256()
        descriptor = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise MediaError(source, "is not a regular file", "Put the file itself in the inbox")
            with os.fdopen(descriptor, "rb", closefd=False) as reader, open(scratch, "wb") as writer:
                while chunk := reader.read(CHUNK):
                    digest.update(chunk)
                    writer.write(chunk)
                writer.flush()
                os.fsync(writer.fileno())
        finally:
            os.close(descriptor)
        return digest.hexdigest()

    def _write_sidecar(self, take: Path, digest: str, size: int, source: Path, info: MediaInfo, neighbour: NeighbourInfo) -> None:
        named = TakeFile.from_path(take)
        shot, _, angle = named.angle.partition("_")
        sidecar = TakeSidecar(
            take=take.name, shot=shot, angle=angle or shot, take_version=named.version, original_name=source.name,
            sha256=digest, size=size, imported_at=datetime.now(timezone.utc),
            source=Source(original_path=str(source), service=neighbour.service, task_id=neighbour.task_id),
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
        """Move the file aside with a `.why.txt` beside it; nothing is deleted."""
        status = source.lstat()
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        target, number = self.quarantine_dir / source.name, 1
        while target.exists() or target.is_symlink():
            number += 1
            target = self.quarantine_dir / f"{source.stem} ({number}){source.suffix}"
        os.rename(source, target)
        when = datetime.now(timezone.utc).isoformat(timespec="seconds")
        note = f"{source.name} was not imported ({when}):\n{reason}\nFix or regenerate it, then put it back in the inbox.\n"
        write_bytes(target.with_name(target.name + ".why.txt"), note.encode("utf-8"), replace=True)
        self.ledger.note(source, status.st_size, status.st_mtime_ns, "quarantined", reason)
        return Quarantined(source, target, reason)

    def recover(self) -> list[str]:
        """After a crash: finish takes that were linked, forget the rest, sweep our temporary files."""
        notes = []
        for pending in self.ledger.pending():
            if pending.take.is_file() and hash_file(pending.take) == pending.sha256:
                info = probe(pending.take, self.ff)
                source = pending.source
                status = source.stat() if source.is_file() else pending.take.stat()
                if not sidecar_path(pending.take).exists():
                    self._write_sidecar(pending.take, pending.sha256, status.st_size, source, info, neighbour_info(source))
                self.ledger.publish(pending.sha256, source, status.st_size, status.st_mtime_ns)
                notes.append(f"finished {pending.take.name}, interrupted after its copy")
            else:
                self.ledger.forget(pending.sha256)
        for stray in self.stage.glob(".aivp-tmp-*"):
            stray.unlink(missing_ok=True)
            notes.append(f"removed the unfinished copy {stray.name}")
        for digest, take in list(self.ledger.published()):
            if not take.exists():
                self.ledger.forget(digest)
                self.ledger.forget_source(take)
                notes.append(f"{take.name} is gone from disk; its source will be imported again if it is still in the inbox")
        return notes
