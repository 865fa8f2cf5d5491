"""What the faces share: the `aivp` group, errors shown as one line, progress bars, media descriptions.

The group loads a command's module only when that command runs (or shows its own help): `aivp
--help` lists every command from the command modules' source, read, not imported, so it answers
in a fraction of the time importing OTIO, NumPy and pydantic takes. A new command needs nothing
here: `@main.command` in a module of this package is found.
"""

from __future__ import annotations

import ast
import functools
import importlib
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import click

from .._version import __version__
from ..errors import AivpError, ConfigError
from ..files import shown

if TYPE_CHECKING:
    from ..probe import MediaInfo


A_PATH = click.Path(path_type=Path)


@dataclass(frozen=True)
class Listed:
    module: str
    summary: str


def _decorated_name(decorator: ast.expr, function: ast.FunctionDef) -> str | None:
    """The command name a `@main.command(...)` / `@main.group(...)` decorator gives, else None."""
    call = decorator if isinstance(decorator, ast.Call) else None
    target = call.func if call else decorator
    if not (isinstance(target, ast.Attribute) and target.attr in ("command", "group")
            and isinstance(target.value, ast.Name) and target.value.id == "main"):
        return None
    given = [a.value for a in (call.args if call else []) if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    given += [str(k.value.value) for k in (call.keywords if call else []) if k.arg == "name" and isinstance(k.value, ast.Constant)]
    return str(given[0]) if given else function.name.replace("_", "-")


@functools.cache
def listed_commands() -> dict[str, Listed]:
    """Every `aivp` command: its module and the first line of its help, from the modules' source."""
    found: dict[str, Listed] = {}
    for source in sorted(Path(__file__).parent.glob("*.py")):
        if source.name.startswith("_"):
            continue
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                for decorator in node.decorator_list:
                    name = _decorated_name(decorator, node)
                    if name:
                        summary = click.Command(name, help=ast.get_docstring(node) or "").get_short_help_str(300)
                        found[name] = Listed(source.stem, summary)
    return found


class _Face(click.Group):
    """Commands loaded when used. Our errors, and the system's (a read-only folder, a full disk),
    become one clear line on stderr and exit code 1; nothing else is caught."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*listed_commands(), *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        listed = listed_commands().get(cmd_name)
        if cmd_name not in self.commands and listed is not None:
            importlib.import_module(f"{__package__}.{listed.module}")
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, listed.summary) for name, listed in sorted(listed_commands().items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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


@click.group(cls=_Face, context_settings={"help_option_names": ["-h", "--help"]})
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

    def __enter__(self) -> Self:
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


CLUSTER = click.option("--cluster", metavar="tcp://HOST:8786",
                       help="run on this Dask scheduler's workers (default: [farm] scheduler in aivp.toml, else this machine)")


class _Tasks(_Progress):
    """One progress bar for a whole farm job, its label the tasks done / running / failed (on stderr:
    `qc --json` keeps stdout for the JSON)."""

    def __call__(self, tally: Any) -> None:
        if self.bar is None:
            bar: Any = click.progressbar(length=tally.total, label=self.label, show_pos=True, file=sys.stderr)
            self.bar = bar.__enter__()
        self.bar.label = f"{self.label} ({tally.running} running, {tally.failed} failed)"
        if tally.done > self.shown:
            self.bar.update(tally.done - self.shown)
            self.shown = tally.done
        else:
            self.bar.render_progress()
