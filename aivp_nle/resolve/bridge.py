"""The one module that talks to DaVinci Resolve, and the Python executor of our Resolve plans.

Every Resolve call aivp-nle makes is in this file, type-checked against the `fusionscript-stubs`
package. Resolve fails silently (None or False, no message), so every step reads back what it
changed and reports any difference in plain words; nothing here raises on Resolve's account.

It uses the standard library only: `aivp resolve install-scripts` copies it beside the Python
Workspace > Scripts entries, because Resolve's own interpreter cannot import our package.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from fusionscript import (
        Folder,
        MarkerColor,
        MediaPool,
        Project,
        RenderSettings,
        Resolve,
        Timeline,
        TimelineImportOptions,
        TrackType,
    )

__all__ = ["Bridge", "Report", "choose_plan", "connect", "current_project_name", "edition", "main", "run_plan"]

SCRIPT_LIB = {
    "darwin": "/Applications/DaVinci Resolve/DaVinci Resolve.app/Contents/Libraries/Fusion/fusionscript.so",
    "win32": r"C:\Program Files\Blackmagic Design\DaVinci Resolve\fusionscript.dll",
    "linux": "/opt/resolve/libs/Fusion/fusionscript.so",
}


class Report:
    """What happened, step by step: what was done and verified, and every difference found."""

    def __init__(self) -> None:
        self.done: list[str] = []
        self.problems: list[str] = []

    def ok(self, text: str) -> None:
        self.done.append(text)

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def text(self) -> str:
        lines = [f"  ok: {line}" for line in self.done] + [f"  PROBLEM: {line}" for line in self.problems]
        verdict = "aivp: done, every step verified" if not self.problems else f"aivp: {len(self.problems)} problem(s)"
        return "\n".join([verdict, *lines])


def _load_fusionscript() -> Any:
    """Resolve's external scripting library, loaded without the `imp` module its own loader needs."""
    library = os.environ.get("RESOLVE_SCRIPT_LIB") or SCRIPT_LIB.get(sys.platform, SCRIPT_LIB["linux"])
    if not os.path.isfile(library):
        return None
    spec = importlib.util.spec_from_file_location("fusionscript", library)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def connect(namespace: dict[str, Any] | None = None) -> Resolve | None:
    """The running Resolve: the in-app `resolve` global, else `bmd.scriptapp`, else external (Studio only)."""
    namespace = namespace if namespace is not None else vars(sys.modules["__main__"])
    app = namespace.get("resolve")
    if app is None and namespace.get("bmd") is not None:
        app = namespace["bmd"].scriptapp("Resolve")
    if app is None:
        fusionscript = _load_fusionscript()
        app = fusionscript.scriptapp("Resolve") if fusionscript is not None else None
    return cast("Resolve | None", app)


def edition(resolve: Resolve) -> str:
    version = resolve.GetVersionString() or "?"
    return f"{resolve.GetProductName() or 'DaVinci Resolve'} {version}"


