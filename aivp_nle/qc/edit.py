"""QC of an edit, read from its OTIO timeline: the cuts with purpose the handbook asks for.

A beat-cut earns its cuts by landing them on the music; a shot shorter than the minimum reads as a
flash, a cut more than a frame off its beat reads as late, and a cut back to the angle already on
screen is no cut at all (or a jump cut). Offline media stops every editor and the renderer alike.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio

from ..config import CutSettings
from ..edit import meta
from ..edit.clips import media_path
from ..edit.inputs import reshape_note
from ..errors import EditError, MediaError
from ..probe import probe
from .findings import Clock, Finding, QcReport, Severity

__all__ = ["Shot", "beat_times", "edit_clock", "picture_track", "qc_edit", "shots"]


@dataclass(frozen=True)
class Shot:
    start: int  # record frame, from the edit's first frame
    frames: int
    angle: str
    clip: otio.schema.Clip  # the first clip of the shot (a chunked angle spans several)
    last: otio.schema.Clip


def picture_track(timeline: otio.schema.Timeline) -> otio.schema.Track | None:
    """The track that plays: the cut track of a beat-cut, else the topmost enabled picture track."""
    tracks = [t for t in timeline.video_tracks() if meta.role_of(t) != meta.Role.GRAIN]
    cut = next((t for t in tracks if meta.role_of(t) == meta.Role.CUT), None)
    return cut or next((t for t in reversed(tracks) if t.enabled), None)


def _angle(clip: otio.schema.Clip) -> str:
    return meta.angle_of(clip) or clip.name


def _same_file(before: otio.schema.Clip, after: otio.schema.Clip) -> bool:
    return _url(before) is not None and _url(before) == _url(after)


def _next_chunk(before: otio.schema.Clip, after: otio.schema.Clip) -> bool:
    """The next clip is the next chunk of a chunked angle: the first runs to its file's end, the
    second starts at its file's start. One shot to a viewer, two clips on the track."""
    before_media, after_media = before.media_reference.available_range, after.media_reference.available_range
    return bool(
        _angle(before) == _angle(after) and not _same_file(before, after) and before.source_range and after.source_range
        and before_media is not None and after_media is not None
        and before.source_range.end_time_exclusive() == before_media.end_time_exclusive()
        and after.source_range.start_time == after_media.start_time
    )


def _through_edit(before: otio.schema.Clip, after: otio.schema.Clip) -> bool:
    """A cut that changes nothing on screen: the same file carrying on from the next frame."""
    return bool(_same_file(before, after) and before.source_range and after.source_range
                and before.source_range.end_time_exclusive() == after.source_range.start_time)


def _url(clip: otio.schema.Clip) -> str | None:
    reference = clip.media_reference
    return reference.target_url if isinstance(reference, otio.schema.ExternalReference) else None


def shots(timeline: otio.schema.Timeline) -> list[Shot]:
    """The shots as a viewer sees them: clips that carry on one picture are one shot; gaps are not shots."""
    track = picture_track(timeline)
    if track is None:
        return []
    rate = meta.timeline_rate(timeline)
    found: list[Shot] = []
    previous: otio.schema.Clip | None = None
    for item in track:
        length = round(item.duration().rescaled_to(rate).value)
        start = round(item.range_in_parent().start_time.rescaled_to(rate).value)
        if not isinstance(item, otio.schema.Clip):
            previous = None
            continue
        if previous is not None and found and _next_chunk(previous, item):
            last = found[-1]
            found[-1] = Shot(last.start, last.frames + length, last.angle, last.clip, item)
        else:
            found.append(Shot(start, length, _angle(item), item, item))
        previous = item
    return found


def beat_times(timeline: otio.schema.Timeline) -> tuple[list[float], list[float]]:
    """(beats, downbeats) in seconds from the edit's start, from its markers (exact times where we wrote them)."""
    beats, downbeats = [], []
    for marker in timeline.tracks.markers:
        beat = meta.beat_of(marker)
        if beat is None:
            continue
        time = beat.time_s if beat.time_s is not None else marker.marked_range.start_time.to_seconds()
        beats.append(time)
        if beat.downbeat:
            downbeats.append(time)
    return sorted(beats), sorted(downbeats)


