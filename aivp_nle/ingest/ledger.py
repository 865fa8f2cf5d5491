"""The ingest ledger: SQLite, the one owner of what was imported, so duplicates, restarts and
crashes are no-ops.

Keyed by content hash: the same take dropped twice, or under another name, is imported once.
Each import is two commits around the file operations: `begin` (hash, source, the take name it will
claim) before the hard link, `publish` after the sidecar is written. After a kill -9 `recover` (in
the importer) finishes or forgets whatever stands between the two. WAL with synchronous=NORMAL
survives a killed process (a power cut may lose the last commit, which recovery then redoes).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Ledger", "Pending", "SeenFile"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS takes (
    sha256 TEXT PRIMARY KEY, state TEXT NOT NULL, take TEXT NOT NULL, source TEXT NOT NULL, at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS seen (
    source TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, outcome TEXT NOT NULL,
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
    outcome: str  # imported, duplicate, quarantined
    detail: str  # the take, the take it duplicates, or the reason


class Ledger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def take_for(self, sha256: str) -> Path | None:
        row = self.db.execute("SELECT take FROM takes WHERE sha256 = ? AND state = 'published'", (sha256,)).fetchone()
        return Path(row[0]) if row else None

    def begin(self, sha256: str, take: Path, source: Path) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO takes VALUES (?, 'copying', ?, ?, ?)", (sha256, str(take), str(source), time.time())
        )

    def publish(self, sha256: str, source: Path, size: int, mtime_ns: int) -> None:
        with self.db:  # one transaction: the take and the inbox file's outcome together
            self.db.execute("BEGIN")
            take = self.db.execute("UPDATE takes SET state = 'published' WHERE sha256 = ? RETURNING take", (sha256,)).fetchone()
            self._seen(source, size, mtime_ns, "imported", take[0] if take else "")

    def forget(self, sha256: str) -> None:
        self.db.execute("DELETE FROM takes WHERE sha256 = ?", (sha256,))

    def pending(self) -> list[Pending]:
        rows = self.db.execute("SELECT sha256, take, source FROM takes WHERE state = 'copying'").fetchall()
        return [Pending(row[0], Path(row[1]), Path(row[2])) for row in rows]

    def published(self) -> Iterator[tuple[str, Path]]:
        for sha256, take in self.db.execute("SELECT sha256, take FROM takes WHERE state = 'published'").fetchall():
            yield sha256, Path(take)

    def note(self, source: Path, size: int, mtime_ns: int, outcome: str, detail: str) -> None:
        self._seen(source, size, mtime_ns, outcome, detail)

    def _seen(self, source: Path, size: int, mtime_ns: int, outcome: str, detail: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?, ?, ?)", (str(source), size, mtime_ns, outcome, detail, time.time())
        )

    def already_handled(self, source: Path, size: int, mtime_ns: int) -> bool:
        row = self.db.execute("SELECT size, mtime_ns FROM seen WHERE source = ?", (str(source),)).fetchone()
        return row is not None and (row[0], row[1]) == (size, mtime_ns)

    def outcomes(self) -> list[SeenFile]:
        rows = self.db.execute("SELECT source, outcome, detail FROM seen ORDER BY at").fetchall()
        return [SeenFile(Path(row[0]), row[1], row[2]) for row in rows]

    def forget_source(self, take: Path) -> None:
        self.db.execute("DELETE FROM seen WHERE detail = ?", (str(take),))
