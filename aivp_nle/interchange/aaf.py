"""AAF for Avid Media Composer (and Resolve, Premiere), with the edit's markers and sound levels.

The stock otio-aaf-adapter (2.0.0) fails ("Cannot find mob ID for clip") unless told to use empty
mob ids, writes no markers, leaves every picture track's Sequence at `Length` 0 (its clips sum to
the edit's length: a reader that trusts the length sees empty tracks), and plays every sound track
(no gain: the unplayed mix or stems would double the song). So it writes with
`use_empty_mob_ids=True`, then pyaaf2 mends the composition:
- each Sequence's length is the sum of its components;
- a sound track that does not play, or plays at another level, is wrapped in the AAF standard's
  Mono Audio Gain operation with a constant Amplitude (0 for silence, else the track's gain);
- Avid's marker structure: an event slot holding one DescriptiveMarker per beat marker, described
  against the first picture slot, which Avid shows and OTIO reads back.
Blend modes and opacity have no place the adapter writes: the grain comes in as a plain track.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import aaf2
import opentimelineio as otio

from ..edit import meta
from .common import timeline_rate

__all__ = ["write_aaf"]

# The AAF dictionary's definitions (AAF Object Specification, "Built-in definitions").
MONO_AUDIO_GAIN = aaf2.auid.AUID("9d2ea890-0968-11d3-8a38-0050040ef7d2")
AMPLITUDE = aaf2.auid.AUID("e4962321-2267-11d3-8a4c-0050040ef7d2")


def write_aaf(timeline: otio.schema.Timeline, destination: Path) -> None:
    otio.adapters.write_to_file(timeline, str(destination), adapter_name="AAF", use_empty_mob_ids=True)
    with aaf2.open(str(destination), "rw") as aaf:
        composition = next(aaf.content.compositionmobs())
        _set_sequence_lengths(composition)
        _set_sound_levels(aaf, composition, list(timeline.audio_tracks()))
        _add_markers(aaf, composition, list(timeline.tracks.markers), timeline_rate(timeline))


def _set_sequence_lengths(composition: aaf2.mobs.CompositionMob) -> None:
    for slot in composition.slots:
        segment = slot.segment
        if isinstance(segment, aaf2.components.Sequence) and segment.media_kind == "Picture":
            segment.length = sum(component.length for component in segment.components)


def _set_sound_levels(aaf: aaf2.file.AAFFile, composition: aaf2.mobs.CompositionMob, tracks: list[otio.schema.Track]) -> None:
    sound = [slot for slot in composition.slots if slot.media_kind == "Sound"]
    for slot, track in zip(sound, tracks):
        gain = 0.0 if not track.enabled else 10 ** (meta.gain_db(track) / 20)
        if gain == 1.0:
            continue
        operation = aaf.create.OperationDef(MONO_AUDIO_GAIN, "Mono Audio Gain", "the track's level")
        operation.media_kind = "Sound"
        operation["NumberInputs"].value = 1
        operation["IsTimeWarp"].value = False
        operation["DataDefinition"].value = aaf.dictionary.lookup_datadef("Sound")
        aaf.dictionary.register_def(operation)
        amplitude = aaf.create.ParameterDef(AMPLITUDE, "Amplitude", "gain factor", aaf.dictionary.lookup_typedef("Rational"))
        aaf.dictionary.register_def(amplitude)
        original = slot.segment
        level = aaf.create.OperationGroup(operation, length=original.length, media_kind="Sound")
        slot.segment = level
        level.segments.append(original)
        level.parameters.append(aaf.create.ConstantValue(amplitude, Fraction(gain).limit_denominator(1_000_000)))


def _add_markers(aaf: aaf2.file.AAFFile, composition: aaf2.mobs.CompositionMob, markers: list[otio.schema.Marker],
                 rate: float) -> None:
    if not markers:
        return
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
