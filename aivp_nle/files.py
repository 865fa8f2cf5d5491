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

__all__ = ["NAME_MAX", "claim", "fitting_name", "hash_file", "next_version", "scratch_path", "shown", "slug", "write_bytes"]

_TMP_PREFIX = ".aivp-tmp-"
NAME_MAX = 255  # bytes in one file name on every file system our users have (ext4, APFS, NTFS in UTF-16 units)
_SUFFIX_MAX = 16  # a media suffix (.mp4, .mov, .kdenlive) is short; a longer one is not a format


def shown(name: str | Path) -> str:
    """A file name fit to print: bytes that are not UTF-8 (Linux names are bytes) and control
    characters appear as \\xNN escapes instead of breaking the terminal or the message."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() or c == " " else f"\\x{ord(c):02x}" for c in text)


def slug(text: str, *, limit: int = 64, empty: str = "take") -> str:
    """Safe in a file name and in every editor: letters, digits and dashes, at most `limit` of them."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-")[:limit].strip("-") or empty


def fitting_name(stem: str, suffix: str, reserve: int = 0) -> str:
    """`stem + suffix`, the stem shortened (never inside a character) so the name leaves `reserve`
    bytes free under the file system's limit, for a suffix a caller adds later."""
    room = NAME_MAX - reserve - len(os.fsencode(suffix))
    encoded = os.fsencode(stem)
    if len(encoded) <= room:
        return stem + suffix
    piece = encoded[:room]
    for drop in range(4):  # a UTF-8 name is cut between characters; a bytes name anywhere
        candidate = piece[: len(piece) - drop]
        try:
            candidate.decode("utf-8")
        except UnicodeDecodeError as error:
            if error.start < len(candidate) - 3:
                break
            continue
        return os.fsdecode(candidate) + suffix
    return os.fsdecode(piece) + suffix


@contextmanager
def scratch_path(destination: Path) -> Iterator[Path]:
    """A temporary path beside `destination` (same suffix, so tools pick the right format)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    suffix = destination.suffix if len(os.fsencode(destination.suffix)) <= _SUFFIX_MAX else ""  # short, whatever the name
    while True:
        path = destination.parent / f"{_TMP_PREFIX}{secrets.token_hex(6)}{suffix}"
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


def next_version(folder: Path, stem: str, suffix: str, write: Callable[[Path], Path], *, wanted: int | None = None) -> Path:
    """Claim `stem_vNNN.suffix` with the next free NNN (or `wanted`, when no file has it yet);
    `write` must refuse an existing name.

    Racing writers each retry with the next number instead of overwriting one another.
    """
    if wanted is not None:
        try:
            return write(folder / f"{stem}_v{wanted:03d}{suffix}")
        except OutputExistsError:
            pass
    pattern = re.compile(rf"^{re.escape(stem)}_v(\d+){re.escape(suffix)}$")
    taken = [int(m.group(1)) for name in os.listdir(folder) if (m := pattern.match(name))]  # a regex in C: cheap in a folder of thousands
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
