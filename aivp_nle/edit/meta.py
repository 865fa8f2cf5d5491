"""Our data inside OTIO objects: everything under one metadata namespace, ``"aivp"``, read and
written only here, through typed accessors with one default each.

Adapters carry foreign metadata through untouched, so this is how an edit keeps what OTIO has no
field for. What we write, by object:

- timeline: ``{"edit": "multicam" | "beatcut", "conform": {fps, width, height, color,
  start_timecode}, "beats": {"bpm", "count", "other_level" when close}, "cut": {"every", "min_shot", "seed", "shots",
  "max_snap_error_s", "follows_singer", ...}}`` (``cut`` on beat-cuts only);
- track: ``{"role": "angle" | "cut" | "grain" | "song" | "vocals" | "instrumental"}``, plus ``"angle"``,
  ``"offset_frames"`` and ``"lipsync"`` on angle tracks and ``"gain_db"`` on audio tracks (a muted
  one is disabled); ``"name"``, its own name, where a writer renamed it (Resolve's "Video 1");
- clip on an angle or cut track: ``{"angle": NAME}``, and ``"fit": "fit" | "blur"`` when a take of
  another shape is not to fill the frame (cropped, centred: the default);
- clip on the grain track: ``{"role": "grain", "blend_mode": "overlay" | "soft_light" | "screen",
  "opacity": 0.0-1.0, "still": bool}``: the blend the editor or renderer applies over everything below;
- marker: ``{"beat": index, "downbeat": bool, "time_s": exact seconds}``, or for a sung phrase
  ``{"phrase": index, "start_s", "end_s"}`` (a marker with a duration).

`get` and `put` are the raw dictionary, for this module and for tests that look inside a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import opentimelineio as otio

from ..config import Fit

__all__ = [
    "DEFAULT_BLEND", "DEFAULT_OPACITY", "NAMESPACE", "AngleTrack", "BeatMark", "GrainLook", "Role", "angle_of",
    "angle_track", "beat_of", "beats_bpm", "cut_record", "delivery_size", "gain_db", "get", "grain_look", "grain_of_track",
    "fit_of", "is_phrase", "is_still", "mark_angle_track", "mark_beat", "mark_phrase", "mark_sound_track", "own_name", "put", "role_of",
    "set_angle", "set_edit", "set_grain", "set_own_name", "set_role", "timeline_rate",
]

NAMESPACE = "aivp"
DEFAULT_BLEND = "overlay"
DEFAULT_OPACITY = 0.30


class Role(StrEnum):
    ANGLE = "angle"
    CUT = "cut"
    GRAIN = "grain"
    SONG = "song"  # the mix
    VOCALS = "vocals"
    INSTRUMENTAL = "instrumental"


@dataclass(frozen=True)
class GrainLook:
    blend: str  # a name in edit.blends.BLENDS
    opacity: float  # 0-1
    still: bool = False


@dataclass(frozen=True)
class AngleTrack:
    angle: str
    offset_frames: int
    lipsync: bool


@dataclass(frozen=True)
class BeatMark:
    index: int
    downbeat: bool
    time_s: float | None  # exact, where we wrote it; else the marker's frame is all there is


def put(item: Any, **values: Any) -> None:
    """Record values under our namespace on any OTIO object with metadata."""
    if NAMESPACE in item.metadata:  # reading OTIO's dictionary back costs; new objects skip it
        values = {**dict(item.metadata[NAMESPACE]), **values}
    item.metadata[NAMESPACE] = values


def get(item: Any) -> dict[str, Any]:
    found = item.metadata.get(NAMESPACE, {})
    return dict(found) if found else {}


# tracks

def role_of(track: otio.schema.Track) -> Role | None:
    role = get(track).get("role")
    return Role(str(role)) if role in Role._value2member_map_ else None


def set_role(item: Any, role: Role) -> None:
    put(item, role=str(role))


def mark_angle_track(track: otio.schema.Track, angle: str, offset_frames: int, lipsync: bool) -> None:
    put(track, role=str(Role.ANGLE), angle=angle, offset_frames=offset_frames, lipsync=lipsync)


def angle_track(track: otio.schema.Track) -> AngleTrack | None:
    data = get(track)
    if data.get("role") != Role.ANGLE:
        return None
    return AngleTrack(str(data.get("angle") or track.name), int(data.get("offset_frames", 0)), bool(data.get("lipsync", False)))


def mark_sound_track(track: otio.schema.Track, role: Role, gain: float) -> None:
    put(track, role=str(role), gain_db=gain)


def gain_db(track: otio.schema.Track) -> float:
    """The level an audio track plays at (0 dB when the builder set none)."""
    return float(get(track).get("gain_db", 0.0))


def set_own_name(track: otio.schema.Track, name: str) -> None:
    put(track, name=name)


def own_name(track: otio.schema.Track) -> str:
    """The track's name as we built it, where a writer renamed it for an editor."""
    return str(get(track).get("name") or track.name)


