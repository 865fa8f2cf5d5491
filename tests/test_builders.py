"""Edit builders: the multicam and the beat-cut as OTIO timelines, in sync, with grain on top."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from aivp_nle.beats import BeatGrid
from aivp_nle.config import ConformTarget, CutSettings, GrainSettings
from aivp_nle.edit import Angle, GrainAsset, Song, build_beatcut, build_multicam, grain_track, meta
from aivp_nle.errors import EditError

RATE = 24
START = 86400  # 01:00:00:00 at 24 fps
GRID = BeatGrid(beats=tuple(i * 0.5 for i in range(20)), downbeats=tuple(i * 2.0 for i in range(5)), bpm=120.0)
SONG = Song(path=Path("/media/song.wav"), seconds=10.0)
GRAIN = GrainAsset(path=Path("/media/grain.mp4"), seconds=3.0)


def _angles(offsets: tuple[int, ...] = (0, 12, 5)) -> list[Angle]:
    return [
        Angle(name=name, path=Path(f"/media/{name}.mp4"), rate=RATE, frames=11 * RATE, start_frame=START, offset=offset)
        for name, offset in zip(("red", "green", "blue"), offsets)
    ]


def _beatcut(**cut: object) -> otio.schema.Timeline:
    return build_beatcut(_angles(), SONG, GRID, ConformTarget(), CutSettings(**cut), grain=GRAIN, grain_settings=GrainSettings())  # type: ignore[arg-type]


def test_multicam_stacks_every_angle_in_sync_from_its_offset() -> None:
    timeline = build_multicam(_angles(), SONG, GRID, ConformTarget())
    tracks = [t for t in timeline.video_tracks() if meta.role_of(t) == meta.Role.ANGLE]
    assert [t.name for t in tracks] == ["red", "green", "blue"]
    for track, angle in zip(tracks, _angles()):
        (clip,) = list(track)
        assert clip.range_in_parent().start_time.value == 0
        assert clip.source_range.start_time == otio.opentime.RationalTime(START + angle.offset, RATE)
        assert clip.duration().value == 10 * RATE
        assert clip.media_reference.available_range.start_time.value == START


def test_the_timeline_runs_at_the_project_rate_for_the_songs_length_from_one_hour() -> None:
    timeline = build_multicam(_angles(), SONG, GRID, ConformTarget(fps=24))
    assert timeline.duration() == otio.opentime.RationalTime(240, 24)
    assert timeline.global_start_time == otio.opentime.RationalTime(START, 24)
    assert meta.get(timeline)["conform"] == {
        "fps": 24, "width": 3840, "height": 2160, "color": "Rec.709 Gamma 2.4", "start_timecode": "01:00:00:00",
    }


def test_a_metrical_level_nearly_as_likely_is_recorded_for_the_editor_to_choose() -> None:
    assert meta.beats_other_level(build_multicam(_angles(), SONG, GRID, ConformTarget())) is None
    close = GRID.model_copy(update={"other_level": "half"})
    assert meta.beats_other_level(build_multicam(_angles(), SONG, close, ConformTarget())) == "half"


def test_the_song_is_on_its_own_audio_track_and_beats_are_markers() -> None:
    timeline = build_multicam(_angles(), SONG, GRID, ConformTarget())
    (song_track,) = timeline.audio_tracks()
    assert meta.role_of(song_track) == meta.Role.SONG and song_track.duration().value == 240
    markers = timeline.tracks.markers
    assert len(markers) == 20
    assert [m.marked_range.start_time.value for m in markers if meta.get(m)["downbeat"]] == [0, 48, 96, 144, 192]
    assert {m.color for m in markers} == {otio.schema.MarkerColor.RED, otio.schema.MarkerColor.GREEN}


def test_beatcut_switches_angles_with_source_equal_to_record_plus_offset() -> None:
    timeline = _beatcut(every=2, min_shot=1.0)
    cut = next(t for t in timeline.video_tracks() if meta.role_of(t) == meta.Role.CUT)
    offsets = {a.name: a.offset for a in _angles()}
    assert len(cut) > 3
    for clip in cut:
        record = clip.range_in_parent().start_time.value
        angle = meta.get(clip)["angle"]
        assert clip.source_range.start_time.value == START + record + offsets[angle]
    assert cut.duration().value == 240


def test_beatcut_keeps_the_angles_below_disabled_and_the_grain_on_top() -> None:
    timeline = _beatcut()
    roles = [(meta.role_of(t), t.enabled) for t in timeline.video_tracks()]
    assert roles == [("angle", False)] * 3 + [("cut", True), ("grain", True)]
    cut = meta.get(timeline)["cut"]
    assert cut["shots"] == len(timeline.video_tracks()[3]) and cut["max_snap_error_s"] == 0.0


def test_a_short_grain_plate_loops_in_whole_copies_with_its_blend_recorded() -> None:
    track = grain_track(GRAIN, 240, RATE, GrainSettings(opacity=0.3, blend="overlay"))
    assert [c.duration().value for c in track] == [72, 72, 72, 24]
    assert all(c.source_range.start_time.value == 0 for c in track)
    assert all(meta.get(c) == {"role": "grain", "blend_mode": "overlay", "opacity": 0.3, "still": False} for c in track)


def test_a_still_grain_plate_is_held_for_the_whole_edit() -> None:
    track = grain_track(GrainAsset(Path("/media/grain.png"), 0.0, still=True), 240, RATE, GrainSettings())
    assert [c.duration().value for c in track] == [240]


def test_an_angle_shorter_than_the_song_is_refused_saying_by_how_much() -> None:
    short = [*_angles()[:2], Angle(name="blue", path=Path("/media/blue.mp4"), rate=RATE, frames=8 * RATE)]
    with pytest.raises(EditError, match=r"blue.mp4: angle 'blue' is 2.00 s shorter than the song"):
        build_multicam(short, SONG, GRID, ConformTarget())
