"""QC of an edit: cuts with purpose. A flash frame, a late cut, a cut to the same angle and offline media are found."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from aivp_nle.config import CutSettings
from aivp_nle.edit import meta
from aivp_nle.ffmpeg import FFmpeg
from aivp_nle.pipeline import beatcut_files
from aivp_nle.qc import qc_edit
from aivp_nle.qc.edit import picture_track, shots

EVERY = 4  # beats per shot: 48 frames at 120 BPM and 24 fps, room to move a cut without making a short shot


@pytest.fixture
def beatcut(angles: list[Path], song: Path, ff: FFmpeg) -> otio.schema.Timeline:
    return beatcut_files(angles, song, CutSettings(every=EVERY, min_shot=1.0, seed=3), ff=ff)


def _clips(timeline: otio.schema.Timeline) -> list[otio.schema.Clip]:
    track = picture_track(timeline)
    assert track is not None
    return list(track.find_clips())


def _move_cut(timeline: otio.schema.Timeline, index: int, frames: int) -> None:
    """Move the cut before clip `index` by `frames` (later when positive), keeping both shots in sync."""
    before, after = _clips(timeline)[index - 1 : index + 1]
    one = otio.opentime.RationalTime(frames, 24)
    before.source_range = otio.opentime.TimeRange(before.source_range.start_time, before.source_range.duration + one)
    after.source_range = otio.opentime.TimeRange(after.source_range.start_time + one, after.source_range.duration - one)


def _edit_findings(timeline: otio.schema.Timeline, tmp_path: Path) -> list[str]:
    return [f"{f.start} {f.what}" for f in qc_edit(timeline, tmp_path / "edit.otio").findings]


def test_a_clean_beatcut_gives_no_findings(beatcut: otio.schema.Timeline, tmp_path: Path) -> None:
    assert _edit_findings(beatcut, tmp_path) == []


def test_shots_are_the_cut_tracks_clips_with_their_angles(beatcut: otio.schema.Timeline) -> None:
    found = shots(beatcut)
    assert [s.start for s in found] == [i * EVERY * 12 for i in range(len(found))]
    assert [s.angle for s in found] == [meta.get(c)["angle"] for c in _clips(beatcut)]


def test_a_one_frame_shot_is_a_flash_found_where_it_starts(beatcut: otio.schema.Timeline, tmp_path: Path) -> None:
    _move_cut(beatcut, 3, 47)  # the fourth shot (from 01:00:06:00) keeps only its last frame
    found = qc_edit(beatcut, tmp_path / "edit.otio").findings
    flash = [f for f in found if "1 frame(s)" in f.what]
    assert [(f.start, f.end, f.severity) for f in flash] == [("01:00:07:23", "01:00:08:00", "fail")]


def test_a_cut_five_frames_late_is_off_the_beat(beatcut: otio.schema.Timeline, tmp_path: Path) -> None:
    _move_cut(beatcut, 2, 5)
    (late,) = qc_edit(beatcut, tmp_path / "edit.otio").findings
    frames = float(late.what.split()[1])  # "cut 5.0 frames after the beat", against the tracked beat
    assert late.start == "01:00:04:05" and late.what.endswith("frames after the beat") and 4.5 < frames < 5.5


def test_a_cut_within_a_frame_of_the_beat_is_on_it(beatcut: otio.schema.Timeline, tmp_path: Path) -> None:
    _move_cut(beatcut, 2, -1)
    assert _edit_findings(beatcut, tmp_path) == []


def test_a_cut_to_the_angle_already_on_screen_is_a_repeat(beatcut: otio.schema.Timeline, tmp_path: Path) -> None:
    clips = _clips(beatcut)
    clips[2].media_reference = clips[1].media_reference.clone()
    meta.put(clips[2], angle=meta.get(clips[1])["angle"])
    repeats = {f.start: f.what for f in qc_edit(beatcut, tmp_path / "edit.otio").findings if "same angle" in f.what}
    assert "through edit" in repeats["01:00:04:00"]


def test_offline_media_fails_the_edit_by_name(beatcut: otio.schema.Timeline, tmp_path: Path) -> None:
    clip = _clips(beatcut)[0]
    clip.media_reference.target_url = otio.url_utils.url_from_filepath(str(tmp_path / "gone.mp4"))
    (offline,) = [f for f in qc_edit(beatcut, tmp_path / "edit.otio").findings if f.check == "offline"]
    assert "gone.mp4" in offline.what and offline.severity == "fail"
