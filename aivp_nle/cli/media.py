"""Faces that prepare media: chunk, conform."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..beats.analysis import BeatOptions, analyse
from ..chunks import chunk_reference, manifest_path
from ..config import ConformTarget, FarmSettings
from ..conform import ConformOptions, picture_off, problems
from ..farm.jobs import conform_on_farm, farm_for
from ..ffmpeg import locate
from ..probe import probe
from ..project import STAGES, VIDEO_SUFFIXES, media_files, open_project
from ..take_steps import mark
from ._common import A_PATH, CLUSTER, _describe, _Tasks, main


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


def _project_of(clip: Path) -> Path:
    """The project a clip lies in (the nearest folder above it with an aivp.toml), else here."""
    return next((folder for folder in clip.absolute().parents if (folder / "aivp.toml").is_file()), Path("."))


@conform.command("apply")
@click.argument("paths", nargs=-1, type=A_PATH)
@click.option("--codec", type=click.Choice(["prores", "dnxhr"]), default="prores", show_default=True, help="the edit intermediate")
@click.option("--intermediate", is_flag=True, help="re-encode into the intermediate even when a remux would do")
@click.option("--interpolate", is_flag=True, help="change the rate by motion interpolation instead of dropping/repeating frames")
@click.option("--scale", is_flag=True, help="also scale (fit, padded) to the working size")
@click.option("--proxy", is_flag=True, help="write half-size H.264 proxies instead (in proxies/)")
@CLUSTER
def conform_apply(paths: tuple[Path, ...], codec: str, intermediate: bool, interpolate: bool, scale: bool, proxy: bool,
                  cluster: str | None) -> None:
    """Conformed copies beside the clips in conformed/ (the originals are only read), changing only what is off:
    colour tags, timecode and audio rate alone are a remux (seconds, every frame kept); rate, HDR or size
    re-encode into the intermediate. PATHS: a project (default: here; the takes the edit uses) or clips
    (against the project they lie in, else the handbook's defaults). Clips that already conform are left alone."""
    files = [p for p in paths if not p.is_dir()]
    project_dir = paths[0] if len(paths) == 1 and paths[0].is_dir() else _project_of(files[0]) if files else Path(".")
    opened = open_project(project_dir) if not files or (project_dir / "aivp.toml").is_file() else None
    target = opened.config.conform if opened else ConformTarget()
    if opened and not files:
        files = [t.path for t in opened.latest_takes(conformed=False)]
    options = ConformOptions(
        codec="prores" if codec == "prores" else "dnxhr", interpolate=interpolate, scale=scale, proxy=proxy, intermediate=intermediate,
    )
    ff = locate()
    work = []
    for clip in files:
        info = probe(clip, ff)
        if not problems(info, target) and not (proxy or scale or intermediate):
            click.echo(f"{clip.name}: conforms already, left alone")
        else:
            work.append((clip, "re-encoding" if picture_off(info, target, options) else "remuxing"))
    if not work:
        return
    # side by side: on the cluster (--cluster, [farm] scheduler), else by this machine's processes
    with farm_for(opened.config.farm if opened else FarmSettings(), cluster=cluster) as farm, \
            _Tasks(f"conforming {len(work)} take(s) on {farm.executor.name}") as shown_tally:
        copies = conform_on_farm([clip for clip, _ in work], target, options, farm=farm,
                                 project=opened.root.name if opened else "clips", on_tally=shown_tally)
    for (clip, how), path in zip(work, copies, strict=True):
        if not options.proxy:
            mark(clip, "conformed", f"{target.fps} fps, {target.color}")
        click.echo(f"wrote {path} ({how[:-3]}ed)")


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

