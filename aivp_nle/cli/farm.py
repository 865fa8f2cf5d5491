"""`aivp farm`: what the cluster is doing for a project."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..farm.jobs import farm_for, farm_status
from ..project import open_project
from ._common import A_PATH, CLUSTER, main


@main.group()
def farm() -> None:
    """The render farm: a Dask cluster running conform, QC and render (`--cluster`, or [farm] in aivp.toml)."""


@farm.command("status")
@click.argument("project", type=A_PATH, default=Path("."))
@CLUSTER
@click.option("--json", "as_json", is_flag=True, help="the workers and this project's tasks as JSON")
def farm_status_command(project: Path, cluster: str | None, as_json: bool) -> None:
    """The cluster's workers (threads, memory, their ffmpeg and what it lacks) and this project's tasks by state."""
    opened = open_project(project)
    with farm_for(opened.config.farm, cluster=cluster) as chosen:
        status = farm_status(chosen, opened.root.name)
    if as_json:
        click.echo(json.dumps(status, indent=2))
        return
    if status["cluster"] is None:
        click.echo(f"no cluster: jobs run on this machine, {status['workers']} processes "
                   "(give --cluster tcp://HOST:8786 or [farm] scheduler in aivp.toml)")
        return
    click.echo(f"cluster {status['cluster']}: {len(status['workers'])} worker(s)")
    for worker in status["workers"]:
        lacks = f"; lacks {', '.join(worker['missing'])}" if worker["missing"] else ""
        click.echo(f"  {worker['address']} ({worker['host']}): {worker['threads']} threads, {worker['memory_gb']} GB, "
                   f"ffmpeg {worker['ffmpeg']}{lacks}")
    states: dict[str, int] = {}
    for state in status["tasks"].values():
        states[state] = states.get(state, 0) + 1
    counts = ", ".join(f"{n} {state}" for state, n in sorted(states.items())) or "none"
    click.echo(f"tasks of {opened.root.name}: {counts}")
