"""The aivp window inside Resolve Studio, against the fake window toolkit and the fake Resolve:
the planned projects to pick from, Build (the real commands), Apply (the real bridge) and the report."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from aivp_nle.pipeline import build_project
from aivp_nle.resolve.install import install_scripts
from aivp_nle.resolve.planner import plan_for_project, write_plan

from . import fake_resolve as fakes
from . import fake_ui
from .conftest import ProjectMaker


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    folder = tmp_path / "home" / ".aivp" / "resolve"
    install_scripts(tmp_path / "Utility", support=folder)
    monkeypatch.syspath_prepend(str(folder))
    return tmp_path / "Utility" / "aivp Window.py"


def test_the_window_builds_then_applies_the_project_chosen_and_shows_the_report(
        installed: Path, project_with_takes: ProjectMaker, tmp_path: Path) -> None:
    project = project_with_takes(tmp_path / "mv")
    build_project(project)
    write_plan(plan_for_project(project), project)
    dispatcher = fake_ui.Dispatcher([("Build", "Clicked"), ("Apply", "Clicked"), ("aivpWindow", "Close")])
    studio = fakes.Studio()
    runpy.run_path(str(installed), init_globals={"fu": fake_ui.Fusion(), "bmd": fake_ui.Bmd(dispatcher),
                                                  "resolve": fakes.FakeResolve(studio)})
    items = dispatcher.windows[0].items
    assert items["Project"].items == ["mv"]
    built, applied = items["Report"].texts[-2:]
    assert built.startswith("built beatcut_v002.otio") and (project.edit_dir / "beatcut_v002.otio").is_file()
    assert applied.startswith("aivp: done, every step verified")
    assert any(method == "ImportTimelineFromFile" for _, method, _ in studio.calls)
    assert not dispatcher.windows[0].shown  # closed


def test_without_the_window_toolkit_it_says_to_use_the_panel(installed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(installed), init_globals={"resolve": fakes.FakeResolve(fakes.Studio())})
    assert "aivp panel" in capsys.readouterr().out