def _offline(timeline: otio.schema.Timeline, root: Path) -> list[Finding]:
    missing: dict[Path, otio.schema.Clip] = {}
    for clip in timeline.find_clips():
        try:
            path = media_path(clip, root)
        except EditError:  # a clip with no media reference at all is offline too
            path = Path(clip.name)
        if not path.is_file():
            missing.setdefault(path, clip)
    return [Finding(check="offline", what=f"media offline: {path} (clip {clip.name!r})", severity="fail",
                    action="fix in the edit") for path, clip in missing.items()]


def reshaped_clips(timeline: otio.schema.Timeline, root: Path) -> list[str]:
    """Each angle whose media has another shape than the delivery frame, and how it is fitted."""
    frame = meta.delivery_size(timeline)
    seen: dict[str, str] = {}
    track = picture_track(timeline)
    for clip in track.find_clips() if track is not None else []:
        angle = _angle(clip)
        if angle in seen:
            continue
        try:
            video = probe(media_path(clip, root)).video
        except (EditError, MediaError):
            continue  # offline media is its own finding
        note = reshape_note(angle, (video.width, video.height), frame, meta.fit_of(clip)) if video else None
        seen[angle] = note or ""
    return [note for note in seen.values() if note]


def edit_clock(timeline: otio.schema.Timeline) -> Clock:
    rate = meta.timeline_rate(timeline)
    start = timeline.global_start_time.rescaled_to(rate) if timeline.global_start_time else otio.opentime.RationalTime(0, rate)
    return Clock(rate, str(otio.opentime.to_timecode(start, rate)))


def qc_edit(timeline: otio.schema.Timeline, path: Path, cut: CutSettings | None = None) -> QcReport:
    clock = edit_clock(timeline)
    rate, tc = clock.rate, clock.tc

    settings = meta.cut_record(timeline)
    min_shot = float(settings.get("min_shot", (cut or CutSettings()).min_shot))
    min_frames = max(1, round(min_shot * rate))
    found = _offline(timeline, path.parent) + [
        Finding(check="edit", what=note, severity="warn", action="check by eye") for note in reshaped_clips(timeline, path.parent)]
    cuts = shots(timeline)
    beats, _ = beat_times(timeline)
    for before, shot in zip([None, *cuts], cuts):

        def flag(what: str, severity: Severity = "warn", end: str | None = None, at: Shot = shot) -> None:
            found.append(Finding(check="edit", what=what, start=tc(at.start), end=end, start_s=at.start / rate,
                                 severity=severity, action="fix in the edit"))

        if shot.frames < min_frames:
            flag(f"shot of {shot.frames} frame(s) on {shot.angle}, under the {min_shot:g} s minimum: a flash", "fail",
                 tc(shot.start + shot.frames))
        if before is None:
            continue
        if before.angle == shot.angle:
            kind = "a through edit, no visible cut" if _through_edit(before.last, shot.clip) else "a jump cut"
            flag(f"cut from {shot.angle} to {shot.angle}: the same angle again ({kind})")
        off = _off_beat(shot.start / rate, beats) * rate if beats else 0.0
        if abs(off) > 1.0 + 1e-6:
            flag(f"cut {abs(off):.1f} frames {'after' if off > 0 else 'before'} the beat")
    if cuts and not beats:
        found.append(Finding(check="edit", what="no beat markers: cuts could not be checked against the music",
                             severity="info", action="check by eye"))
    return QcReport(path=str(path), kind="edit", duration=timeline.duration().to_seconds(), rate=rate,
                    start_timecode=clock.start_timecode, findings=tuple(found))


def _off_beat(time: float, beats: list[float]) -> float:
    """Signed seconds from the nearest beat."""
    at = bisect_left(beats, time)
    nearest = min(beats[max(0, at - 1) : at + 1], key=lambda beat: abs(time - beat))
    return time - nearest

