"""The `aivp` command: a thin face over the library. It parses, calls, prints; the library does the work."""

from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import click
import httpx

from . import __version__
from .audio import decode_mono
from .beats.analysis import TRACKERS, BeatOptions, analyse
from .beats.plot import beat_picture, write_png
from .config import BeatSettings, ConformTarget, CutSettings, GrainSettings, ProjectConfig, WatchSettings, checked
from .chunks import chunk_reference, manifest_path
from .conform import ConformOptions, conform_clip, problems
from .demo import run_demo
from .edit import meta
from .errors import AivpError, ConfigError
from .ffmpeg import locate
from .ingest.service import launchd_plist, systemd_unit
from .ingest.status import project_status
from .ingest.watcher import Watcher
from .interchange import FORMATS, export_edit, import_edit
from .probe import MediaInfo, probe
from .project import STAGES, VIDEO_SUFFIXES, init_project, media_files, open_project
from .render import PRESETS, render
from .resolve.bridge import connect, run_plan
from .resolve.install import install_scripts, scripts_folder
from .resolve.plan import ACTIONS
from .resolve.planner import plan_for_project, write_plan
from .edit.beatcut import cut_times
from .edit.clips import media_path
from .edit.meta import timeline_rate
from .fetch.download import DownloadPolicy, download, suffix_for
from .fetch.jobs import run_jobs
from .fetch.services import SERVICES, api_key, configured, download_policy, insecure_hosts
from .fetch.tasks import fetch_task
from .fetch.webhook import make_server
from .history import STEPS, Step, mark, order_warnings
from .pipeline import beat_options, beatcut_files, build_project
from .samples import write_samples
from .timelines import load_timeline, save_timeline

EXISTING = click.Path(path_type=Path)


class _Face(click.Group):
    """Our errors become one clear line on stderr and exit code 1; nothing else is caught."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AivpError as error:
            click.echo(f"aivp: error: {error}", err=True)
            ctx.exit(1)


@click.group(cls=_Face)
@click.version_option(__version__, prog_name="aivp")
def main() -> None:
    """aivp-nle: AI video generations to finished edits (multicam, beat-cut, grain, preview)."""


@main.command()
@click.argument("directory", type=EXISTING)
@click.option("--fps", type=int, default=24, show_default=True, help="working frame rate: 24 or 30")
def init(directory: Path, fps: int) -> None:
    """Make the handbook's project layout and aivp.toml in DIRECTORY (keeps what is there)."""
    conform = checked(ConformTarget, {"fps": fps}, "--fps")
    project = init_project(directory, ProjectConfig(conform=conform))
    click.echo(f"project ready: {project.root}")
    click.echo("  takes go in 03_Generations/v1_exploration (NAME_v001.mp4), the song in 04_Audio; then `aivp build`")


def _describe(info: MediaInfo) -> str:
    parts = [f"{info.path.name}: {info.duration:.3f} s"]
    if info.video:
        v = info.video
        rate = "still" if v.still else f"{v.frame_rate} fps{' VFR' if v.variable_frame_rate else ''}"
        tags = (v.color_primaries, v.color_transfer, v.color_matrix)
        colour = "/".join(str(t) for t in tags) if any(tags) else "colour untagged"
        parts.append(f"{v.codec} {v.width}x{v.height} {rate} {v.pixel_format} {colour} {'HDR' if v.hdr else 'SDR'}")
    parts += [f"audio {a.codec} {a.sample_rate} Hz {a.channels} ch" for a in info.audio]
    if info.start_timecode:
        parts.append(f"TC {info.start_timecode}")
    return " | ".join(parts)


@main.command("probe")
@click.argument("files", nargs=-1, required=True, type=EXISTING)
@click.option("--json", "as_json", is_flag=True, help="a JSON list, one object per file")
def probe_command(files: tuple[Path, ...], as_json: bool) -> None:
    """Describe media: duration, exact rate, VFR, size, codec, colour, HDR, audio, start timecode."""
    ff = locate()
    described, failed = [], []
    for file in files:
        try:
            described.append(probe(file, ff))
        except AivpError as error:
            failed.append(str(error))
    if as_json:
        click.echo(json.dumps([info.model_dump(mode="json") for info in described], indent=2))
    else:
        for info in described:
            click.echo(_describe(info))
    if failed:
        raise AivpError("\n".join(failed))


