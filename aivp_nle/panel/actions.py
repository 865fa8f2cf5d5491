"""What the panel does, as library calls: the project as one snapshot, Build with the chosen cut,
the preview render, QC, Apply to Resolve. Each is what a command does (`build`, `render`, `qc
--project`, `resolve plan`/`push`, `status --json`), so no logic lives only in the panel."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from ..conform import problems
from ..edit import meta
from ..errors import AivpError, EditError
from ..ffmpeg import FFmpeg, locate
from ..files import next_version
from ..ingest.status import project_status
from ..pipeline import build_project
from ..probe import probe
from ..project import Project, open_project
from ..qc import QcReport, qc_project, read_checklist, write_report
from ..qc.checklist import FILE_NAME
from ..qc.edit import shots
from ..qc.pictures import beat_plot, contact_sheet
from ..render import render
from ..resolve.bridge import connect, run_plan
from ..resolve.install import install_scripts, scripts_folder
from ..resolve.plan import ACTIONS
from ..resolve.planner import plan_for_project, select_project, write_plan
from ..settings import update_sections
from ..timelines import load_timeline

if TYPE_CHECKING:
    from fusionscript import Resolve

__all__ = ["apply_to_resolve", "build_with", "conform_problems", "install_resolve_entries", "qc_findings", "panel_state", "pictures_of", "qc_with_report", "render_preview"]

EXPORTS = frozenset(f".{name}" for name in ("otio", "fcpxml", "xml", "edl", "aaf", "mlt", "kdenlive", "otioz")) | {".drp"}
_VERSION = re.compile(r"_v(\d+)$")


def pictures_of(edit: Path) -> tuple[Path, Path]:
    """Where the panel keeps an edit's contact sheet and beat plot."""
    folder = edit.parent / "qc"
    return folder / f"{edit.stem}_shots.png", folder / f"{edit.stem}_beats.png"


def _relative(project: Project, path: Path) -> str | None:
    return path.relative_to(project.root).as_posix() if path.is_file() else None


_PROBED: dict[tuple[Path, int, int], list[str]] = {}  # a take's conform problems, while it is unchanged


def conform_problems(project: Project, ff: FFmpeg | None = None) -> dict[str, list[str]]:
    """What `aivp conform check` says of each take the edit uses (probed again only when a file changes)."""
    found: dict[str, list[str]] = {}
    try:
        takes = project.latest_takes()
    except EditError:
        return found  # no takes yet: nothing to conform
    for take in takes:
        try:
            status = take.path.stat()
        except OSError:
            continue
        key = (take.path, status.st_mtime_ns, status.st_size)
        if key not in _PROBED:
            try:
                _PROBED[key] = problems(probe(take.path, ff or locate()), project.config.conform)
            except AivpError as error:
                _PROBED[key] = [str(error)]
        if _PROBED[key]:
            found[take.path.name] = _PROBED[key]
    return found


def _tempo(edit: Path) -> dict[str, Any]:
    """The newest edit's tempo, and the other metrical level when the tracker found it nearly as likely."""
    timeline = load_timeline(edit)
    bpm, other = meta.beats_bpm(timeline), meta.beats_other_level(timeline)
    return {"bpm": round(bpm, 2), "other_level": other,
            "other_bpm": round(bpm * (0.5 if other == "half" else 2.0), 2) if other else None}


def qc_findings(project: Project) -> list[dict[str, Any]]:
    """The last QC's verdict per file and its first problem (from 06_Edit/qc/report.json, `aivp qc --project`)."""
    try:
        reports = TypeAdapter(list[QcReport]).validate_json((project.edit_dir / "qc" / "report.json").read_bytes())
    except (OSError, ValueError):
        return []
    found = []
    for report in reports:
        worst = next((f for f in report.findings if f.severity == "fail"), report.findings[0] if report.findings else None)
        found.append({"file": Path(report.path).name, "verdict": report.verdict,
                      "problem": f"{worst.check}: {worst.what} -> {worst.action}" if worst else ""})
    return found


