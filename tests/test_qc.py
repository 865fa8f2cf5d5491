"""QC: takes with known faults are caught at the right timecode with the handbook's action; clean ones pass."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from aivp_nle.ffmpeg import FFmpeg
from aivp_nle.qc import Finding, qc_take
from tests.qc_media import make_take


@pytest.fixture(scope="module")
def take(tmp_path_factory: pytest.TempPathFactory, ff: FFmpeg) -> Callable[..., Path]:
    folder = tmp_path_factory.mktemp("qc_takes")
    return lambda name, tone="quiet": make_take(folder, name, ff, tone)


def _found(path: Path, ff: FFmpeg, check: str) -> list[Finding]:
    return [f for f in qc_take(path, ff=ff).findings if f.check == check]


def test_a_clean_take_gives_no_findings(take: Callable[..., Path], ff: FFmpeg) -> None:
    report = qc_take(take("clean"), ff=ff)
    assert report.findings == () and report.verdict == "pass"


def test_every_fifth_frame_duplicated_is_uneven_pacing_to_repair(take: Callable[..., Path], ff: FFmpeg) -> None:
    (finding,) = _found(take("every_5th_duplicated"), ff, "pacing")
    assert "every 5 frames" in finding.what and finding.action == "repair"
    assert finding.start in {f"01:00:00:{f:02d}" for f in range(1, 6)}  # the first repeat, within the first five frames


def test_a_two_second_freeze_is_found_where_it_starts_and_ends(take: Callable[..., Path], ff: FFmpeg) -> None:
    (finding,) = _found(take("freeze_2s_at_2s"), ff, "freeze")
    assert (finding.start, finding.end) == ("01:00:02:00", "01:00:04:00")
    assert finding.severity == "fail" and finding.action == "regenerate" and "2.0 s" in finding.what


def test_a_background_that_loops_every_three_seconds_is_found_where_it_comes_back(take: Callable[..., Path], ff: FFmpeg) -> None:
    (finding,) = _found(take("loops_every_3s"), ff, "loop")
    assert finding.start == "01:00:03:00" and "every 3.0 s" in finding.what and finding.action == "regenerate"


def test_a_frozen_stretch_is_not_called_a_loop(take: Callable[..., Path], ff: FFmpeg) -> None:
    assert _found(take("freeze_2s_at_2s"), ff, "loop") == []


def test_flicker_is_found_from_the_frame_it_starts(take: Callable[..., Path], ff: FFmpeg) -> None:
    (finding,) = _found(take("flickers_from_2s"), ff, "flicker")
    assert finding.start == "01:00:02:00" and finding.severity == "fail"


def test_texture_crawl_is_found_from_the_frame_it_starts(take: Callable[..., Path], ff: FFmpeg) -> None:
    (finding,) = _found(take("crawls_from_2s"), ff, "crawl")
    assert finding.start in {"01:00:02:00", "01:00:02:01"} and finding.action == "regenerate"


def test_dropped_frames_are_found_where_the_timestamps_skip(take: Callable[..., Path], ff: FFmpeg) -> None:
    (finding,) = _found(take("drops_6_frames_at_1s6"), ff, "pacing")
    assert finding.start == "01:00:01:06" and "6 dropped" in finding.what and finding.action == "repair"


def test_a_mostly_black_picture_is_flagged_before_it_macroblocks_on_upload(take: Callable[..., Path], ff: FFmpeg) -> None:
    (finding,) = _found(take("mostly_black_from_1s"), ff, "black")
    assert (finding.start, finding.end) == ("01:00:01:00", "01:00:06:00") and finding.action == "repair"


def test_an_hdr_take_needs_tone_mapping_before_it_meets_sdr(take: Callable[..., Path], ff: FFmpeg) -> None:
    (finding,) = _found(take("hdr_tagged"), ff, "conform")
    assert "HDR10" in finding.what and finding.action == "conform"


def test_a_twelve_second_take_is_over_the_ten_second_limit(take: Callable[..., Path], ff: FFmpeg) -> None:
    (finding,) = _found(take("twelve_seconds"), ff, "duration")
    assert "12.0 s" in finding.what and finding.action == "regenerate"


def test_clipping_audio_fails_and_silence_warns(take: Callable[..., Path], ff: FFmpeg) -> None:
    clipped = [f for f in _found(take("clean", "clipping"), ff, "audio") if f.severity == "fail"]
    assert len(clipped) == 1 and "clips" in clipped[0].what
    (silent,) = _found(take("clean", "silent"), ff, "audio")
    assert "silent" in silent.what


def test_each_fault_is_the_only_thing_found_in_its_take(take: Callable[..., Path], ff: FFmpeg) -> None:
    expected = {
        "every_5th_duplicated": {"pacing"}, "freeze_2s_at_2s": {"freeze"}, "loops_every_3s": {"loop"},
        "flickers_from_2s": {"flicker"}, "mostly_black_from_1s": {"black"}, "hdr_tagged": {"conform"},
        "twelve_seconds": {"duration"}, "crawls_from_2s": {"crawl"},
        "drops_6_frames_at_1s6": {"pacing", "conform"},  # and the rate is variable now
    }
    found = {name: {f.check for f in qc_take(take(name), ff=ff).findings} for name in expected}
    assert found == expected
