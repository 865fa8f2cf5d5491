"""What every writer needs from one of our timelines: its rate and size, absolute online media,
the picture as played, unique reel names, timecode text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import opentimelineio as otio

from ..edit import meta
from ..edit.clips import clip_media
from ..edit.meta import delivery_size, timeline_rate

__all__ = [
    "clips_of", "delivery_size", "picture_track", "prepare", "reel_names", "timecode", "timeline_rate",
]


def clips_of(timeline: otio.schema.Timeline) -> Iterable[otio.schema.Clip]:
    return timeline.find_clips()


def prepare(timeline: otio.schema.Timeline, root: Path, check_online: bool = True) -> otio.schema.Timeline:
    """A copy whose media are absolute paths, every one checked to exist (an import with media
    offline is worse than no import)."""
    copy = timeline.deepcopy()
    rate = timeline_rate(copy)
    for clip in copy.find_clips():
        media = clip_media(clip, rate, root, check_online)
        clip.media_reference.target_url = otio.url_utils.url_from_filepath(str(media.path))
    return copy


def picture_track(timeline: otio.schema.Timeline) -> otio.schema.Track:
    """What the viewer shows: enabled video tracks flattened top-down, the grain left out."""
    tracks = [t for t in timeline.video_tracks() if t.enabled and meta.role_of(t) != meta.Role.GRAIN]
    flat = otio.algorithms.flatten_stack(tracks) if tracks else otio.schema.Track(kind=otio.schema.TrackKind.Video)
    flat.name = "Picture"
    return flat


def reel_names(paths: Iterable[Path], width: int = 8) -> dict[Path, str]:
    """A unique reel per file, at most `width` characters of A-Z, 0-9 and _ (CMX 3600's rule), so
    same-length takes never link to each other's media."""
    reels: dict[Path, str] = {}
    taken: set[str] = set()
    for path in dict.fromkeys(paths):
        base = re.sub(r"[^A-Z0-9_]", "_", path.stem.upper())[:width] or "REEL"
        reel, number = base, 1
        while reel in taken:
            number += 1
            suffix = str(number)
            reel = base[: width - len(suffix)] + suffix
        taken.add(reel)
        reels[path] = reel
    return reels


def timecode(frames: int, rate: float) -> str:
    return str(otio.opentime.to_timecode(otio.opentime.RationalTime(frames, rate), rate))
