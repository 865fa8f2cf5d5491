"""Edit builders: pure functions from typed inputs to `opentimelineio.schema.Timeline`."""

from .beatcut import build_beatcut
from .cuts import CutPlan, Shot, plan_cuts
from .grain import grain_track
from .inputs import Angle, GrainAsset, Song
from .multicam import build_multicam

__all__ = [
    "Angle", "CutPlan", "GrainAsset", "Shot", "Song", "build_beatcut", "build_multicam", "grain_track", "plan_cuts",
]