def _beat_options(bpm: float | None, first_downbeat: float | None, offset: float, beats_file: Path | None, tracker: str) -> BeatOptions:
    settings = checked(
        BeatSettings, {"bpm": bpm, "first_downbeat": first_downbeat, "offset": offset, "tracker": tracker}, "options"
    )
    if settings.first_downbeat is not None and settings.bpm is None:
        raise ConfigError("--first-downbeat needs --bpm: together they pin a steady grid")
    return replace(beat_options(settings, Path.cwd()), file=beats_file.absolute() if beats_file else None)


def _beat_flags(command: Any) -> Any:
    """The options every command that finds beats shares."""
    for option in reversed([
        click.option("--bpm", type=float, help="pin the tempo (the tracker still finds where the beats fall)"),
        click.option("--first-downbeat", type=float, help="with --bpm: seconds to the first bar; a steady grid, no tracking"),
        click.option("--beat-offset", "beat_offset", default=0.0, help="seconds to move every beat (later when positive)"),
        click.option("--beats-file", type=EXISTING, help="beat times from a file: text/CSV (seconds[, bar position]) or an .otio's markers"),
        click.option("--tracker", type=click.Choice(list(TRACKERS)), default="aivp", show_default=True, help="the beat tracker"),
    ]):
        command = option(command)
    return command


@main.command()
@click.argument("audio", type=EXISTING)
@_beat_flags
@click.option("--json", "as_json", is_flag=True, help="the grid as JSON: beats, downbeats, bpm, bars, tempo curve, confidence")
@click.option("--fps", type=int, help="also each beat's frame at this rate, and the worst snapping error")
@click.option("--plot", type=EXISTING, help="write a PNG: waveform, beats, downbeats (and the cuts of --edit)")
@click.option("--edit", type=EXISTING, help="with --plot: an .otio whose cuts to draw")
def beats(
    audio: Path, bpm: float | None, first_downbeat: float | None, beat_offset: float, beats_file: Path | None,
    tracker: str, as_json: bool, fps: int | None, plot: Path | None, edit: Path | None,
) -> None:
    """Beat times, downbeats, bars and tempo of a song (or of its drums stem: track on it when you have one)."""
    grid = analyse(audio, _beat_options(bpm, first_downbeat, beat_offset, beats_file, tracker))
    if plot:
        cuts = cut_times(load_timeline(edit)) if edit else []
        picture = beat_picture(decode_mono(audio, 8000), 8000, grid, cuts)
        click.echo(f"wrote {write_png(plot, picture, replace=True)}", err=as_json)
    data = grid.model_dump(mode="json")
    if fps:
        frames = [round(t * fps) for t in grid.beats]
        data["frames"] = {"fps": fps, "beats": frames, "max_snap_error_s": round(max((abs(f / fps - t) for f, t in zip(frames, grid.beats)), default=0.0), 6)}
    if as_json:
        click.echo(json.dumps(data))
        return
    confidence = f", confidence {grid.confidence:.2f}" if grid.confidence is not None else ""
    meter = f", {grid.meter}/4" if grid.meter else ""
    click.echo(f"{audio.name}: {grid.bpm:g} BPM{meter}, {len(grid.beats)} beats, {len(grid.downbeats)} downbeats{confidence} ({grid.source})")
    if fps:
        click.echo(f"at {fps} fps the worst beat-to-frame snap is {1000 * data['frames']['max_snap_error_s']:.1f} ms")
    click.echo(" ".join(f"{t:.3f}" for t in grid.beats))


def _offsets(pairs: tuple[str, ...]) -> dict[str, float]:
    offsets = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            offsets[name] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name:
            raise ConfigError(f"--offset {pair!r} is refused: write ANGLE=SECONDS, e.g. --offset red=0.040")
    return offsets


@main.command()
@click.option("--music", required=True, type=EXISTING, help="the song")
@click.option("--angle", "angles", multiple=True, required=True, type=EXISTING, help="a take; repeat per angle")
@click.option("--pattern", type=click.Choice(["beats", "bars", "downbeats", "phrase", "energy"]), default="beats", show_default=True,
              help="where to cut: every N beats, every N bars, on downbeats, every phrase, or by the song's energy")
