"""The beat-cut: the multicam with a cut track above it that switches angles on the beats.

The angle tracks stay in the timeline (disabled) so an editor can re-cut any shot from the same
moment of another angle; the cut track, the grain above it and the song are what plays.
"""

from __future__ import annotations

from collections.abc import Sequence

import opentimelineio as otio

from ..beats import BeatGrid
from ..config import ConformTarget, CutSettings, GrainSettings
from . import meta
from .cuts import CutPlan, plan_cuts
from .inputs import Angle, GrainAsset, Song, SongTrack, frames_in
from .lipsync import LipSyncCut, plan_lipsync_cuts
from .multicam import angle_clips, build_multicam

__all__ = ["build_beatcut", "cut_times"]


def _cut_track(plan: CutPlan, angles: Sequence[Angle]) -> otio.schema.Track:
    by_name = {angle.name: angle for angle in angles}
    track = otio.schema.Track(name="Cut", kind=otio.schema.TrackKind.Video)
    meta.set_role(track, meta.Role.CUT)
    for shot in plan.shots:
        track.extend(angle_clips(by_name[shot.angle], shot.start, shot.frames))
    return track


def build_beatcut(
    angles: Sequence[Angle],
    song: Song,
    beats: BeatGrid,
    conform: ConformTarget,
    cut: CutSettings,
    *,
    grain: GrainAsset | None = None,
    grain_settings: GrainSettings | None = None,
    name: str = "beatcut",
    sound: Sequence[SongTrack] = (),
    lipsync: LipSyncCut | None = None,
) -> otio.schema.Timeline:
    """The multicam plus its cut: on the beats, or (given lip-sync angles and sung phrases) the
    lip-synced close-up on every phrase and the other angles between."""
    rate = float(conform.fps)
    singers = lipsync.angles if lipsync else frozenset()
    phrases = lipsync.phrases if lipsync else ()
    timeline = build_multicam(angles, song, beats, conform, grain=grain, grain_settings=grain_settings, name=name, sound=sound,
                              phrases=phrases, lipsync=singers)
    names, total = [a.name for a in angles], frames_in(song.seconds, rate)
    follows_singer = lipsync is not None and bool(singers & set(names)) and bool(phrases)
    if lipsync is not None and follows_singer:
        plan = plan_lipsync_cuts(beats, total, rate, names, lipsync, cut)
    else:
        plan = plan_cuts(
            beats.beats, total, rate, names, every=cut.every, min_shot=cut.min_shot, seed=cut.seed,
            downbeats=beats.downbeats, pattern=cut.pattern, phrase_bars=cut.phrase_bars, energy=beats.energy, hero=cut.hero,
        )
    for track in timeline.tracks:
        if meta.role_of(track) == meta.Role.ANGLE:
            track.enabled = False
    timeline.tracks.insert(len(angles), _cut_track(plan, angles))
    meta.set_edit(
        timeline, edit="beatcut",
        cut={**cut.model_dump(mode="json"), "shots": len(plan.shots), "max_snap_error_s": round(plan.max_snap_error, 6),
             "follows_singer": follows_singer},
    )
    return timeline


def cut_times(timeline: otio.schema.Timeline) -> list[float]:
    """Seconds from the start of the edit at which its cut track switches angles."""
    cut = next((t for t in timeline.video_tracks() if meta.role_of(t) == meta.Role.CUT), None)
    if cut is None:
        return []
    return [clip.range_in_parent().start_time.to_seconds() for clip in list(cut.find_clips())[1:]]
