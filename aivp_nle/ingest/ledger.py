"""The ingest ledger: SQLite, the one owner of what was imported, so duplicates, restarts and
crashes are no-ops.

Keyed by content hash: the same take dropped twice, or under another name, is imported once.
Each import is two commits around the file operations: `begin` (hash, source, the take name it will
claim) before the hard link, `publish` after the sidecar is written. After a kill -9 `recover` (in
the importer) finishes or forgets whatever stands between the two. WAL with synchronous=NORMAL
survives a killed process (a power cut may lose the last commit, which recovery then redoes).

File names are stored as the bytes they are (`os.fsencode`): on Linux a name need not be UTF-8,
and one such name in the inbox must not stop the watcher. A ledger that cannot be read (corrupt,
or not a ledger) is moved aside and the ledger rebuilt from the takes' sidecars, which hold each
take's sha256: no take already filed is ever imported a second time.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Ledger", "Pending", "SeenFile"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS takes (
    sha256 TEXT PRIMARY KEY, state TEXT NOT NULL, take BLOB NOT NULL, source BLOB NOT NULL, at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS seen (
    source BLOB PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, outcome TEXT NOT NULL,
    detail TEXT NOT NULL, at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Pending:
    sha256: str
    take: Path
    source: Path


@dataclass(frozen=True)
class SeenFile:
    source: Path
    outcome: str  # imported, duplicate, quarantined, removed
    detail: str  # the take, the take it duplicates, or the reason


def _name(path: Path) -> bytes:
    return os.fsencode(path)


def _path(value: bytes | str) -> Path:
    return Path(os.fsdecode(value))


def _text(detail: str) -> str:
    """A detail (a reason, a take name) as valid text, whatever file names it quotes."""
    return os.fsencode(detail).decode("utf-8", "backslashreplace")


class Ledger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.rebuilt_from: Path | None = None  # where an unreadable ledger was moved, when one was
        try:
            self.db = self._open(path)
        except sqlite3.DatabaseError:
            self.rebuilt_from = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%dT%H%M%S')}")
            os.replace(path, self.rebuilt_from)
            for journal in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                journal.unlink(missing_ok=True)
            self.db = self._open(path)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
            db.execute("SELECT count(*) FROM takes").fetchone()
            db.execute("PRAGMA quick_check").fetchone()
            for table, column in (("takes", "source"), ("takes", "take"), ("seen", "source")):  # earlier ledgers kept text
                db.execute(f"UPDATE {table} SET {column} = CAST({column} AS BLOB) WHERE typeof({column}) = 'text'")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def is_empty(self) -> bool:
        return self.db.execute("SELECT count(*) FROM takes").fetchone()[0] == 0

    def adopt(self, sha256: str, take: Path, source: Path) -> None:
        """Record a take already filed (read back from its sidecar when the ledger is rebuilt)."""
        self.db.execute("INSERT OR IGNORE INTO takes VALUES (?, 'published', ?, ?, ?)", (sha256, _name(take), _name(source), time.time()))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def take_for(self, sha256: str) -> Path | None:
        row = self.db.execute("SELECT take FROM takes WHERE sha256 = ? AND state = 'published'", (sha256,)).fetchone()
        return _path(row[0]) if row else None

    def begin(self, sha256: str, take: Path, source: Path) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO takes VALUES (?, 'copying', ?, ?, ?)", (sha256, _name(take), _name(source), time.time())
        )

    def publish(self, sha256: str, source: Path, size: int, mtime_ns: int) -> None:
        with self.db:  # one transaction: the take and the inbox file's outcome together
            self.db.execute("BEGIN")
            take = self.db.execute("UPDATE takes SET state = 'published' WHERE sha256 = ? RETURNING take", (sha256,)).fetchone()
            self._seen(source, size, mtime_ns, "imported", os.fsdecode(take[0]) if take else "")

    def forget(self, sha256: str) -> None:
        self.db.execute("DELETE FROM takes WHERE sha256 = ?", (sha256,))

    def pending(self) -> list[Pending]:
        rows = self.db.execute("SELECT sha256, take, source FROM takes WHERE state = 'copying'").fetchall()
        return [Pending(row[0], _path(row[1]), _path(row[2])) for row in rows]

    def published(self) -> Iterator[tuple[str, Path]]:
        for sha256, take in self.db.execute("SELECT sha256, take FROM takes WHERE state = 'published'").fetchall():
            yield sha256, _path(take)

    def note(self, source: Path, size: int, mtime_ns: int, outcome: str, detail: str) -> None:
        self._seen(source, size, mtime_ns, outcome, detail)

    def _seen(self, source: Path, size: int, mtime_ns: int, outcome: str, detail: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?, ?, ?)", (_name(source), size, mtime_ns, outcome, _text(detail), time.time())
        )

    def already_handled(self, source: Path, size: int, mtime_ns: int) -> bool:
        row = self.db.execute("SELECT size, mtime_ns FROM seen WHERE source = ?", (_name(source),)).fetchone()
        return row is not None and (row[0], row[1]) == (size, mtime_ns)

    def outcomes(self) -> list[SeenFile]:
        rows = self.db.execute("SELECT source, outcome, detail FROM seen ORDER BY at").fetchall()
        return [SeenFile(_path(row[0]), row[1], row[2]) for row in rows]

    def mark_removed(self, take: Path) -> None:
        """The user removed a filed take: its inbox original stays handled, so it is not filed again."""
        self.db.execute("UPDATE seen SET outcome = 'removed' WHERE detail = ? AND outcome = 'imported'", (_text(str(take)),))
