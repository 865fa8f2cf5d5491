"""The vocal stem, analysed: where the singer sings, and how far a lip-synced take sits from it.

Sung phrases are stretches where the stem is both loud (within `threshold_db` of its loudest
moment) and voiced (a clear pitch period: breaths, clicks and bleed from other instruments have
none), with pauses shorter than a breath bridged. A lip-synced take carries the vocal it was
synced to as its own audio, so cross-correlating that audio with the stem says where the take
sits against the song, to a fraction of a millisecond, and how sure that is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .audio import decode_mono
from .ffmpeg import FFmpeg, locate

__all__ = ["Phrase", "SyncMeasure", "VocalStem", "voiced_phrases"]

RATE = 16000
HOP = 0.02  # seconds between analysis frames
WINDOW = 0.04
BRIDGE = 0.25  # a pause shorter than this is inside the phrase (a breath between words)
SHORTEST = 0.12  # anything shorter is a consonant or a click, not a phrase
PITCH = (80.0, 1000.0)  # Hz: the singing voice's fundamental
VOICED = 0.4  # normalised autocorrelation at the pitch period above which a frame is voiced


@dataclass(frozen=True)
class Phrase:
    start: float  # seconds from the song's start
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class SyncMeasure:
    offset: float  # seconds the take runs ahead of the song: take time = song time + offset
    confidence: float  # 0-1: the normalised correlation at that offset


def _frames(signal: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float64]:
    hop, window = int(HOP * RATE), int(WINDOW * RATE)
    count = max(0, 1 + (signal.size - window) // hop)
    index = np.arange(window)[None, :] + hop * np.arange(count)[:, None]
    return signal[index].astype(np.float64) if count else np.zeros((0, window))


def voiced_phrases(signal: npt.NDArray[np.floating[Any]], threshold_db: float = -30.0) -> list[Phrase]:
    """Sung phrases of a mono signal at RATE (a pure function: what `VocalStem.phrases` decodes for)."""
    frames = _frames(signal)
    if not len(frames):
        return []
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    loud = level > level.max() + threshold_db
    centred = frames - frames.mean(axis=1, keepdims=True)
    size = 2 * frames.shape[1]
    power = np.abs(np.fft.rfft(centred * np.hanning(frames.shape[1]), size)) ** 2
    autocorrelation = np.fft.irfft(power, size)[:, : frames.shape[1]]
    low, high = int(RATE / PITCH[1]), int(RATE / PITCH[0])
    periodicity = autocorrelation[:, low:high].max(axis=1) / (autocorrelation[:, 0] + 1e-12)
    sung = loud & (periodicity > VOICED)
    phrases: list[Phrase] = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], sung.astype(np.int8), [0]])))
    for first, last in zip(edges[::2], edges[1::2]):
        start, end = first * HOP + WINDOW / 2 - HOP / 2, last * HOP + WINDOW / 2 - HOP / 2
        if phrases and start - phrases[-1].end < BRIDGE:
            phrases[-1] = Phrase(phrases[-1].start, end)
        else:
            phrases.append(Phrase(start, end))
    return [Phrase(round(float(p.start), 3), round(float(p.end), 3)) for p in phrases if p.seconds >= SHORTEST]


@dataclass(frozen=True)
class VocalStem:
    """The vocal stem decoded once, for checking many lip-synced takes (or chunks) against it."""

    signal: npt.NDArray[np.float64]

    @classmethod
    def load(cls, vocals: Path, ff: FFmpeg | None = None) -> VocalStem:
        return cls(decode_mono(vocals, RATE, ff or locate()).astype(np.float64))

    def phrases(self, threshold_db: float = -30.0) -> list[Phrase]:
        return voiced_phrases(self.signal, threshold_db)

    def measure(self, take: Path, expected: float = 0.0, search: float = 1.0, ff: FFmpeg | None = None) -> SyncMeasure:
        """Where the take's own audio matches the stem, searched within `search` seconds of `expected`.

        Cross-correlation by FFT against the stretch of the stem the search can reach (a 10 s chunk
        costs the same in a 3-minute song as in a 12 s one), the peak refined between samples by a
        parabola: at 16 kHz that resolves well under a millisecond. The confidence compares the
        take's audio with the part of the stem it lies over, so a chunk scores as a whole take does."""
        heard = decode_mono(take, RATE, ff or locate()).astype(np.float64)
        centre, reach = round(expected * RATE), round(search * RATE)
        # correlation at lag k compares heard(i) with stem(i - k): these lags reach stem[low:high]
        low, high = max(0, -(centre + reach)), min(self.signal.size, heard.size - centre + reach)
        if heard.size == 0 or high <= low:
            return SyncMeasure(offset=expected, confidence=0.0)
        stretch = self.signal[low:high]
        size = 1 << int(np.ceil(np.log2(heard.size + stretch.size)))
        correlation = np.fft.irfft(np.fft.rfft(heard, size) * np.conj(np.fft.rfft(stretch, size)), size)
        lags = np.arange(size)
        lags[heard.size :] -= size  # past the take's length the circular correlation holds the negative lags
        lags -= low  # as lags against the whole stem
        window = np.flatnonzero(np.abs(lags - centre) <= reach)
        best = window[int(np.argmax(correlation[window]))]
        before, peak, after = correlation[(best - 1) % size], correlation[best], correlation[(best + 1) % size]
        bend = before - 2 * peak + after
        shift = 0.5 * (before - after) / bend if bend < 0 else 0.0
        heard_from = -int(lags[best])  # the stretch of the stem the take's audio lies over
        under = self.signal[max(0, heard_from) : max(0, heard_from + heard.size)]
        norm = np.sqrt(np.sum(heard**2) * np.sum(under**2)) or 1.0
        return SyncMeasure(offset=float((lags[best] + shift) / RATE), confidence=round(float(max(0.0, peak / norm)), 3))

