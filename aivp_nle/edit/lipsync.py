"""The music-video cut: the lip-synced close-up while the singer sings, the other angles between phrases.

A pure plan in frames, like `cuts`. Sung phrases long enough to read become spans where a lip-sync
angle is on screen; their edges snap to the nearest beat, so the cut still lands on the music.
Spans closer than the minimum shot merge (the face holds through a short breath), and a span that
nearly reaches the edit's start or end is carried to it, so no shot is ever under the minimum.
Inside a long span the cut moves on the beat between lip-sync angles; between spans the other
angles are cut by the project's pattern. Never the same angle twice in a row; same seed, same plan.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from ..beats import BeatGrid
from ..config import CutSettings
from ..errors import EditError
from ..vocals import Phrase
from .cuts import CutPlan, Shot, candidate_cuts, min_shot_frames, thin_cuts

__all__ = ["LipSyncCut", "plan_lipsync_cuts", "sung_spans"]


@dataclass(frozen=True)
class LipSyncCut:
    """What the beat-cut needs to follow the singer: which angles are lip-synced, and the sung phrases."""

    angles: frozenset[str]
    phrases: tuple[Phrase, ...]
    min_phrase: float = 1.0
    every: int | None = None  # beats per shot inside a phrase; None: the cut's own `every`


def _snap(time: float, beat_frames: Sequence[int], rate: float) -> int:
    frame = math.floor(time * rate + 0.5)
    if not beat_frames:
        return frame
    at = bisect_left(beat_frames, frame)
    return min(beat_frames[max(0, at - 1) : at + 1], key=lambda beat: abs(beat - frame))


def sung_spans(
    phrases: Sequence[Phrase], beats: Sequence[float], rate: float, total_frames: int, min_phrase: float, min_frames: int
) -> list[tuple[int, int]]:
    """Record frame spans [start, end) where a lip-sync angle is on screen."""
    beat_frames = sorted({math.floor(b * rate + 0.5) for b in beats})
    spans: list[tuple[int, int]] = []
    for phrase in phrases:
        if phrase.seconds < min_phrase:
            continue
        start = max(0, _snap(phrase.start, beat_frames, rate))
        end = min(total_frames, _snap(phrase.end, beat_frames, rate))
        if end - start < min_frames:
            continue
        if spans and start - spans[-1][1] < min_frames:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    if spans and spans[0][0] < min_frames:
        spans[0] = (0, spans[0][1])
    if spans and total_frames - spans[-1][1] < min_frames:
        spans[-1] = (spans[-1][0], total_frames)
    return spans


def plan_lipsync_cuts(
    grid: BeatGrid, total_frames: int, rate: float, angles: Sequence[str], lipsync: LipSyncCut, cut: CutSettings,
) -> CutPlan:
    """The beat-cut's plan with the singer in it: `cut` still sets the pattern between phrases, the
    minimum shot and the seed (its hero angle gives way to the singer)."""
    beats, every = grid.beats, cut.every
    singers = [a for a in angles if a in lipsync.angles]
    others = [a for a in angles if a not in lipsync.angles] or list(angles)
    if not singers:
        raise EditError(f"none of the angles ({', '.join(angles)}) is lip-synced: mark one, or cut without the singer")
    min_frames = min_shot_frames(cut.min_shot, rate)
    spans = sung_spans(lipsync.phrases, beats, rate, total_frames, lipsync.min_phrase, min_frames)
    bounds = sorted({0, total_frames, *(edge for span in spans for edge in span)})
    sung = {start for start, _ in spans}
    between = candidate_cuts(cut.pattern, beats, grid.downbeats, every, cut.phrase_bars, grid.energy)
    inside = candidate_cuts("beats", beats, grid.downbeats, lipsync.every or every, cut.phrase_bars, grid.energy)
    rng = random.Random(cut.seed)
    shots: list[Shot] = []
    worst = 0.0
    for start, end in zip(bounds, bounds[1:]):
        pool = singers if start in sung else others
        cuts, error = thin_cuts(inside if start in sung else between, rate, start, end, min_frames) if len(pool) > 1 else ([], 0.0)
        worst = max(worst, error)
        for a, b in zip([start, *cuts], [*cuts, end]):
            previous = shots[-1].angle if shots else None
            choices = [angle for angle in pool if angle != previous] or pool
            shots.append(Shot(angle=rng.choice(choices), start=a, end=b))
    return CutPlan(shots=tuple(shots), max_snap_error=worst)