class Bridge:
    def __init__(self, resolve: Resolve, report: Report, manual: str = "") -> None:
        self.resolve = resolve
        self.report = report
        self.manual = manual  # how to import by hand, said when Resolve refuses every file

    def project(self) -> Project | None:
        manager = self.resolve.GetProjectManager()
        project = manager.GetCurrentProject() if manager else None
        if not project:
            self.report.problem("no project is open in Resolve; open or create one, then run this again")
            return None
        return project

    # --- conform -------------------------------------------------------------------------------

    def conform(self, project: Project, step: dict[str, Any]) -> None:
        rate = str(step["frame_rate"])
        current = project.GetSetting("timelineFrameRate")
        if _same_rate(current, rate):
            self.report.ok(f"frame rate is {rate} fps")
        elif project.GetTimelineCount() or _has_media(project.GetMediaPool()):
            self.report.problem(
                f"the project runs at {current} fps and Resolve locks the rate once media or timelines are in it; "
                f"the edit needs {rate} fps. Create a new empty project and run 'aivp Conform Project' there first"
            )
        else:
            self._setting(project, "timelineFrameRate", rate, "frame rate")
        self._setting(project, "timelineResolutionWidth", str(step["width"]), "timeline width")
        self._setting(project, "timelineResolutionHeight", str(step["height"]), "timeline height")
        self._setting(project, "colorScienceMode", str(step["color_science"]), "colour science")
        self._setting(project, "separateColorSpaceAndGamma", "0", "combined colour space and gamma")
        self._setting(project, "colorSpaceTimeline", str(step["color_space"]), "timeline colour space")
        self._setting(project, "colorSpaceOutput", str(step["color_space"]), "output colour space")

    def _setting(self, project: Project, key: str, value: str, label: str) -> None:
        if not project.SetSetting(key, value):
            self.report.problem(f"Resolve refused {label} = {value} (setting {key})")
            return
        seen = project.GetSetting(key)
        if seen != value:
            self.report.problem(f"{label} reads {seen!r} after setting {value!r} (setting {key})")
        else:
            self.report.ok(f"{label} is {value}")

    # --- import ----------------------------------------------------------------------------------

    def import_edit(self, project: Project, step: dict[str, Any]) -> None:
        pool = project.GetMediaPool()
        root = pool.GetRootFolder() if pool else None
        if not pool or not root:
            self.report.problem("Resolve gave no media pool for this project")
            return
        for media in step["bins"]:
            self._fill_bin(pool, root, list(media["bin"]), list(media["files"]))
        pool.SetCurrentFolder(root)
        name = self._unique_name(project, str(step["timeline_name"]))
        timeline = self._import_timeline(project, pool, step, name)
        if timeline is None:
            return
        if not project.SetCurrentTimeline(timeline):
            self.report.problem(f"Resolve did not make {name!r} the current timeline")
        self._check_tracks(timeline, step)
        grain = step.get("grain")
        if grain:
            self._set_grain(timeline, grain)

    def _fill_bin(self, pool: MediaPool, root: Folder, path: list[str], files: list[str]) -> None:
        folder = root
        for name in path:
            found = next((f for f in folder.GetSubFolderList() or [] if f.GetName() == name), None)
            if found is None:
                found = pool.AddSubFolder(folder, name)
            if not found:
                self.report.problem(f"Resolve did not create the bin {'/'.join(path)}")
                return
            folder = found
        present = {clip.GetName() for clip in folder.GetClipList() or []}
        wanted = [f for f in files if os.path.basename(f) not in present]
        if wanted:
            pool.SetCurrentFolder(folder)
            pool.ImportMedia(wanted)
        present = {clip.GetName() for clip in folder.GetClipList() or []}
        missing = [os.path.basename(f) for f in files if os.path.basename(f) not in present]
        if missing:
            self.report.problem(f"bin {'/'.join(path)} lacks {', '.join(missing)}: Resolve did not import them (offline, or a format it cannot read)")
        else:
            self.report.ok(f"bin {'/'.join(path)} holds its {len(files)} file(s)")

    def _unique_name(self, project: Project, wanted: str) -> str:
        timelines = (project.GetTimelineByIndex(i) for i in range(1, (project.GetTimelineCount() or 0) + 1))
        taken = {timeline.GetName() for timeline in timelines if timeline}
        name, number = wanted, 1
        while name in taken:  # Resolve refuses a duplicate timeline name, silently
            number += 1
            name = f"{wanted} ({number})"
        return name

    def _import_timeline(self, project: Project, pool: MediaPool, step: dict[str, Any], name: str) -> Timeline | None:
        options = cast("TimelineImportOptions", {
            "timelineName": name, "importSourceClips": True, "sourceClipsPath": str(step["source_clips_path"]),
        })
        for path in step["timeline_files"]:
            timeline = pool.ImportTimelineFromFile(str(path), options)
            if timeline:
                self.report.ok(f"timeline {name!r} imported from {os.path.basename(str(path))}")
                return timeline
            self.report.ok(f"Resolve did not import {os.path.basename(str(path))}; trying the next format")
        self.report.problem(f"Resolve imported none of the timeline files. {self.manual}")
        return None

    def _check_tracks(self, timeline: Timeline, step: dict[str, Any]) -> None:
        for index, expected in enumerate(step["video_items"], start=1):
            items = timeline.GetItemListInTrack("video", index) or []
            if len(items) != expected:
                self.report.problem(f"video track {index} holds {len(items)} clip(s), the edit has {expected}")
        kinds: tuple[tuple[TrackType, list[str]], ...] = (("video", step["video_names"]), ("audio", step["audio_names"]))
        for kind, names in kinds:
            for index, name in enumerate(names, start=1):
                if not timeline.SetTrackName(kind, index, name) or timeline.GetTrackName(kind, index) != name:
                    self.report.problem(f"{kind} track {index} is not named {name!r}")
        off: tuple[tuple[TrackType, str, str], ...] = (
            ("video", "disabled_video", "it is an angle under the cut"),
            ("audio", "disabled_audio", "the edit does not play it"),
        )
        for kind, key, why in off:
            for index in step.get(key, []):
                timeline.SetTrackEnable(kind, index, False)
                if timeline.GetIsTrackEnabled(kind, index) is not False:
                    self.report.problem(f"{kind} track {index} is not confirmed off; switch it off by hand ({why})")
        for level in step.get("audio_levels", []):
            self.report.ok(
                f"audio track {level['track']} ({level['name']}): its clips come in at {float(level['gain_db']):+g} dB "
                "(Resolve's scripting cannot read a level back: check one clip's Volume in the Inspector)"
            )
        self.report.ok(f"{len(step['video_items'])} video and {len(step['audio_names'])} audio tracks checked")

    def _set_grain(self, timeline: Timeline, grain: dict[str, Any]) -> None:
        mode = getattr(self.resolve, str(grain["composite_mode"]), None)
        mode = mode if isinstance(mode, int) else int(grain["composite_fallback"])
        opacity = float(grain["opacity"])
        items = timeline.GetItemListInTrack("video", int(grain["track"])) or []
        wrong = 0
        for item in items:
            item.SetProperty("CompositeMode", mode)
            item.SetProperty("Opacity", opacity)
            if item.GetProperty("CompositeMode") != mode or item.GetProperty("Opacity") != opacity:
                wrong += 1
        if not items or wrong:
            self.report.problem(
                f"grain track {grain['track']}: {wrong or 'no'} of {len(items)} clip(s) not at Overlay {opacity:g} %; "
                "set Composite Mode and Opacity in the Inspector"
            )
        else:
            self.report.ok(f"grain: {len(items)} clip(s) at composite mode {mode}, opacity {opacity:g} %")

    # --- markers, renders ------------------------------------------------------------------------

    def markers(self, project: Project, step: dict[str, Any]) -> None:
        timeline = project.GetCurrentTimeline()
        if not timeline:
            self.report.problem("no current timeline for the beat markers; open the edit's timeline first")
            return
        present = timeline.GetMarkers() or {}
        for marker in step["markers"]:
            if float(marker["frame"]) not in present:
                color = cast("MarkerColor", marker["color"])
                timeline.AddMarker(float(marker["frame"]), color, str(marker["name"]), str(marker["note"]), 1.0, "aivp")
        present = timeline.GetMarkers() or {}
        missing = [m["frame"] for m in step["markers"] if float(m["frame"]) not in present]
        if missing:
            self.report.problem(f"{len(missing)} of {len(step['markers'])} beat markers are not on the timeline (first at frame {missing[0]})")
        else:
            self.report.ok(f"{len(step['markers'])} beat markers on {timeline.GetName()!r}")

    def renders(self, project: Project, step: dict[str, Any]) -> None:
        for job in step["jobs"]:
            label = str(job["name"])
            if not project.SetCurrentRenderFormatAndCodec(str(job["format"]), str(job["codec"])):
                self.report.problem(f"render {label}: Resolve has no {job['format']}/{job['codec']} here")
                continue
            settings = cast("RenderSettings", {
                "SelectAllFrames": True, "TargetDir": str(job["target_dir"]), "CustomName": str(job["file_name"]),
                "FormatWidth": int(job["width"]), "FormatHeight": int(job["height"]), "FrameRate": float(job["frame_rate"]),
                "ExportVideo": True, "ExportAudio": True,
            })
            if not project.SetRenderSettings(settings):
                self.report.problem(f"render {label}: Resolve refused its settings (one bad value voids them all)")
                continue
            job_id = project.AddRenderJob()
            queued = [j for j in project.GetRenderJobList() or [] if cast("dict[str, Any]", j).get("JobId") == job_id]
            if not job_id or not queued:
                self.report.problem(f"render {label}: Resolve did not queue the job")
                continue
            self.report.ok(f"render {label} queued: {os.path.join(str(job['target_dir']), str(job['file_name']))}.{job['format']}")


