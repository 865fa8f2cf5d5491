"""Decoded audio as numbers, through ffmpeg.

Decoding goes through ffmpeg so that compressed files lose their encoder priming (an MP3 starts
~51 ms late otherwise, more than a frame at 24 fps) wherever the file says how much to trim.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from .ffmpeg import FFmpeg, locate, media_arg
from .probe import probe

__all__ = ["decode_mono"]


def decode_mono(path: Path, sample_rate: int, ff: FFmpeg | None = None) -> npt.NDArray[np.float32]:
    """The file's first audio stream, mixed to mono float32 at `sample_rate`."""
    ff = ff or locate()
    probe(path, ff).require_audio()
    raw = ff.read(
        ["-i", media_arg(path), "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(sample_rate), "-f", "f32le", "-"],
        f"decoding the audio of {path}",
    )
    return np.frombuffer(raw, dtype=np.float32)