def panel_state(project: Project) -> dict[str, Any]:
    """Everything the page shows, read fresh: the watch folder may have filed a take since."""
    project = open_project(project.root)
    status = project_status(project)
    edits = sorted(project.edit_dir.glob("beatcut_v*.otio"), key=lambda p: int(m.group(1)) if (m := _VERSION.search(p.stem)) else 0)
    edits = [e for e in edits if _VERSION.search(e.stem)]
    previews = sorted(project.edit_dir.glob("preview_v*.mp4"))
    audio = sorted(p.name for p in project.audio_dir.iterdir() if p.is_file()) if project.audio_dir.is_dir() else []
    report = project.edit_dir / "qc" / "index.html"
    return {
        "project": project.root.name, "root": str(project.root),
        "takes": status.takes, "pending": status.pending, "quarantined": status.quarantined, "audio": audio,
        "cut": project.config.cut.model_dump(mode="json"), "grain": project.config.grain.model_dump(mode="json"),
        "beats": project.config.beats.model_dump(mode="json"), "conform": conform_problems(project),
        "tempo": _tempo(edits[-1]) if edits else None,
        "edits": [{"name": e.name, "shots": _relative(project, pictures_of(e)[0]), "beats": _relative(project, pictures_of(e)[1])}
                  for e in reversed(edits)],
        "previews": [_relative(project, p) for p in reversed(previews)],
        "qc_report": _relative(project, report), "qc": qc_findings(project),
        "exports": sorted(_relative(project, p) or "" for p in project.edit_dir.iterdir() if p.is_file()
                          and p.suffix.lower() in EXPORTS and not p.name.startswith(".")) if project.edit_dir.is_dir() else [],
    }


def build_with(project: Project, settings: Mapping[str, Mapping[str, object]], *, ff: FFmpeg | None = None,
               on_progress: Callable[[float], None] = lambda done: None) -> str:
    """Save the settings (section -> values: cut, beats level, grain opacity) in aivp.toml, build a
    new beat-cut, and make its contact sheet and beat plot."""
    ff = ff or locate()
    project = update_sections(project, settings)
    on_progress(0.1)
    result = build_project(project, ff)
    on_progress(0.7)
    found = shots(result.timeline)
    sheet, plot = pictures_of(result.beatcut)
    sheet.parent.mkdir(parents=True, exist_ok=True)
    if found:
        contact_sheet(result.timeline, found, result.beatcut.parent, sheet, ff)
    beat_plot(result.timeline, found, result.beatcut.parent, plot, ff)
    return f"built {result.beatcut.name}: {len(found)} shots" + "".join(f"; warning: {w}" for w in result.warnings)


def render_preview(project: Project, edit: Path | None = None, *, ff: FFmpeg | None = None,
                   on_progress: Callable[[float], None] = lambda done: None) -> str:
    """A quick preview of the edit (default: the newest) as the next `06_Edit/preview_vNNN.mp4`."""
    edit = edit or project.newest_edit()
    if edit is None:
        return "nothing to render yet: Build first"
    timeline = load_timeline(edit)
    written = next_version(project.edit_dir, "preview", ".mp4",
                           lambda output: render(timeline, output, media_root=edit.parent, ff=ff, on_progress=on_progress))
    return f"rendered {edit.name} to {written.name}"


def qc_with_report(project: Project, *, ff: FFmpeg | None = None, on_progress: Callable[[float], None] = lambda done: None) -> str:
    ff = ff or locate()
    reports = qc_project(project, ff, on_take=lambda path, number, count: on_progress(0.8 * (number - 1) / max(1, count)))
    folder = project.edit_dir / "qc"
    write_report(reports, folder, read_checklist(folder / FILE_NAME), project.root.name, ff)
    failed = sum(r.verdict == "fail" for r in reports)
    return f"QC of {len(reports)} item(s): {failed} failed" if failed else f"QC of {len(reports)} item(s): all pass"


def apply_to_resolve(project: Project, *, resolve: Resolve | None = None) -> dict[str, Any]:
    """Studio (external scripting answers): push and read back. Free edition: write this project's plan
    and say which Workspace entry applies it."""
    plan = plan_for_project(project)
    written = write_plan(plan, project)
    app = resolve if resolve is not None else connect({})
    if app is None:
        select_project(project)  # chosen here: the entry applies it whatever the Resolve project is named
        return {"edition": "free", "written": [str(p) for p in written],
                "message": f"In Resolve, open (or create) the project {project.root.name!r}, then Workspace > Scripts > "
                           "aivp Apply Edit: it applies this project's plan and reports what it verified."}
    report = run_plan(app, plan.model_dump(mode="json"), list(ACTIONS))
    return {"edition": "studio", "written": [str(p) for p in written], "message": report.text(), "problems": report.problems}


def install_resolve_entries() -> str:
    """`aivp resolve install-scripts` for this user: the Workspace > Scripts entries and what they load."""
    target = scripts_folder("user")
    changed = install_scripts(target)
    return f"Resolve entries in {target}: {len(changed)} file(s) written, the rest already current. Restart Resolve to see them."
