"""DaVinci Resolve: plans, the Python bridge and the Lua executor against a fake that follows the stubs."""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aivp_nle.cli import main
from aivp_nle.ffmpeg import FFmpeg
from aivp_nle.pipeline import build_project
from aivp_nle.project import Project, add_file, open_project
from aivp_nle.resolve import bridge
from aivp_nle.resolve.install import install_scripts, scripts_folder
from aivp_nle.resolve.plan import ACTIONS, AudioLevel, ResolvePlan
from aivp_nle.resolve.planner import plan_for_project, project_key, select_project, write_plan

from . import fake_resolve as fakes
from .conftest import ProjectMaker
from .lipsync_media import make_stems
from .lua_resolve import LUA, run_lua


def _stub_file() -> Path:
    import site

    for root in [*site.getsitepackages(), site.getusersitepackages()]:
        candidate = Path(root) / "fusionscript-stubs" / "fusionscript.pyi"
        if candidate.is_file():
            return candidate
    pytest.skip("fusionscript-stubs is not installed")
    raise AssertionError


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Plans and executors go to ~/.aivp/resolve: keep them out of the real home."""
    folder = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(folder))
        yield folder


@pytest.fixture(scope="module")
def project(home: Path, tmp_path_factory: pytest.TempPathFactory, project_with_takes: ProjectMaker, make: Any) -> Project:
    settings = {"grain": {"asset": "06_Edit/assets/film_grain.mp4"}}
    project = project_with_takes(tmp_path_factory.mktemp("resolve") / "My Video ü", config=settings, grain=make("grain"))
    build_project(project)
    return project


@pytest.fixture(scope="module")
def plan(project: Project) -> ResolvePlan:
    plan = plan_for_project(project)
    write_plan(plan, project)
    return plan


@pytest.fixture
def plan_dict(plan: ResolvePlan) -> dict[str, Any]:
    return plan.model_dump(mode="json")


def _run_python(plan_dict: dict[str, Any], actions: tuple[str, ...] = tuple(ACTIONS), studio: fakes.Studio | None = None) -> tuple[bridge.Report, fakes.Studio, fakes.FakeResolve]:
    studio = studio or fakes.Studio()
    resolve = fakes.FakeResolve(studio)
    return bridge.run_plan(resolve, plan_dict, actions), studio, resolve  # type: ignore[arg-type]


def _applying(calls: list[tuple[str, str, tuple[Any, ...]]]) -> list[tuple[str, str, tuple[Any, ...]]]:
    """The calls from the plan's first step on (an entry first asks which Resolve project is open, to choose the plan)."""
    asking = ["GetProjectManager", "GetCurrentProject", "GetName"]
    start = 0
    while start < len(asking) and start < len(calls) and calls[start][1] == asking[start]:
        start += 1
    return calls[start:]


def _normal(calls: list[tuple[str, str, tuple[Any, ...]]]) -> list[tuple[str, str, str]]:
    """Calls with arguments as text, numbers made alike (Lua has one number type) and objects by kind."""
    def plain(value: Any) -> Any:
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return value
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in sorted(value.items())}
        return type(value).__name__
    return [(kind, method, json.dumps(plain(list(args)), sort_keys=True)) for kind, method, args in calls]


# --- the fake follows the stubs --------------------------------------------------------------------

