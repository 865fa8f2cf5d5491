"""The trained tracker: BeatNet's activation (what a trained ear hears as beat and downbeat), our
own decoding (a metrical level chosen like a listener, a tempo curve, dynamic programming).

Why decode ourselves: the activation says where beats are likely, not which pulse a person taps.
We choose among the half, the found and the double tempo by how strongly the activation fires on
each level's beats and by a prior for popular music (centred at 130 BPM, an octave wide), then
follow the tempo as it moves within 30 % of that level. When two levels score within
`AMBIGUOUS` of each other the grid says so (`other_level`), since an editor cutting every two
beats at double tempo cuts twice as often as they meant. Bars come from the downbeat activation:
the meter (3 or 4) and phase whose beats it marks most, from the first bar on, short clips too.

Beats are then moved onto the spectral flux's onsets (the network hears at 50 fps) and the
opening beats it misses while it warms up are put back where the music has them.

Figures (bench/beats.py): mean beat F 0.935 on the shared long excerpts and their tempo-warped
variants; 0.928 on the MIDI-rendered development set (0.893 on its held-out third).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .beatnet import FPS, SAMPLE_RATE, Activation, activation
from .grid import BeatGrid
from .tracker import (
    END_GUARD,
    HOP,
    LEAD_IN,
    MIN_PERIODICITY,
    MIN_SECONDS,
    ONSET_LEAD,
    SILENCE,
    TEMPO_WINDOW,
    Floats,
    Signal,
    beat_grid,
    estimate_period,
    local_pulse,
    onset_strength,
    onset_times,
    periodicity,
    refine,
    strongest_near,
    tempo_curve,
    track,
    trim_weak,
)

__all__ = ["AMBIGUOUS", "beats_from_activation", "trained_beats"]

AMBIGUOUS = 0.2  # level scores (log units) closer than this: the other level is offered
PRIOR_BPM, PRIOR_OCTAVES = 130.0, 1.0
FIRING_WEIGHT = 4.0  # how much the activation on a level's beats counts against the prior
SPAN, CHANGE_COST = 1.3, 5.0  # the tempo curve: within 30 % of the level, changing only when it must
# No pulse: the activation never fires (noise, a hum, silence), or fires without period while the
# spectral flux has none either (speech). Measured: music 0.82-0.97 / 0.20-1.02; speech 0.89 / 0.15.
MIN_FIRING, MIN_ACTIVATION_PERIODICITY = 0.75, 0.18
# From 12 s on, the activation's pulse stretch by stretch (local_pulse): measured on all our music,
# tempo-warped variants included, 0.43-1.00; speech-like syllables 0.15-0.28, noise 0.20, random bursts 0.18-0.23.
MIN_LOCAL_PULSE = 0.35
ACCENT_WEIGHT = 0.5  # the low end's accent against the downbeat activation (tuned on the dev set's tuned-on part)
SILENT_BELOW_PEAK = 1e-5  # power 50 dB under the loudest moment: an intro or outro with nothing in it
LEVEL_SECONDS = 180.0
WARM_UP = 1.0  # seconds the network needs to hear before its activation means anything
SNAP = 0.03  # seconds: the farthest a beat moves onto its onset
MODEL_CREDIT = "BeatNet models 1-3 (Heydari et al., CC BY 4.0)"


def trained_beats(signal: Signal, sample_rate: int, bpm: float | None = None) -> BeatGrid | None:
    """The beat grid of mono audio at 22 050 Hz by the trained ear, or None when it has no pulse."""
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"the trained tracker listens at {SAMPLE_RATE} Hz, not {sample_rate}")
    if signal.size < MIN_SECONDS * sample_rate or float(np.max(np.abs(signal))) < SILENCE:
        return None
    return beats_from_activation(activation(signal), signal, bpm=bpm)


def beats_from_activation(heard: Activation, signal: Signal, *, bpm: float | None = None) -> BeatGrid | None:
    """Apart from `trained_beats` so that the decoding can be tuned and tested on a stored activation."""
    beat = heard.beat
    pulse = estimate_period(beat, FPS)
    onset, kick = onset_strength(signal, SAMPLE_RATE)
    if not _has_pulse(beat, pulse, onset):
        return None
    if bpm:
        period, scores = 60.0 * FPS / bpm, dict[float, float]()
    else:
        period, scores = _level(beat, pulse)
    periods = np.full(beat.size, period) if bpm else tempo_curve(beat, FPS, period, span=SPAN, change_cost=CHANGE_COST)
    strength = beat / (beat.std() or 1.0)
    frames = trim_weak(track(strength, periods), beat)
    if not bpm and period > 1.5 * pulse:
        frames = _on_the_beat(frames, trim_weak(track(strength, periods / 2), beat), _per_frame(onset, beat.size))
    times = refine(frames, beat) / FPS
    keep = (times >= 0.0) & (times < signal.size / SAMPLE_RATE - END_GUARD)
    frames, times = _onto_onsets(*_within_sound(frames[keep], times[keep], signal), onset)
    if times.size < 4:
        return None
    meter, phase = _meter_and_phase(heard.downbeat, frames, _peaks_near(kick, _hops(times)))
    return beat_grid(
        times, signal, SAMPLE_RATE, meter=meter, phase=phase, bpm=bpm, confidence=float(np.mean(beat[frames])),
        other_level=_other_level(scores), source=f"beatnet: {MODEL_CREDIT}, our tempo curve and dynamic programme",
    )


def _onto_onsets(frames: np.ndarray, times: Floats, onset: Floats) -> tuple[np.ndarray, Floats]:
    """Each beat moved onto its onset (the network hears at 50 fps, a cut needs better than a
    24 fps frame), and the opening beats the network misses while it warms up put back where the
    music has them: a song that starts on a beat is cut from its first frame."""
    if times.size < 2 or float(onset.max()) <= 0.0:
        return frames, times
    hops = _hops(times)
    snapped = onset_times(refine(hops, onset))
    times = np.where(np.abs(snapped - times) <= SNAP, np.maximum(snapped, 0.0), times)
    strong = 0.5 * float(np.median(_peaks_near(onset, hops)))
    period = float(times[1] - times[0])
    while strong > 0.0 and (first := float(times[0]) - period) > -SNAP:
        hop = np.maximum(_hops(np.array([first])), 0)
        if float(_peaks_near(onset, hop)[0]) < strong:
            break
        found = max(0.0, float(onset_times(refine(hop, onset))[0]))
        times, frames = np.insert(times, 0, found), np.insert(frames, 0, int(round(found * FPS)))
    return frames, times


def _on_the_beat(frames: np.ndarray, pulse: np.ndarray, onset: Floats) -> np.ndarray:
    """At a level slower than the pulse the network hears, which half of that pulse is the beat:
    the half the music's onsets mark. The network can prefer the off-beats of a sparse ballad (its
    piano answers between the chords); the tracked beats stay unless most of them are the other half."""
    halves = (pulse[0::2], pulse[1::2])
    if min(h.size for h in halves) < 4:
        return frames
    loudest = max(halves, key=lambda half: float(strongest_near(onset, half).mean()))
    agree = float(np.mean(np.min(np.abs(frames[:, None] - loudest[None, :]), axis=1) <= 3)) if frames.size else 0.0
    return frames if agree >= 0.5 else loudest


def _per_frame(onset: Floats, frames: int) -> Floats:
    """The spectral flux (one value per hop) at the network's 50 frames a second."""
    return np.interp(np.arange(frames) / FPS, onset_times(np.arange(onset.size, dtype=np.float64)), onset)


