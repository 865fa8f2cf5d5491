"""`aivp qc` from the command line, and its HTML report opened from disk in headless Chromium."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aivp_nle.cli import main
from aivp_nle.ffmpeg import FFmpeg
from aivp_nle.project import add_file
from tests.qc_media import make_take

from .browser import chromium
from .conftest import ProjectMaker


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, project_with_takes: ProjectMaker, ff: FFmpeg) -> Path:
    """A built project, and then a frozen take of a fourth angle dropped in."""
    root = project_with_takes(tmp_path_factory.mktemp("qc") / "mv").root
    assert CliRunner().invoke(main, ["build", str(root)]).exit_code == 0
    frozen = make_take(tmp_path_factory.mktemp("faults"), "freeze_2s_at_2s", ff)
    add_file(frozen, root / "03_Generations" / "v1_exploration", "frozen")
    return root


@pytest.fixture(scope="module")
def report(project: Path) -> tuple[Path, str]:
    result = CliRunner().invoke(main, ["qc", "--project", str(project)])
    return project / "06_Edit" / "qc" / "index.html", result.stdout


def test_qc_of_a_take_prints_each_finding_with_its_timecode_and_fails(tmp_path: Path, ff: FFmpeg) -> None:
    result = CliRunner().invoke(main, ["qc", str(make_take(tmp_path, "freeze_2s_at_2s", ff))])
    assert result.exit_code == 1
    assert "freeze   01:00:02:00-01:00:04:00" in result.output and "-> regenerate" in result.output


def test_qc_json_is_the_findings_for_machines(tmp_path: Path, ff: FFmpeg) -> None:
    result = CliRunner().invoke(main, ["qc", "--json", str(make_take(tmp_path, "loops_every_3s", ff))])
    (data,) = json.loads(result.stdout)
    assert [(f["check"], f["start"]) for f in data["findings"]] == [("loop", "01:00:03:00")]


def test_qc_of_a_project_shows_one_progress_for_all_its_takes(project: Path) -> None:
    result = CliRunner().invoke(main, ["qc", "--project", str(project)])
    assert "qc of 4 take(s) on this machine" in result.stderr


def test_report_without_a_folder_writes_it_where_the_readme_says(project: Path) -> None:
    result = CliRunner().invoke(main, ["qc", str(project), "--project", "--report"])
    assert result.exit_code in (0, 1) and f"report: {project / '06_Edit' / 'qc' / 'index.html'}" in result.output


def test_qc_of_a_project_tables_every_take_and_the_newest_edit(report: tuple[Path, str]) -> None:
    _, output = report
    rows = {line.split()[0]: line.split()[4] for line in output.splitlines()[3:]}  # file kind length s verdict
    assert set(rows) == {"red_v001.mp4", "green_v001.mp4", "blue_v001.mp4", "frozen_v001.mp4", "beatcut_v001.otio"}
    assert rows["frozen_v001.mp4"] == "fail" and rows["beatcut_v001.otio"] == "pass"


def test_the_report_has_a_contact_sheet_a_beat_plot_and_a_strip_per_finding(report: tuple[Path, str]) -> None:
    page, _ = report
    names = {p.name for p in page.parent.glob("*.png")}
    assert {"05_beatcut_v001_shots.png", "05_beatcut_v001_beats.png"} <= names
    assert any(name.startswith("02_frozen_v001_") and name.endswith("_freeze.png") for name in names)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    driver = chromium(tmp_path / "chromium", downloads=tmp_path)
    try:
        yield driver
    finally:
        driver.quit()


def _eventually(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    """The browser works on its own threads: give it time, not a fixed sleep."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_report_opens_from_disk_with_every_image_loaded(browser: Any, report: tuple[Path, str]) -> None:
    page, _ = report
    browser.get(page.as_uri())
    loaded = "return Array.from(document.images).map(i => [i.src, i.complete && i.naturalWidth > 0])"
    assert _eventually(lambda: all(ok for _, ok in browser.execute_script(loaded)))
    assert len(browser.execute_script(loaded)) >= 3
    shot = Path(os.environ.get("AIVP_SCREENSHOT_DIR", page.parent)) / "qc-report.png"
    browser.save_screenshot(str(shot))
    print(f"screenshot: {shot}")


@pytest.mark.slow
def test_ticks_survive_a_reload_and_save_back_into_the_project(browser: Any, report: tuple[Path, str], project: Path, tmp_path: Path) -> None:
    page, _ = report
    browser.get(page.as_uri())  # a new browser profile: no ticks stored yet
    browser.find_element("css selector", "input[name=teeth]").click()
    assert _eventually(lambda: browser.find_element("id", "done").text == "1 of 11 checked")

    def reopened_ticked() -> bool:  # the browser stores a page's localStorage a moment after the script writes it
        browser.refresh()
        return bool(browser.find_element("css selector", "input[name=teeth]").is_selected())

    assert _eventually(reopened_ticked)
    browser.find_element("id", "save").click()
    saved = tmp_path / "checklist.json"
    assert _eventually(saved.is_file)
    assert json.loads(saved.read_text())["items"]["teeth"] is True
    result = CliRunner().invoke(main, ["qc", "--project", str(project), "--checklist", str(saved)])
    assert "checklist: 1 of 11 checked by eye" in result.output
    assert json.loads((project / "06_Edit" / "qc" / "checklist.json").read_text())["items"]["teeth"] is True
    assert saved.is_file()  # the browser's copy stays where it was
