"""The segment-parallel render: the edit split at cuts, each segment rendered on its own, joined.

A one-pass render decodes every angle for the whole song. Here each segment's ffmpeg opens every
file at its in-point, so only what is on screen is decoded, and segments run on as many workers as
there are. The segments share one preset (same encoder settings; each starts a closed GOP), the
picture is joined without re-encoding (ffmpeg's concat demuxer) and the sound, rendered once for
the whole edit, is muxed over it: no encoder priming at the joins, no gap or click. ProRes and
every intra-only codec give the one-pass render's frames exactly; H.264 gives the same pictures
through another GOP, so its frames match the one-pass render's within the encoder's noise.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

import opentimelineio as otio

from ..edit.meta import timeline_rate
from ..errors import EditError
from ..ffmpeg import FFmpeg, locate, media_arg
from ..files import claim, scratch_path
from ..render import PRESETS, cut_frames, render_size
from . import tasks
from .executor import Executor, Tally, Task, job_keys
from .paths import PathMap

__all__ = ["render_segments", "split_at_cuts"]

SEGMENTS_PER_WORKER = 2  # a slow segment then holds up only half a worker's share


def split_at_cuts(timeline: otio.schema.Timeline, *, count: int) -> list[tuple[int, int]]:
    """About `count` segments of near equal length as (first frame, frames), each boundary on the cut
    nearest its ideal place (within half a segment; else the ideal frame itself: any frame is exact)."""
    total = round(timeline.duration().rescaled_to(timeline_rate(timeline)).value)
    if total <= 0:
        raise EditError(f"timeline {timeline.name!r} is empty: nothing to render")
    count = max(1, min(count, total))
    cuts = [c for c in cut_frames(timeline) if 0 < c < total]
    bounds = {0, total}
    for k in range(1, count):
        ideal = round(total * k / count)
        nearest = min(cuts, key=lambda c: abs(c - ideal), default=ideal)
        bounds.add(nearest if abs(nearest - ideal) <= total / count / 2 else ideal)
    edges = sorted(bounds)
    return [(a, b - a) for a, b in zip(edges, edges[1:], strict=False)]


def render_segments(
    timeline: otio.schema.Timeline,
    output: Path,
    *,
    executor: Executor,
    preset: str = "preview",
    size: tuple[int, int] | None = None,
    media_root: Path | None = None,
    paths: PathMap | None = None,
    project: str = "edit",
    segments: int | None = None,
    on_tally: Callable[[Tally], None] | None = None,
    replace_existing: bool = False,
    ff: FFmpeg | None = None,
) -> Path:
    """Render `timeline` to `output` on the executor's workers; the same file a one-pass render writes."""
    output = output.expanduser().absolute()
    picture_size = render_size(timeline, output, preset=preset, size=size)
    paths = paths or PathMap()
    shipped = otio.adapters.write_to_string(
        paths.timeline_for_workers(timeline, (media_root or Path.cwd()).absolute()), "otio_json")
    spans = split_at_cuts(timeline, count=segments or SEGMENTS_PER_WORKER * executor.workers())
    work = output.parent / f".aivp-farm-{secrets.token_hex(4)}"  # beside the output: on the share the workers see
    work.mkdir(parents=True)
    try:
        pieces = [work / f"segment{n:04d}{output.suffix}" for n in range(len(spans))]
        sound = work / f"sound{output.suffix}" if _has_sound(timeline) else None
        keys = job_keys(project, "render", len(spans) + 1)
        jobs = [Task(key, tasks.render_picture, (shipped, paths.for_worker(piece), preset, picture_size, first, frames))
                for key, piece, (first, frames) in zip(keys, pieces, spans, strict=False)]
        if sound is not None:
            jobs.append(Task(keys[-1], tasks.render_sound, (shipped, paths.for_worker(sound), preset, picture_size)))
        executor.run(jobs, on_tally=on_tally)
        seconds = sum(frames for _, frames in spans) / timeline_rate(timeline)
        return _join(pieces, sound, output, seconds, preset, ff or locate(), replace_existing)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # our own segments: the output is claimed or was never made


def _has_sound(timeline: otio.schema.Timeline) -> bool:
    return any(t.enabled and len(t) for t in timeline.audio_tracks())


def _join(pieces: list[Path], sound: Path | None, output: Path, seconds: float, preset: str, ff: FFmpeg,
          replace_existing: bool) -> Path:
    listing = pieces[0].parent / "segments.txt"
    quoted = (media_arg(p).replace("'", "'\\''") for p in pieces)  # the concat list's own quoting
    listing.write_text("".join(f"file '{name}'\n" for name in quoted), encoding="utf-8")
    with scratch_path(output) as scratch:
        args = ["-f", "concat", "-safe", "0", "-i", str(listing)]
        if sound is not None:
            args += ["-i", media_arg(sound), "-map", "0:v:0", "-map", "1:a:0"]
        flags = PRESETS[preset].video.get("movflags")
        args += ["-c", "copy", "-t", f"{seconds:.6f}", *(["-movflags", flags] if flags else []), "-y", media_arg(scratch)]
        ff.run(args, f"joining {len(pieces)} segments into {output}")
        return claim(scratch, output, replace=replace_existing)
