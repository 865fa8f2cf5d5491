"""The grain plate: every project gets one, and it shows at the handbook's 30 % Overlay."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from aivp_nle.cli import main
from aivp_nle.ffmpeg import FFmpeg, media_arg
from aivp_nle.grain_plate import visibility
from aivp_nle.probe import probe
from aivp_nle.project import Project, init_project, open_project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = init_project(tmp_path / "mv").root
    (root / "aivp.toml").write_text("# my notes stay\n[conform]\nfps = 30\nwidth = 640\nheight = 360\n", encoding="utf-8")
    return open_project(root)


def _frames(ff: FFmpeg, plate: Path, size: tuple[int, int]) -> np.ndarray:
    raw = ff.read(["-i", media_arg(plate), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"], "reading the plate")
    width, height = size
    frame = width * height * 3 // 2
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, frame)


def test_grain_make_writes_a_plate_at_the_projects_size_and_rate_and_sets_it(project: Project, ff: FFmpeg) -> None:
    result = CliRunner().invoke(main, ["grain", "make", str(project.root)])
    assert result.exit_code == 0, result.output
    (plate,) = (project.edit_dir / "grain").glob("*.mp4")
    info = probe(plate, ff)
    assert info.video is not None and (info.video.width, info.video.height, info.video.frame_rate) == (640, 360, 30)
    assert info.duration == pytest.approx(2.0, abs=0.05)
    assert (info.video.color_primaries, info.video.color_transfer, info.video.color_matrix) == ("bt709",) * 3
    reopened = open_project(project.root)
    assert reopened.grain_asset() == plate and "# my notes stay" in (project.root / "aivp.toml").read_text()


def test_the_plate_is_monochrome_and_shows_at_30_percent_overlay_on_mid_grey(project: Project, ff: FFmpeg) -> None:
    CliRunner().invoke(main, ["grain", "make", str(project.root)])
    (plate,) = (project.edit_dir / "grain").glob("*.mp4")
    frames = _frames(ff, plate, (640, 360)).astype(np.float64)
    chroma = frames[:, 640 * 360 :]
    assert np.abs(chroma - 128).max() <= 1  # no colour: grain never tints the grade
    assert visibility(plate, opacity=0.30) >= 3.0


def test_the_plate_loops_without_a_seam(project: Project, ff: FFmpeg) -> None:
    CliRunner().invoke(main, ["grain", "make", str(project.root)])
    (plate,) = (project.edit_dir / "grain").glob("*.mp4")
    luma = _frames(ff, plate, (640, 360))[:, : 640 * 360].astype(np.float64)
    neighbours = [np.corrcoef(luma[i], luma[i + 1])[0, 1] for i in range(len(luma) - 1)]
    seam = np.corrcoef(luma[-1], luma[0])[0, 1]
    assert abs(seam - np.mean(neighbours)) < 0.05 and max(neighbours) < 0.2  # every frame new grain, the seam like any cut


def test_a_second_plate_is_a_new_version_and_the_chosen_one_stays(project: Project) -> None:
    CliRunner().invoke(main, ["grain", "make", str(project.root)])
    result = CliRunner().invoke(main, ["grain", "make", str(project.root)])
    assert sorted(p.name for p in (project.edit_dir / "grain").glob("*.mp4")) == ["grain_640x360_30p_v001.mp4", "grain_640x360_30p_v002.mp4"]
    assert open_project(project.root).config.grain.asset == "06_Edit/grain/grain_640x360_30p_v001.mp4"
    assert "asset stays" in result.output


@pytest.mark.slow
def test_init_makes_a_uhd_plate_and_names_it(tmp_path: Path, ff: FFmpeg) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "mv")])
    assert result.exit_code == 0, result.output
    plate = open_project(tmp_path / "mv").grain_asset()
    assert plate is not None and plate.is_file() and "moves mid-grey by" in result.output
    video = probe(plate, ff).video
    assert video is not None and (video.width, video.height) == (3840, 2160)


def test_init_without_grain_makes_none(tmp_path: Path) -> None:
    assert CliRunner().invoke(main, ["init", "--no-grain", str(tmp_path / "mv")]).exit_code == 0
    assert open_project(tmp_path / "mv").grain_asset() is None
