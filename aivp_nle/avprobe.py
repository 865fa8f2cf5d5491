"""ffprobe's answer without ffprobe: the same JSON fields, read in-process with PyAV.

Why: a user installs aivp with pip, and the wheels we depend on bring FFmpeg's libraries (PyAV) and
an ffmpeg binary (imageio-ffmpeg) but no ffprobe; and one ffprobe process per file costs ~60 ms
of start-up, which made the watch folder file 1,000 takes 3.5 times slower than copying them.
PyAV opens the file with the same libavformat calls ffprobe makes (`avformat_open_input`,
`avformat_find_stream_info`), so the fields are the ones ffprobe prints, under ffprobe's names:
`probe.from_ffprobe` reads either. Errors FFmpeg logs while opening are returned as ffprobe's
stderr would be (`-v error`), so the judge keeps its rule "not a word on stderr".
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

__all__ = ["available", "probe_json"]

# FFmpeg's enum values, named as ffprobe names them (libavutil/pixdesc.c); 2 is "unspecified".
PRIMARIES = {1: "bt709", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "film", 9: "bt2020",
             10: "smpte428", 11: "smpte431", 12: "smpte432", 22: "ebu3213"}
TRANSFERS = {1: "bt709", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "linear", 9: "log100",
             10: "log316", 11: "iec61966-2-4", 12: "bt1361e", 13: "iec61966-2-1", 14: "bt2020-10", 15: "bt2020-12",
             16: "smpte2084", 17: "smpte428", 18: "arib-std-b67"}
MATRICES = {0: "gbr", 1: "bt709", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "ycgco", 9: "bt2020nc",
            10: "bt2020c", 11: "smpte2085", 12: "chroma-derived-nc", 13: "chroma-derived-c", 14: "ictcp"}


def available() -> bool:
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


def _rate(value: Fraction | None) -> str:
    return f"{value.numerator}/{value.denominator}" if value else "0/0"


def _enum(value: Any, names: dict[int, str]) -> str | None:
    try:
        return names.get(int(value))
    except (TypeError, ValueError):
        return None


def _stream(stream: Any) -> dict[str, Any]:
    codec = stream.codec_context
    entry: dict[str, Any] = {"index": stream.index, "codec_type": stream.type, "codec_name": codec.name if codec else "unknown",
                             "tags": dict(stream.metadata)}
    if stream.duration is not None and stream.time_base:
        entry["duration"] = str(float(stream.duration * stream.time_base))
    if stream.type == "video":
        entry |= {"width": codec.width, "height": codec.height, "pix_fmt": codec.format.name if codec.format else None,
                  "r_frame_rate": _rate(stream.base_rate), "avg_frame_rate": _rate(stream.average_rate)}
        if stream.frames:
            entry["nb_frames"] = str(stream.frames)
        for key, value, names in (("color_primaries", codec.color_primaries, PRIMARIES),
                                  ("color_transfer", codec.color_trc, TRANSFERS), ("color_space", codec.colorspace, MATRICES)):
            named = _enum(value, names)
            if named:
                entry[key] = named
    elif stream.type == "audio":
        entry |= {"sample_rate": str(codec.sample_rate), "channels": codec.channels}
    return entry


def probe_json(path: Path) -> tuple[int, dict[str, Any], str]:
    """(exit code, ffprobe's JSON, error text) for a file, as `ffprobe -v error -show_format -show_streams` gives."""
    import av

    with av.logging.Capture() as logs:
        try:
            with av.open(str(path), metadata_errors="replace") as container:
                described: dict[str, Any] = {"format_name": container.format.name, "tags": dict(container.metadata)}
                if container.duration is not None:
                    described["duration"] = str(container.duration / 1_000_000)
                data = {"format": described, "streams": [_stream(s) for s in container.streams]}
        except (av.FFmpegError, UnicodeDecodeError, ValueError, OSError) as error:
            return 1, {}, f"{path}: {getattr(error, 'strerror', None) or error}"
    errors = [message.strip() for level, _, message in logs if level <= av.logging.ERROR]
    return 0, data, "\n".join(errors)
