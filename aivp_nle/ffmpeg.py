"""The one place that finds and runs ffmpeg, and describes media as ffprobe would.

Which ffmpeg: `AIVP_FFMPEG`, else the static build inside the imageio-ffmpeg wheel (installed with
aivp, so pip alone sets up a machine: macOS and Windows users have no apt), else PATH. Which
prober: `AIVP_FFPROBE` (an ffprobe binary), else in-process with PyAV (its wheel carries FFmpeg's
libraries; no process per file), else ffprobe on PATH. `aivp doctor` says which each job uses.

Everything else builds argument lists (often with ffmpeg-python's graph builder) and hands them
here. Commands always run as argument lists, never through a shell, and callers pass media as
absolute paths (`media_arg`): a relative ``-name.mp4`` would read as an option and ``concat:x`` as a
protocol. Filter graphs longer than the kernel's per-argument limit go through a script file.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg as ffmpeg_python

from .avprobe import available, probe_json
from .errors import ToolFailedError, ToolNotFoundError

__all__ = ["FFmpeg", "IN_PROCESS", "bundled_ffmpeg", "locate", "media_arg"]

ENV_FFMPEG = "AIVP_FFMPEG"
ENV_FFPROBE = "AIVP_FFPROBE"

INSTALL_HINT = (
    "Reinstall aivp-nle (pip install --force-reinstall aivp-nle brings ffmpeg with it), install ffmpeg "
    f"(Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg; Windows: winget install ffmpeg), "
    f"or point {ENV_FFMPEG} and {ENV_FFPROBE} at the binaries"
)
IN_PROCESS = "in-process (PyAV)"

# Linux refuses a single argument over 128 KiB; a beat-cut of a long song easily makes such a graph.
_MAX_INLINE_GRAPH = 64 * 1024
_GLOBAL_ARGS = ("-hide_banner", "-nostdin", "-loglevel", "error")


def media_arg(path: Path | str) -> str:
    """A media path as ffmpeg must see it: absolute, so it can never read as an option or protocol."""
    return str(Path(path).expanduser().absolute())


def _override(env: str) -> Path | None:
    override = os.environ.get(env)
    if not override:
        return None
    candidate = Path(override).expanduser()
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate.absolute()
    raise ToolNotFoundError(f"{env}={override} is not an executable file. {INSTALL_HINT}.")


def bundled_ffmpeg() -> Path | None:
    """The static ffmpeg the imageio-ffmpeg wheel carries, if it is installed."""
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    folder = Path(imageio_ffmpeg.__file__).parent / "binaries"
    for candidate in sorted(folder.glob("ffmpeg*")):
        if candidate.is_file() and not candidate.name.endswith((".py", ".md", ".txt")):
            if not os.access(candidate, os.X_OK):
                try:
                    candidate.chmod(candidate.stat().st_mode | 0o111)  # some installers drop the executable bit
                except OSError:
                    continue
            return candidate
    return None


def _on_path(name: str) -> Path:
    found = shutil.which(name)
    if found is None:
        raise ToolNotFoundError(f"{name} is not installed (not on PATH). {INSTALL_HINT}.")
    return Path(found).absolute()


@dataclass(frozen=True)
class FFmpeg:
    """The located binaries; pass one instance down instead of looking them up again."""

    ffmpeg: Path
    ffprobe: Path | None  # None: probe in-process with PyAV

    def probe(self, path: Path, timeout: float = 60.0) -> tuple[int, dict[str, Any], str]:
        """ffprobe's JSON for a file, with its exit code and error text (callers judge them)."""
        if self.ffprobe is None:
            return probe_json(Path(media_arg(path)))
        args = [
            str(self.ffprobe), "-v", "error", "-print_format", "json",
            "-show_format", "-show_streams", media_arg(path),
        ]
        done = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
        try:
            data = json.loads(done.stdout or b"{}")
        except json.JSONDecodeError:
            data = {}
        return done.returncode, data, done.stderr.decode("utf-8", "replace").strip()

    def read(self, args: Sequence[str], what: str, stderr: bool = False) -> bytes:
        """Run ffmpeg and return what it writes to stdout (decoded audio, raw frames), or with
        `stderr` what its analysis filters print there (ebur128, astats)."""
        command = self._command(args)
        if stderr:
            command[command.index("error")] = "info"
        done = subprocess.run(command, capture_output=True, check=False)
        if done.returncode != 0:
            raise ToolFailedError(_failure(what, done.stderr.decode("utf-8", "replace")))
        return done.stderr if stderr else done.stdout

    def run(
        self,
        args: Sequence[str],
        what: str,
        on_progress: Callable[[float], None] | None = None,
    ) -> None:
        """Run ffmpeg to completion; `on_progress` receives the seconds written so far."""
        with tempfile.TemporaryDirectory(prefix="aivp-ffmpeg-") as scratch:
            command = _graph_via_script(self._command(args), Path(scratch))
            if on_progress is not None:
                command[1:1] = ["-progress", "pipe:1", "-nostats"]
            with open(Path(scratch) / "stderr.txt", "w+b") as errors:
                process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
                assert process.stdout is not None
                try:
                    for line in process.stdout:
                        key, _, value = line.decode("ascii", "replace").strip().partition("=")
                        if on_progress is not None and key == "out_time_us" and value.isdigit():
                            on_progress(int(value) / 1_000_000)
                    returncode = process.wait()
                except BaseException:
                    # Ctrl-C or an error here: stop ffmpeg before the caller removes its output, or
                    # ffmpeg would go on writing (and re-create the file) after we are gone.
                    process.terminate()
                    process.wait()
                    raise
                errors.seek(0)
                if returncode != 0:
                    raise ToolFailedError(_failure(what, errors.read().decode("utf-8", "replace")))

    def run_graph(
        self,
        output: Any,
        what: str,
        on_progress: Callable[[float], None] | None = None,
    ) -> None:
        """Run an ffmpeg-python output node (its inputs must already be absolute paths)."""
        compiled: list[str] = ffmpeg_python.compile(output, cmd=str(self.ffmpeg))
        self.run(compiled[1:], what, on_progress)

    def _command(self, args: Sequence[str]) -> list[str]:
        return [str(self.ffmpeg), *_GLOBAL_ARGS, *args]


