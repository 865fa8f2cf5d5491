"""The aivp window inside Resolve Studio (Workspace > Scripts > aivp Window): pick a project, Build,
Apply, read the report; behind the same commands as the panel.

Resolve's window toolkit (`fu.UIManager`, `bmd.UIDispatcher`) gives third-party scripts a window
in Studio only since 19.1; elsewhere this says so and points to `aivp panel`. Build runs `aivp
build --json` and `aivp resolve plan --json` with the Python that `install-scripts` recorded
(Resolve has no shell PATH of ours); Apply runs the bridge's `run_plan` here, in Resolve. Like the
bridge, this file is copied beside the plans and imports only the standard library and the bridge.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

try:
    from . import bridge
except ImportError:  # copied beside the plans: the bridge is a sibling module there
    import aivp_resolve_bridge as bridge  # type: ignore[import-not-found, no-redef]

__all__ = ["main"]

ACTIONS = ["conform", "import", "markers", "renders"]
NO_WINDOW = ("aivp: this Resolve gives scripts no window (the free edition, since 19.1). Use `aivp panel` "
             "(or Workspace > Scripts > aivp Open Panel) and aivp Apply Edit instead.")


def _aivp(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    python = (folder / "aivp_command.txt").read_text(encoding="utf-8").strip()
    return subprocess.run([python, "-m", "aivp_nle", *args], capture_output=True, text=True, timeout=3600)


def _projects(folder: Path) -> list[dict[str, Any]]:
    try:
        return list(json.loads((folder / "projects" / "index.json").read_text(encoding="utf-8")).get("projects", []))
    except (OSError, ValueError):
        return []


def main(namespace: dict[str, Any], folder: Path | None = None) -> None:
    folder = folder or bridge.plan_folder()
    fu, bmd = namespace.get("fu"), namespace.get("bmd")
    ui = getattr(fu, "UIManager", None) if fu is not None else None
    if ui is None or bmd is None:
        print(NO_WINDOW)
        return
    resolve = bridge.connect(namespace)
    projects = _projects(folder)
    dispatcher = bmd.UIDispatcher(ui)
    window = dispatcher.AddWindow({"ID": "aivpWindow", "WindowTitle": "aivp", "Geometry": [120, 120, 560, 440]}, ui.VGroup([
        ui.ComboBox({"ID": "Project"}),
        ui.HGroup([ui.Button({"ID": "Build", "Text": "Build"}), ui.Button({"ID": "Apply", "Text": "Apply"}),
                   ui.Button({"ID": "Panel", "Text": "Open Panel"})]),
        ui.TextEdit({"ID": "Report", "ReadOnly": True}),
    ]))
    items = window.GetItems()
    for project in projects:
        items["Project"].AddItem(project["name"])
    current = bridge.current_project_name(resolve)
    named = [i for i, p in enumerate(projects) if current and p["name"].lower() == current.lower()]
    items["Project"].CurrentIndex = named[0] if named else 0
    items["Report"].PlainText = "" if projects else "no project planned yet: `aivp resolve plan PROJECT`, or Apply in `aivp panel`"

    def chosen() -> dict[str, Any] | None:
        index = int(items["Project"].CurrentIndex or 0)
        return projects[index] if 0 <= index < len(projects) else None

    def show(text: str) -> None:
        items["Report"].PlainText = text

    def build(event: Any) -> None:
        project = chosen()
        if project is None:
            return show("no project chosen")
        built = _aivp(folder, "build", project["root"], "--json")
        if built.returncode != 0:
            return show(built.stderr.strip())
        planned = _aivp(folder, "resolve", "plan", project["root"], "--json")
        cut = json.loads(built.stdout)
        show(f"built {Path(cut['beatcut']).name}: {cut['shots']} shots, {cut['seconds']} s"
             + ("" if planned.returncode == 0 else f"\n{planned.stderr.strip()}") + "".join(f"\nwarning: {w}" for w in cut["warnings"]))

    def apply(event: Any) -> None:
        project = chosen()
        if project is None or resolve is None:
            return show("no project chosen" if project is None else "no Resolve answered")
        plan = json.loads((folder / "projects" / project["key"] / "plan.json").read_text(encoding="utf-8"))
        show(bridge.run_plan(resolve, plan, ACTIONS).text())

    def panel(event: Any) -> None:
        project = chosen()
        if project is not None:
            python = (folder / "aivp_command.txt").read_text(encoding="utf-8").strip()
            subprocess.Popen([python, "-m", "aivp_nle", "panel", project["root"]], start_new_session=sys.platform != "win32")

    window.On.Build.Clicked = build
    window.On.Apply.Clicked = apply
    window.On.Panel.Clicked = panel
    window.On.aivpWindow.Close = lambda event: dispatcher.ExitLoop()
    window.Show()
    dispatcher.RunLoop()
    window.Hide()