def _stub_signatures() -> dict[str, dict[str, set[tuple[str, ...]]]]:
    tree = ast.parse(_stub_file().read_text(encoding="utf-8"))
    classes: dict[str, dict[str, set[tuple[str, ...]]]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            methods = classes.setdefault(node.name, {})
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    methods.setdefault(item.name, set()).add(tuple(a.arg for a in item.args.args[1:]))
    return classes


def test_every_method_of_the_fake_exists_in_the_stubs_with_the_same_parameters() -> None:
    stubs = _stub_signatures()
    checked = 0
    for name, fake in inspect.getmembers(fakes, inspect.isclass):
        if not name.startswith("Fake"):
            continue
        declared = stubs[name.removeprefix("Fake")]
        for method, function in vars(fake).items():
            if method.startswith("_") or not callable(function):
                continue
            parameters = tuple(list(inspect.signature(function).parameters)[1:])
            assert method in declared, f"{name}.{method} is not in the stubs"
            assert parameters in declared[method], f"{name}.{method}{parameters} differs from the stubs {declared[method]}"
            checked += 1
    assert checked >= 40


def test_the_fake_refuses_misuse_the_way_resolve_does(plan: ResolvePlan, plan_dict: dict[str, Any]) -> None:
    report, studio, resolve = _run_python(plan_dict)
    project = resolve.GetProjectManager().GetCurrentProject()
    pool, timeline = project.GetMediaPool(), project.GetCurrentTimeline()
    step = next(s for s in plan_dict["steps"] if s["action"] == "import")
    same_name = {"timelineName": timeline.GetName(), "importSourceClips": True}
    assert pool.ImportTimelineFromFile(step["timeline_files"][0], same_name) is None  # duplicate name
    assert project.SetSetting("timelineFrameRate", "30") is False  # locked once media is in
    assert timeline.SetSetting("timelineResolutionWidth", "1920") is False  # before useCustomSettings
    assert timeline.SetSetting("useCustomSettings", "1") and timeline.SetSetting("timelineResolutionWidth", "1920")
    assert resolve.GetTimelineByName is None and resolve.COMPOSITE_OVERLAY == 6  # unknown → None; constants live
    assert pool.CreateEmptyTimeline(timeline.GetName()) is None  # duplicate name again
    empty = pool.CreateEmptyTimeline("appending")
    assert project.SetCurrentTimeline(empty)
    item = pool.GetRootFolder().GetSubFolderList()[0].GetSubFolderList()[0].GetSubFolderList()[0].GetClipList()[0]
    first = pool.AppendToTimeline([{"mediaPoolItem": item, "startFrame": 0, "endFrame": 24, "trackIndex": 1, "recordFrame": 0}])
    overlapping = pool.AppendToTimeline([{"mediaPoolItem": item, "startFrame": 0, "endFrame": 24, "trackIndex": 1, "recordFrame": 12}])
    assert len(first) == 1 and overlapping == []  # the later, overlapping item is dropped silently
    assert len(empty.GetItemListInTrack("video", 1)) == 1


# --- plans ---------------------------------------------------------------------------------------

def test_the_plan_puts_media_in_bins_named_after_the_project_layout(plan: ResolvePlan, project: Project) -> None:
    step = next(s for s in plan.steps if s.action == "import")
    bins = {"/".join(b.bin): [Path(f).name for f in b.files] for b in step.bins}
    assert bins == {
        "03_Generations/v1_exploration/red": ["red_v001.mp4"],
        "03_Generations/v1_exploration/green": ["green_v001.mp4"],
        "03_Generations/v1_exploration/blue": ["blue_v001.mp4"],
        "06_Edit/assets": ["film_grain.mp4"],
        "04_Audio": ["song_v001.wav"],
    }
    assert [Path(f).suffix for f in step.timeline_files] == [".otio", ".fcpxml", ".xml"]
    assert all(Path(f).is_file() for f in step.timeline_files)
    assert step.grain is not None and step.grain.opacity == 30.0 and step.grain.track == 5
    assert step.disabled_video == [1, 2, 3] and step.timeline_name == "beatcut_v001"


def test_the_plan_reads_the_same_in_lua_as_in_json(plan: ResolvePlan, home: Path, project: Project) -> None:
    if LUA is None:
        pytest.skip("no Lua interpreter")
    script = (
        "local function dump(v) if type(v) == 'table' then local keys = {} for k in pairs(v) do table.insert(keys, k) end "
        "table.sort(keys, function(a, b) return tostring(a) < tostring(b) end) local out = {} for _, k in ipairs(keys) do "
        "table.insert(out, tostring(k) .. '=' .. dump(v[k])) end return '{' .. table.concat(out, ',') .. '}' end return tostring(v) end "
        f"io.write(dump(dofile('{home}/.aivp/resolve/projects/{project_key(project)}/plan.lua')))"
    )
    lua = subprocess.run([LUA, "-e", script], capture_output=True, text=True, check=True).stdout

    def dump(value: Any) -> str:
        if isinstance(value, dict):
            return "{" + ",".join(f"{k}={dump(v)}" for k, v in sorted(value.items()) if v is not None) + "}"
        if isinstance(value, list):
            return "{" + ",".join(f"{i}={dump(v)}" for i, v in sorted((str(i + 1), v) for i, v in enumerate(value))) + "}"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    assert lua == dump(plan.model_dump(mode="json"))


# --- executors -----------------------------------------------------------------------------------

def test_the_python_bridge_applies_every_step_and_verifies_it(plan_dict: dict[str, Any]) -> None:
    report, studio, resolve = _run_python(plan_dict)
    assert report.problems == [], report.text()
    project = resolve.GetProjectManager().GetCurrentProject()
    assert project.GetSetting("timelineFrameRate") == "24" and project.GetSetting("timelineResolutionWidth") == "3840"
    timeline = project.GetCurrentTimeline()
    assert timeline.GetName() == "beatcut_v001"
    assert [timeline.GetTrackName("video", i) for i in range(1, 6)] == ["blue", "green", "red", "Cut", "Grain"]
    assert [timeline.GetIsTrackEnabled("video", i) for i in range(1, 6)] == [False, False, False, True, True]
    grain = timeline.GetItemListInTrack("video", 5)
    assert grain and all(i.GetProperty("CompositeMode") == 6 and i.GetProperty("Opacity") == 30.0 for i in grain)
    markers = timeline.GetMarkers()
    assert len(markers) == 24 and {m["color"] for m in markers.values()} == {"Red", "Green"}
    assert [j["JobId"] for j in project.GetRenderJobList()] == ["job-1", "job-2"]


def test_running_twice_makes_a_second_timeline_with_a_unique_name(plan_dict: dict[str, Any]) -> None:
    studio = fakes.Studio()
    resolve = fakes.FakeResolve(studio)
    bridge.run_plan(resolve, plan_dict, ["import"])  # type: ignore[arg-type]
    again = bridge.run_plan(resolve, plan_dict, ["import"])  # type: ignore[arg-type]
    assert again.problems == [] and any("'beatcut_v001 (2)'" in line for line in again.done)


def test_a_project_with_media_at_another_rate_is_explained_not_forced(plan_dict: dict[str, Any]) -> None:
    studio = fakes.Studio()
    resolve = fakes.FakeResolve(studio)
    bridge.run_plan(resolve, plan_dict, ["import"])  # type: ignore[arg-type]
    report = bridge.run_plan(resolve, plan_dict, ["conform"])  # type: ignore[arg-type]
    assert any("locks the rate once media or timelines are in it" in p and "new empty project" in p for p in report.problems)


@pytest.mark.skipif(LUA is None, reason="no Lua interpreter")
def test_the_lua_executor_makes_the_same_calls_as_the_python_bridge(plan_dict: dict[str, Any], plan: ResolvePlan, home: Path) -> None:
    python_report, python_studio, _ = _run_python(plan_dict)
    lua_studio = fakes.Studio()
    printed, lua_report = run_lua(fakes.FakeResolve(lua_studio), home / ".aivp" / "resolve", list(ACTIONS))
    assert _normal(_applying(lua_studio.calls)) == _normal(python_studio.calls)
    assert len(lua_studio.calls) > 100
    assert lua_report["problems"] == [] and len(lua_report["done"]) == len(python_report.done)
    assert printed[-1].splitlines()[0] == "aivp: done, every step verified"


# Answers we can do without: names only shown in messages, a folder choice ImportMedia is checked for
# anyway, calls whose effect is read back by another (AddMarker by GetMarkers, ImportMedia by the clip list).
SILENT_BUT_HARMLESS = {
    "Resolve.GetProductName", "Resolve.GetVersionString", "Timeline.GetName", "MediaPool.SetCurrentFolder",
    "Folder.GetSubFolderList", "Folder.GetName", "Project.GetTimelineCount", "Timeline.AddMarker", "MediaPool.ImportMedia",
}


def _every_method_called(plan_dict: dict[str, Any]) -> list[str]:
    _, studio, _ = _run_python(plan_dict)
    return sorted({f"{kind}.{method}" for kind, method, _ in studio.calls})


@pytest.mark.parametrize("answer", [None, False])
def test_every_silent_failure_is_reported_not_a_crash_and_not_silence(plan_dict: dict[str, Any], answer: Any) -> None:
    quiet = []
    for method in _every_method_called(plan_dict):
        if method == "Timeline.GetIsTrackEnabled" and answer is False:
            continue  # False is the answer we want there: the angle track is off
        studio = fakes.Studio()
        studio.fail[method] = answer
        report, _, _ = _run_python(plan_dict, studio=studio)
        if not report.problems and method not in SILENT_BUT_HARMLESS:
            quiet.append(method)
    assert quiet == [], f"Resolve answering {answer} went unreported for {quiet}"


@pytest.mark.skipif(LUA is None, reason="no Lua interpreter")
def test_the_lua_executor_reports_the_same_silent_failures(plan_dict: dict[str, Any], home: Path) -> None:
    for method in ("Project.SetSetting", "MediaPool.ImportTimelineFromFile", "TimelineItem.SetProperty", "Project.AddRenderJob"):
        python_studio, lua_studio = fakes.Studio(), fakes.Studio()
        python_studio.fail[method] = lua_studio.fail[method] = None
        python_report, _, _ = _run_python(plan_dict, studio=python_studio)
        _, lua_report = run_lua(fakes.FakeResolve(lua_studio), home / ".aivp" / "resolve", list(ACTIONS))
        assert len(lua_report["problems"]) == len(python_report.problems) > 0, method
        assert _normal(_applying(lua_studio.calls)) == _normal(python_studio.calls), method


# --- editions: when Resolve will not run the script ----------------------------------------------

def test_the_python_entry_without_a_resolve_says_which_file_to_import(plan: ResolvePlan, capsys: pytest.CaptureFixture[str]) -> None:
    assert bridge.main(["import"], namespace={}) is None
    out = capsys.readouterr().out
    assert "does not run scripts here" in out and "File > Import > Timeline" in out and "_resolve.otio" in out


@pytest.mark.skipif(LUA is None, reason="no Lua interpreter")
def test_the_lua_entry_without_a_resolve_says_which_file_to_import(plan: ResolvePlan, home: Path) -> None:
    printed, report = run_lua(None, home / ".aivp" / "resolve", ["import"])
    assert not report and "File > Import > Timeline" in printed[0] and "_resolve.otio" in printed[0]


def test_push_without_studio_explains_editions_and_the_manual_route(project: Project) -> None:
    result = CliRunner().invoke(main, ["resolve", "push", str(project.root)])
    assert result.exit_code == 1
    assert "only in DaVinci Resolve Studio" in result.output and "File > Import > Timeline" in result.output


# --- installing the entries ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("platform", "scope", "env", "expected"),
    [
        ("darwin", "user", {"HOME": "/Users/ana"}, "/Users/ana/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts/Utility"),
        ("darwin", "all", {"HOME": "/Users/ana"}, "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts/Utility"),
        ("win32", "user", {"APPDATA": "C:/Users/ana/AppData/Roaming"}, "C:/Users/ana/AppData/Roaming/Blackmagic Design/DaVinci Resolve/Support/Fusion/Scripts/Utility"),
        ("win32", "all", {"PROGRAMDATA": "C:/ProgramData"}, "C:/ProgramData/Blackmagic Design/DaVinci Resolve/Fusion/Scripts/Utility"),
        ("linux", "user", {"HOME": "/home/ana"}, "/home/ana/.local/share/DaVinciResolve/Fusion/Scripts/Utility"),
        ("linux", "all", {"HOME": "/home/ana"}, "/opt/resolve/Fusion/Scripts/Utility"),
    ],
)
def test_scripts_go_where_each_os_resolve_looks(platform: str, scope: Any, env: dict[str, str], expected: str) -> None:
    assert scripts_folder(scope, platform, env) == Path(expected)


