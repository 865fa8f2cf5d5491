"""`aivp qc`: the handbook's QC checklist, measured, with a report to check the rest by eye."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from pydantic import TypeAdapter

from ..config import ConformTarget, CutSettings
from ..errors import AivpError, ConfigError
from ..farm.jobs import farm_for, qc_on_farm
from ..ffmpeg import locate
from ..files import shown
from ..project import Project, enclosing_project, open_project
from ..qc import QcReport, import_checklist, qc_file, qc_project, read_checklist, write_report
from ..qc.checklist import CHECKLIST, FILE_NAME
from ._common import A_PATH, CLUSTER, _Tasks, main

DEFAULT_REPORT = Path(".aivp-default-report")  # `--report` given without a folder


def _show(report: QcReport) -> None:
    click.echo(f"{Path(report.path).name}: {report.verdict.upper()} ({report.kind}, {report.duration:.1f} s, "
               f"{len(report.findings)} finding(s))")
    for finding in report.findings:
        where = "-".join(t for t in (finding.start, finding.end) if t) or "whole clip"
        click.echo(f"  {finding.severity:4}  {finding.check:8} {where:25} {finding.what} -> {finding.action}")


def _table(reports: list[QcReport]) -> None:
    width = max((len(Path(r.path).name) for r in reports), default=4)
    click.echo(f"{'file':{width}}  kind  length   verdict  fail  warn  first problem")
    for r in reports:
        worst = next((f for f in r.findings if f.severity == "fail"), r.findings[0] if r.findings else None)
        click.echo(f"{Path(r.path).name:{width}}  {r.kind:4}  {r.duration:5.1f} s  {r.verdict:7}  "
                   f"{sum(f.severity == 'fail' for f in r.findings):4}  {sum(f.severity == 'warn' for f in r.findings):4}  "
                   f"{(worst.check + ': ' + worst.what) if worst else ''}")


@main.command()
@click.argument("target", type=A_PATH, default=Path("."))
@click.option("--project", "whole_project", is_flag=True, help="TARGET is a project: every take and the newest edit")
@click.option("--json", "as_json", is_flag=True, help="the findings as JSON")
@click.option("--report", "report_dir", type=A_PATH, is_flag=False, flag_value=DEFAULT_REPORT,
              help="write the HTML report (here, or in DIR: `--report DIR`); --project always writes it, in 06_Edit/qc by default")
@click.option("--checklist", type=A_PATH, help="with --project: put a checklist.json the report saved into the project")
@CLUSTER
def qc(target: Path, whole_project: bool, as_json: bool, report_dir: Path | None, checklist: Path | None, cluster: str | None) -> None:
    """Measure a take or an .otio edit against the handbook's QC checklist.

    Exits 0 when everything passes, 1 when anything fails, 2 when it could not run (a missing or
    unreadable file, bad arguments). Takes: frame pacing, freezes, looping backgrounds, flicker,
    texture crawl, near-black areas, conform target, length over 10 s, audio clipping, silence and
    loudness. Edits: shots under the minimum, cuts off the beat, the same angle twice, offline media."""
    try:
        reports, whole = _measure(target, whole_project, as_json, report_dir, checklist, cluster)
    except AivpError as error:
        click.echo(f"aivp: error: {error}", err=True)
        raise click.exceptions.Exit(2) from None
    except OSError as error:
        click.echo(f"aivp: error: {shown(error.filename or '')}: {error.strerror or error}", err=True)
        raise click.exceptions.Exit(2) from None
    if as_json:
        click.echo(TypeAdapter(list[QcReport]).dump_json(reports, indent=2).decode())
    elif whole:
        _table(reports)
    else:
        _show(reports[0])
    if any(r.verdict == "fail" for r in reports):
        raise click.exceptions.Exit(1)


def _on_farm(project: Project, cluster: str | None) -> Callable[[list[Path]], list[QcReport]]:
    """The takes measured side by side: on the cluster (--cluster, [farm] scheduler), else by this machine's processes."""

    def measure(takes: list[Path]) -> list[QcReport]:
        with farm_for(project.config.farm, cluster=cluster) as farm, \
                _Tasks(f"qc of {len(takes)} take(s) on {farm.executor.name}") as shown_tally:
            return qc_on_farm(takes, project.config.conform, farm=farm, project=project.root.name, on_tally=shown_tally)

    return measure


def _measure(target: Path, whole_project: bool, as_json: bool, report_dir: Path | None, checklist: Path | None,
             cluster: str | None) -> tuple[list[QcReport], bool]:
    ff = locate()
    project: Project | None
    if whole_project:
        project = open_project(target)
        qc_dir = project.edit_dir / "qc"
        if checklist:
            click.echo(f"checklist saved in {import_checklist(checklist, qc_dir)}", err=as_json)
        reports = qc_project(project, ff, measure=_on_farm(project, cluster))
        report_dir = qc_dir if report_dir in (None, DEFAULT_REPORT) else report_dir
        title = project.root.name
    else:
        if target.is_dir():
            raise ConfigError(f"{target}: a folder. Give a take or an .otio edit, or --project for a whole project")
        if checklist:
            raise ConfigError("--checklist goes with --project: it saves the ticks into a project")
        project = enclosing_project(target)  # a take is judged against its project's target
        conform = project.config.conform if project else ConformTarget()
        cut = project.config.cut if project else CutSettings()
        reports = [qc_file(target, conform, cut, ff)]
        title = target.name
        if report_dir == DEFAULT_REPORT:
            report_dir = (project.edit_dir if project else target.absolute().parent) / "qc"
    if report_dir is not None:
        saved = read_checklist((project.edit_dir / "qc" if project else report_dir) / FILE_NAME)
        page = write_report(reports, report_dir, saved, title, ff)
        click.echo(f"report: {page}", err=as_json)
        if project is not None:
            click.echo(f"checklist: {saved.done} of {len(CHECKLIST)} checked by eye", err=as_json)
    return reports, whole_project
