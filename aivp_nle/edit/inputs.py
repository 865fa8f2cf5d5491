"""What the edit builders take: takes (angles), the song and the grain asset, in frames.

These are checked here, once, before any timeline exists: one working rate, no variable rate,
every angle long enough to cover the song from its offset. The builders then stay simple and pure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio

from ..errors import CONFORM_HINT, EditError, RateMismatchError
from ..probe import MediaInfo
from . import meta

__all__ = ["Angle", "GrainAsset", "Piece", "Song", "SongTrack", "frames_in", "require_coverage"]



def frames_in(seconds: float, rate: float) -> int:
    """Whole frames that fit in `seconds` (a container's 29.99999 s counts as 30 s)."""
    return math.floor(seconds * rate + 1e-3)


def _start_frame(info: MediaInfo, rate: float) -> int:
    if not info.start_timecode:
        return 0
    return int(otio.opentime.from_timecode(info.start_timecode, rate).value)


@dataclass(frozen=True)
class Piece:
    """A stretch of an angle held by one file: angle frames [at, at + frames) are that file's
    frames from `start_frame` (counted in its timecode, as OTIO counts)."""

    path: Path
    at: int
    frames: int
    start_frame: int = 0


@dataclass(frozen=True)
class Angle:
    """One take of the performance: an angle of the multicam. Source frame = record frame + offset.

    A chunked angle (a performance generated ten seconds at a time) is made of `chunks`, one file
    each, placed where their chunk sits in the reference; `path`, `frames` and `start_frame` then
    describe the first chunk."""

    name: str
    path: Path
    rate: float
    frames: int
    start_frame: int = 0
    offset: int = 0
    fit: meta.Fit = "fill"  # a take of another shape: filled (cropped), fitted whole, or over itself blurred
    chunks: tuple[Piece, ...] = ()

    def pieces(self) -> tuple[Piece, ...]:
        return self.chunks or (Piece(self.path, 0, self.frames, self.start_frame),)

    @classmethod
    def from_chunks(cls, name: str, parts: Sequence[tuple[MediaInfo, int, int]], rate: int) -> Angle:
        """An angle from its generated chunks: (media, the chunk's first frame in the reference, its length)."""
        pieces = []
        for info, at, length in sorted(parts, key=lambda part: part[1]):
            single = cls.from_media(name, info, rate)
            pieces.append(Piece(info.path, at, min(length, single.frames), single.start_frame))
        first = pieces[0]
        return cls(name=name, path=first.path, rate=rate, frames=first.frames, start_frame=first.start_frame, chunks=tuple(pieces))

    @classmethod
    def from_media(cls, name: str, info: MediaInfo, rate: int, offset_seconds: float = 0.0) -> Angle:
        """Check the take against the working rate and describe it in frames."""
        video = info.require_video()
        if video.variable_frame_rate:
            raise RateMismatchError(
                info.path,
                f"has a variable frame rate (nominal {float(video.frame_rate):g}, average "
                f"{float(video.average_frame_rate):.3f} fps)",
                CONFORM_HINT,
            )
        if video.frame_rate != rate:
            raise RateMismatchError(
                info.path, f"is {float(video.frame_rate):g} fps but the edit works at {rate} fps", CONFORM_HINT
            )
        frames = video.frames if video.frames else frames_in(info.duration, rate)
        return cls(
            name=name, path=info.path, rate=rate, frames=frames,
            start_frame=_start_frame(info, rate), offset=round(offset_seconds * rate),
        )

    @property
    def clip_name(self) -> str:
        """The take's file name, prefixed with the angle when another angle's file has the same name,
        so editors that link by clip name never swap two takes."""
        return self.path.name if self.path.stem.startswith(self.name) else f"{self.name} {self.path.name}"



@dataclass(frozen=True)
class Song:
    path: Path
    seconds: float

    @classmethod
    def from_media(cls, info: MediaInfo) -> Song:
        audio = info.require_audio()
        return cls(path=info.path, seconds=audio.duration or info.duration)


@dataclass(frozen=True)
class SongTrack:
    """One audio track of the edit: the mix or a stem, its level, and whether it plays."""

    role: meta.Role  # SONG (the mix), VOCALS or INSTRUMENTAL
    song: Song
    gain_db: float = 0.0
    enabled: bool = True


@dataclass(frozen=True)
class GrainAsset:
    """The grain plate: a clip (looped when shorter than the edit) or a still (held)."""

    path: Path
    seconds: float
    still: bool = False

    @classmethod
    def from_media(cls, info: MediaInfo) -> GrainAsset:
        video = info.require_video()
        return cls(path=info.path, seconds=info.duration, still=video.still)


def require_common_rate(infos: Sequence[MediaInfo]) -> int:
    """The one rate all takes share; refuse a mix, naming each file's rate."""
    rates = {info.path: info.require_video().frame_rate for info in infos}
    distinct = set(rates.values())
    if len(distinct) > 1:
        listing = ", ".join(f"{path.name} {float(rate):g} fps" for path, rate in rates.items())
        first = next(iter(rates))
        raise RateMismatchError(first.parent, f"angles at different frame rates ({listing})", CONFORM_HINT)
    rate = distinct.pop()
    if rate.denominator != 1 or int(rate) not in (24, 30):
        first = next(iter(rates))
        raise RateMismatchError(
            first, f"is {float(rate):g} fps; the handbook works at 24 or 30 fps", CONFORM_HINT
        )
    return int(rate)


def require_coverage(angles: Sequence[Angle], frames: int) -> None:
    """Every angle must hold the song's whole length from its offset, or the cut runs out of picture."""
    for angle in angles:
        if angle.chunks:
            _require_chunks(angle, frames)
            continue
        first = angle.offset
        last = angle.offset + frames
        if first < 0 or last > angle.frames:
            short = (max(0, last - angle.frames) + max(0, -first)) / angle.rate
            raise EditError(
                f"{angle.path}: angle {angle.name!r} is {short:.2f} s shorter than the song needs "
                f"({frames / angle.rate:.2f} s from offset {angle.offset / angle.rate:+.2f} s; the take has "
                f"{angle.frames / angle.rate:.2f} s). Generate a longer take, lower its offset, or trim the song"
            )


def _require_chunks(angle: Angle, frames: int) -> None:
    covered = angle.offset
    for piece in angle.pieces():
        if piece.at > covered:
            break
        covered = max(covered, piece.at + piece.frames)
    if covered < angle.offset + frames:
        raise EditError(
            f"angle {angle.name!r} has no generation from {covered / angle.rate:.2f} s (of the {frames / angle.rate:.2f} s "
            "the song needs): a chunk is missing or its generation is short. Generate it, then build again"
        )


FIT_WORDS = {"fill": "filled: cropped to its middle", "fit": "fitted whole, with black bars", "blur": "fitted whole over a blurred copy of itself"}


def reshape_note(angle: str, size: tuple[int, int], frame: tuple[int, int], fit: str) -> str | None:
    """What the edit does with a take of another shape than the frame (None when the shapes agree),
    in the words build, render and QC all use."""
    (width, height), (frame_width, frame_height) = size, frame
    if width * frame_height == height * frame_width:
        return None
    hint = "" if fit != "fill" else f' (`[angles.{angle}] fit = "fit"` or "blur" keeps the whole picture)'
    return f"{angle} is {width}x{height} in a {frame_width}x{frame_height} edit: {FIT_WORDS.get(fit, fit)}{hint}"
