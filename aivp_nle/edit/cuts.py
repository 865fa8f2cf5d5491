"""Where the beat-cut switches angles: a pure plan in whole frames, before any timeline exists.

Patterns: every N beats (counted from the first downbeat when the bar is known, so four-beat shots
start on the bar), every N bars, every downbeat, every phrase (4 or 8 bars), or energy-driven
(short shots where the song is loud, long where it is sparse); optionally a hero angle held through
the loudest phrase. Every pattern keeps the rules an editor expects: never a shot under the
minimum, never the same angle twice in a row, the same plan for the same seed. Beat times are snapped to the nearest frame and
the worst snapping error is kept so it can be reported.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import EditError

__all__ = ["CutPlan", "Shot", "candidate_cuts", "loudest_phrase", "min_shot_frames", "plan_cuts", "thin_cuts"]


@dataclass(frozen=True)
class Shot:
    angle: str
    start: int  # record frame, inclusive
    end: int  # record frame, exclusive

    @property
    def frames(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class CutPlan:
    shots: tuple[Shot, ...]
    max_snap_error: float  # seconds between a beat and the frame its cut landed on


def _first_bar_index(beats: Sequence[float], downbeats: Sequence[float]) -> int:
    if not downbeats:
        return 0
    first = downbeats[0]
    return min(range(len(beats)), key=lambda i: abs(beats[i] - first))


def _bars(beats: Sequence[float], downbeats: Sequence[float], meter: int = 4) -> list[float]:
    """Bar starts: the downbeats, or every fourth beat when the bar is unknown."""
    return list(downbeats) if downbeats else list(beats[::meter])


def _energy_cuts(beats: Sequence[float], energy: Sequence[float], every: int, phase: int) -> list[float]:
    """Shorter shots where the music is loud: `every` beats at full energy, four times that in silence."""
    if len(energy) != len(beats):
        raise EditError("the energy pattern needs the song's loudness per beat: let aivp track the beats")
    cuts, index = [], phase
    while index < len(beats):
        cuts.append(beats[index])
        index += max(1, round(every * (4 - 3 * energy[index])))
    return cuts


def candidate_cuts(
    pattern: str, beats: Sequence[float], downbeats: Sequence[float], every: int, phrase_bars: int,
    energy: Sequence[float],
) -> list[float]:
    """Where a pattern wants its cuts, in seconds, before the minimum shot thins them out."""
    phase = _first_bar_index(beats, downbeats) % every
    if pattern == "beats":
        return list(beats[phase::every])
    if pattern == "bars":
        return _bars(beats, downbeats)[::every]
    if pattern == "downbeats":
        return _bars(beats, downbeats)
    if pattern == "phrase":
        return _bars(beats, downbeats)[::phrase_bars]
    if pattern == "energy":
        return _energy_cuts(beats, energy, every, _first_bar_index(beats, downbeats) % every)
    raise EditError(f"cut pattern {pattern!r} is unknown: beats, bars, downbeats, phrase or energy")


def loudest_phrase(beats: Sequence[float], downbeats: Sequence[float], energy: Sequence[float], phrase_bars: int) -> tuple[float, float] | None:
    """(start, end) seconds of the phrase with the most energy: where the hero angle plays."""
    bars = _bars(beats, downbeats)
    if len(energy) != len(beats) or len(bars) < phrase_bars + 1:
        return None
    loudness = [
        sum(e for t, e in zip(beats, energy) if bars[i] <= t < bars[i + phrase_bars])
        for i in range(len(bars) - phrase_bars)
    ]
    best = max(range(len(loudness)), key=lambda i: loudness[i])
    return bars[best], bars[best + phrase_bars]


def min_shot_frames(min_shot: float, rate: float) -> int:
    return max(1, math.ceil(min_shot * rate - 1e-9))


def thin_cuts(wanted: Sequence[float], rate: float, start: int, end: int, min_frames: int) -> tuple[list[int], float]:
    """The wanted cuts (seconds) that land inside record frames (start, end) with no shot under
    `min_frames`, snapped to the nearest frame; and the worst snapping error, in seconds."""
    cuts: list[int] = []
    worst = 0.0
    last = start
    for beat in wanted:
        frame = math.floor(beat * rate + 0.5)
        if frame - last >= min_frames and end - frame >= min_frames:
            cuts.append(frame)
            worst = max(worst, abs(frame / rate - beat))
            last = frame
    return cuts, worst


def plan_cuts(
    beats: Sequence[float],
    total_frames: int,
    rate: float,
    angles: Sequence[str],
    every: int = 2,
    min_shot: float = 1.0,
    seed: int = 0,
    downbeats: Sequence[float] = (),
    pattern: str = "beats",
    phrase_bars: int = 4,
    energy: Sequence[float] = (),
    hero: str | None = None,
) -> CutPlan:
    if len(angles) < 2:
        raise EditError(f"a beat-cut needs at least 2 angles to switch between; got {len(angles)}. Add takes")
    if total_frames <= 0:
        raise EditError("the song is shorter than one frame: nothing to cut")
    if hero is not None and hero not in angles:
        raise EditError(f"hero angle {hero!r} is not among the angles ({', '.join(angles)})")
    wanted = candidate_cuts(pattern, beats, downbeats, every, phrase_bars, energy)
    section = loudest_phrase(beats, downbeats, energy, phrase_bars) if hero else None
    if section is not None:  # the hero phrase is one shot: cut at its edges, not inside
        wanted = sorted({t for t in wanted if not section[0] <= t < section[1]} | {section[0], section[1]})
    min_frames = min_shot_frames(min_shot, rate)
    cuts, worst = thin_cuts(wanted, rate, 0, total_frames, min_frames)
    bounds = [0, *cuts, total_frames]
    hero_shot = None
    if section is not None and hero is not None:
        start = math.floor(section[0] * rate + 0.5)
        hero_shot = next((i for i, b in enumerate(bounds[:-1]) if b == start), None)
    return CutPlan(shots=_assign(bounds, angles, seed, hero, hero_shot), max_snap_error=worst)


def _assign(bounds: list[int], angles: Sequence[str], seed: int, hero: str | None, hero_shot: int | None) -> tuple[Shot, ...]:
    """Angles for the shots: random for the seed, never one twice in a row, the hero on its phrase."""
    rng = random.Random(seed)
    spans = list(zip(bounds, bounds[1:]))
    if hero is not None and hero_shot is not None and len(angles) == 2:
        # Two angles can only alternate: start on the one that puts the hero on its phrase.
        other = next(a for a in angles if a != hero)
        order = [hero, other] if hero_shot % 2 == 0 else [other, hero]
        return tuple(Shot(angle=order[i % 2], start=a, end=b) for i, (a, b) in enumerate(spans))
    shots: list[Shot] = []
    previous: str | None = None
    for index, (start, end) in enumerate(spans):
        if index == hero_shot and hero is not None:
            chosen = hero
        else:
            avoid = {previous, hero if hero_shot is not None and index + 1 == hero_shot else None}
            chosen = rng.choice([a for a in angles if a not in avoid])
        shots.append(Shot(angle=chosen, start=start, end=end))
        previous = chosen
    return tuple(shots)
