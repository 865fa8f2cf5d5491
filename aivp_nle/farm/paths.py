"""How a worker sees this machine's files: prefixes of shared storage, mapped.

The edit names media where the user's machine mounts them (`/Volumes/NAS/...`, `Z:\\Jobs\\...`);
a render node mounts the same share elsewhere (`/mnt/nas/...`). `[farm] paths` maps the first to
the second, longest prefix first; a Windows drive letter matches in either case and with either
slash. A path no prefix covers is sent as it is, so a farm of machines with one mount point needs
no map.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import opentimelineio as otio

from ..edit.clips import media_path, media_url

__all__ = ["PathMap"]

_DRIVE = re.compile(r"^[A-Za-z]:/")


def _posix(path: str) -> str:
    return path.replace("\\", "/") if _DRIVE.match(path.replace("\\", "/")) else path


class PathMap:
    def __init__(self, prefixes: Mapping[str, str] | None = None) -> None:
        pairs = [(_posix(here).rstrip("/"), there.rstrip("/\\")) for here, there in (prefixes or {}).items()]
        self.pairs = sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)

    def for_worker(self, path: Path | str) -> str:
        """Where a worker finds `path` (as given when no prefix covers it)."""
        text = _posix(str(path))
        for here, there in self.pairs:
            folded = _DRIVE.match(here) is not None
            head = text[: len(here)]
            if (head.lower() == here.lower() if folded else head == here) and text[len(here): len(here) + 1] in ("", "/"):
                rest = text[len(here):]
                return there + (rest.replace("/", "\\") if "\\" in there else rest)
        return str(path)

    def timeline_for_workers(self, timeline: otio.schema.Timeline, root: Path) -> otio.schema.Timeline:
        """A copy of the edit whose media are absolute paths as the workers see them."""
        copy = timeline.deepcopy()
        for clip in copy.find_clips():
            reference = clip.media_reference
            if isinstance(reference, otio.schema.ExternalReference):
                reference.target_url = media_url(Path(self.for_worker(media_path(clip, root))))
        return copy
