"""Faces that prepare media: chunk, conform."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..beats.analysis import BeatOptions, analyse
from ..chunks import chunk_reference, manifest_path
from ..config import ConformTarget
from ..conform import ConformOptions, conform_clip, problems
from ..ffmpeg import locate
from ..probe import probe
from ..project import STAGES, VIDEO_SUFFIXES, media_files, open_project
from ..take_steps import mark
from ._common import A_PATH, _describe, _Progress, main


@main.command()
@click.argument("reference", type=A_PATH)
@click.option("--max", "max_seconds", default=10.0, show_default=True, help="longest chunk, seconds (backgrounds loop past 10 s)")
@click.option("--on-beats", "song", type=A_PATH, help="end chunks on this song's beats")
@click.option("-o", "--output", type=A_PATH, help="folder for the chunks (default: chunks/ beside the reference)")
def chunk(reference: Path, max_seconds: float, song: Path | None, output: Path | None) -> None:
    """Cut a reference performance into frame-exact chunks for the generators, with a manifest.
    Name each generation after its chunk (chunk02_ANGLE, or a NAME.json with "shot": "chunk02") and
    `aivp build` puts them back in order."""
    beats = analyse(song, BeatOptions()).beats if song else ()
    folder = (output or reference.absolute().parent / "chunks").absolute()
    folder.mkdir(parents=True, exist_ok=True)
    manifest = chunk_reference(reference.absolute(), folder, max_seconds, beats)
    for piece in manifest.chunks:
        click.echo(f"{piece.name}: {piece.file}  frames {piece.start_frame}-{piece.start_frame + piece.frames - 1} ({piece.frames / manifest.frame_rate:.2f} s)")
    click.echo(f"wrote {manifest_path(folder, reference)}")


@main.group()
def conform() -> None:
    """Every clip on the project's rate and colour space: check, then apply (conformed copies)."""


def _clips(target: Path, files: tuple[Path, ...]) -> tuple[list[Path], ConformTarget]:
    """The files given, or the takes of the project (and its target); files alone are checked against the defaults."""
    if files:
        return list(files), ConformTarget()
    project = open_project(target)
    takes = [p for stage in STAGES for p in media_files(project.stage_dir(stage), VIDEO_SUFFIXES)]
    return takes, project.config.conform


@conform.command("check")
@click.argument("paths", nargs=-1, type=A_PATH)
@click.option("--json", "as_json", is_flag=True, help="one object per clip: its description and its problems")
def conform_check(paths: tuple[Path, ...], as_json: bool) -> None:
    """Rate, VFR, size, colour, HDR, audio rate and timecode of each clip against the project's target.
    PATHS: a project (default: here) or media files. Exits 1 when any clip is off."""
    project_dir = paths[0] if len(paths) == 1 and paths[0].is_dir() else Path(".")
    files = tuple(p for p in paths if not p.is_dir())
    clips, target = _clips(project_dir, files)
    ff = locate()
    rows, off = [], 0
    for clip in clips:
        info = probe(clip, ff)
        found = problems(info, target)
        off += bool(found)
        rows.append({"clip": info.model_dump(mode="json"), "problems": found})
        if not as_json:
            click.echo(f"{_describe(info)}\n    {'; '.join(found) if found else 'conforms'}")
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif off:
        click.echo(f"{off} of {len(clips)} clip(s) off target ({target.fps} fps, {target.color}); fix with `aivp conform apply`")
    else:
        click.echo(f"all {len(clips)} clip(s) conform ({target.fps} fps, {target.color})")
    if off:
        raise click.exceptions.Exit(1)


@conform.command("apply")
@click.argument("project", type=A_PATH, default=Path("."))
@click.option("--codec", type=click.Choice(["prores", "dnxhr"]), default="prores", show_default=True, help="the edit intermediate")
@click.option("--interpolate", is_flag=True, help="change the rate by motion interpolation instead of dropping/repeating frames")
@click.option("--scale", is_flag=True, help="also scale (fit, padded) to the working size")
@click.option("--proxy", is_flag=True, help="write half-size H.264 proxies instead (in proxies/)")
def conform_apply(project: Path, codec: str, interpolate: bool, scale: bool, proxy: bool) -> None:
    """Conformed copies of the takes the edit uses, beside them in conformed/ (the originals are only read)."""
    opened = open_project(project)
    options = ConformOptions(codec="prores" if codec == "prores" else "dnxhr", interpolate=interpolate, scale=scale, proxy=proxy)
    for take in opened.latest_takes(conformed=False):
        with _Progress(f"conforming {take.path.name}") as advance:
            written = conform_clip(take.path, opened.config.conform, options, on_progress=advance)
        if not options.proxy:
            mark(take.path, "conformed", f"{opened.config.conform.fps} fps, {opened.config.conform.color}")
        click.echo(f"wrote {written}")


@main.command()
def doctor() -> None:
    """Which ffmpeg and prober aivp uses, their versions, and whether each encoder and filter we need is there.

    Exits 1 when something a job needs is missing, naming the job."""
    from ..doctor import checkup

    found = checkup()
    click.echo(f"ffmpeg:  {found.ffmpeg} ({found.ffmpeg_source})\n         {found.version}")
    click.echo(f"probing: {found.prober}")
    click.echo(f"melt:    {found.melt}")
    for what, job in found.missing.items():
        click.echo(f"missing: {what} (needed for {job})")
    click.echo("everything our jobs need is there" if found.ok else "point AIVP_FFMPEG at a fuller ffmpeg build, or reinstall aivp-nle")
    if not found.ok:
        raise click.exceptions.Exit(1)

