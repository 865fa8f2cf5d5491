"""The panel in a real browser (Debian's Chromium, headless, driven by selenium): change the cut,
Build, see the new beat-cut and its contact sheet, render a preview to 100 %, Apply to Resolve
(the free edition's plan, and the fake Studio's calls); a request without the token is refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aivp_nle.edit import meta
from aivp_nle.panel.actions import panel_state, qc_with_report
from aivp_nle.panel.app import Panel, Server, running_panel, serve
from aivp_nle.pipeline import build_project
from aivp_nle.project import Project, open_project
from aivp_nle.resolve.install import install_scripts
from aivp_nle.resolve.planner import plan_for_project, project_key, write_plan
from aivp_nle.timelines import load_timeline, save_timeline

from . import fake_resolve as fakes
from .browser import chromium
from .conftest import ProjectMaker
from .lua_resolve import LUA, run_lua
from .watch_helpers import variant

SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "panel.png"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    driver = chromium(tmp_path / "chromium", window="1400,1100")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def project(project_with_takes: ProjectMaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # the user's plan folder
    return project_with_takes(tmp_path / "mv")


@pytest.fixture
def running(project: Project) -> Iterator[Server]:
    server = serve(Panel(project))
    try:
        yield server
    finally:
        server.panel.jobs.wait()
        server.stop()


def _eventually(condition: Callable[[], Any], seconds: float = 120.0) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        if time.monotonic() > deadline:
            raise AssertionError("the page never showed it")
        time.sleep(0.1)
    return found


def test_a_request_without_the_token_is_refused(running: Server) -> None:
    base = f"http://127.0.0.1:{running.port}"
    assert httpx.get(f"{base}/api/state").status_code == 403
    assert httpx.post(f"{base}/api/build", json={}).status_code == 403
    assert httpx.get(f"{base}/api/state?token=wrong").status_code == 403
    assert httpx.get(f"{base}/api/state?token={running.panel.token}").status_code == 200


def test_the_panel_listens_on_loopback_only(running: Server) -> None:
    assert running.server.config.host == "127.0.0.1"


def test_build_render_and_apply_from_the_page(browser: Any, running: Server, project: Project) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(running.url)
    _eventually(lambda: browser.find_element(By.ID, "takes").text.count("v1_exploration") == 3)
    Select(browser.find_element(By.ID, "pattern")).select_by_visible_text("bars")
    seed = browser.find_element(By.ID, "seed")
    seed.clear()
    seed.send_keys("7")
    opacity = browser.find_element(By.ID, "opacity")
    opacity.clear()
    opacity.send_keys("0.25")
    browser.find_element(By.ID, "build").click()
    _eventually(lambda: "beatcut_v001.otio" in browser.find_element(By.ID, "edits").text)
    _eventually(lambda: browser.execute_script("const i = document.getElementById('sheet'); return i.complete && i.naturalWidth > 0"))
    config = (project.root / "aivp.toml").read_text()
    assert 'pattern = "bars"' in config and "seed = 7" in config and "opacity = 0.25" in config

    browser.find_element(By.ID, "reroll").click()  # the next seed, a new version beside the first
    _eventually(lambda: "beatcut_v002.otio" in browser.find_element(By.ID, "edits").text)
    assert "seed = 8" in (project.root / "aivp.toml").read_text()

    browser.find_element(By.ID, "render").click()
    _eventually(lambda: browser.find_element(By.ID, "render-progress").get_attribute("value") == "1")
    _eventually(lambda: browser.execute_script("return document.getElementById('player').readyState >= 1"))
    assert (project.edit_dir / "preview_v001.mp4").is_file()

    browser.find_element(By.ID, "apply").click()
    message = _eventually(lambda: (text := browser.find_element(By.ID, "apply-message").text) != "applying ..." and text)
    assert "Workspace > Scripts > aivp Apply Edit" in message
    plans = Path(os.environ["HOME"]) / ".aivp" / "resolve" / "projects"
    assert list(plans.glob("*/plan.json"))
    assert json.loads((plans / "index.json").read_text())["selected"] == project_key(project)  # the one applied from here
    SCREENSHOT.parent.mkdir(exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))


def test_apply_in_studio_pushes_and_shows_the_read_back(project: Project) -> None:
    studio = fakes.Studio()
    server = serve(Panel(project, resolve=fakes.FakeResolve(studio)))  # type: ignore[arg-type]
    try:
        headers = {"x-aivp-token": server.panel.token}
        base = f"http://127.0.0.1:{server.port}"
        assert httpx.post(f"{base}/api/build", json={"seed": "3"}, headers=headers).status_code == 200
        server.panel.jobs.wait()
        answer = httpx.post(f"{base}/api/apply", headers=headers, timeout=60).json()
    finally:
        server.stop()
    assert answer["edition"] == "studio" and answer["message"].startswith("aivp: done, every step verified")
    assert any(method == "ImportTimelineFromFile" for _, method, _ in studio.calls)


def test_opening_the_panel_again_finds_the_one_running(running: Server, project: Project) -> None:
    assert running_panel(project) == running.url
    running.stop()
    assert running_panel(project) is None


@pytest.mark.skipif(LUA is None, reason="no Lua interpreter")
def test_the_open_panel_entry_starts_the_panel_of_the_open_project_with_the_recorded_python(
        project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "home" / ".aivp" / "resolve"
    install_scripts(tmp_path / "Utility", support=folder)
    build_project(project)
    write_plan(plan_for_project(project), project, user_folder=folder)
    printed, _ = run_lua(fakes.FakeResolve(fakes.Studio()), folder, ["open-panel"])
    command = next(line for line in printed if line.startswith("RUN ")).removeprefix("RUN ")
    assert command == f"'{sys.executable}' -m aivp_nle panel '{project.root}' >/dev/null 2>&1 &"
    monkeypatch.setenv("BROWSER", "true")  # the browser it opens: a command that does nothing
    subprocess.run(["sh", "-c", command], check=True, timeout=30)
    url = _eventually(lambda: running_panel(project), seconds=60)
    record = json.loads((project.root / ".aivp" / "panel.json").read_text())
    os.kill(record["pid"], signal.SIGTERM)  # as a service manager stops it
    assert url.startswith("http://127.0.0.1:") and "token=" in url


def test_the_panel_runs_the_watch_folder_and_shows_the_take_filed(running: Server, project: Project) -> None:
    headers = {"x-aivp-token": running.panel.token}
    base = f"http://127.0.0.1:{running.port}"
    assert "watching" in httpx.post(f"{base}/api/watch", json={"on": True}, headers=headers).json()["message"]
    take = project.stage_dir("v1_exploration") / "red_v001.mp4"
    (project.root / "inbox").mkdir(exist_ok=True)
    (project.root / "inbox" / "red_v002.mp4.part").write_bytes(variant(take.read_bytes(), "another take", 0))  # other bytes
    (project.root / "inbox" / "red_v002.mp4.part").rename(project.root / "inbox" / "red_v002.mp4")

    def filed() -> bool:
        state = httpx.get(f"{base}/api/state", headers=headers).json()
        filed = [name for names in state["takes"]["v1_exploration"].values() for name in names]
        return any(name.endswith("red_v002.mp4") for name in filed) and any("imported red_v002.mp4" in line for line in state["watch_log"])

    _eventually(filed, seconds=60)
    assert httpx.post(f"{base}/api/watch", json={"on": False}, headers=headers).json()["message"] == "stopped watching"
    assert not httpx.get(f"{base}/api/state", headers=headers).json()["watching"]


def test_the_page_offers_the_other_tempo_when_the_tracker_found_it_nearly_as_likely(project: Project) -> None:
    edit = build_project(project).beatcut
    assert panel_state(project)["tempo"]["other_level"] is None
    timeline = load_timeline(edit)
    meta.put(timeline, beats={**dict(meta.get(timeline)["beats"]), "other_level": "double"})
    save_timeline(timeline, edit, replace=True)
    tempo = panel_state(project)["tempo"]
    assert tempo["other_level"] == "double" and tempo["other_bpm"] == round(2 * tempo["bpm"], 2)


def test_the_panel_installs_the_workspace_entries_for_this_user(running: Server) -> None:
    answer = httpx.post(f"http://127.0.0.1:{running.port}/api/install", headers={"x-aivp-token": running.panel.token}).json()
    utility = Path(os.environ["HOME"]) / ".local/share/DaVinciResolve/Fusion/Scripts/Utility"
    assert str(utility) in answer["message"] and (utility / "aivp Open Panel.lua").is_file() and (utility / "aivp Apply Edit.lua").is_file()


def test_init_with_panel_makes_the_project_and_opens_its_panel(tmp_path: Path) -> None:
    root = tmp_path / "new song"
    started = subprocess.Popen([sys.executable, "-m", "aivp_nle", "init", str(root), "--no-grain", "--panel"],
                               env={**os.environ, "BROWSER": "true"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = _eventually(lambda: (root / "aivp.toml").is_file() and running_panel(open_project(root)), seconds=60)
        assert httpx.get(url.replace("/?token=", "/api/state?token=")).json()["project"] == "new song"
    finally:
        started.send_signal(signal.SIGTERM)
        started.communicate(timeout=30)
    assert started.returncode == 0 and not (root / ".aivp" / "panel.json").exists()  # stopped cleanly


def test_the_last_qc_shows_each_files_verdict_and_first_problem(project: Project) -> None:
    assert panel_state(project)["qc"] == []
    qc_with_report(project)
    found = panel_state(project)["qc"]
    assert [f["file"] for f in found][:3] == ["blue_v001.mp4", "green_v001.mp4", "red_v001.mp4"]
    assert all(f["verdict"] in ("pass", "warn", "fail") for f in found)
