"""The grain track: the handbook's unity trick, a grain plate over all footage, Overlay at ~30 %.

A plate shorter than the edit is looped, whole copies back to back; a still is held.
"""

from __future__ import annotations

import opentimelineio as otio

from ..config import GrainSettings
from . import meta
from .clips import media_url
from .inputs import GrainAsset, frames_in

__all__ = ["grain_track"]


def grain_track(asset: GrainAsset, total_frames: int, rate: float, settings: GrainSettings) -> otio.schema.Track:
    track = otio.schema.Track(name="Grain", kind=otio.schema.TrackKind.Video)
    meta.set_role(track, meta.Role.GRAIN)
    # A still has no length of its own: offer exactly what the edit needs.
    plate = total_frames if asset.still else max(1, frames_in(asset.seconds, rate))
    placed = 0
    while placed < total_frames:
        length = min(plate, total_frames - placed)
        clip = otio.schema.Clip(
            name=asset.path.name,
            media_reference=otio.schema.ExternalReference(
                target_url=media_url(asset.path),
                available_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(plate, rate)
                ),
            ),
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(length, rate)
            ),
        )
        meta.set_grain(clip, meta.GrainLook(settings.blend, settings.opacity, asset.still))
        track.append(clip)
        placed += length
    return track
