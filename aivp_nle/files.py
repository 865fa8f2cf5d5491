"""Writing files so that nothing is half-written and nothing of the user's is overwritten.

Every output is written to a temporary name in its destination folder, flushed to disk, then
claimed under its final name: with `os.link` when the name must be new (link refuses to replace,
`rename` would not), with `os.replace` when the caller asked to replace. A kill -9 at any point
leaves either the old state or the whole new file, plus at most a stray `.aivp-tmp-*` file.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputExistsError

__all__ = ["claim", "hash_file", "next_version", "scratch_path", "write_bytes"]

_TMP_PREFIX = ".aivp-tmp-"


@contextmanager
def scratch_path(destination: Path) -> Iterator[Path]:
    """A temporary path beside `destination` (same suffix, so tools pick the right format)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    while True:
        path = destination.parent / f"{_TMP_PREFIX}{secrets.token_hex(6)}{destination.suffix}"
        try:  # O_EXCL: never someone else's file; mode 0o666 so the user's umask decides, as for any file
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            break
        except FileExistsError:
            continue
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def claim(scratch: Path, destination: Path, replace: bool = False, durable: bool = True) -> Path:
    """Give a finished scratch file its final name, refusing to overwrite unless asked (flushed
    to disk first unless the caller says the file need not survive a power cut)."""
    if durable:
        with open(scratch, "rb") as handle:
            os.fsync(handle.fileno())
    if replace:
        os.replace(scratch, destination)
    else:
        try:
            os.link(scratch, destination)
        except FileExistsError:
            raise OutputExistsError(
                f"{destination}: already exists and we never overwrite. "
                "Choose another output name, or pass --force to replace it"
            ) from None
        scratch.unlink()
    if durable:
        _sync_folder(destination.parent)
    return destination


def write_bytes(destination: Path, data: bytes, replace: bool = False) -> Path:
    with scratch_path(destination) as scratch:
        scratch.write_bytes(data)
        return claim(scratch, destination, replace)


def next_version(folder: Path, stem: str, suffix: str, write: Callable[[Path], Path]) -> Path:
    """Claim `stem_vNNN.suffix` with the next free NNN; `write` must refuse an existing name.

    Racing writers each retry with the next number instead of overwriting one another.
    """
    pattern = re.compile(rf"^{re.escape(stem)}_v(\d+){re.escape(suffix)}$")
    taken = [int(m.group(1)) for p in folder.glob(f"{stem}_v*{suffix}") if (m := pattern.match(p.name))]
    version = max(taken, default=0) + 1
    while True:
        try:
            return write(folder / f"{stem}_v{version:03d}{suffix}")
        except OutputExistsError:
            version += 1


def _sync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def hash_file(path: Path, chunk: int = 4 * 1024 * 1024) -> str:
    """SHA-256 of a file's content: what identifies a take, whatever it is called."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
