"""AAF for Avid Media Composer (and Resolve, Premiere), with the edit's markers.

The stock otio-aaf-adapter (2.0.0) fails ("Cannot find mob ID for clip") unless told to use empty
mob ids, and writes no markers at all. So it writes with `use_empty_mob_ids=True`, then pyaaf2
adds Avid's marker structure to the composition: an event slot holding one DescriptiveMarker per
beat marker, described against the first picture slot, which Avid shows and OTIO reads back.
Blend modes and opacity have no place the adapter writes: the grain comes in as a plain track.
"""

from __future__ import annotations

from pathlib import Path

import aaf2
import opentimelineio as otio

from .common import timeline_rate

__all__ = ["write_aaf"]


def write_aaf(timeline: otio.schema.Timeline, destination: Path) -> None:
    otio.adapters.write_to_file(timeline, str(destination), adapter_name="AAF", use_empty_mob_ids=True)
    markers = list(timeline.tracks.markers)
    if not markers:
        return
    rate = timeline_rate(timeline)
    with aaf2.open(str(destination), "rw") as aaf:
        composition = next(aaf.content.compositionmobs())
        slots = list(composition.slots)
        picture = next((s.slot_id for s in slots if s.media_kind == "Picture"), 1)
        events = aaf.create.EventMobSlot()
        events["EditRate"].value = rate
        events["SlotID"].value = max(s.slot_id for s in slots) + 1
        events["PhysicalTrackNumber"].value = 1
        sequence = aaf.create.Sequence(media_kind="DescriptiveMetadata")
        for marker in markers:
            described = aaf.create.DescriptiveMarker()
            described["Position"].value = round(marker.marked_range.start_time.rescaled_to(rate).value)
            described["Comment"].value = marker.name
            described["CommentMarkerUser"].value = "aivp-nle"
            described["DescribedSlots"].value = {picture}
            sequence.components.append(described)
        events.segment = sequence
        composition.slots.append(events)
