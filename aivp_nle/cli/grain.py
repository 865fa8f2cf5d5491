"""Faces for the grain plate: make one for the project."""

from __future__ import annotations

from pathlib import Path

import click

from ..grain_plate import project_grain, visibility
from ..project import open_project
from ._common import A_PATH, main


@main.group()
def grain() -> None:
    """The film-grain plate above all footage (Overlay, ~30 %): make one."""


@grain.command("make")
@click.argument("project", type=A_PATH, default=Path("."))
@click.option("--seconds", type=click.FloatRange(0.5, 20.0), default=2.0, show_default=True, help="length of the loop")
def grain_make(project: Path, seconds: float) -> None:
    """A monochrome film-grain plate at the project's size and rate, a seamless loop, in 06_Edit/grain/
    (a new version each time); named in aivp.toml's [grain] asset when none is set."""
    opened = open_project(project)
    click.echo(f"making a {opened.config.conform.width}x{opened.config.conform.height} grain plate ({seconds:g} s loop)...")
    plate, updated = project_grain(opened, seconds=seconds)
    report_plate(plate, updated.config.grain.opacity, updated.config.grain.blend)
    if updated.config.grain.asset and Path(updated.config.grain.asset).name != plate.name:
        click.echo(f"[grain] asset stays {updated.config.grain.asset}; set it to {plate.relative_to(updated.root)} to use this one")


def report_plate(plate: Path, opacity: float, blend: str) -> None:
    """Say where the plate is and how much it shows."""
    moved = visibility(plate, opacity=opacity, mode=blend)
    click.echo(f"wrote {plate}: {blend} at {opacity:.0%} moves mid-grey by {moved:.1f} code values (8-bit std)")