# clips

def set_angle(clip: otio.schema.Clip, angle: str, fit: Fit = "fill") -> None:
    put(clip, angle=angle, **({"fit": fit} if fit != "fill" else {}))


def fit_of(clip: otio.schema.Clip) -> Fit:
    """How a picture of another shape fills the frame: fill (the default: cropped, centred), fit or blur."""
    value = get(clip).get("fit")
    return value if value in ("fit", "blur") else "fill"


def angle_of(clip: otio.schema.Clip) -> str | None:
    angle = get(clip).get("angle")
    return str(angle) if angle else None


def set_grain(item: Any, look: GrainLook) -> None:
    put(item, role=str(Role.GRAIN), blend_mode=look.blend, opacity=look.opacity, still=look.still)


def grain_look(clip: otio.schema.Clip) -> GrainLook | None:
    """The blend a grain clip is applied with, or None for any other clip."""
    data = get(clip)
    if data.get("role") != Role.GRAIN:
        return None
    return GrainLook(str(data.get("blend_mode", DEFAULT_BLEND)), float(data.get("opacity", DEFAULT_OPACITY)), bool(data.get("still", False)))


def grain_of_track(track: otio.schema.Track) -> GrainLook | None:
    """The grain track's look (its first clip's), or None for a track that is not the grain."""
    if role_of(track) != Role.GRAIN or not len(track.find_clips()):
        return None
    return grain_look(track.find_clips()[0])


def is_still(clip: otio.schema.Clip) -> bool:
    return bool(get(clip).get("still", False))


# markers

def mark_beat(marker: otio.schema.Marker, index: int, downbeat: bool, time_s: float) -> None:
    put(marker, beat=index, downbeat=downbeat, time_s=time_s)


def beat_of(marker: otio.schema.Marker) -> BeatMark | None:
    data = get(marker)
    if "beat" not in data:
        return None
    time = data.get("time_s")
    return BeatMark(int(data["beat"]), bool(data.get("downbeat", False)), float(time) if time is not None else None)


def mark_phrase(marker: otio.schema.Marker, index: int, start_s: float, end_s: float) -> None:
    put(marker, phrase=index, start_s=start_s, end_s=end_s)


def is_phrase(marker: otio.schema.Marker) -> bool:
    return "phrase" in get(marker)


# timelines

def set_edit(timeline: otio.schema.Timeline, **values: Any) -> None:
    """What a builder records on its timeline: edit kind, conform settings, beats, cut."""
    put(timeline, **values)


def timeline_rate(timeline: otio.schema.Timeline) -> float:
    """The working rate the timeline was built at (its conform settings), else its duration's rate."""
    fps = get(timeline).get("conform", {}).get("fps")
    return float(fps) if fps else float(timeline.duration().rate)


def delivery_size(timeline: otio.schema.Timeline) -> tuple[int, int]:
    conform = get(timeline).get("conform", {})
    return int(conform.get("width", 1920)), int(conform.get("height", 1080))


def beats_bpm(timeline: otio.schema.Timeline, default: float = 120.0) -> float:
    return float(get(timeline).get("beats", {}).get("bpm", default))


def beats_other_level(timeline: otio.schema.Timeline) -> str | None:
    """"half" or "double" when the tracker scored that metrical level nearly as well (the editor chooses)."""
    other = get(timeline).get("beats", {}).get("other_level")
    return str(other) if other in ("half", "double") else None


def cut_record(timeline: otio.schema.Timeline) -> dict[str, Any]:
    """What the beat-cut recorded of its cut (settings and results: shots, worst snap), {} on other edits."""
    return dict(get(timeline).get("cut") or {})