@click.option("--every", default=CutSettings().every, show_default=True, help="beats (or bars) per shot")
@click.option("--phrase-bars", type=click.Choice(["4", "8"]), default="4", show_default=True, help="bars per phrase")
@click.option("--hero", help="angle held through the loudest phrase")
@click.option("--min-shot", default=CutSettings().min_shot, show_default=True, help="shortest shot, seconds")
@click.option("--seed", default=0, show_default=True, help="same seed, same edit")
@click.option("--grain", type=EXISTING, help="grain plate, blended Overlay at --grain-opacity")
@click.option("--grain-opacity", default=GrainSettings().opacity, show_default=True)
@click.option("--offset", "offsets", multiple=True, help="ANGLE=SECONDS a take runs ahead of the song")
@_beat_flags
@click.option("-o", "--output", required=True, type=EXISTING, help="the .otio to write")
@click.option("--force", is_flag=True, help="replace OUTPUT if it exists")
def beatcut(
    music: Path, angles: tuple[Path, ...], pattern: str, every: int, phrase_bars: str, hero: str | None, min_shot: float,
    seed: int, grain: Path | None, grain_opacity: float, offsets: tuple[str, ...], bpm: float | None,
    first_downbeat: float | None, beat_offset: float, beats_file: Path | None, tracker: str, output: Path, force: bool,
) -> None:
    """Cut between angles on the music's beats: writes the multicam stack and the beat-cut in one .otio."""
    cut = checked(CutSettings, {
        "pattern": pattern, "every": every, "phrase_bars": int(phrase_bars), "hero": hero, "min_shot": min_shot, "seed": seed,
    }, "options")
    grain_settings = checked(GrainSettings, {"opacity": grain_opacity}, "options")
    beats = _beat_options(bpm, first_downbeat, beat_offset, beats_file, tracker)
    timeline = beatcut_files(angles, music, cut, grain, grain_settings, _offsets(offsets), beats)
    timeline.name = output.stem
    written = save_timeline(timeline, output, replace=force)
    _report(timeline, written)


def _report(timeline: Any, written: Path) -> None:
    cut = meta.get(timeline).get("cut", {})
    click.echo(
        f"wrote {written}: {cut.get('shots', 0)} shots on {len(timeline.video_tracks())} video tracks, "
        f"{timeline.duration().to_seconds():.2f} s, worst cut-to-beat snap {1000 * cut.get('max_snap_error_s', 0):.1f} ms"
    )


@main.command()
@click.argument("project", type=EXISTING, default=Path("."))
def build(project: Path) -> None:
    """Rebuild 06_Edit/multicam.otio and add a new 06_Edit/beatcut_vNNN.otio from the project's takes."""
    opened = open_project(project)
    result = build_project(opened)
    _warn_order([t.path for t in opened.latest_takes()], opened.config.conform.fps)
    click.echo(f"wrote {result.multicam}")
    _report(result.timeline, result.beatcut)


