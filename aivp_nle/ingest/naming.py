"""Which shot and angle an incoming generation is, and the versioned name it gets.

The rule, in order: what a neighbouring JSON says (`aivp fetch` writes one), else the project's
pattern on the incoming name (`[watch] pattern`, with a named group `angle` and optionally `shot`),
else the order of arrival: angleA, angleB, ... one per generation of the same performance, which is
how the handbook's multi-angle workflow produces them.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from pathlib import Path

from ..config import WatchSettings
from ..project import VIDEO_SUFFIXES, TakeFile, media_files
from .sidecar import NeighbourInfo

__all__ = ["slug", "take_identity"]


SLUG_MAX = 64  # a shot or angle name: room for both, the version and a suffix in any file system


def slug(text: str) -> str:
    """Safe in a file name and in every editor: letters, digits and dashes, and not too long."""
    cleaned = re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-")[:SLUG_MAX].strip("-")
    return cleaned or "take"


def take_identity(path: Path, neighbour: NeighbourInfo, settings: WatchSettings, stage: Path) -> tuple[str, str]:
    """(shot, angle) for an incoming file."""
    shot, angle = neighbour.shot, neighbour.angle
    if angle is None and settings.pattern:
        match = re.search(settings.pattern, path.stem)
        if match:
            angle = match.group("angle")
            shot = shot or (match.groupdict().get("shot") or None)
    shot = slug(shot or settings.shot)
    if angle is None:
        angle = _next_arrival(stage, shot)
    return shot, slug(angle)


def _next_arrival(stage: Path, shot: str) -> str:
    taken = {TakeFile.from_path(p).angle for p in media_files(stage, VIDEO_SUFFIXES)}
    for letters in _labels():
        if f"{shot}_angle{letters}" not in taken:
            return f"angle{letters}"
    raise AssertionError("unreachable")


def _labels() -> Iterator[str]:
    yield from string.ascii_uppercase
    number = 27
    while True:
        yield str(number)
        number += 1

