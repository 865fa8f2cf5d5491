"""QC of a file, of a whole project, and the report folder: what the CLI's `aivp qc` calls."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import TypeAdapter

from ..config import ConformTarget, CutSettings
from ..ffmpeg import FFmpeg, locate
from ..files import write_bytes
from ..project import STAGES, VIDEO_SUFFIXES, Project, media_files
from ..timelines import load_timeline
from .checklist import Checklist
from .edit import qc_edit, shots
from .findings import QcReport
from .pictures import beat_plot, contact_sheet, finding_strip
from .report import Pictures, write_html
from .take import qc_take

__all__ = ["project_takes", "qc_file", "qc_project", "write_report"]

EDIT_SUFFIXES = frozenset({".otio"})


def qc_file(path: Path, target: ConformTarget | None = None, cut: CutSettings | None = None, ff: FFmpeg | None = None) -> QcReport:
    """A take is measured from its pictures and sound; an .otio edit from its cuts, beats and media."""
    path = path.expanduser().absolute()
    if path.suffix.lower() in EDIT_SUFFIXES:
        return qc_edit(load_timeline(path), path, cut)
    return qc_take(path, target, ff)


def project_takes(project: Project) -> list[Path]:
    """Every take in the generation stages, each as its conformed copy when `aivp conform apply` made one."""
    takes = []
    for stage in STAGES:
        folder = project.stage_dir(stage)
        copies = {p.stem: p for p in media_files(folder / "conformed", VIDEO_SUFFIXES)}
        takes += [copies.get(p.stem, p) for p in media_files(folder, VIDEO_SUFFIXES)]
    return takes


def qc_project(
    project: Project, ff: FFmpeg | None = None, *, on_take: Callable[[Path, int, int], None] | None = None,
    measure: Callable[[list[Path]], list[QcReport]] | None = None,
) -> list[QcReport]:
    """Every take, then the newest edit; `on_take(path, number, count)` before each take, since a
    project's QC takes minutes and should say where it is. `measure` measures the takes all at once
    instead (on a farm: `farm.jobs.qc_on_farm`)."""
    ff = ff or locate()
    takes = project_takes(project)
    reports = []
    if measure is not None:
        reports = measure(takes)
    for number, path in enumerate(takes if measure is None else [], 1):
        if on_take:
            on_take(path, number, len(takes))
        reports.append(qc_take(path, project.config.conform, ff))
    edit = project.newest_edit()
    if edit is not None:
        reports.append(qc_edit(load_timeline(edit), edit, project.config.cut))
    return reports


def _pictures(report: QcReport, folder: Path, number: int, ff: FFmpeg) -> Pictures:
    path = Path(report.path)
    stem = f"{number:02d}_{re.sub(r'[^A-Za-z0-9_.-]', '_', path.stem)}"
    pictures = Pictures()
    if report.kind == "edit":
        timeline = load_timeline(path)
        cuts = shots(timeline)
        if cuts:
            pictures.contact_sheet = contact_sheet(timeline, cuts, path.parent, folder / f"{stem}_shots.png", ff).name
        plot = beat_plot(timeline, cuts, path.parent, folder / f"{stem}_beats.png", ff)
        pictures.beat_plot = plot.name if plot else None
        return pictures
    for index, finding in enumerate(report.findings):
        if finding.start_s is not None:
            strip = finding_strip(path, finding.start_s, report.clock, folder / f"{stem}_{index:02d}_{finding.check}.png", ff)
            pictures.strips[index] = strip.name
    return pictures


def write_report(reports: Sequence[QcReport], folder: Path, saved: Checklist, title: str, ff: FFmpeg | None = None) -> Path:
    """index.html with its pictures beside it, and report.json for machines; returns the page."""
    ff = ff or locate()
    folder = folder.expanduser().absolute()
    folder.mkdir(parents=True, exist_ok=True)
    pictures = [_pictures(report, folder, number, ff) for number, report in enumerate(reports, 1)]
    data = TypeAdapter(list[QcReport]).dump_json(list(reports), indent=2)
    write_bytes(folder / "report.json", data, replace=True)
    ticks = saved if saved.report else saved.model_copy(update={"report": str(folder)})
    return write_html(folder / "index.html", reports, pictures, ticks, title)
