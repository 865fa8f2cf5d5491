"""The faces: `aivp` in-process and as the installed command, doing the main job."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import opentimelineio as otio
import pytest
from click.testing import CliRunner

from aivp_nle.cli import main
from aivp_nle.edit import meta
from aivp_nle.probe import probe
from aivp_nle.timelines import load_timeline

from .conftest import ProjectMaker


def test_build_rewrites_the_multicam_and_adds_a_new_beatcut_each_time(tmp_path: Path, project_with_takes: ProjectMaker) -> None:
    root = project_with_takes(tmp_path / "mv").root
    for _ in range(2):
        result = CliRunner().invoke(main, ["build", str(root)])
        assert result.exit_code == 0, result.output
    edits = sorted(p.name for p in (root / "06_Edit").glob("*.otio"))
    assert edits == ["beatcut_v001.otio", "beatcut_v002.otio", "multicam.otio"]
    second = load_timeline(root / "06_Edit" / "beatcut_v002.otio")
    assert second.name == "beatcut_v002"
    assert len(load_timeline(root / "06_Edit" / "multicam.otio").video_tracks()) == 3


def test_beatcut_writes_the_stack_and_the_cut_and_will_not_overwrite(tmp_path: Path, angles: list[Path], song: Path) -> None:
    out = tmp_path / "my edit.otio"
    args = ["beatcut", "--music", str(song), *[x for a in angles for x in ("--angle", str(a))], "--every", "4", "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    timeline = otio.adapters.read_from_file(str(out))
    assert [meta.role_of(t) for t in timeline.tracks] == ["angle"] * 3 + ["cut", "song"]
    assert meta.get(timeline)["cut"]["every"] == 4
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 1 and "--force" in again.output
    assert CliRunner().invoke(main, [*args, "--force"]).exit_code == 0


def test_render_writes_a_preview_of_an_edit(tmp_path: Path, angles: list[Path], song: Path) -> None:
    edit = tmp_path / "edit.otio"
    CliRunner().invoke(main, ["beatcut", "--music", str(song), "--angle", str(angles[0]), "--angle", str(angles[1]), "-o", str(edit)])
    result = CliRunner().invoke(main, ["render", str(edit), "-o", str(tmp_path / "preview.mp4"), "--size", "64x36"])
    assert result.exit_code == 0, result.output
    info = probe(tmp_path / "preview.mp4")
    assert info.video is not None and (info.video.width, info.video.height) == (64, 36)


def test_the_demo_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "my_song.wav").write_bytes(b"keep me")
    result = CliRunner().invoke(main, ["demo", str(tmp_path)])
    assert result.exit_code == 1 and "not empty" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["my_song.wav"]


def _installed_aivp() -> list[str]:
    script = Path(sys.executable).parent / "aivp"
    return [str(script)] if script.exists() else [shutil.which("aivp") or "aivp"]


@pytest.mark.slow
def test_the_installed_command_runs_the_whole_demo(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    done = subprocess.run([*_installed_aivp(), "demo", str(root), "--seconds", "8"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "File > Import > Timeline" in done.stdout
    edit = root / "06_Edit"
    assert {p.name for p in edit.iterdir()} >= {"multicam.otio", "beatcut_v001.otio", "preview_v001.mp4"}
    preview = probe(edit / "preview_v001.mp4")
    assert preview.duration == pytest.approx(8.0, abs=0.05) and preview.video is not None
    assert len(list((root / "03_Generations" / "v1_exploration").glob("*_v001.mp4"))) == 4  # three angles and a lip-synced one
    assert "lip sync yellow-lipsync: its audio sits +0.0 ms from the vocal stem" in done.stdout
    assert "sung phrases: 1 (1 long enough for a lip-sync shot)" in done.stdout


def test_python_dash_m_is_the_same_command() -> None:
    done = subprocess.run([sys.executable, "-m", "aivp_nle", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "beatcut" in done.stdout


def test_build_uses_the_cut_pattern_of_the_project_file(tmp_path: Path, project_with_takes: ProjectMaker) -> None:
    root = project_with_takes(tmp_path / "mv").root
    (root / "aivp.toml").write_text('[cut]\npattern = "downbeats"\nmin_shot = 0.5\n')
    result = CliRunner().invoke(main, ["build", str(root)])
    assert result.exit_code == 0, result.output
    timeline = load_timeline(root / "06_Edit" / "beatcut_v001.otio")
    cut = next(t for t in timeline.video_tracks() if meta.role_of(t) == meta.Role.CUT)
    starts = [round(c.range_in_parent().start_time.value) for c in cut.find_clips()][1:]
    assert meta.get(timeline)["cut"]["pattern"] == "downbeats" and starts == [48, 96, 144, 192, 240]


def test_beatcut_takes_a_pattern_and_a_pinned_grid_on_the_command_line(tmp_path: Path, angles: list[Path], song: Path) -> None:
    out = tmp_path / "edit.otio"
    args = ["beatcut", "--music", str(song), "--angle", str(angles[0]), "--angle", str(angles[1]), "--pattern", "phrase",
            "--bpm", "120", "--first-downbeat", "0", "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    cut = next(t for t in load_timeline(out).video_tracks() if meta.role_of(t) == meta.Role.CUT)
    assert [round(c.range_in_parent().start_time.value) for c in cut.find_clips()][1:] == [192]


def test_build_warns_when_the_project_has_no_grain_plate(tmp_path: Path, project_with_takes: ProjectMaker) -> None:
    root = project_with_takes(tmp_path / "mv").root
    result = CliRunner().invoke(main, ["build", str(root)])
    assert result.exit_code == 0 and "warning: no grain plate" in result.output and "aivp grain make" in result.output
