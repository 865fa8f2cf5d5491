"""The main job's faces: init, probe, beats, beatcut, build, render, mark, demo, samples."""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any, cast

import click

from ..audio import decode_mono
from ..beats.analysis import DEFAULT_TRACKER, LEVELS, TRACKERS, BeatOptions, analyse
from ..beats.plot import beat_picture, write_png
from ..config import BeatSettings, ConformTarget, CutPattern, CutSettings, FarmSettings, GrainSettings, ProjectConfig, checked
from ..demo import run_demo
from ..edit import meta
from ..edit.beatcut import cut_times
from ..edit.clips import media_path
from ..edit.meta import timeline_rate
from ..errors import AivpError, ConfigError
from ..farm.jobs import Farm, farm_for, require_tools
from ..farm.segments import render_segments
from ..ffmpeg import locate
from ..lipsync_workflow import LipSyncReport
from ..pipeline import beat_options, beatcut_files, build_project
from ..probe import probe
from ..project import enclosing_project, init_project, open_project
from ..render import PRESETS, render
from ..samples import write_samples
from ..take_steps import STEPS, Step, mark, order_warnings
from ..timelines import load_timeline, save_timeline
from ._common import A_PATH, CLUSTER, _describe, _Progress, _size, _Tasks, main


@main.command()
@click.argument("directory", type=A_PATH)
@click.option("--fps", type=int, default=24, show_default=True, help="working frame rate: 24 or 30")
@click.option("--no-grain", is_flag=True, help="do not make a grain plate (bring your own: [grain] asset)")
@click.option("--panel", "open_panel", is_flag=True, help="then open the project's panel in the browser (`aivp panel`)")
def init(directory: Path, fps: int, no_grain: bool, open_panel: bool) -> None:
    """Make the handbook's project layout, aivp.toml and a film-grain plate in DIRECTORY (keeps what is there)."""
    from ..grain_plate import project_grain
    from .grain import report_plate

    conform = checked(ConformTarget, {"fps": fps}, "--fps")
    project = init_project(directory, ProjectConfig(conform=conform))
    if not no_grain and not project.config.grain.asset:
        click.echo(f"making a {project.config.conform.width}x{project.config.conform.height} film-grain plate...")
        plate, project = project_grain(project)
        report_plate(plate, project.config.grain.opacity, project.config.grain.blend)
    click.echo(f"project ready: {project.root}")
    click.echo("  takes go in 03_Generations/v1_exploration (NAME_v001.mp4) or the inbox, the song in 04_Audio; then `aivp build`, "
               f"or all of it in the browser: `aivp panel {project.root}`")
    if open_panel:
        from .panel import panel

        click.get_current_context().invoke(panel, project=project.root, port=None, no_browser=False)


@main.command("probe")
@click.argument("files", nargs=-1, required=True, type=A_PATH)
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


def _beat_options(
    bpm: float | None, first_downbeat: float | None, offset: float, beats_file: Path | None, tracker: str, level: str,
) -> BeatOptions:
    settings = checked(BeatSettings, {
        "bpm": bpm, "first_downbeat": first_downbeat, "offset": offset, "tracker": tracker, "level": level,
    }, "options")
    if settings.first_downbeat is not None and settings.bpm is None:
        raise ConfigError("--first-downbeat needs --bpm: together they pin a steady grid")
    return beat_options(settings, Path.cwd(), beats_file=beats_file)


def _beat_flags(command: Any) -> Any:
    """The options every command that finds beats shares."""
    for option in reversed([
        click.option("--bpm", type=float, help="pin the tempo (the tracker still finds where the beats fall)"),
        click.option("--first-downbeat", type=float, help="with --bpm: seconds to the first bar; a steady grid, no tracking"),
        click.option("--beat-offset", "beat_offset", default=0.0, help="seconds to move every beat (later when positive)"),
        click.option("--beats-file", type=A_PATH, help="beat times from a file: text/CSV (seconds[, bar position]) or an .otio's markers"),
        click.option("--tracker", type=click.Choice(list(TRACKERS)), default=DEFAULT_TRACKER, show_default=True, help="the beat tracker"),
        click.option("--level", type=click.Choice(list(LEVELS)), default="auto", show_default=True,
                     help="the metrical level: half or double the tempo the tracker chose (when it says another is close)"),
    ]):
        command = option(command)
    return command


