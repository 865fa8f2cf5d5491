"""Reading and writing our .otio files, with clear errors and no half-written files.

An .otio can come from anywhere, and OTIO's reader trusts it: JSON nested 100,000 deep crashes the
process (a segfault, not an exception), and NaN, zero or absurd rates and times go straight into
the edit. So every OTIO text is measured before it is parsed (size, nesting depth) and every
time in the timeline checked after: finite, a positive rate, under a day long.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import opentimelineio as otio

from .errors import ConfigError, MediaError
from .files import write_bytes

__all__ = ["checked_timeline", "load_timeline", "otio_from_text", "save_timeline"]

MAX_TEXT = 256 * 1024 * 1024
MAX_DEPTH = 256  # our edits nest under 20 deep
MAX_SECONDS = 24 * 3600.0
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)


def _depth(text: bytes) -> int:
    """How deep JSON brackets nest (outside strings)."""
    bare = np.frombuffer(_STRINGS.sub(b'""', text), dtype=np.uint8)
    steps = (np.isin(bare, (ord("["), ord("{"))).astype(np.int32) - np.isin(bare, (ord("]"), ord("}"))).astype(np.int32))
    return int(steps.cumsum().max(initial=0))


def otio_from_text(text: str | bytes, where: str) -> object:
    """Parse OTIO JSON that may be hostile: measured first, parsed only when sane."""
    raw = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    if len(raw) > MAX_TEXT:
        raise ConfigError(f"{where}: {len(raw) / 1e6:.0f} MB of OTIO is more than any edit; refused")
    if _depth(raw) > MAX_DEPTH:
        raise ConfigError(f"{where}: nested deeper than {MAX_DEPTH} levels, which no edit is; refused")
    try:
        return otio.adapters.read_from_string(raw.decode("utf-8"), "otio_json")
    except Exception as error:  # OTIO raises many unrelated types for a bad file
        raise ConfigError(f"{where}: not a timeline OTIO can read ({error}). Give an .otio file aivp wrote") from None


def _bad_time(time: otio.opentime.RationalTime | None) -> bool:
    if time is None:
        return False
    rate, value = float(time.rate), float(time.value)
    return not (math.isfinite(rate) and math.isfinite(value) and rate > 0 and abs(value / rate) <= MAX_SECONDS)


def checked_timeline(timeline: otio.schema.Timeline, where: str) -> otio.schema.Timeline:
    """The timeline, if every time in it is one an editor could mean; else a refusal naming the item."""
    items = [timeline.tracks, *timeline.tracks.find_children()]
    if _bad_time(timeline.global_start_time):
        raise ConfigError(f"{where}: its start time {timeline.global_start_time} is not a time (NaN, a zero rate, or beyond a day)")
    for item in items:
        ranges = [getattr(item, "source_range", None), *(m.marked_range for m in getattr(item, "markers", []))]
        reference = getattr(item, "media_reference", None)
        ranges.append(getattr(reference, "available_range", None))
        for span in ranges:
            if span is not None and (_bad_time(span.start_time) or _bad_time(span.duration) or span.duration.value < 0):
                raise ConfigError(f"{where}: {type(item).__name__} {item.name!r} has the time range {span}, which is not "
                                  "a time (NaN, a zero rate, negative, or beyond a day). Re-export it from the editor")
    return timeline


def save_timeline(timeline: otio.schema.Timeline, path: Path, replace: bool = False) -> Path:
    text = otio.adapters.write_to_string(timeline, "otio_json")
    return write_bytes(path.expanduser().absolute(), text.encode("utf-8"), replace=replace)


def load_timeline(path: Path) -> otio.schema.Timeline:
    path = path.expanduser().absolute()
    if not path.is_file():
        raise MediaError(path, "file not found", "Check the path of the .otio edit")
    loaded = otio_from_text(path.read_bytes(), str(path))
    if not isinstance(loaded, otio.schema.Timeline):
        raise ConfigError(f"{path}: holds a {type(loaded).__name__}, not a timeline. Give an .otio edit")
    return checked_timeline(loaded, str(path))
