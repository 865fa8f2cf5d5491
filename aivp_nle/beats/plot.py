"""`aivp beats --plot`: the song's waveform with its beats, downbeats and (given an edit) the cuts.

Drawn as pixels with NumPy and written as PNG with zlib, so checking a grid by eye needs no
plotting library.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..files import write_bytes
from .grid import BeatGrid

__all__ = ["beat_picture", "write_png"]

WAVE, BEAT, DOWNBEAT, CUT, BACKGROUND = (90, 110, 130), (170, 170, 170), (215, 40, 40), (30, 90, 220), (250, 250, 250)


def beat_picture(
    signal: npt.NDArray[np.float32], sample_rate: int, grid: BeatGrid, cuts: Sequence[float] = (),
    width: int = 1600, height: int = 320,
) -> npt.NDArray[np.uint8]:
    """RGB pixels: the waveform's envelope, grey beats, red downbeats, blue cuts (top third)."""
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = BACKGROUND
    seconds = max(signal.size / sample_rate, 1e-9)
    columns = np.array_split(signal, width) if signal.size >= width else [signal] * width
    middle = height // 2
    peak = float(np.max(np.abs(signal))) or 1.0
    for x, column in enumerate(columns):
        if column.size:
            top = middle - int(float(column.max()) / peak * (middle - 4))
            bottom = middle - int(float(column.min()) / peak * (middle - 4))
            image[min(top, bottom) : max(top, bottom) + 1, x] = WAVE

    def line(time: float, colour: tuple[int, int, int], rows: slice, thickness: int = 1) -> None:
        x = int(time / seconds * (width - 1))
        image[rows, max(0, x - thickness // 2) : x + thickness - thickness // 2] = colour

    for time in grid.beats:
        line(time, BEAT, slice(None))
    for time in grid.downbeats:
        line(time, DOWNBEAT, slice(None), 2)
    for time in cuts:
        line(time, CUT, slice(0, height // 3), 3)
    return image


def write_png(path: Path, image: npt.NDArray[np.uint8], replace: bool = False) -> Path:
    height, width, _ = image.shape
    raw = b"".join(b"\x00" + image[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    )
    return write_bytes(path, png, replace=replace)
