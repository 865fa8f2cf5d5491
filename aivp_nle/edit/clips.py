"""Where a clip's picture comes from, in frames of the timeline: what every writer and the renderer ask.

OTIO counts a clip's source range in the media's own time (from its start timecode); players and
most formats count frames from the file's first frame. This is the one place that converts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio

from ..errors import EditError, MediaError
from . import meta

__all__ = ["ClipMedia", "clip_media", "media_path"]


@dataclass(frozen=True)
class ClipMedia:
    path: Path  # absolute
    first: int  # first frame used, counted from the file's first frame
    frames: int  # length on the timeline
    media_start: int  # the media's start timecode, in frames (0 when it has none)
    media_frames: int | None  # the media's length, when the timeline knows it
    still: bool


def media_path(clip: otio.schema.Clip, root: Path) -> Path:
    """The clip's file as an absolute path (relative ones from `root`); refuses clips without media."""
    reference = clip.media_reference
    if not isinstance(reference, otio.schema.ExternalReference) or not reference.target_url:
        raise EditError(f"clip {clip.name!r} has no media: relink it to its file, then try again")
    path = Path(otio.url_utils.filepath_from_url(reference.target_url))
    return path if path.is_absolute() else (root / path).absolute()


def clip_media(clip: otio.schema.Clip, rate: float, root: Path, check_online: bool = True) -> ClipMedia:
    path = media_path(clip, root)
    if check_online and not path.is_file():
        raise MediaError(path, f"is offline (clip {clip.name!r})", "Put the file back or relink the clip, then try again")
    start = clip.source_range.start_time if clip.source_range else otio.opentime.RationalTime(0, rate)
    available = clip.media_reference.available_range
    media_start = otio.opentime.RationalTime(0, rate)
    media_frames = None
    if available is not None:
        media_start = available.start_time
        media_frames = round(available.duration.rescaled_to(rate).value)
    return ClipMedia(
        path=path,
        first=round((start - media_start).rescaled_to(rate).value),
        frames=round(clip.duration().rescaled_to(rate).value),
        media_start=round(media_start.rescaled_to(rate).value),
        media_frames=media_frames,
        still=bool(meta.get(clip).get("still", False)),
    )
