"""What a panel or a script reads: `--json` of build, status and resolve plan, pinned key by key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from aivp_nle.cli import main

from .conftest import ProjectMaker


def _json(args: list[str]) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_build_json_names_what_it_wrote_and_the_cut(project_with_takes: ProjectMaker, tmp_path: Path) -> None:
    project = project_with_takes(tmp_path / "mv")
    found = _json(["build", str(project.root), "--json"])
    assert set(found) == {"multicam", "beatcut", "shots", "seconds", "max_snap_error_s", "warnings", "lipsync"}
    assert Path(found["beatcut"]).name == "beatcut_v001.otio" and Path(found["beatcut"]).is_file()
    assert found["shots"] > 1 and found["seconds"] > 0


def test_status_json_lists_takes_by_stage_and_angle(project_with_takes: ProjectMaker, tmp_path: Path) -> None:
    project = project_with_takes(tmp_path / "mv")
    found = _json(["status", str(project.root), "--json"])
    assert found == {"takes": {"v1_exploration": {"blue": ["blue_v001.mp4"], "green": ["green_v001.mp4"], "red": ["red_v001.mp4"]}},
                     "pending": [], "quarantined": {}}


def test_resolve_plan_json_names_the_plan_and_the_entry_to_run(project_with_takes: ProjectMaker, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    project = project_with_takes(tmp_path / "mv")
    _json(["build", str(project.root), "--json"])
    found = _json(["resolve", "plan", str(project.root), "--json"])
    assert found["project"] == "mv" and found["entry"] == "Workspace > Scripts > aivp Apply Edit"
    assert all(Path(p).is_file() for p in found["written"]) and any(p.endswith(".json") for p in found["written"])


def test_build_options_are_saved_in_the_project_file_before_the_build(project_with_takes: ProjectMaker, tmp_path: Path) -> None:
    project = project_with_takes(tmp_path / "mv")
    found = _json(["build", str(project.root), "--json", "--pattern", "bars", "--seed", "4", "--level", "half",
                   "--grain-opacity", "0.2", "--hero", "red"])
    settings = (project.root / "aivp.toml").read_text()
    assert 'pattern = "bars"' in settings and "seed = 4" in settings and 'level = "half"' in settings
    assert "opacity = 0.2" in settings and 'hero = "red"' in settings and Path(found["beatcut"]).is_file()
    _json(["build", str(project.root), "--json", "--hero", ""])
    assert "hero" not in (project.root / "aivp.toml").read_text().split("[cut]")[1].split("[")[0]
