"""A song in stems, made with ffmpeg: a click-track instrumental, a "vocal" of harmonic tones in known
phrases (and a breath of noise, which is not singing), their mix; and lip-synced takes whose own
audio is that vocal, shifted by a known offset."""

from __future__ import annotations

from pathlib import Path

from aivp_nle import synthetic as synth
from aivp_nle.ffmpeg import FFmpeg

SECONDS = 12.0
BPM = 120.0
# (start, end) seconds of each sung phrase, on the beats; the middle one is too short to earn a shot
PHRASES = ((1.0, 3.0), (4.5, 5.0), (6.0, 9.5))
BREATH = (10.5, 10.9)


def make_stems(folder: Path, ff: FFmpeg) -> dict[str, Path]:
    """song (the mix), vocals and instrumental, as WAV."""
    return synth.make_stems(folder, SECONDS, BPM, PHRASES, BREATH, ff)


def make_lipsync_take(path: Path, colour: str, vocals: Path, offset_ms: float, ff: FFmpeg, fps: int = 24) -> Path:
    """A take whose picture is a flat colour and whose audio is the vocal, `offset_ms` later."""
    return synth.make_angle(path, colour, SECONDS + 1, fps, (160, 90), ff=ff, sound=vocals, sound_delay_ms=offset_ms)
