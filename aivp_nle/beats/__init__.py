"""Beats, downbeats and tempo: what the edit cuts on."""

from .grid import BeatGrid
from .tracker import track_beats

__all__ = ["BeatGrid", "track_beats"]
