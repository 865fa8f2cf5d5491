"""Our data inside OTIO objects: everything under one metadata namespace, ``"aivp"``.

Adapters carry foreign metadata through untouched, so this is how an edit keeps what OTIO has no
field for. What we write, by object:

- timeline: ``{"edit": "multicam" | "beatcut", "conform": {fps, width, height, color,
  start_timecode}, "beats": {"bpm", "count"}, "cut": {"every", "min_shot", "seed", "shots",
  "max_snap_error_s", "follows_singer"}}`` (``cut`` on beat-cuts only);
- track: ``{"role": "angle" | "cut" | "grain" | "song" | "vocals" | "instrumental"}``, plus ``"angle"``,
  ``"offset_frames"`` and ``"lipsync"`` on angle tracks and ``"gain_db"`` on audio tracks (a muted one is disabled);
- clip on an angle or cut track: ``{"angle": NAME}``;
- clip on the grain track: ``{"role": "grain", "blend_mode": "overlay" | "soft_light" | "screen",
  "opacity": 0.0-1.0, "still": bool}``: the blend the editor or renderer applies over everything below;
- marker: ``{"beat": index, "downbeat": bool, "time_s": exact seconds}``, or for a sung phrase
  ``{"phrase": index, "start_s", "end_s"}`` (a marker with a duration).
"""

from __future__ import annotations

from typing import Any

import opentimelineio as otio

__all__ = ["NAMESPACE", "Role", "delivery_size", "get", "role_of", "put", "timeline_rate"]

NAMESPACE = "aivp"


class Role:
    ANGLE = "angle"
    CUT = "cut"
    GRAIN = "grain"
    SONG = "song"  # the mix
    VOCALS = "vocals"
    INSTRUMENTAL = "instrumental"


def put(item: Any, **values: Any) -> None:
    """Record values under our namespace on any OTIO object with metadata."""
    if NAMESPACE in item.metadata:  # reading OTIO's dictionary back costs; new objects skip it
        values = {**dict(item.metadata[NAMESPACE]), **values}
    item.metadata[NAMESPACE] = values


def get(item: Any) -> dict[str, Any]:
    found = item.metadata.get(NAMESPACE, {})
    return dict(found) if found else {}


def role_of(track: otio.schema.Track) -> str | None:
    role = get(track).get("role")
    return str(role) if role else None


def gain_db(track: otio.schema.Track) -> float:
    """The level an audio track plays at (0 dB when the builder set none)."""
    return float(get(track).get("gain_db", 0.0))


def timeline_rate(timeline: otio.schema.Timeline) -> float:
    """The working rate the timeline was built at (its conform settings), else its duration's rate."""
    fps = get(timeline).get("conform", {}).get("fps")
    return float(fps) if fps else float(timeline.duration().rate)


def delivery_size(timeline: otio.schema.Timeline) -> tuple[int, int]:
    conform = get(timeline).get("conform", {})
    return int(conform.get("width", 1920)), int(conform.get("height", 1080))