@functools.cache
def major_version(binary: Path) -> int:
    """ffmpeg's major version (0 when it will not say): FFmpeg 7 changed how a graph is read from a file."""
    try:
        done = subprocess.run([str(binary), "-hide_banner", "-version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return 0
    found = re.search(r"version n?(\d+)\.", done.stdout)
    return int(found.group(1)) if found else 0


def _graph_via_script(command: list[str], scratch: Path) -> list[str]:
    if "-filter_complex" not in command:
        return command
    at = command.index("-filter_complex")
    graph = command[at + 1]
    if len(graph.encode()) <= _MAX_INLINE_GRAPH:
        return command
    script = scratch / "graph.txt"
    script.write_text(graph, encoding="utf-8")
    # FFmpeg 7 reads any option's value from a file as "-/option FILE"; earlier ones had -filter_complex_script only
    option = "-/filter_complex" if major_version(Path(command[0])) >= 7 else "-filter_complex_script"
    return [*command[:at], option, str(script), *command[at + 2:]]


def _failure(what: str, stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    tail = "\n  ".join(lines[-6:]) if lines else "(ffmpeg printed nothing)"
    return f"ffmpeg failed while {what}:\n  {tail}"


@functools.cache
def locate() -> FFmpeg:
    """ffmpeg: AIVP_FFMPEG, the bundled build, PATH. The prober: AIVP_FFPROBE, PyAV, ffprobe on PATH."""
    ffmpeg = _override(ENV_FFMPEG) or bundled_ffmpeg() or _on_path("ffmpeg")
    ffprobe = _override(ENV_FFPROBE)
    if ffprobe is None and not available():
        ffprobe = _on_path("ffprobe")
    return FFmpeg(ffmpeg=ffmpeg, ffprobe=ffprobe)
