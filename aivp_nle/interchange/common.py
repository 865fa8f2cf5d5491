"""What every writer needs from one of our timelines: its rate and size, absolute online media,
the picture as played, unique reel names, timecode text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

import opentimelineio as otio

from ..edit import meta
from ..edit.clips import clip_media, media_url
from ..edit.meta import delivery_size, timeline_rate

__all__ = [
    "XML_INVALID", "clips_of", "delivery_size", "picture_track", "prepare", "reel_names", "timecode", "timeline_rate",
    "xml_safe", "xml_safe_tree",
]

# Characters XML 1.0 cannot hold at all, not even escaped (control characters, lone surrogates).
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Text an XML file can hold: a character it cannot becomes a visible \\xNN (a clip named "A\\x01B"
    stays readable, where writing it raw makes the whole file unreadable)."""
    return XML_INVALID.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0xD800 else f"\\x{ord(m.group()) & 0xFF:02x}", text)


def xml_safe_tree(root: ET.Element) -> ET.Element:
    for element in root.iter():
        if element.text:
            element.text = xml_safe(element.text)
        for key, value in element.attrib.items():
            element.attrib[key] = xml_safe(value)
    return root


def clips_of(timeline: otio.schema.Timeline) -> Iterable[otio.schema.Clip]:
    return timeline.find_clips()


def prepare(timeline: otio.schema.Timeline, root: Path, check_online: bool = True) -> otio.schema.Timeline:
    """A copy whose media are absolute paths, every one checked to exist (an import with media
    offline is worse than no import)."""
    copy = timeline.deepcopy()
    rate = timeline_rate(copy)
    for clip in copy.find_clips():
        media = clip_media(clip, rate, root, check_online)
        clip.media_reference.target_url = media_url(media.path)
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
