"""Is a file in the inbox a finished generation? All of the measured checks, never one alone.

File events are hints: a polling observer reports a file after its first chunk; "closed" misses
atomic renames and fires on Firefox's 0-byte placeholder; a `+faststart` MP4 cut to 5 % of its
bytes still probes with its full duration. So a file is finished only when its name is not a
download's temporary name and no temporary sibling exists, its size and mtime have held for the
settle time, no process here has it open for writing, its MP4/MOV boxes cover the file exactly with
a `moov` and no open-ended `mdat` (an MP4 whose boxes are not complete yet is still arriving: a sync
client or a slow share pauses between chunks; it counts as abandoned only after the stall time
without a write), ffprobe reads it without a word on stderr with a video stream
and a duration, and that duration matches what the service promised, when it promised one.

A file we could never build from is refused at once, with the reason: an extension that is not a
video format we cut (`.avi`, none at all), a FIFO, socket or device, a symbolic link. A name too
long to take a temporary sibling is judged like any other.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..ffmpeg import FFmpeg
from ..files import shown
from ..probe import ISO_BMFF, MediaInfo, box_problem, from_ffprobe, picture_too_large
from ..project import VIDEO_SUFFIXES

__all__ = [
    "Broken", "Identity", "Judge", "Ready", "Settled", "Verdict", "Waiting", "is_companion", "is_temporary", "open_for_writing",
    "unbuildable",
]

COMPANION_SUFFIXES = (".json", ".txt")  # prompts and service metadata that travel beside a generation
TEMPORARY_SUFFIXES = (".part", ".crdownload", ".download", ".tmp", ".partial")


@dataclass(frozen=True)
class Waiting:
    reason: str


@dataclass(frozen=True)
class Settled:
    """Unchanged for the settle time: ready for the costly checks."""


@dataclass(frozen=True)
class Identity:
    """Which file, in which state, was checked: the copy must read that same file."""

    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, status: os.stat_result) -> Identity:
        return cls(status.st_ino, status.st_size, status.st_mtime_ns)


@dataclass(frozen=True)
class Ready:
    info: MediaInfo
    identity: Identity | None = None


@dataclass(frozen=True)
class Broken:
    reason: str


Verdict = Waiting | Settled | Ready | Broken


def is_temporary(name: str) -> bool:
    """Download managers' and sync tools' names for files still arriving, and hidden files."""
    lowered = name.lower()
    return (
        name.startswith(".") or name.startswith("~syncthing~") or lowered.endswith(TEMPORARY_SUFFIXES)
        or ".syncthing." in lowered
    )


def is_companion(path: Path) -> bool:
    """A prompt or metadata file (NAME.txt, NAME.json, NAME.mp4.json): read with its take, never judged as media."""
    return path.suffix.lower() in COMPANION_SUFFIXES


def _temporary_sibling(path: Path) -> bool:
    for suffix in TEMPORARY_SUFFIXES:
        try:
            if os.path.lexists(path.with_name(path.name + suffix)):
                return True
        except (OSError, ValueError):  # a name at the length limit has no longer sibling
            continue
    return False


def unbuildable(path: Path) -> str | None:
    """Why a file can never become a take (its extension), or None."""
    suffix = path.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return None
    kind = f"a {shown(suffix)} file" if suffix else "a file without an extension"
    return f"{kind}: aivp builds from {', '.join(sorted(VIDEO_SUFFIXES))}. Convert it (ffmpeg -i IN -c copy OUT.mp4) or regenerate"


def open_for_writing(path: Path) -> bool:
    """Whether any process on this machine holds the file open for writing (Linux /proc; False elsewhere)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        target = os.stat(path)
    except OSError:
        return False
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        fd_dir = f"/proc/{pid}/fd"
        try:
            descriptors = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in descriptors:
            try:
                opened = os.stat(f"{fd_dir}/{fd}")
                if (opened.st_ino, opened.st_dev) != (target.st_ino, target.st_dev):
                    continue
                with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                    flags = next(int(line.split()[1], 8) for line in info if line.startswith("flags:"))
            except (OSError, StopIteration, ValueError):
                continue
            if flags & (os.O_WRONLY | os.O_RDWR):
                return True
    return False


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    stable_since: float


@dataclass
class Judge:
    """Watches files over time and says when each one is finished, broken, or not yet."""

    ff: FFmpeg
    settle: float
    stall: float = 1800.0  # seconds an incomplete file may go without a write before it counts as abandoned
    empty_grace: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _seen: dict[Path, _Seen] = field(default_factory=dict)

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)

    def observe(self, path: Path) -> Verdict:
        """The cheap checks, from the file's name and its size and mtime over time."""
        now = self.clock()
        if is_temporary(path.name) or _temporary_sibling(path):
            return Waiting("a download's temporary name")
        try:
            info = path.lstat()
        except FileNotFoundError:
            self.forget(path)
            return Waiting("gone")
        if stat.S_ISLNK(info.st_mode):
            return Broken(f"a symbolic link (to {shown(os.readlink(path))}); put the file itself in the inbox")
        if not stat.S_ISREG(info.st_mode):
            kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode) else "a device"
            return Broken(f"{kind}, not a file; put the file itself in the inbox")
        refusal = unbuildable(path)
        if refusal:
            return Broken(refusal)
        seen = self._seen.get(path)
        if seen is None or (seen.size, seen.mtime_ns) != (info.st_size, info.st_mtime_ns):
            self._seen[path] = _Seen(info.st_size, info.st_mtime_ns, now)
            return Waiting("still being written")
        if now - seen.stable_since < self.settle:
            return Waiting("settling")
        if info.st_size == 0:
            if now - seen.stable_since < max(self.empty_grace, self.settle):
                return Waiting("an empty placeholder (browsers write one before the download)")
            return Broken("empty (0 bytes) for longer than a download's placeholder stays")
        return Settled()

    def check(self, path: Path, expected_duration: float | None = None) -> Verdict:
        """The checks that cost time (a /proc scan, the box walk, ffprobe), for a file that has settled.

        Stateless, so several files can be checked at once.
        """
        if open_for_writing(path):
            return Waiting("open for writing by a process")
        checked = Identity.of(os.stat(path))
        if path.suffix.lower() in ISO_BMFF:
            problem = box_problem(path)
            idle = time.time() - checked.mtime_ns / 1e9
            if problem and problem.unfinished and idle < self.stall:
                return Waiting(f"incomplete ({problem}): waiting for the rest, up to [watch] stall = {self.stall:g} s without a write")
            if problem:
                return Broken(f"{problem}, and not written to for {idle:.0f} s" if problem.unfinished else str(problem))
        returncode, data, stderr = self.ff.probe(path)
        if returncode != 0 or stderr:
            return Broken(f"ffprobe: {stderr.splitlines()[-1] if stderr else f'exit code {returncode}'}")
        if not any(s.get("codec_type") == "video" for s in data.get("streams", [])):
            return Broken("no video stream")
        info = from_ffprobe(path.absolute(), data)
        too_large = picture_too_large(info.video) if info.video else None
        if too_large:
            return Broken(f"the picture {too_large}; scale it down or regenerate it")
        if info.duration <= 0:
            return Broken("no duration")
        if expected_duration is not None and abs(info.duration - expected_duration) > 0.5:
            return Broken(f"lasts {info.duration:.2f} s, but the service reported {expected_duration:.2f} s: cut off")
        return Ready(info, checked)
