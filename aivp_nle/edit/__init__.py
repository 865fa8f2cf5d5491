"""Edit builders: pure functions from typed inputs to `opentimelineio.schema.Timeline`."""

from .beatcut import build_beatcut
from .cuts import CutPlan, Shot, plan_cuts
from .grain import grain_track
from .inputs import Angle, GrainAsset, Song, SongTrack
from .lipsync import LipSyncCut, plan_lipsync_cuts
from .multicam import build_multicam

__all__ = [
    "Angle", "CutPlan", "GrainAsset", "LipSyncCut", "Shot", "Song", "SongTrack", "build_beatcut", "build_multicam",
    "grain_track", "plan_cuts", "plan_lipsync_cuts",
]