@main.command()
@click.argument("audio", type=A_PATH)
@_beat_flags
@click.option("--json", "as_json", is_flag=True, help="the grid as JSON: beats, downbeats, bpm, bars, tempo curve, confidence")
@click.option("--fps", type=int, help="also each beat's frame at this rate, and the worst snapping error")
@click.option("--plot", type=A_PATH, help="write a PNG: waveform, beats, downbeats (and the cuts of --edit)")
@click.option("--edit", type=A_PATH, help="with --plot: an .otio whose cuts to draw")
def beats(
    audio: Path, bpm: float | None, first_downbeat: float | None, beat_offset: float, beats_file: Path | None,
    tracker: str, level: str, as_json: bool, fps: int | None, plot: Path | None, edit: Path | None,
) -> None:
    """Beat times, downbeats, bars and tempo of a song (or of its drums stem: track on it when you have one)."""
    grid = analyse(audio, _beat_options(bpm, first_downbeat, beat_offset, beats_file, tracker, level))
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
    if grid.other_level:
        other = grid.bpm * (0.5 if grid.other_level == "half" else 2.0)
        click.echo(f"{grid.other_level} the tempo, {other:g} BPM, is nearly as likely: --level {grid.other_level} gives that grid")
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
@click.option("--music", required=True, type=A_PATH, help="the song")
@click.option("--angle", "angles", multiple=True, required=True, type=A_PATH, help="a take; repeat per angle")
@click.option("--pattern", type=click.Choice(typing.get_args(CutPattern)), default="beats", show_default=True,
              help="where to cut: every N beats, every N bars, on downbeats, every phrase, or by the song's energy")
@click.option("--every", default=CutSettings().every, show_default=True, help="beats (or bars) per shot")
@click.option("--phrase-bars", type=click.Choice(["4", "8"]), default="4", show_default=True, help="bars per phrase")
@click.option("--hero", help="angle held through the loudest phrase")
@click.option("--min-shot", default=CutSettings().min_shot, show_default=True, help="shortest shot, seconds")
@click.option("--seed", default=0, show_default=True, help="same seed, same edit")
@click.option("--grain", type=A_PATH, help="grain plate, blended Overlay at --grain-opacity")
@click.option("--grain-opacity", default=GrainSettings().opacity, show_default=True)
@click.option("--offset", "offsets", multiple=True, help="ANGLE=SECONDS a take runs ahead of the song")
@_beat_flags
@click.option("-o", "--output", required=True, type=A_PATH, help="the .otio to write")
@click.option("--force", is_flag=True, help="replace OUTPUT if it exists")
def beatcut(
    music: Path, angles: tuple[Path, ...], pattern: str, every: int, phrase_bars: str, hero: str | None, min_shot: float,
    seed: int, grain: Path | None, grain_opacity: float, offsets: tuple[str, ...], bpm: float | None,
    first_downbeat: float | None, beat_offset: float, beats_file: Path | None, tracker: str, level: str, output: Path,
    force: bool,
) -> None:
    """Cut between angles on the music's beats: writes the multicam stack and the beat-cut in one .otio."""
    cut = checked(CutSettings, {
        "pattern": pattern, "every": every, "phrase_bars": int(phrase_bars), "hero": hero, "min_shot": min_shot, "seed": seed,
    }, "options")
    grain_settings = checked(GrainSettings, {"opacity": grain_opacity}, "options")
    beats = _beat_options(bpm, first_downbeat, beat_offset, beats_file, tracker, level)
    timeline = beatcut_files(angles, music, cut, grain=grain, grain_settings=grain_settings, offsets=_offsets(offsets), beats=beats)
    timeline.name = output.stem
    written = save_timeline(timeline, output, replace=force)
    _report(timeline, written)


