"""OTIO in the shape DaVinci Resolve's importer accepts, grain blend included.

Resolve imports only OTIO shaped like its own export and answers None to anything else, silently
(facts in the project's reference notes): clips with a `DEFAULT_MEDIA` media reference, plain
absolute paths (not file:// URLs), an available range on every reference, source times counted
from the media's own start timecode, a global start time, tracks named "Video 1", "Audio 1", ...
and Resolve's own metadata keys. Where we are not sure Resolve accepts a difference from its own
exports (Resolve 20 and 21 files, in the project's reference notes), we write what it writes:

- no track is disabled: no Resolve export has a disabled track, and its importer may ignore the
  flag. The angles need none (the Cut track above them covers every frame, as in Resolve's own
  stacking); a sound track that must not play gets its clips' volume at Resolve's minimum,
  -100 dB, and `aivp resolve push` switches it off as well;
- markers last one frame and carry `Resolve_OTIO: {Keywords, Note}`, as every Resolve marker does;
- blend and opacity are a "Resolve Effect" holding a Composite effect whose parameters have the
  shape of Resolve's one non-default sample: `composite mode` (Resolve's index, Overlay = 6) and
  `opacity` (0-100; its ID follows the known `composite mode`, the Inspector's label in lower
  case). Whether Resolve applies them on import is unproven, so the Resolve scripts set them
  through the API as well;
- an audio track's level is written on each of its clips as Resolve writes clip volume: a
  "Fairlight Clip Volume and Fades" effect whose `volume` parameter is in dB (-100 to +30); the
  scripting API has no level setter, so this is the only way in.
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

from ..edit import meta
from ..edit.blends import blend_named
from ..edit.clips import media_path
from .common import timeline_rate

__all__ = ["to_resolve_otio"]

RESOLVE = "Resolve_OTIO"


SILENT_DB = -100.0  # the bottom of Resolve's clip volume


def _composite(look: meta.GrainLook) -> otio.schema.Effect:
    parameters = [
        {"Default Parameter Value": 0, "Parameter ID": "composite mode", "Parameter Value": blend_named(look.blend).resolve_index,
         "Variant Type": "UInt"},
        {"Default Parameter Value": 100.0, "Parameter ID": "opacity", "Parameter Value": round(look.opacity * 100.0, 3),
         "Variant Type": "Double"},
    ]
    return otio.schema.Effect(
        name="", effect_name="Resolve Effect",
        metadata={RESOLVE: {"Effect Name": "Composite", "Enabled": True, "Name": "Composite", "Type": 1, "Parameters": parameters}},
    )


def _clip_volume(gain_db: float) -> otio.schema.Effect:
    volume = {"Default Parameter Value": 0.0, "Parameter ID": "volume", "Parameter Value": min(30.0, max(SILENT_DB, gain_db)),
              "Variant Type": "Double"}
    return otio.schema.Effect(
        name="", effect_name="Resolve Effect",
        metadata={RESOLVE: {"Effect Name": "Fairlight Clip Volume and Fades", "Enabled": True, "Name": "Volume", "Type": 62,
                            "Parameters": [volume]}},
    )


def _marker(marker: otio.schema.Marker, rate: float) -> otio.schema.Marker:
    one_frame = otio.opentime.RationalTime(1, rate)
    span = marker.marked_range
    duration = span.duration if span.duration.to_frames(rate) >= 1 else one_frame
    shaped = otio.schema.Marker(name=marker.name, color=marker.color, metadata=dict(marker.metadata),
                                marked_range=otio.opentime.TimeRange(span.start_time, duration))
    shaped.metadata[RESOLVE] = {"Keywords": [], "Note": marker.name}
    return shaped


def resolve_shape(timeline: otio.schema.Timeline, root: Path) -> otio.schema.Timeline:
    shaped = timeline.deepcopy()
    shaped.metadata[RESOLVE] = {"Resolve OTIO Meta Version": "1.0"}
    rate = timeline_rate(shaped)
    markers = [_marker(m, rate) for m in shaped.tracks.markers]
    shaped.tracks.markers.clear()
    shaped.tracks.markers.extend(markers)
    counts = {otio.schema.TrackKind.Video: 0, otio.schema.TrackKind.Audio: 0}
    for track in shaped.tracks:
        counts[track.kind] += 1
        meta.set_own_name(track, track.name)  # our name survives in our namespace
        track.name = f"{track.kind} {counts[track.kind]}"
        silent = track.kind == otio.schema.TrackKind.Audio and not track.enabled
        track.enabled = True
        track.metadata[RESOLVE] = {"Locked": False, **({"Audio Type": "Stereo", "SoloOn": False} if track.kind == "Audio" else {})}
        for clip in track.find_clips():
            path = media_path(clip, root)
            clip.media_reference.target_url = str(path)
            clip.media_reference.name = path.name
            if clip.media_reference.available_range is None:
                clip.media_reference.available_range = clip.source_range
            look = meta.grain_look(clip)
            if look is not None:
                clip.effects.append(_composite(look))
            if track.kind == otio.schema.TrackKind.Audio and (silent or meta.gain_db(track)):
                clip.effects.append(_clip_volume(SILENT_DB if silent else meta.gain_db(track)))
    return shaped


def to_resolve_otio(timeline: otio.schema.Timeline, root: Path) -> str:
    return str(otio.adapters.write_to_string(resolve_shape(timeline, root), "otio_json"))