def _same_rate(current: str | None, wanted: str) -> bool:
    try:
        return current is not None and abs(float(current) - float(wanted)) < 1e-6
    except ValueError:
        return False


def _has_media(pool: MediaPool | None) -> bool:
    if not pool:
        return False
    folders = [pool.GetRootFolder()]
    while folders:
        folder = folders.pop()
        if not folder:
            continue
        if folder.GetClipList():
            return True
        folders.extend(folder.GetSubFolderList() or [])
    return False


def run_plan(resolve: Resolve, plan: dict[str, Any], actions: list[str]) -> Report:
    report = Report()
    report.ok(f"connected to {edition(resolve)}")
    bridge = Bridge(resolve, report, str(plan.get("manual_import", "")))
    project = bridge.project()
    if project is None:
        return report
    handlers = {"conform": bridge.conform, "import": bridge.import_edit, "markers": bridge.markers, "renders": bridge.renders}
    for step in plan["steps"]:
        if step["action"] in actions:
            handlers[step["action"]](project, step)
    return report


def plan_folder() -> Path:
    """Where `aivp resolve plan` leaves the newest plan for the in-app scripts."""
    base = os.environ.get("APPDATA") if sys.platform == "win32" else os.path.expanduser("~")
    return Path(base or os.path.expanduser("~")) / (".aivp" if sys.platform != "win32" else "aivp") / "resolve"