class _Progress:
    """A progress bar that appears on the first report, so the lines printed before it stay readable."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None
        self.shown = 0

    def __call__(self, fraction: float) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=1000, label=self.label, show_percent=True).__enter__()
        step = int(fraction * 1000) - self.shown
        if step > 0:
            self.bar.update(step)
            self.shown += step

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    width, _, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit()) or int(width) % 2 or int(height) % 2:
        raise ConfigError(f"--size {text!r} is refused: write WIDTHxHEIGHT with even numbers, e.g. 1920x1080")
    return int(width), int(height)


@main.command("render")
@click.argument("edit", type=EXISTING)
@click.option("-o", "--output", required=True, type=EXISTING, help="the video to write (.mp4)")
@click.option("--preset", type=click.Choice(list(PRESETS)), default="preview", show_default=True,
              help="preview: quick 720p H.264; master: delivery size, ProRes 422 HQ (.mov); social: delivery size, "
                   "H.264 tuned to keep grain, a touch of contrast, no pure black, a high bitrate")
@click.option("--size", help="WIDTHxHEIGHT; default the preset's")
@click.option("--force", is_flag=True, help="replace OUTPUT if it exists")
def render_command(edit: Path, output: Path, preset: str, size: str | None, force: bool) -> None:
    """Render an edit in one ffmpeg pass: the picture, the grain blended at its mode and opacity, the audio tracks mixed."""
    timeline = load_timeline(edit)
    takes = [c for t in timeline.video_tracks() if meta.role_of(t) in (meta.Role.ANGLE, meta.Role.CUT) for c in t.find_clips()]
    _warn_order([media_path(c, edit.absolute().parent) for c in takes], int(timeline_rate(timeline)))
    with _Progress(f"rendering {edit.name} ({preset})") as advance:
        written = render(timeline, output, _size(size), edit.absolute().parent, on_progress=advance, replace_existing=force, preset=preset)
    click.echo(f"wrote {written}")


@main.command("export")
@click.argument("edit", type=EXISTING)
@click.option("--to", "to", type=click.Choice(list(FORMATS)), help="the format; default from the output's extension")
@click.option("-o", "--output", required=True, type=EXISTING, help="the file to write")
@click.option("--per-track", is_flag=True, help="EDL: one file per track (NAME_V1.edl, ..., NAME_A1.edl)")
@click.option("--force", is_flag=True, help="replace OUTPUT if it exists")
def export_command(edit: Path, to: str | None, output: Path, per_track: bool, force: bool) -> None:
    """Write an edit for another editor: otio, otioz, resolve, fcpxml, fcp7, edl, aaf, mlt, kdenlive."""
    timeline = load_timeline(edit)
    for written in export_edit(timeline, output, to, edit.absolute().parent, replace=force, per_track=per_track):
        click.echo(f"wrote {written}")


@main.command("import")
@click.argument("source", type=EXISTING)
@click.option("-o", "--output", required=True, type=EXISTING, help="the .otio to write")
@click.option("--fps", default=24.0, show_default=True, help="EDL only: the rate its timecodes count in")
@click.option("--force", is_flag=True, help="replace OUTPUT if it exists")
def import_command(source: Path, output: Path, fps: float, force: bool) -> None:
    """Read an edit made elsewhere (OTIO, .otioz, FCPXML, FCP7 XML, EDL, AAF) into an .otio to re-cut or render."""
    media = output.absolute().with_name(f"{output.stem}_media")
    timeline = import_edit(source, rate=fps, extract_to=media)
    click.echo(f"wrote {save_timeline(timeline, output, replace=force)}")


@main.command()
@click.argument("project", type=EXISTING, default=Path("."))
@click.option("--inbox", type=EXISTING, help="the folder to watch (default: [watch] inbox in aivp.toml, inbox/)")
@click.option("--polling", is_flag=True, help="poll instead of OS events (NFS, SMB, SSHFS and other shares)")
@click.option("--once", is_flag=True, help="import what is there, then exit")
@click.option("--settle", type=float, help="seconds a file must stay unchanged (default from aivp.toml: 2)")
@click.option("--service", type=click.Choice(["systemd", "launchd"]), help="print a service file that runs this watcher, and exit")
def watch(project: Path, inbox: Path | None, polling: bool, once: bool, settle: float | None, service: str | None) -> None:
    """Watch the inbox: file finished generations as new versions, then rebuild the edit."""
    opened = open_project(project)
    if service:
        aivp = Path(sys.argv[0]).absolute()
        click.echo(systemd_unit(aivp, opened.root) if service == "systemd" else launchd_plist(aivp, opened.root), nl=False)
        return
    values = opened.config.watch.model_dump()
    values.update({k: v for k, v in (("polling", polling or None), ("settle", settle)) if v is not None})
    watcher = Watcher(opened, inbox, checked(WatchSettings, values, "options"), on_event=click.echo)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: watcher.stop.set())
    click.echo(f"watching {watcher.inbox} (Ctrl-C or SIGTERM stops after the current file)" if not once else f"importing from {watcher.inbox}")
    watcher.run(once=once)


@main.command()
@click.argument("project", type=EXISTING, default=Path("."))
def status(project: Path) -> None:
    """Takes by angle and version, what waits in the inbox, what is in quarantine and why."""
    found = project_status(open_project(project))
    for stage, angles in found.takes.items():
        click.echo(f"{stage}:")
        for angle, takes in angles.items():
            click.echo(f"  {angle}: {', '.join(takes)}")
    if not found.takes:
        click.echo("no takes yet")
    click.echo(f"waiting in the inbox: {', '.join(found.pending) if found.pending else 'nothing'}")
    for name, reason in found.quarantined.items():
        click.echo(f"quarantined {name}: {reason}")


@main.command("mark")
@click.argument("take", type=EXISTING)
@click.argument("step", type=click.Choice(list(STEPS)))
@click.option("--note", default="", help="what was done (tool, settings)")
def mark_command(take: Path, step: str, note: str) -> None:
    """Record a step a take went through: framing, test, full, upscaled, lipsync, conformed."""
    if not take.is_file():
        raise ConfigError(f"{take}: no such take")
    history = mark(take.absolute(), cast(Step, step), note)
    click.echo(f"{take.name}: {' > '.join(r.step for r in history.steps)}")


def _warn_order(paths: list[Path], rate: int) -> None:
    """The handbook's order (upscale once, lip sync last, rate before lip sync), said when broken."""
    ff = locate()
    described = []
    for path in dict.fromkeys(paths):
        video = probe(path, ff).video
        described.append((path, video.frame_rate if video else None))
    for warning in order_warnings(described, rate):
        click.echo(f"warning: {warning}", err=True)


