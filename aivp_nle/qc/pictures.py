"""Pictures a person checks in minutes: a contact sheet of the edit, its beats and cuts, and a strip
of frames around every finding. Frames come from ffmpeg as raw RGB, are laid out with NumPy and
written as PNG, so the report needs nothing but a browser."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import opentimelineio as otio

from ..audio import decode_mono
from ..beats import BeatGrid
from ..beats.plot import beat_picture, write_png
from ..edit import meta
from ..edit.clips import clip_media
from ..ffmpeg import FFmpeg, media_arg
from .edit import Shot, beat_times, edit_clock
from .findings import Clock

__all__ = ["beat_plot", "contact_sheet", "finding_strip"]

THUMB = (192, 108)
STRIP_FRAMES = 6  # two before the finding, the finding, three after
GUTTER = 4
Picture = npt.NDArray[np.uint8]
FIT = f"scale={THUMB[0]}:{THUMB[1]}:force_original_aspect_ratio=decrease,pad={THUMB[0]}:{THUMB[1]}:-1:-1,setsar=1"
BOX = "fontsize=12:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=2"


def _label(text: str, line: int = 0) -> str:
    escaped = text.replace("\\", "\\\\").replace("'", "\u2019").replace(":", "\\:").replace("%", "\\%")
    return f"drawtext=text='{escaped}':x=4:y=h-{(line + 1) * 15}:{BOX}"


def _frames(ff: FFmpeg, source: list[str], count: int, labels: Sequence[str], what: str) -> list[Picture]:
    """`count` frames of `source`, fitted to a thumbnail, with drawtext `labels` burnt in."""
    graph = ",".join([FIT, *labels])
    raw = ff.read([*source, "-frames:v", str(count), "-vf", graph, "-pix_fmt", "rgb24", "-f", "rawvideo", "-"], what)
    return list(np.frombuffer(raw, np.uint8).reshape(-1, THUMB[1], THUMB[0], 3))


def _grid(pictures: Sequence[Picture], columns: int) -> Picture:
    width, height = THUMB
    rows = max(1, -(-len(pictures) // columns))
    sheet = np.full((rows * (height + GUTTER) + GUTTER, min(columns, max(1, len(pictures))) * (width + GUTTER) + GUTTER, 3), 24, np.uint8)
    for index, picture in enumerate(pictures):
        row, column = divmod(index, columns)
        top, left = GUTTER + row * (height + GUTTER), GUTTER + column * (width + GUTTER)
        sheet[top : top + height, left : left + width] = picture
    return sheet


def finding_strip(path: Path, at_s: float, clock: Clock, out: Path, ff: FFmpeg) -> Path:
    """Frames around a finding (it is the third, unless it is the first or second frame), each with its source timecode."""
    rate = clock.rate
    first = max(0, round(at_s * rate) - 2)
    start = first / rate
    timecode = clock.tc(first).replace(":", "\\:")
    rate_text = "24000/1001" if abs(rate - 23.976) < 0.01 else "30000/1001" if abs(rate - 29.97) < 0.01 else f"{rate:g}"
    stamp = f"drawtext=timecode='{timecode}':rate={rate_text}:x=4:y=h-15:{BOX}"
    source = ["-ss", f"{start:.6f}", "-i", media_arg(path), "-map", "0:v:0"]
    frames = _frames(ff, source, STRIP_FRAMES, [stamp], f"cutting frames from {path.name}")
    return write_png(out, _grid(frames, STRIP_FRAMES), replace=True)


def contact_sheet(timeline: otio.schema.Timeline, shots: Sequence[Shot], root: Path, out: Path, ff: FFmpeg,
                  columns: int = 6) -> Path:
    """One thumbnail per shot, from its middle, with its record timecode and angle (OFFLINE when the file is gone)."""
    clock = edit_clock(timeline)
    rate = clock.rate
    pictures = []
    for shot in shots:
        media = clip_media(shot.clip, rate, root, check_online=False)
        middle = min(shot.frames // 2, max(0, media.frames - 1))
        record = clock.tc(shot.start)
        labels = [f"{record}  {shot.angle}"]
        if media.path.is_file():
            source = ["-ss", f"{(media.first + middle) / rate:.6f}", "-i", media_arg(media.path), "-map", "0:v:0"]
        else:
            source = ["-f", "lavfi", "-i", f"color=c=0x602020:s={THUMB[0]}x{THUMB[1]}"]
            labels.append(f"OFFLINE {media.path.name}")
        stamps = [_label(text, line) for line, text in enumerate(labels)]
        pictures += _frames(ff, source, 1, stamps, f"a thumbnail of {shot.angle} at {record}")
    return write_png(out, _grid(pictures, columns), replace=True)


def beat_plot(timeline: otio.schema.Timeline, shots: Sequence[Shot], root: Path, out: Path, ff: FFmpeg) -> Path | None:
    """The song's waveform with the edit's beats, downbeats and cuts; None when it has no song or beats."""
    beats, downbeats = beat_times(timeline)
    song = next((t for t in timeline.audio_tracks() if meta.role_of(t) == meta.Role.SONG), None)
    clips = list(song.find_clips()) if song is not None else []
    if not beats or not clips:
        return None
    media = clip_media(clips[0], meta.timeline_rate(timeline), root, check_online=False)
    if not media.path.is_file():
        return None
    rate = meta.timeline_rate(timeline)
    grid = BeatGrid(beats=tuple(beats), downbeats=tuple(downbeats), bpm=meta.beats_bpm(timeline))
    cuts = [shot.start / rate for shot in shots[1:]]
    return write_png(out, beat_picture(decode_mono(media.path, 8000, ff), 8000, grid, cuts), replace=True)
