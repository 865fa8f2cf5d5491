"""`aivp panel`: the whole job in one browser window."""

from __future__ import annotations

import time
import webbrowser
from pathlib import Path

import click

from ..project import open_project
from ._common import A_PATH, main


@main.command()
@click.argument("project", type=A_PATH, default=Path("."))
@click.option("--port", type=click.IntRange(1024, 65535), help="listen on this port (default: a free one)")
@click.option("--no-browser", is_flag=True, help="print the address instead of opening the browser")
def panel(project: Path, port: int | None, no_browser: bool) -> None:
    """A local web panel for PROJECT on 127.0.0.1 (a per-run token in its address): takes, inbox, the cut
    settings with Build and Re-roll, the beat grid, contact sheet, preview render, QC and Apply to Resolve.

    Runs until Ctrl-C; a job still running is finished first (nothing is left half-written)."""
    from ..panel.app import Panel, running_panel, serve

    opened = open_project(project)
    already = running_panel(opened)
    if already is not None:
        click.echo(f"aivp panel for {opened.root.name} is running already: {already}")
        if not no_browser:
            webbrowser.open(already)
        return
    running = serve(Panel(opened), port)
    click.echo(f"aivp panel for {opened.root.name}: {running.url}")
    if not no_browser:
        webbrowser.open(running.url)
    try:
        while running.thread.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        click.echo("stopping: letting running jobs finish", err=True)
        running.panel.jobs.wait()
    finally:
        running.stop()
