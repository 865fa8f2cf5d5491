"""CMX 3600 EDLs: the picture as cut, with its audio events; or one EDL per track.

Written by hand because the stock otio-cmx3600-adapter (1.0.0) refuses more than one video track,
drops audio tracks silently, writes record timecode from 00:00:00:00 instead of the timeline's
start, and cuts reel names to 8 characters without making them unique (same-length takes then
relink to the wrong file). Here: reels unique within 8 characters, a `* FROM CLIP NAME:`, a `* FROM CLIP:`
and a `* SOURCE FILE:` comment on every event, beat markers as `* LOC:` lines.

Audio: the sound that plays, each track on a channel of its own. One track (the mix) is the stereo
pair AA; several (the stems, recombined) take A, A2, A3 ..., one channel each, because two events
on one channel over the same record range are a contradiction in CMX 3600 (the later overwrites
the earlier, and OTIO's reader refuses the file: "Overlapping record").
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

from ..edit import meta
from ..edit.clips import clip_media
from .common import picture_track, reel_names, timecode, timeline_rate

__all__ = ["to_edl", "to_edls_per_track"]

def _events(track: otio.schema.Track, channel: str, rate: float, start: int, root: Path) -> list[tuple[int, str, otio.schema.Clip]]:
    """(record frame, channel, clip) for every clip of a track."""
    events = []
    for clip in track.find_clips():
        record = round(clip.range_in_parent().start_time.rescaled_to(rate).value)
        events.append((start + record, channel, clip))
    return events


def _write(name: str, events: list[tuple[int, str, otio.schema.Clip]], markers: list[otio.schema.Marker],
           rate: float, start: int, root: Path) -> str:
    lines = [f"TITLE: {name}", "FCM: NON-DROP FRAME", ""]
    reels = reel_names(clip_media(c, rate, root, False).path for _, _, c in events)
    pending = sorted(markers, key=lambda m: m.marked_range.start_time.value)
    for number, (record, channel, clip) in enumerate(sorted(events, key=lambda e: (e[0], e[1] != "V")), start=1):
        media = clip_media(clip, rate, root, False)
        source = media.media_start + media.first
        lines.append(
            f"{number:03d}  {reels[media.path]:<8} {channel:<5} C        "
            f"{timecode(source, rate)} {timecode(source + media.frames, rate)} "
            f"{timecode(record, rate)} {timecode(record + media.frames, rate)}"
        )
        lines.append(f"* FROM CLIP NAME: {clip.name}")
        lines.append(f"* FROM CLIP: {media.path}")  # Avid's form, which OTIO reads back as the media
        lines.append(f"* SOURCE FILE: {media.path}")  # Premiere's and Resolve's form
        if channel == "V":
            while pending and start + pending[0].marked_range.start_time.value < record + media.frames:
                marker = pending.pop(0)
                # In the event's source timecode, as OTIO's reader and writer count LOC lines.
                at = source + start + round(marker.marked_range.start_time.value) - record
                lines.append(f"* LOC: {timecode(at, rate)} {str(marker.color or 'RED'):<7} {marker.name}")
    return "\r\n".join(lines) + "\r\n"


def _start(timeline: otio.schema.Timeline, rate: float) -> int:
    start = timeline.global_start_time
    return round(start.rescaled_to(rate).value) if start is not None else 0


def to_edl(timeline: otio.schema.Timeline, root: Path) -> str:
    """The edit as played: the picture's cuts (V) and the enabled audio tracks (AA)."""
    rate = timeline_rate(timeline)
    start = _start(timeline, rate)
    events = _events(picture_track(timeline), "V", rate, start, root)
    played = [track for track in timeline.audio_tracks() if track.enabled]
    channels = ["AA"] if len(played) == 1 else ["A", *(f"A{n}" for n in range(2, len(played) + 1))]
    for track, channel in zip(played, channels):
        events += _events(track, channel, rate, start, root)
    return _write(timeline.name, events, list(timeline.tracks.markers), rate, start, root)


def to_edls_per_track(timeline: otio.schema.Timeline, root: Path) -> dict[str, str]:
    """One EDL per track, keyed V1, V2, ... A1, ... (for conforming track by track)."""
    rate = timeline_rate(timeline)
    start = _start(timeline, rate)
    edls = {}
    for kind, channel, tracks in (("V", "V", timeline.video_tracks()), ("A", "AA", timeline.audio_tracks())):
        for index, track in enumerate(tracks, start=1):
            markers = list(timeline.tracks.markers) if meta.role_of(track) == meta.Role.CUT else []
            name = f"{timeline.name} {kind}{index} {track.name}"
            edls[f"{kind}{index}"] = _write(name, _events(track, channel, rate, start, root), markers, rate, start, root)
    return edls
