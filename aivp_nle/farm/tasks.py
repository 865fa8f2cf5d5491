"""What a farm worker runs: one task each, plain arguments in, plain results out.

Every task first checks that the worker sees the files it was given (a render node without the
share mounted fails with the path it looked for, not with ffmpeg's "No such file"), and writes its
output under a temporary name that it claims when complete, as every writer of ours does: a
worker killed mid-task leaves no output a retry could mistake for a finished one.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import opentimelineio as otio

from ..config import ConformTarget
from ..conform import ConformOptions, conform_clip
from ..doctor import checkup
from ..edit.clips import media_path
from ..edit.meta import timeline_rate
from ..qc.take import qc_take
from ..render import render
from .executor import FarmError

__all__ = ["conform_take", "measure_take", "render_picture", "render_sound", "worker_checkup"]


def _visible(*paths: Path) -> None:
    for path in paths:
        if not path.exists():
            raise FarmError(f"worker {socket.gethostname()} cannot see {path}: mount the share there, or map "
                            "where it is mounted in [farm] paths of aivp.toml")


def _edit(timeline_json: str) -> otio.schema.Timeline:
    timeline = otio.adapters.read_from_string(timeline_json, "otio_json")
    root = Path("/")  # the client sent absolute paths, as this worker sees them
    _visible(*{media_path(clip, root) for clip in timeline.find_clips()})
    return timeline


def render_picture(timeline_json: str, output: str, preset: str, size: tuple[int, int], first: int, frames: int) -> str:
    """The picture of frames [first, first + frames) of the edit, each file opened at its in-point."""
    timeline = _edit(timeline_json)
    _visible(Path(output).parent)
    rate = timeline_rate(timeline)
    span = otio.opentime.TimeRange(otio.opentime.RationalTime(first, rate), otio.opentime.RationalTime(frames, rate))
    part = otio.algorithms.timeline_trimmed_to_range(timeline, span)
    render(part, Path(output), size=size, preset=preset, streams="picture", seek=True, replace_existing=True)
    return output


def render_sound(timeline_json: str, output: str, preset: str, size: tuple[int, int]) -> str:
    """The sound of the whole edit in one piece: encoded once, no priming gap at any join."""
    timeline = _edit(timeline_json)
    _visible(Path(output).parent)
    render(timeline, Path(output), size=size, preset=preset, streams="sound", replace_existing=True)
    return output


def conform_take(take: str, target_json: str, options: dict[str, Any]) -> str:
    _visible(Path(take))
    return str(conform_clip(Path(take), ConformTarget.model_validate_json(target_json), ConformOptions(**options)))


def measure_take(take: str, target_json: str) -> str:
    """A take's QC report, as JSON."""
    _visible(Path(take))
    return qc_take(Path(take), ConformTarget.model_validate_json(target_json)).model_dump_json()


def worker_checkup() -> dict[str, str]:
    """What this worker's ffmpeg lacks (`aivp doctor` on the worker), and which ffmpeg it is."""
    found = checkup()
    return {"host": socket.gethostname(), "ffmpeg": f"{found.ffmpeg} ({found.version.split(' Copyright')[0]})",
            **{f"missing {need}": job for need, job in found.missing.items()}}
