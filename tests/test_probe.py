"""`aivp probe`: what an editor checks before cutting, exact and typed."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from aivp_nle.cli import main
from aivp_nle.errors import MediaError
from aivp_nle.ffmpeg import FFmpeg, media_arg
from aivp_nle.probe import MediaInfo, probe


def _lavfi(ff: FFmpeg, path: Path, source: str, *extra: str) -> Path:
    ff.run(["-f", "lavfi", "-i", source, *extra, "-pix_fmt", "yuv420p", media_arg(path)], "making test media")
    return path


def test_a_take_is_described_with_rate_size_colour_audio_and_timecode(angles: list[Path], ff: FFmpeg) -> None:
    info = probe(angles[0], ff)
    assert info.video is not None
    assert info.video.frame_rate == Fraction(24)
    assert (info.video.width, info.video.height) == (160, 90)
    assert info.video.codec == "h264" and info.video.pixel_format == "yuv420p"
    assert (info.video.color_primaries, info.video.color_transfer, info.video.color_matrix) == ("bt709",) * 3
    assert not info.video.hdr and not info.video.variable_frame_rate
    assert info.audio[0].sample_rate == 48000
    assert info.start_timecode == "01:00:00:00"
    assert info.duration == pytest.approx(13.0, abs=0.05)


def test_an_ntsc_rate_stays_an_exact_rational(ff: FFmpeg, tmp_path: Path) -> None:
    path = _lavfi(ff, tmp_path / "ntsc.mp4", "testsrc=s=64x36:r=24000/1001:d=1")
    info = probe(path, ff)
    assert info.video is not None and info.video.frame_rate == Fraction(24000, 1001)


def test_pq_transfer_is_flagged_hdr(ff: FFmpeg, tmp_path: Path) -> None:
    path = _lavfi(
        ff, tmp_path / "hdr.mp4", "testsrc=s=64x36:r=24:d=1",
        "-vf", "setparams=color_primaries=bt2020:color_trc=smpte2084:colorspace=bt2020nc",
    )
    info = probe(path, ff)
    assert info.video is not None and info.video.hdr


def test_a_variable_frame_rate_file_is_flagged(ff: FFmpeg, tmp_path: Path) -> None:
    path = _lavfi(
        ff, tmp_path / "vfr.mp4", "testsrc=s=64x36:r=30:d=3",
        "-vf", "select='lt(n\\,30)+not(mod(n\\,3))'", "-fps_mode", "vfr",
    )
    info = probe(path, ff)
    assert info.video is not None and info.video.variable_frame_rate


def test_a_missing_file_is_named(tmp_path: Path, ff: FFmpeg) -> None:
    with pytest.raises(MediaError, match="nothere.mp4: file not found"):
        probe(tmp_path / "nothere.mp4", ff)


def test_a_text_file_is_not_media(tmp_path: Path, ff: FFmpeg) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is a prompt, not a video\n")
    with pytest.raises(MediaError, match="notes.mp4: is not media"):
        probe(fake, ff)


def test_probe_json_is_a_list_of_media_descriptions(angles: list[Path], song: Path) -> None:
    result = CliRunner().invoke(main, ["probe", "--json", str(angles[0]), str(song)])
    assert result.exit_code == 0, result.output
    described = [MediaInfo.model_validate(item) for item in json.loads(result.output)]
    assert [d.path for d in described] == [angles[0], song]
    assert json.loads(result.output)[0]["video"]["frame_rate"] == "24"


def test_a_file_is_probed_once_while_it_stays_the_same_file(ff: FFmpeg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Path] = []
    real_probe = FFmpeg.probe

    def counted(self: FFmpeg, path: Path, timeout: float = 60.0) -> tuple[int, dict, str]:
        asked.append(path)
        return real_probe(self, path, timeout)

    monkeypatch.setattr(FFmpeg, "probe", counted)
    take = _lavfi(ff, tmp_path / "take.mp4", "testsrc=s=64x36:r=24:d=1")
    assert probe(take, ff) == probe(take, ff) and len(asked) == 1
    longer = _lavfi(ff, tmp_path / "longer.mp4", "testsrc=s=64x36:r=24:d=2")
    longer.replace(take)  # another file under the same name is probed afresh
    assert probe(take, ff).duration == pytest.approx(2.0, abs=0.05) and len(asked) == 2
