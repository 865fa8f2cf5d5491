"""What we know about each imported take, in a JSON file beside it (a format we own: pydantic)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from ..probe import MediaInfo

__all__ = ["NeighbourInfo", "Source", "TakeSidecar", "neighbour_info", "sidecar_path"]


class Source(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str = "inbox"
    original_path: str
    service: str | None = None
    task_id: str | None = None


class TakeSidecar(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int = 1
    take: str
    shot: str
    angle: str
    take_version: int
    original_name: str
    sha256: str
    size: int
    imported_at: datetime
    source: Source
    prompt: str | None = None
    model: str | None = None
    seed: int | None = None
    probe: MediaInfo


class NeighbourInfo(BaseModel):
    """What a service or the user may leave beside a file: `NAME.json` (fetch writes one) or `NAME.txt`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    angle: str | None = None
    shot: str | None = None
    prompt: str | None = None
    model: str | None = None
    seed: int | None = None
    service: str | None = None
    task_id: str | None = None
    expected_duration: float | None = None


def sidecar_path(take: Path) -> Path:
    return take.with_name(take.name + ".aivp.json")


def neighbour_info(path: Path) -> NeighbourInfo:
    """The JSON beside the file (NAME.mp4.json or NAME.json), else a prompt from NAME.txt.

    An unreadable neighbour (bad JSON, a name too long to have one) is ignored: the take still comes in."""
    try:
        for candidate in (path.with_name(path.name + ".json"), path.with_suffix(".json")):
            if candidate.is_file():
                try:
                    return NeighbourInfo.model_validate(json.loads(candidate.read_text(encoding="utf-8")))
                except (ValueError, UnicodeDecodeError):
                    break
        text = path.with_suffix(".txt")
        if text.is_file():
            return NeighbourInfo(prompt=text.read_text(encoding="utf-8", errors="replace").strip() or None)
    except (OSError, ValueError):
        pass
    return NeighbourInfo()


def now() -> datetime:
    return datetime.now(UTC)
