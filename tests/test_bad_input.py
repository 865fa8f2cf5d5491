"""Bad input: one clear message naming the file and the fix, a non-zero exit, nothing written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from aivp_nle.cli import main
from aivp_nle.ffmpeg import FFmpeg, media_arg
from aivp_nle.project import add_file, init_project


def _beatcut(tmp_path: Path, music: Path, *angles: Path) -> tuple[Result, Path]:
    out = tmp_path / "edit.otio"
    args = ["beatcut", "--music", str(music), *[a for p in angles for a in ("--angle", str(p))], "-o", str(out)]
    return CliRunner().invoke(main, args), out


def _refused(result: Result, *named: str) -> None:
    assert result.exit_code == 1, result.output
    message = result.output
    assert message.startswith("aivp: error: ") and message.count("aivp: error:") == 1
    for text in named:
        assert text in message


def _nothing_written(folder: Path) -> None:
    assert not [p for p in folder.rglob("*") if p.suffix in {".otio", ".mp4"} and "06_Edit" in str(p) or p.name == "edit.otio"]
    assert not list(folder.rglob(".aivp-tmp-*"))


def test_a_missing_file_is_named(tmp_path: Path, song: Path, angles: list[Path]) -> None:
    result, out = _beatcut(tmp_path, song, angles[0], tmp_path / "green_v003.mp4")
    _refused(result, "green_v003.mp4: file not found", "Check the path")
    assert not out.exists()


def test_a_file_that_is_not_media_is_named(tmp_path: Path, song: Path, angles: list[Path]) -> None:
    fake = tmp_path / "blue.mp4"
    fake.write_text("<html>Your download will start shortly</html>")
    result, out = _beatcut(tmp_path, song, angles[0], fake)
    _refused(result, "blue.mp4: is not media", "re-download or re-export")
    assert not out.exists()


def test_a_song_without_audio_is_named(tmp_path: Path, angles: list[Path], ff: FFmpeg) -> None:
    mute = tmp_path / "song.mp4"
    ff.run(["-f", "lavfi", "-i", "testsrc=s=64x36:r=24:d=2", "-pix_fmt", "yuv420p", media_arg(mute)], "a mute video")
    result, out = _beatcut(tmp_path, mute, *angles[:2])
    _refused(result, "song.mp4: has no audio stream", "Use the song's audio export")
    assert not out.exists()


def test_a_silent_song_has_no_beats_to_cut_on(tmp_path: Path, make: Callable[..., Path], angles: list[Path]) -> None:
    result, out = _beatcut(tmp_path, make("silence"), *angles[:2])
    _refused(result, "silence.wav: has no beats", "--bpm")
    assert not out.exists()


def test_an_angle_shorter_than_the_song_says_which_and_by_how_much(
    tmp_path: Path, song: Path, angles: list[Path], make: Callable[..., Path]
) -> None:
    short = make("angle_yellow_24_9")
    result, out = _beatcut(tmp_path, song, angles[0], short)
    _refused(result, "yellow.mp4: angle 'yellow' is 3.00 s shorter than the song", "Generate a longer take")
    assert not out.exists()


def test_angles_at_different_frame_rates_are_refused_and_pointed_to_conform(
    tmp_path: Path, song: Path, angles: list[Path], make: Callable[..., Path]
) -> None:
    result, out = _beatcut(tmp_path, song, angles[0], make("angle_green_30"))
    _refused(result, "angles at different frame rates", "red.mp4 24 fps", "green.mp4 30 fps", "aivp conform apply")
    assert not out.exists()


def test_a_25_fps_take_in_a_24_fps_project_is_refused(
    tmp_path: Path, song: Path, angles: list[Path], make: Callable[..., Path]
) -> None:
    project = init_project(tmp_path / "mv")
    stage = project.stage_dir("v1_exploration")
    add_file(angles[0], stage, "red")
    add_file(make("angle_magenta_25"), stage, "magenta")
    add_file(song, project.audio_dir, "song")
    result = CliRunner().invoke(main, ["build", str(project.root)])
    _refused(result, "magenta_v001.mp4: is 25 fps but the edit works at 24 fps", "Conform it")
    assert not list(project.edit_dir.iterdir())


@pytest.mark.parametrize("option", [["--every", "0"], ["--min-shot", "-1"]])
def test_a_bad_cut_option_is_refused_naming_it(tmp_path: Path, song: Path, angles: list[Path], option: list[str]) -> None:
    out = tmp_path / "edit.otio"
    args = ["beatcut", "--music", str(song), "--angle", str(angles[0]), "--angle", str(angles[1]), *option, "-o", str(out)]
    result = CliRunner().invoke(main, args)
    _refused(result, f"{option[0].lstrip('-').replace('-', '_')} = ")
    assert not out.exists()
