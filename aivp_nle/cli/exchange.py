"""Faces to other editors: export, import, resolve."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..edit.clips import media_path
from ..errors import AivpError
from ..interchange import FORMATS, export_edit, import_edit
from ..project import open_project
from ..resolve.bridge import connect, run_plan
from ..resolve.install import install_scripts, scripts_folder
from ..resolve.plan import ACTIONS
from ..resolve.planner import plan_for_project, select_project, write_plan
from ..timelines import load_timeline, save_timeline
from ._common import A_PATH, main


@main.command("export")
@click.argument("edit", type=A_PATH)
@click.option("--to", "to", type=click.Choice(list(FORMATS)), help="the format; default from the output's extension")
@click.option("-o", "--output", required=True, type=A_PATH, help="the file to write")
@click.option("--per-track", is_flag=True, help="EDL: one file per track (NAME_V1.edl, ..., NAME_A1.edl)")
@click.option("--force", is_flag=True, help="replace OUTPUT if it exists")
def export_command(edit: Path, to: str | None, output: Path, per_track: bool, force: bool) -> None:
    """Write an edit for another editor: otio, otioz, resolve, fcpxml, fcp7, edl, aaf, mlt, kdenlive."""
    timeline = load_timeline(edit)
    if to == "otioz" or (to is None and output.suffix.lower() == ".otioz"):
        media = {media_path(clip, edit.absolute().parent) for clip in timeline.find_clips()}
        size = sum(p.stat().st_size for p in media if p.is_file())
        click.echo(f"packing {len(media)} media file(s), {size / 1e9:.2f} GB, into {output.name} (a copy of each: this takes a while)", err=True)
    for written in export_edit(timeline, output, to, media_root=edit.absolute().parent, replace=force, per_track=per_track):
        click.echo(f"wrote {written}")


@main.command("import")
@click.argument("source", type=A_PATH)
@click.option("-o", "--output", required=True, type=A_PATH, help="the .otio to write")
@click.option("--fps", default=24.0, show_default=True, help="EDL only: the rate its timecodes count in")
@click.option("--force", is_flag=True, help="replace OUTPUT if it exists")
def import_command(source: Path, output: Path, fps: float, force: bool) -> None:
    """Read an edit made elsewhere (OTIO, .otioz, FCPXML, FCP7 XML, EDL, AAF) into an .otio to re-cut or render."""
    media = output.absolute().with_name(f"{output.stem}_media")
    timeline = import_edit(source, rate=fps, extract_to=media)
    click.echo(f"wrote {save_timeline(timeline, output, replace=force)}")


@main.group()
def resolve() -> None:
    """DaVinci Resolve: plans for the Workspace > Scripts entries, installing them, pushing from outside (Studio)."""


@resolve.command("plan")
@click.argument("project", type=A_PATH, default=Path("."))
@click.option("--json", "as_json", is_flag=True, help="the files written, the Workspace entry to run and the manual import, as JSON")
def resolve_plan(project: Path, as_json: bool) -> None:
    """Write the Resolve plan (and Resolve, FCPXML, FCP7 exports) for the project's newest beat-cut."""
    opened = open_project(project)
    plan = plan_for_project(opened)
    written_files = write_plan(plan, opened)
    if as_json:
        click.echo(json.dumps({"project": opened.root.name, "written": [str(p) for p in written_files],
                               "entry": "Workspace > Scripts > aivp Apply Edit", "manual_import": plan.manual_import}, indent=2))
        return
    for written in written_files:
        click.echo(f"wrote {written}")
    click.echo(f"\nIn Resolve, in a project named {opened.root.name!r} (or after `aivp resolve select {opened.root}`): "
               f"Workspace > Scripts > aivp Apply Edit. Without scripting: {plan.manual_import}")


@resolve.command("select")
@click.argument("project", type=A_PATH, default=Path("."))
def resolve_select(project: Path) -> None:
    """Make PROJECT's plan the one the Resolve entries apply when the open Resolve project is named like none."""
    opened = open_project(project)
    select_project(opened)
    click.echo(f"the Resolve entries apply {opened.root.name}'s plan unless the open Resolve project is named like another planned project")


@resolve.command("push")
@click.argument("project", type=A_PATH, default=Path("."))
@click.option("--only", "only", multiple=True, type=click.Choice(ACTIONS), help="run these actions only")
def resolve_push(project: Path, only: tuple[str, ...]) -> None:
    """Apply the newest edit to the running Resolve from outside (Resolve Studio, external scripting on)."""
    opened = open_project(project)
    plan = plan_for_project(opened)
    write_plan(plan, opened)
    app = connect({})
    if app is None:
        raise AivpError(
            "no Resolve answered. Scripting from outside works only in DaVinci Resolve Studio with Preferences > "
            "System > General > External scripting using = Local, and Resolve running. Otherwise use Workspace > "
            f"Scripts > aivp Apply Edit inside Resolve, or by hand: {plan.manual_import}"
        )
    report = run_plan(app, plan.model_dump(mode="json"), list(only or ACTIONS))
    click.echo(report.text())
    if report.problems:
        raise click.exceptions.Exit(1)


@resolve.command("install-scripts")
@click.option("--user", "scope", flag_value="user", default=True, help="for this user (default)")
@click.option("--all-users", "scope", flag_value="all", help="for every user of this machine (needs admin rights)")
@click.option("--dest", type=A_PATH, help="install into this Scripts/Utility folder instead")
def resolve_install(scope: str, dest: Path | None) -> None:
    """Put the aivp entries into Resolve's Workspace > Scripts > Utility menu (again: updates only what changed)."""
    target = dest or scripts_folder("all" if scope == "all" else "user")
    changed = install_scripts(target)
    click.echo(f"Resolve scripts in {target}: {len(changed)} file(s) written, the rest already current")
    for path in changed:
        click.echo(f"  {path}")
    click.echo("Restart Resolve, then Workspace > Scripts > aivp ... (Lua entries in every edition; Python in Studio and free up to 21.0)")
