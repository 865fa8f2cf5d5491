"""What the faces share: the `aivp` group, errors shown as one line, progress bars, media descriptions."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..errors import AivpError, ConfigError
from ..files import shown
from ..probe import MediaInfo


EXISTING = click.Path(path_type=Path)


class _Face(click.Group):
    """Our errors, and the system's (a read-only folder, a full disk), become one clear line on
    stderr and exit code 1; nothing else is caught."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AivpError as error:
            click.echo(f"aivp: error: {error}", err=True)
            ctx.exit(1)
        except OSError as error:
            where = f"{shown(error.filename)}: " if error.filename else ""
            click.echo(f"aivp: error: {where}{error.strerror or error}", err=True)
            ctx.exit(1)


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up as Ctrl-C does: ffmpeg stopped, no half-written file


@click.group(cls=_Face)
@click.version_option(__version__, prog_name="aivp")
def main() -> None:
    """aivp-nle: AI video generations to finished edits (multicam, beat-cut, grain, preview)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)  # `watch` sets its own: stop after the current file


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