def choose_plan(current: str | None, plans: Path | None = None) -> tuple[Path | None, str]:
    """Which project's plan an in-app entry applies: the one named like the open Resolve project,
    else the one `aivp resolve select` chose, else the only one; (None, what to do) otherwise."""
    plans = plans or plan_folder() / "projects"
    try:
        index = json.loads((plans / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, f"no plan in {plans}. Run `aivp resolve plan PROJECT` first."
    projects = index.get("projects") or []
    named = [p for p in projects if current and p.get("name", "").casefold() == current.casefold()]
    chosen = [p for p in projects if p.get("key") == index.get("selected")]
    for found, why in ((named, f"named like the open Resolve project {current!r}"), (chosen, "chosen with `aivp resolve select`"),
                       (projects if len(projects) == 1 else [], "the only project planned")):
        if found:
            return plans / found[-1]["key"] / "plan.json", f"{found[-1].get('name')} ({why})"
    listed = ", ".join(sorted(p.get("name", "?") for p in projects)) or "none"
    return None, (f"the open Resolve project {current!r} is named like none of the planned projects ({listed}). Name it like "
                  "one of them, or run `aivp resolve select PROJECT`.")


def current_project_name(resolve: Resolve | None) -> str | None:
    manager = resolve.GetProjectManager() if resolve is not None else None
    project = manager.GetCurrentProject() if manager is not None else None
    return project.GetName() if project is not None else None


def main(actions: list[str], namespace: dict[str, Any] | None = None) -> Report | None:
    """What a Workspace > Scripts entry runs: choose this project's plan, connect, apply, print the report."""
    resolve = connect(namespace)
    path, why = choose_plan(current_project_name(resolve))
    if path is None or not path.is_file():
        print(f"aivp: {why}" if path is None else f"aivp: no plan at {path}. Run `aivp resolve plan PROJECT` again.")
        return None
    plan = json.loads(path.read_text(encoding="utf-8"))
    if resolve is None:
        print(f"aivp: this Resolve does not run scripts here. {plan['manual_import']}")
        return None
    print(f"aivp: applying the plan of {why}")
    report = run_plan(resolve, plan, actions)
    print(report.text())
    return report