def _within_sound(frames: np.ndarray, times: Floats, signal: Signal) -> tuple[np.ndarray, Floats]:
    """Without the beats the programme carried into a silent intro or outro (the network's
    activation is not zero on silence, so the audio itself decides)."""
    window = SAMPLE_RATE // 20
    blocks = signal[: signal.size // window * window].reshape(-1, window)
    loudest = float(np.einsum("ij,ij->i", blocks, blocks).max()) / window if blocks.size else 0.0
    starts = np.clip((times * SAMPLE_RATE).astype(np.int64) - window // 2, 0, max(0, signal.size - window))
    power = np.array([float(np.dot(signal[a : a + window], signal[a : a + window])) / window for a in starts])
    heard = np.flatnonzero(power > loudest * SILENT_BELOW_PEAK)
    if heard.size == 0:
        return frames, times
    return frames[heard[0] : heard[-1] + 1], times[heard[0] : heard[-1] + 1]


def _hops(times: Floats) -> np.ndarray:
    """The onset hop of each time (the inverse of the spectral flux's timing)."""
    return np.rint((times - ONSET_LEAD) * SAMPLE_RATE / HOP + LEAD_IN).astype(np.int64)


def _peaks_near(onset: Floats, hops: np.ndarray) -> Floats:
    """The strongest onset within two hops of each position."""
    return strongest_near(onset, hops, 2)


def _has_pulse(beat: Floats, pulse: float, onset: Floats) -> bool:
    if float(np.percentile(beat, 99)) < MIN_FIRING:
        return False
    if beat.size >= 2 * TEMPO_WINDOW * FPS:  # long enough for two stretches: judged stretch by stretch
        return local_pulse(beat, FPS) >= MIN_LOCAL_PULSE
    if periodicity(beat, FPS, pulse) >= MIN_ACTIVATION_PERIODICITY:
        return True
    frame_rate = SAMPLE_RATE / HOP
    return float(onset.std()) > 0 and periodicity(onset, frame_rate, estimate_period(onset, frame_rate)) >= MIN_PERIODICITY


def _level(beat: Floats, period: float) -> tuple[float, dict[float, float]]:
    """The beat period a listener taps among half, found and double tempo (40-240 BPM), with each level's score."""
    beat = beat[: int(LEVEL_SECONDS * FPS)]  # three minutes tell the level; a long song need not be tracked three more times
    scores: dict[float, float] = {}
    for multiple in (2.0, 1.0, 0.5):
        bpm = 60.0 * FPS / (period * multiple)
        if not 40.0 <= bpm <= 240.0:
            continue
        frames = track(beat / (beat.std() or 1.0), np.full(beat.size, period * multiple))
        frames = frames[frames >= WARM_UP * FPS] if beat.size > 3 * WARM_UP * FPS else frames
        firing = float(strongest_near(beat, frames).mean())
        prior = -0.5 * (np.log2(bpm / PRIOR_BPM) / PRIOR_OCTAVES) ** 2
        scores[multiple] = FIRING_WEIGHT * float(np.log(max(firing, 1e-6))) + prior
    best = max(scores, key=lambda m: scores[m])
    return period * best, {m / best: s for m, s in scores.items()}


def _other_level(scores: dict[float, float]) -> Literal["half", "double"] | None:
    """'half' or 'double' when that level scored nearly as well as the one chosen."""
    if not scores:
        return None
    names: dict[float, Literal["half", "double"]] = {2.0: "half", 0.5: "double"}
    close = [(scores[1.0] - s, names[m]) for m, s in scores.items() if m in names and scores[1.0] - s < AMBIGUOUS]
    return min(close)[1] if close else None


def _meter_and_phase(downbeat: Floats, frames: np.ndarray, accent: Floats) -> tuple[int, int]:
    """Beats per bar (3 or 4) and the first downbeat: where the downbeat activation fires most and
    the low end is loudest (the network hears harmony change, a drum machine marks the one by
    accent), four preferred unless three is clearly better (most music our users cut is in four)."""
    near = strongest_near(downbeat, frames)
    near[frames < WARM_UP * FPS] = np.nan  # what the network says before it settles is not evidence
    near, accent = near / (_mean(near) or 1.0), accent / (_mean(accent) or 1.0)
    best = (-1.0, 4, 0)
    for meter in (4, 3):
        for phase in range(min(meter, near.size)):
            score = (_mean(near[phase::meter]) + ACCENT_WEIGHT * _mean(accent[phase::meter])) * (1.0 if meter == 4 else 1.0 / 1.1)
            if score > best[0]:
                best = (score, meter, phase)
    return best[1], best[2]


def _mean(values: Floats) -> float:
    """The mean of what is known (0 when nothing is)."""
    known = values[np.isfinite(values)]
    return float(known.mean()) if known.size else 0.0
