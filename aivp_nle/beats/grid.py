"""The beat grid a song gives the edit: a file format we own (`aivp beats --json`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["BeatGrid"]


class BeatGrid(BaseModel):
    """Beat and downbeat times in seconds from the start of the song, and its tempo."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    beats: tuple[float, ...]
    downbeats: tuple[float, ...] = Field(default=(), description="bar starts; empty when unknown")
    bpm: float
    bar_positions: tuple[int, ...] = Field(default=(), description="each beat's place in its bar, 1 = downbeat")
    meter: int | None = Field(default=None, description="beats per bar, when known")
    tempo_curve: tuple[tuple[float, float], ...] = Field(default=(), description="(time, BPM) at each beat from the previous one")
    energy: tuple[float, ...] = Field(default=(), description="loudness from each beat to the next, 0-1")
    confidence: float | None = Field(default=None, description="0-1: how clearly the music has a pulse")
    source: str = Field(default="aivp", description="the tracker (and model), or how the grid was given")
    other_level: Literal["half", "double"] | None = Field(
        default=None, description="another metrical level scored nearly as well: ask for it with --level",
    )