class _DefaultGroup(click.Group):
    """`aivp fetch URL ...` runs `fetch get`; `aivp fetch jobs|serve` run those."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["get", *args]
        return super().parse_args(ctx, args)


def _inbox(to: Path | None) -> Path:
    if to is not None:
        return to.absolute()
    if (Path.cwd() / "aivp.toml").is_file():
        project = open_project(Path.cwd())
        return project.path(project.config.watch.inbox)
    return (Path.cwd() / "inbox").absolute()


def _client() -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(30.0, connect=15.0), headers={"User-Agent": f"aivp-nle/{__version__}"})


class _Bytes:
    """A per-file progress bar for downloads, shown once the size is known."""

    def __init__(self, label: str) -> None:
        self.label, self.shown = label, 0
        self.bar: Any = None

    def __call__(self, done: int, total: int | None) -> None:
        if self.bar is None and total:
            self.bar = click.progressbar(length=total, label=self.label).__enter__()
        if self.bar is not None:
            self.bar.update(done - self.shown)
            self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@main.group(cls=_DefaultGroup)
def fetch() -> None:
    """Collect finished generations: URLs, a task at a service, the project's jobs.toml, or callbacks."""


@fetch.command("get")
@click.argument("urls", nargs=-1)
@click.option("--to", type=EXISTING, help="the inbox (default: the project's, or ./inbox)")
@click.option("--sha256", help="the expected checksum (one URL)")
@click.option("--expect-duration", type=float, help="seconds the video must last (the watch folder checks it)")
@click.option("--service", type=click.Choice(list(SERVICES)), help="fetch a task from this service instead of URLs")
@click.option("--task", help="the task id (Veo: the operation name)")
@click.option("--kind", default="", help="Kling: the endpoint of the task (image2video, text2video)")
@click.option("--wait", default=600.0, show_default=True, help="seconds to wait for a task to finish")
def fetch_get(urls: tuple[str, ...], to: Path | None, sha256: str | None, expect_duration: float | None,
              service: str | None, task: str | None, kind: str, wait: float) -> None:
    """Download URLs (resumed, retried, verified) or a service's task into the inbox."""
    inbox = _inbox(to)
    inbox.mkdir(parents=True, exist_ok=True)
    with _client() as client:
        if service:
            if not task or urls:
                raise ConfigError("--service needs --task, and no URLs")
            chosen = configured(service)
            bar = _Bytes(f"{service} {task}")
            try:
                fetched = fetch_task(client, chosen, task, api_key(chosen), inbox, kind, download_policy(chosen),
                                     timeout=wait, on_progress=bar)
            finally:
                bar.close()
            for path in (*fetched.files, *fetched.already_there):
                click.echo(f"{'fetched' if path in fetched.files else 'already here'}: {path}")
            return
        if not urls:
            raise ConfigError("give URLs, or --service and --task")
        if sha256 and len(urls) > 1:
            raise ConfigError("--sha256 checks one file: give one URL")
        for url in urls:
            metadata = {"source_url": url.split("?", 1)[0], **({"expected_duration": expect_duration} if expect_duration else {})}
            destination = inbox / f"fetch-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}{suffix_for(None, url)}"
            bar = _Bytes(url.split("?", 1)[0][-40:])
            try:
                done = download(client, url, destination, DownloadPolicy(insecure_hosts=insecure_hosts()), sha256=sha256,
                                metadata=metadata, on_progress=bar)
            finally:
                bar.close()
            click.echo(f"fetched {done.path} ({done.size} bytes, sha256 {done.sha256[:12]}…)")