def test_install_puts_lua_and_python_entries_in_place_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    first = install_scripts(tmp_path / "Utility", tmp_path / "support")
    names = sorted(p.name for p in (tmp_path / "Utility").iterdir())
    assert {n.rsplit(".", 1)[1] for n in names} == {"lua", "py"} and len(names) == 12
    assert "aivp Apply Edit.lua" in names and "aivp Open Panel.lua" in names and (tmp_path / "support" / "executor.lua").is_file()
    assert (tmp_path / "support" / "aivp_command.txt").read_text().strip() == sys.executable  # Resolve has no PATH of ours
    assert len(first) == 16 and install_scripts(tmp_path / "Utility", tmp_path / "support") == []


def test_the_installed_python_entry_runs_with_only_the_standard_library(tmp_path: Path, plan: ResolvePlan, home: Path) -> None:
    install_scripts(tmp_path / "Utility", home / ".aivp" / "resolve")
    entry = tmp_path / "Utility" / "aivp Import Edit.py"
    done = subprocess.run([sys.executable, "-I", "-S", str(entry)], capture_output=True, text=True, env={"HOME": str(home)}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "File > Import > Timeline" in done.stdout  # no Resolve here: it says what to import by hand


def test_the_bridge_type_checks_against_fusionscript_stubs() -> None:
    pytest.importorskip("mypy")
    _stub_file()
    package = Path(__file__).resolve().parent.parent / "aivp_nle"
    done = subprocess.run([sys.executable, "-m", "mypy", str(package)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


# --- the sound -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stems_project(home: Path, tmp_path_factory: pytest.TempPathFactory, project_with_takes: ProjectMaker, ff: FFmpeg) -> Project:
    """An edit that plays the stems (the vocal 6 dB down) and keeps the mix muted."""
    settings = {"audio": {"play": "stems", "vocals_db": -6.0}}
    project = project_with_takes(tmp_path_factory.mktemp("stems") / "mv", config=settings, with_song=False)
    for stem in make_stems(tmp_path_factory.mktemp("stem_files"), ff).values():
        add_file(stem, project.audio_dir, stem.stem)
    project = open_project(project.root)
    build_project(project, ff)
    return project


LEVEL_SHOWN = ("audio track 3 (Vocals): its clips come in at -6 dB "
               "(Resolve's scripting cannot read a level back: check one clip's Volume in the Inspector)")


def test_resolve_mutes_the_sound_the_edit_does_not_play_and_shows_each_level(stems_project: Project) -> None:
    plan = plan_for_project(stems_project)
    step = next(s for s in plan.steps if s.action == "import")
    assert (step.disabled_audio, step.audio_levels) == ([1], [AudioLevel(track=3, name="Vocals", gain_db=-6.0)])
    report, _, resolve = _run_python(plan.model_dump(mode="json"))
    timeline = resolve.GetProjectManager().GetCurrentProject().GetCurrentTimeline()
    assert [(timeline.GetTrackName("audio", i), timeline.GetIsTrackEnabled("audio", i)) for i in (1, 2, 3)] == [
        ("Song", False), ("Instrumental", True), ("Vocals", True)]
    assert report.problems == [] and LEVEL_SHOWN in report.done


@pytest.mark.skipif(LUA is None, reason="no Lua interpreter")
def test_the_lua_executor_mutes_and_shows_levels_the_same_way(stems_project: Project, home: Path) -> None:
    plan = plan_for_project(stems_project)
    write_plan(plan, stems_project)
    _, python_studio, _ = _run_python(plan.model_dump(mode="json"))
    lua_studio = fakes.Studio()
    opened = fakes.FakeResolve(lua_studio, fakes.FakeProject(lua_studio, stems_project.root.name))  # the plan chosen by its name
    _, lua_report = run_lua(opened, home / ".aivp" / "resolve", list(ACTIONS))
    assert _normal(_applying(lua_studio.calls)) == _normal(python_studio.calls)
    assert lua_report["problems"] == [] and LEVEL_SHOWN in lua_report["done"]


# --- one plan per project ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def second(project: Project, project_with_takes: ProjectMaker, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Another planned project beside the first: the entries must apply the right one."""
    other = project_with_takes(tmp_path_factory.mktemp("other") / "Second Song")
    build_project(other)
    write_plan(plan_for_project(other), other)
    return other


def _opened_as(name: str) -> fakes.FakeResolve:
    studio = fakes.Studio()
    resolve = fakes.FakeResolve(studio)
    resolve.GetProjectManager().GetCurrentProject()._name = name  # noqa: SLF001 - the fake's open project
    return resolve


def test_each_project_keeps_its_own_plan(plan: ResolvePlan, project: Project, second: Project, home: Path) -> None:
    plans = home / ".aivp" / "resolve" / "projects"
    assert (plans / project_key(project) / "plan.json").is_file() and (plans / project_key(second) / "plan.json").is_file()


def test_the_python_entry_applies_the_plan_named_like_the_open_resolve_project(
    plan: ResolvePlan, project: Project, second: Project, capsys: pytest.CaptureFixture[str],
) -> None:
    for name in (project.root.name, second.root.name):
        report = bridge.main(["import"], namespace={"resolve": _opened_as(name)})
        out = capsys.readouterr().out
        assert report is not None and f"applying the plan of {name} (named like the open Resolve project" in out


def test_an_open_project_named_like_none_is_refused_with_the_choices(
    plan: ResolvePlan, project: Project, second: Project, home: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    index = home / ".aivp" / "resolve" / "projects" / "index.json"
    saved = index.read_bytes()
    data = json.loads(saved)
    index.write_text(json.dumps({**data, "selected": None}))
    try:
        assert bridge.main(["import"], namespace={"resolve": _opened_as("Untitled Project")}) is None
        out = capsys.readouterr().out
        assert "named like none of the planned projects" in out and project.root.name in out and second.root.name in out
        select_project(second)
        assert bridge.main(["import"], namespace={"resolve": _opened_as("Untitled Project")}) is not None
        assert f"applying the plan of {second.root.name} (chosen with `aivp resolve select`)" in capsys.readouterr().out
    finally:
        index.write_bytes(saved)


@pytest.mark.skipif(LUA is None, reason="no Lua interpreter")
def test_the_lua_entry_chooses_the_same_plan(plan: ResolvePlan, project: Project, second: Project, home: Path) -> None:
    printed, report = run_lua(_opened_as(second.root.name), home / ".aivp" / "resolve", ["import"])
    assert report and any(f"applying the plan of {second.root.name} (named like the open Resolve project" in line for line in printed)
