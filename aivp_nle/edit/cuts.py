"""Where the beat-cut switches angles: a pure plan in whole frames, before any timeline exists.

Rules an editor expects: cut every N beats (counted from the first downbeat when the bar is
known, so four-beat shots start on the bar), never a shot under the minimum, never the same angle
twice in a row, the same plan for the same seed. Beat times are snapped to the nearest frame and
the worst snapping error is kept so it can be reported.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import EditError

__all__ = ["CutPlan", "Shot", "plan_cuts"]


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


def plan_cuts(
    beats: Sequence[float],
    total_frames: int,
    rate: float,
    angles: Sequence[str],
    every: int = 2,
    min_shot: float = 1.0,
    seed: int = 0,
    downbeats: Sequence[float] = (),
) -> CutPlan:
    if len(angles) < 2:
        raise EditError(f"a beat-cut needs at least 2 angles to switch between; got {len(angles)}. Add takes")
    if total_frames <= 0:
        raise EditError("the song is shorter than one frame: nothing to cut")
    min_frames = max(1, math.ceil(min_shot * rate - 1e-9))
    phase = _first_bar_index(beats, downbeats) % every
    cuts: list[int] = []
    worst = 0.0
    last = 0
    for beat in beats[phase::every]:
        frame = math.floor(beat * rate + 0.5)
        if frame - last >= min_frames and total_frames - frame >= min_frames:
            cuts.append(frame)
            worst = max(worst, abs(frame / rate - beat))
            last = frame
    rng = random.Random(seed)
    bounds = [0, *cuts, total_frames]
    shots: list[Shot] = []
    previous: str | None = None
    for start, end in zip(bounds, bounds[1:]):
        previous = rng.choice([a for a in angles if a != previous])
        shots.append(Shot(angle=previous, start=start, end=end))
    return CutPlan(shots=tuple(shots), max_snap_error=worst)