@fetch.command("jobs")
@click.argument("project", type=EXISTING, default=Path("."))
def fetch_jobs(project: Path) -> None:
    """Ask each pending task in the project's jobs.toml once; fetch the finished ones."""
    opened = open_project(project)
    with _client() as client:
        outcomes = run_jobs(opened.root, opened.path(opened.config.watch.inbox), client)
    for outcome in outcomes:
        click.echo(f"{outcome.job.service} {outcome.job.task}: {outcome.status}: {outcome.detail}")


@fetch.command("serve")
@click.option("--port", default=8765, show_default=True)
@click.option("--to", type=EXISTING, help="the inbox (default: the project's, or ./inbox)")
def fetch_serve(port: int, to: Path | None) -> None:
    """Receive the services' callbacks on 127.0.0.1:PORT/webhook/SERVICE (put a tunnel in front)."""
    inbox = _inbox(to)
    with _client() as client:
        server = make_server(port, inbox, client, dict(os.environ), click.echo)
        click.echo(f"listening on http://127.0.0.1:{port}/webhook/<service> -> {inbox} (Ctrl-C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


@main.command()
@click.argument("reference", type=EXISTING)
@click.option("--max", "max_seconds", default=10.0, show_default=True, help="longest chunk, seconds (backgrounds loop past 10 s)")
@click.option("--on-beats", "song", type=EXISTING, help="end chunks on this song's beats")
@click.option("-o", "--output", type=EXISTING, help="folder for the chunks (default: chunks/ beside the reference)")
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
@click.argument("paths", nargs=-1, type=EXISTING)
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
@click.argument("project", type=EXISTING, default=Path("."))
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


@main.group()
def resolve() -> None:
    """DaVinci Resolve: plans for the Workspace > Scripts entries, installing them, pushing from outside (Studio)."""


@resolve.command("plan")
@click.argument("project", type=EXISTING, default=Path("."))
def resolve_plan(project: Path) -> None:
    """Write the Resolve plan (and Resolve, FCPXML, FCP7 exports) for the project's newest beat-cut."""
    opened = open_project(project)
    plan = plan_for_project(opened)
    for written in write_plan(plan, opened):
        click.echo(f"wrote {written}")
    click.echo(f"\nIn Resolve: Workspace > Scripts > aivp Apply Edit. Without scripting: {plan.manual_import}")


@resolve.command("push")
@click.argument("project", type=EXISTING, default=Path("."))
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
@click.option("--dest", type=EXISTING, help="install into this Scripts/Utility folder instead")
def resolve_install(scope: str, dest: Path | None) -> None:
    """Put the aivp entries into Resolve's Workspace > Scripts > Utility menu (again: updates only what changed)."""
    target = dest or scripts_folder("all" if scope == "all" else "user")
    changed = install_scripts(target)
    click.echo(f"Resolve scripts in {target}: {len(changed)} file(s) written, the rest already current")
    for path in changed:
        click.echo(f"  {path}")
    click.echo("Restart Resolve, then Workspace > Scripts > aivp ... (Lua entries in every edition; Python in Studio and free up to 21.0)")


@main.command()
@click.argument("directory", type=EXISTING)
@click.option("--seconds", default=30.0, show_default=True, help="length of the demo song")
def demo(directory: Path, seconds: float) -> None:
    """The whole job on self-made material: project, takes, beats, multicam, beat-cut, preview."""
    with _Progress("rendering the preview") as advance:
        result = run_demo(directory, seconds, on_step=lambda step: click.echo(f"- {step}"), on_progress=advance)
    click.echo(f"\nproject:  {result.project}")
    click.echo(f"multicam: {result.build.multicam}")
    click.echo(f"beat-cut: {result.build.beatcut}")
    click.echo(f"preview:  {result.preview}  (watch it in any player)")
    for name, path in result.exports.items():
        click.echo(f"{name + ':':<9} {path}")
    click.echo(
        f"\nIn DaVinci Resolve: File > Import > Timeline, choose {result.exports['resolve'].name}; keep "
        "'Automatically import source clips into media pool' ticked so the takes, song and grain come in with it. "
        "Final Cut Pro: File > Import > XML (the .fcpxml). Premiere: File > Import (the .xml). Shotcut: open the .mlt."
    )


@main.command()
@click.argument("directory", type=EXISTING, default=Path("otio_samples"))
def samples(directory: Path) -> None:
    """Rewrite the example timelines (multicam, beat-cut, grain) in DIRECTORY."""
    for path in write_samples(directory):
        click.echo(f"wrote {path}")
