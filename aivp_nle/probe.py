"""What a media file is, in the terms an editor checks before cutting: rate, size, colour, timecode.

`MediaInfo` is a file format we own (`aivp probe --json`, sidecars), so it is a pydantic model.
Frame rates stay exact rationals: 24000/1001 is not 23.976, and a timeline built on the rounded
number drifts a frame every 42 seconds.

A file is probed once per process while it stays the same file (inode, size, modification time):
a build asks about a lip-synced take three times, and the watch folder rebuilds after every
import, which would otherwise re-probe every take of the project each time.
"""

from __future__ import annotations

import struct
import threading
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from .errors import MediaError
from .ffmpeg import FFmpeg, locate

__all__ = ["AudioStream", "BoxProblem", "MediaInfo", "VideoStream", "box_problem", "from_ffprobe", "probe"]

# Transfer functions that mean the picture is HDR and needs tone mapping before it meets SDR.
HDR_TRANSFERS = frozenset({"smpte2084", "arib-std-b67"})
# ffprobe "formats" that are images, not moving pictures.
STILL_FORMATS = frozenset({"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "tiff_pipe", "bmp_pipe"})
ISO_BMFF = (".mp4", ".mov", ".m4v", ".3gp")  # files whose boxes can be walked
# What an MP4/MOV can open with; anything else is not ISO media at all, and ffprobe says so better.
FIRST_BOXES = frozenset({"ftyp", "moov", "mdat", "free", "skip", "wide", "pnot", "uuid", "styp", "sidx", "moof"})
# Demuxers that accept almost any text file, so "it probed" proves nothing.
NOT_MEDIA_FORMATS = frozenset({"tty"})
KNOWN_LIMIT = 4096  # files remembered; a project of 90 chunks x 5 angles fits many times over


class VideoStream(BaseModel):
    model_config = ConfigDict(frozen=True)

    codec: str
    width: int
    height: int
    pixel_format: str | None
    frame_rate: Fraction
    average_frame_rate: Fraction
    variable_frame_rate: bool
    frames: int | None
    color_primaries: str | None
    color_transfer: str | None
    color_matrix: str | None
    hdr: bool
    still: bool


class AudioStream(BaseModel):
    model_config = ConfigDict(frozen=True)

    index: int
    codec: str
    sample_rate: int
    channels: int
    duration: float | None


MAX_PIXELS = 8192 * 8192


def picture_too_large(video: VideoStream) -> str | None:
    if video.width * video.height > MAX_PIXELS:
        return f"is {video.width}x{video.height}, larger than the 8192x8192 aivp works with"
    return None


class MediaInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: Path
    container: str
    duration: float
    video: VideoStream | None
    audio: tuple[AudioStream, ...]
    start_timecode: str | None

    def require_video(self) -> VideoStream:
        """The picture, when there is one we can work with: a frame beyond 8192x8192 would take
        gigabytes to decode (a 16000x16000 frame is 384 MB), and no delivery is that large."""
        if self.video is None:
            raise MediaError(self.path, "has no video stream", "Use a video file for a take or angle")
        problem = picture_too_large(self.video)
        if problem:
            raise MediaError(self.path, problem, "Scale it down (ffmpeg -i IN -vf scale=3840:-2 OUT.mp4) or regenerate it")
        return self.video

    def require_audio(self) -> AudioStream:
        if not self.audio:
            raise MediaError(
                self.path, "has no audio stream",
                "Use the song's audio export (WAV, FLAC, MP3, M4A) or a video that carries the song",
            )
        return self.audio[0]


def probe(path: Path | str, ff: FFmpeg | None = None) -> MediaInfo:
    """Describe one media file, or raise MediaError saying why it is not usable media."""
    path = Path(path).expanduser().absolute()
    if not path.exists():
        raise MediaError(path, "file not found", "Check the path and the file name")
    if not path.is_file():
        raise MediaError(path, "is not a file", "Give the path of a media file, not a folder")
    ff = ff or locate()
    stat = path.stat()
    key = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, str(ff.ffprobe))
    with _KNOWN_LOCK:
        if key in _KNOWN:
            _KNOWN.move_to_end(key)
            return _KNOWN[key]
    returncode, data, stderr = ff.probe(path)
    container = str(data.get("format", {}).get("format_name", ""))
    if returncode != 0 or container in NOT_MEDIA_FORMATS or not data.get("streams"):
        reason = stderr.splitlines()[-1] if stderr else "no audio or video streams"
        raise MediaError(
            path, f"is not media ffprobe can read ({reason})",
            "Check it is a finished video or audio export; re-download or re-export it",
        )
    info = from_ffprobe(path, data)
    with _KNOWN_LOCK:
        _KNOWN[key] = info
        if len(_KNOWN) > KNOWN_LIMIT:
            _KNOWN.popitem(last=False)
    return info


_KNOWN: OrderedDict[tuple[str, int, int, int, str], MediaInfo] = OrderedDict()
_KNOWN_LOCK = threading.Lock()


def from_ffprobe(path: Path, data: dict[str, Any]) -> MediaInfo:
    """The description from ffprobe's JSON (for callers that judged ffprobe's verdict themselves)."""
    container = str(data.get("format", {}).get("format_name", ""))
    streams = data.get("streams", [])
    video = next((_video(s, container) for s in streams if s.get("codec_type") == "video"), None)
    audio = tuple(_audio(s) for s in streams if s.get("codec_type") == "audio")
    return MediaInfo(
        path=path,
        container=container,
        duration=_duration(data["format"], streams),
        video=video,
        audio=audio,
        start_timecode=_timecode(data["format"], streams),
    )


def _rate(text: str | None) -> Fraction:
    try:
        rate = Fraction(text or "0")
    except (ValueError, ZeroDivisionError):
        return Fraction(0)
    return rate if rate > 0 else Fraction(0)


def _video(stream: dict[str, Any], container: str) -> VideoStream:
    rate = _rate(stream.get("r_frame_rate"))
    average = _rate(stream.get("avg_frame_rate")) or rate
    frames = stream.get("nb_frames")
    still = container in STILL_FORMATS or frames == "1"
    transfer = stream.get("color_transfer")
    return VideoStream(
        codec=str(stream.get("codec_name", "unknown")),
        width=int(stream.get("width", 0)),
        height=int(stream.get("height", 0)),
        pixel_format=stream.get("pix_fmt"),
        frame_rate=rate,
        average_frame_rate=average,
        # A constant-rate file has its nominal and average rates equal; phones and some
        # generators write variable-rate files whose average drifts from the nominal rate.
        variable_frame_rate=(not still) and rate > 0 and abs(average - rate) / rate > Fraction(1, 1000),
        frames=int(str(frames)) if str(frames).isdigit() else None,
        color_primaries=stream.get("color_primaries"),
        color_transfer=transfer,
        color_matrix=stream.get("color_space"),
        hdr=transfer in HDR_TRANSFERS,
        still=still,
    )


def _audio(stream: dict[str, Any]) -> AudioStream:
    duration = stream.get("duration")
    return AudioStream(
        index=int(stream["index"]),
        codec=str(stream.get("codec_name", "unknown")),
        sample_rate=int(stream.get("sample_rate", 0)),
        channels=int(stream.get("channels", 0)),
        duration=float(duration) if duration is not None else None,
    )


def _duration(fmt: dict[str, Any], streams: list[dict[str, Any]]) -> float:
    for source in (fmt, *streams):
        try:
            return float(source["duration"])
        except (KeyError, ValueError):
            continue
    return 0.0


def _timecode(fmt: dict[str, Any], streams: list[dict[str, Any]]) -> str | None:
    for source in (*streams, fmt):
        timecode = source.get("tags", {}).get("timecode")
        if timecode:
            return str(timecode)
    return None


@dataclass(frozen=True)
class BoxProblem:
    """What is wrong with an MP4/MOV's top-level boxes; `unfinished` when more bytes could still mend it
    (a writer that pauses), not when a box is impossible."""

    reason: str
    unfinished: bool = True

    def __str__(self) -> str:
        return self.reason


def box_problem(path: Path) -> BoxProblem | None:
    """What is wrong with an MP4/MOV's top-level boxes, or None when they cover the file exactly."""
    size = path.stat().st_size
    position, kinds = 0, []
    with open(path, "rb") as handle:
        while position < size:
            handle.seek(position)
            header = handle.read(16)
            if len(header) < 8:
                return BoxProblem(f"cut off inside a box header at byte {position}")
            length, kind = struct.unpack(">I4s", header[:8])
            name = kind.decode("latin-1")
            if position == 0 and name not in FIRST_BOXES:
                return None  # no box structure at all: not ISO media, which ffprobe will say in its words
            if length == 1:
                if len(header) < 16:
                    return BoxProblem(f"cut off inside the '{name}' box header")
                length = struct.unpack(">Q", header[8:16])[0]
            elif length == 0:
                if name == "mdat":
                    return BoxProblem("its media data box is open-ended (mdat of size 0): the writer never finished it")
                length = size - position
            if length < 8:
                return BoxProblem(f"a '{name}' box of impossible size {length} at byte {position}", unfinished=False)
            kinds.append(name)
            position += length
    if position != size:
        return BoxProblem(f"truncated: its boxes need {position} bytes, the file has {size}", unfinished=position > size)
    if "moov" not in kinds:
        return BoxProblem("no 'moov' box: the file has no index, so it was cut off or never finished")
    return None
