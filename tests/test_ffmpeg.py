"""ffmpeg in one place: found by override, in the install, or on PATH, clear when missing, run with
safe arguments; media described in-process as ffprobe would."""

from __future__ import annotations

from pathlib import Path

import pytest

from aivp_nle import ffmpeg as ffmpeg_module
from aivp_nle import synthetic as synth
from aivp_nle.errors import ToolNotFoundError
from aivp_nle.ffmpeg import ENV_FFMPEG, ENV_FFPROBE, FFmpeg, bundled_ffmpeg, locate, media_arg
from aivp_nle.probe import from_ffprobe, probe


@pytest.fixture
def fresh_lookup():
    locate.cache_clear()
    yield
    locate.cache_clear()


def test_the_ffmpeg_that_comes_with_the_install_is_used_and_media_are_probed_in_process(
    fresh_lookup: None, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no system ffmpeg or ffprobe at all
    found = locate()
    assert found.ffmpeg == bundled_ffmpeg() and found.ffmpeg is not None and found.ffmpeg.is_file()
    assert found.ffprobe is None


def test_probing_in_process_says_what_ffprobe_says(ff: FFmpeg, angles: list[Path], song: Path) -> None:
    binary = ffmpeg_module.shutil.which("ffprobe")
    if binary is None:
        pytest.skip("no ffprobe here to compare with")
    for path in (*angles, song):
        assert from_ffprobe(path, FFmpeg(ff.ffmpeg, None).probe(path)[1]) == from_ffprobe(path, FFmpeg(ff.ffmpeg, Path(binary)).probe(path)[1])


def test_an_ffprobe_override_is_used(fresh_lookup: None, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = ffmpeg_module.shutil.which("ffprobe")
    if binary is None:
        pytest.skip("no ffprobe here")
    monkeypatch.setenv(ENV_FFPROBE, binary)
    assert locate().ffprobe == Path(binary)


def test_an_override_that_points_nowhere_names_the_variable(
    fresh_lookup: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(ENV_FFMPEG, str(tmp_path / "no-ffmpeg"))
    with pytest.raises(ToolNotFoundError, match=f"{ENV_FFMPEG}=.*not an executable"):
        locate()


def test_an_override_is_used_before_path(fresh_lookup: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = locate().ffmpeg
    locate.cache_clear()
    link = tmp_path / "my-ffmpeg"
    link.symlink_to(real)
    monkeypatch.setenv(ENV_FFMPEG, str(link))
    assert locate().ffmpeg == link


def test_without_ffmpeg_the_error_says_what_to_install(fresh_lookup: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(ffmpeg_module, "bundled_ffmpeg", lambda: None)
    with pytest.raises(ToolNotFoundError, match="pip install --force-reinstall aivp-nle"):
        locate()


def test_a_file_named_like_an_option_is_still_read_as_a_file(ff: FFmpeg, tmp_path: Path, song: Path) -> None:
    odd = tmp_path / "-i.wav"
    odd.write_bytes(song.read_bytes())
    assert media_arg(odd).startswith("/")
    assert probe(odd, ff).audio


def test_a_filter_graph_longer_than_an_argument_may_be_runs_through_a_script(ff: FFmpeg, tmp_path: Path) -> None:
    # 160 KB, beyond the 128 KB the kernel accepts in one argument; long labels rather than
    # thousands of filters, so ffmpeg spends no time building the graph
    label = "a" * 80_000
    out = tmp_path / "out.mp4"
    graph = f"[0:v]null[{label}];[{label}]null[v]"
    ff.run(["-f", "lavfi", "-i", "color=s=32x32:d=0.2", "-filter_complex", graph, "-map", "[v]", media_arg(out)], "a long graph")
    assert probe(out, ff).video is not None


def test_paths_with_spaces_quotes_and_accents_survive(ff: FFmpeg, tmp_path: Path) -> None:
    strange = tmp_path / "café 'take' \"one\" [a];b.mp4"
    synth.make_angle(strange, "red", 1.0, 24, (64, 36), ff=ff)
    assert probe(strange, ff).video is not None