def _report(timeline: Any, written: Path) -> None:
    cut = meta.cut_record(timeline)
    click.echo(
        f"wrote {written}: {cut.get('shots', 0)} shots on {len(timeline.video_tracks())} video tracks, "
        f"{timeline.duration().to_seconds():.2f} s, worst cut-to-beat snap {1000 * cut.get('max_snap_error_s', 0):.1f} ms"
    )


def _lipsync(report: LipSyncReport) -> None:
    for sync in report.syncs:
        click.echo(sync.describe())
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if report.cut:
        long_enough = [p for p in report.cut.phrases if p.seconds >= report.cut.min_phrase]
        click.echo(f"sung phrases: {len(report.cut.phrases)} ({len(long_enough)} long enough for a lip-sync shot), "
                   f"lip-sync angles: {', '.join(sorted(report.cut.angles))}")


@main.command()
@click.argument("project", type=A_PATH, default=Path("."))
@click.option("--json", "as_json", is_flag=True, help="what was written, the cut (shots, length, worst snap) and the warnings, as JSON")
@click.option("--pattern", type=click.Choice(typing.get_args(CutPattern)), help="the cut pattern (saved in aivp.toml [cut])")
@click.option("--every", type=click.IntRange(1, 64), help="beats (or bars) per shot (saved)")
@click.option("--min-shot", type=click.FloatRange(0.0, 60.0, min_open=True), help="shortest shot, seconds (saved)")
@click.option("--hero", help="the angle held through the loudest phrase; '' for none (saved)")
@click.option("--seed", type=int, help="another seed, another edit of the same rules (saved)")
@click.option("--level", type=click.Choice(list(LEVELS)), help="the beat level: auto, half or double (saved in [beats])")
@click.option("--grain-opacity", type=click.FloatRange(0.0, 1.0), help="the grain's opacity (saved in [grain])")
def build(project: Path, as_json: bool, pattern: str | None, every: int | None, min_shot: float | None, hero: str | None,
          seed: int | None, level: str | None, grain_opacity: float | None) -> None:
    """Rebuild 06_Edit/multicam.otio and add a new 06_Edit/beatcut_vNNN.otio from the project's takes.

    The cut options are saved in aivp.toml first (as the panel's Build does), so the next build
    and every face keep them."""
    from ..settings import update_sections

    opened = open_project(project)
    cut: dict[str, object] = {k: v for k, v in {"pattern": pattern, "every": every, "min_shot": min_shot, "seed": seed}.items() if v is not None}
    if hero is not None:
        cut["hero"] = hero or None
    opened = update_sections(opened, {"cut": cut, "beats": {"level": level} if level else {},
                                      "grain": {"opacity": grain_opacity} if grain_opacity is not None else {}})
    result = build_project(opened)
    if as_json:
        record = meta.cut_record(result.timeline)
        click.echo(json.dumps({
            "multicam": str(result.multicam), "beatcut": str(result.beatcut), "shots": record.get("shots", 0),
            "seconds": round(result.timeline.duration().to_seconds(), 3), "max_snap_error_s": record.get("max_snap_error_s", 0.0),
            "warnings": [*result.warnings, *result.lipsync.warnings],
            "lipsync": [sync.describe() for sync in result.lipsync.syncs],
        }, indent=2))
        return
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    _warn_order([t.path for t in opened.latest_takes()], opened.config.conform.fps)
    _lipsync(result.lipsync)
    click.echo(f"wrote {result.multicam}")
    _report(result.timeline, result.beatcut)


@main.command("render")
@click.argument("edit", type=A_PATH)
@click.option("-o", "--output", required=True, type=A_PATH, help="the video to write (.mp4)")
@click.option("--preset", type=click.Choice(list(PRESETS)), default="preview", show_default=True,
              help="preview: quick 720p H.264; master: delivery size, ProRes 422 HQ (.mov); social: delivery size, "
                   "H.264 tuned to keep grain, a touch of contrast, no pure black, a high bitrate")
