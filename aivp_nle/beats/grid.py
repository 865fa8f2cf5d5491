"""The beat grid a song gives the edit: a file format we own (`aivp beats --json`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["BeatGrid"]


class BeatGrid(BaseModel):
    """Beat and downbeat times in seconds from the start of the song, and its tempo."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    beats: tuple[float, ...]
    downbeats: tuple[float, ...] = Field(default=(), description="bar starts; empty when unknown")
    bpm: float
