"""The multicam: every angle stacked in sync on one clock, the song beneath, beats as markers.

Takes made from one performance share its timing, so stacking them at the same record time (plus
each angle's offset) is a multicam an editor can cut by enabling one track at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median

import opentimelineio as otio

from ..beats import BeatGrid
from ..config import ConformTarget, GrainSettings
from ..errors import ConfigError
from ..vocals import Phrase
from . import meta
from .clips import media_url
from .grain import grain_track
from .inputs import Angle, GrainAsset, Song, SongTrack, frames_in, require_coverage

__all__ = ["angle_clips", "build_multicam", "marked_beats"]


def _frames(start: int, duration: int, rate: float) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(otio.opentime.RationalTime(start, rate), otio.opentime.RationalTime(duration, rate))


def angle_clips(angle: Angle, record_start: int, frames: int) -> list[otio.schema.Clip]:
    """The angle's picture for record frames [record_start, record_start + frames): source = record +
    offset, counted from each file's own start timecode, as OTIO (and Resolve) expect; one clip per
    file the span crosses (a chunked angle changes file at each chunk)."""
    wanted_start = record_start + angle.offset
    wanted_end = wanted_start + frames
    clips = []
    for piece in angle.pieces():
        start, end = max(wanted_start, piece.at), min(wanted_end, piece.at + piece.frames)
        if end <= start:
            continue
        clip = otio.schema.Clip(
            name=angle.clip_name if piece.path == angle.path else piece.path.name,
            media_reference=otio.schema.ExternalReference(
                target_url=media_url(piece.path),
                available_range=_frames(piece.start_frame, piece.frames, angle.rate),
            ),
            source_range=_frames(piece.start_frame + start - piece.at, end - start, angle.rate),
        )
        meta.set_angle(clip, angle.name, angle.fit)
        clips.append(clip)
    return clips


TRACK_NAMES: dict[meta.Role, str] = {meta.Role.SONG: "Song", meta.Role.VOCALS: "Vocals", meta.Role.INSTRUMENTAL: "Instrumental"}


def _song_track(spec: SongTrack, total_frames: int, rate: float) -> otio.schema.Track:
    song = spec.song
    track = otio.schema.Track(name=TRACK_NAMES.get(spec.role, spec.role.title()), kind=otio.schema.TrackKind.Audio)
    track.enabled = spec.enabled
    meta.mark_sound_track(track, spec.role, spec.gain_db)
    clip = otio.schema.Clip(
        name=song.path.name,
        media_reference=otio.schema.ExternalReference(
            target_url=media_url(song.path),
            available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(song.seconds * rate, rate)
            ),
        ),
        source_range=_frames(0, total_frames, rate),
    )
    track.append(clip)
    return track


def _beat_markers(beats: BeatGrid, total_frames: int, rate: float) -> list[otio.schema.Marker]:
    bars = set(beats.downbeats)
    markers = []
    for index, time in enumerate(beats.beats):
        frame = round(time * rate)
        if frame >= total_frames:
            break
        downbeat = time in bars
        marker = otio.schema.Marker(
            name=f"{'bar' if downbeat else 'beat'} {index + 1}",
            marked_range=_frames(frame, 0, rate),
            color=otio.schema.MarkerColor.RED if downbeat else otio.schema.MarkerColor.GREEN,
        )
        meta.mark_beat(marker, index, downbeat, time)
        markers.append(marker)
    return markers


def _phrase_markers(phrases: Sequence[Phrase], total_frames: int, rate: float) -> list[otio.schema.Marker]:
    markers = []
    for index, phrase in enumerate(phrases):
        start = round(phrase.start * rate)
        if start >= total_frames:
            break
        marker = otio.schema.Marker(
            name=f"sung {index + 1}", marked_range=_frames(start, max(1, min(total_frames, round(phrase.end * rate)) - start), rate),
            color=otio.schema.MarkerColor.PURPLE,
        )
        meta.mark_phrase(marker, index, phrase.start, phrase.end)
        markers.append(marker)
    return markers


def build_multicam(
    angles: Sequence[Angle],
    song: Song,
    beats: BeatGrid,
    conform: ConformTarget,
    *,
    grain: GrainAsset | None = None,
    grain_settings: GrainSettings | None = None,
    name: str = "multicam",
    sound: Sequence[SongTrack] = (),
    phrases: Sequence[Phrase] = (),
    lipsync: frozenset[str] = frozenset(),
) -> otio.schema.Timeline:
    """Angle tracks bottom to top in the given order, the grain above them, the song (or its mix and
    stems, each on its own track) below; beats and sung phrases as markers."""
    rate = float(conform.fps)
    total = frames_in(song.seconds, rate)
    require_coverage(angles, total)
    timeline = otio.schema.Timeline(
        name=name, global_start_time=otio.opentime.from_timecode(conform.start_timecode, rate)
    )
    meta.set_edit(
        timeline, edit="multicam", conform=conform.model_dump(mode="json"),
        beats={"bpm": beats.bpm, "count": len(beats.beats), **({"other_level": beats.other_level} if beats.other_level else {})},
    )
    for angle in angles:
        track = otio.schema.Track(name=angle.name, kind=otio.schema.TrackKind.Video)
        meta.mark_angle_track(track, angle.name, angle.offset, angle.name in lipsync)
        track.extend(angle_clips(angle, 0, total))
        timeline.tracks.append(track)
    if grain is not None:
        timeline.tracks.append(grain_track(grain, total, rate, grain_settings or GrainSettings()))
    for spec in sound or (SongTrack(meta.Role.SONG, song),):
        timeline.tracks.append(_song_track(spec, total, rate))
    timeline.tracks.markers.extend(_beat_markers(beats, total, rate) + _phrase_markers(phrases, total, rate))
    return timeline


def marked_beats(timeline: otio.schema.Timeline, name: str) -> BeatGrid:
    """The beats an edit carries as markers (ours say which are downbeats), so a cut made by hand
    in an editor, or an earlier build, can give its beats to the next build."""
    markers = sorted(timeline.tracks.markers, key=lambda m: m.marked_range.start_time.to_seconds())
    times = [m.marked_range.start_time.to_seconds() for m in markers]
    if len(times) < 2:
        raise ConfigError(f"{name}: the timeline has fewer than two markers to use as beats")
    downbeats = [t for t, m in zip(times, markers) if (beat := meta.beat_of(m)) is not None and beat.downbeat]
    return BeatGrid(
        beats=tuple(round(t, 6) for t in times), downbeats=tuple(round(t, 6) for t in downbeats),
        bpm=round(60.0 / median(b - a for a, b in zip(times, times[1:])), 3), source=f"markers of {name}",
    )