@click.option("--size", help="WIDTHxHEIGHT; default the preset's")
@click.option("--force", is_flag=True, help="replace OUTPUT if it exists")
@CLUSTER
@click.option("--segments", type=click.IntRange(1, 4096),
              help="render in this many segments split at cuts, side by side (default with a cluster: two per worker)")
def render_command(edit: Path, output: Path, preset: str, size: str | None, force: bool, cluster: str | None,
                   segments: int | None) -> None:
    """Render an edit: the picture, the grain blended at its mode and opacity, the audio tracks mixed.

    In one ffmpeg pass, or with --segments or a cluster (--cluster, [farm] scheduler) split at cuts
    into segments rendered side by side, each decoding only what is on screen, joined without re-encoding."""
    timeline = load_timeline(edit)
    takes = [c for t in timeline.video_tracks() if meta.role_of(t) in (meta.Role.ANGLE, meta.Role.CUT) for c in t.find_clips()]
    _warn_order([media_path(c, edit.absolute().parent) for c in takes], int(timeline_rate(timeline)))
    from ..qc.edit import reshaped_clips

    for note in reshaped_clips(timeline, edit.absolute().parent):
        click.echo(f"warning: {note}", err=True)
    project = enclosing_project(edit)
    settings = project.config.farm if project else FarmSettings()
    if segments or cluster or settings.scheduler:
        written = _render_on_farm(timeline, edit, output, preset, _size(size), force, farm_for(settings, cluster=cluster),
                                  segments, project.root.name if project else edit.stem)
    else:
        with _Progress(f"rendering {edit.name} ({preset})") as advance:
            written = render(timeline, output, size=_size(size), media_root=edit.absolute().parent, on_progress=advance,
                             replace_existing=force, preset=preset)
    click.echo(f"wrote {written}")


def _render_on_farm(timeline: Any, edit: Path, output: Path, preset: str, size: tuple[int, int] | None, force: bool,
                    farm: Farm, segments: int | None, project: str) -> Path:
    with farm, _Tasks(f"rendering {edit.name} ({preset}) on {farm.executor.name}") as shown_tally:
        require_tools(farm.executor, f"render {preset}")
        return render_segments(timeline, output, executor=farm.executor, preset=preset, size=size,
                               media_root=edit.absolute().parent, paths=farm.paths, project=project,
                               segments=segments or farm.segments, on_tally=shown_tally, replace_existing=force)


@main.command("mark")
@click.argument("take", type=A_PATH)
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


@main.command()
@click.argument("directory", type=A_PATH)
@click.option("--seconds", default=30.0, show_default=True, help="length of the demo song")
def demo(directory: Path, seconds: float) -> None:
    """The whole job on self-made material: project, takes, beats, multicam, beat-cut, preview."""
    with _Progress("rendering the preview") as advance:
        result = run_demo(directory, seconds, on_step=lambda step: click.echo(f"- {step}"), on_progress=advance)
    click.echo()
    _lipsync(result.build.lipsync)
    click.echo(f"\nproject:  {result.project}")
    click.echo(f"multicam: {result.build.multicam}")
    click.echo(f"beat-cut: {result.build.beatcut}")
    click.echo(f"preview:  {result.preview}  (watch it in any player)")
    for name, path in result.exports.items():
        click.echo(f"{name + ':':<9} {path}")
    click.echo(
        f"\nIn DaVinci Resolve: File > Import > Timeline, choose {result.exports['resolve'].name}; keep "
        "'Automatically import source clips into media pool' ticked so the takes, song and grain come in with it. "
        "Final Cut Pro: File > Import > XML (the .fcpxml). Premiere: File > Import (the .xml). Shotcut: open the .mlt. Kdenlive: open the .kdenlive."
    )


@main.command()
@click.argument("directory", type=A_PATH, default=Path("otio_samples"))
def samples(directory: Path) -> None:
    """Rewrite the example timelines (multicam, beat-cut, grain) in DIRECTORY."""
    for path in write_samples(directory):
        click.echo(f"wrote {path}")
