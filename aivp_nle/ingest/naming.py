"""Which shot and angle an incoming generation is, and the versioned name it gets.

The rule, in order: what a neighbouring JSON says (`aivp fetch` writes one), else the project's
pattern on the incoming name (`[watch] pattern`, with a named group `angle` and optionally `shot`),
else the handbook's own names (`ANGLE_vNNN`, `SHOT_ANGLE_vNNN`, `chunkNN_ANGLE_vNNN`: that angle,
that version when it is free), else the order of arrival: angleA, angleB, ... one per generation
of the same performance, which is how the handbook's multi-angle workflow produces them.
"""

from __future__ import annotations

import re
import string
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..config import WatchSettings
from ..files import slug
from .sidecar import NeighbourInfo

__all__ = ["TakeIdentity", "take_identity"]


HANDBOOK_NAME = re.compile(r"^(?:(?P<shot>[A-Za-z0-9-]+)_)?(?P<angle>[A-Za-z0-9-]+)_v(?P<version>\d{1,4})$")


@dataclass(frozen=True)
class TakeIdentity:
    shot: str
    angle: str
    version: int | None = None  # the version the name asks for, when it names one


def take_identity(path: Path, neighbour: NeighbourInfo, settings: WatchSettings, taken: Collection[str]) -> TakeIdentity:
    """Shot, angle and wanted version for an incoming file; `taken`: the `SHOT_ANGLE`s the stage holds."""
    shot, angle, version = neighbour.shot, neighbour.angle, None
    if angle is None and settings.pattern:
        match = re.search(settings.pattern, path.stem)
        if match:
            angle = match.group("angle")
            shot = shot or (match.groupdict().get("shot") or None)
    if angle is None and (named := HANDBOOK_NAME.match(path.stem)):
        shot, angle, version = shot or named["shot"], named["angle"], int(named["version"]) or None
    shot = slug(shot or settings.shot)
    if angle is None:
        angle = _next_arrival(taken, shot)
    return TakeIdentity(shot, slug(angle), version)


def _next_arrival(taken: Collection[str], shot: str) -> str:
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

