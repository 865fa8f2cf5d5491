"""A QC finding: what, where (timecode), how bad, and the handbook's action. A format we own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import opentimelineio as otio
from pydantic import BaseModel, ConfigDict

__all__ = ["Action", "Clock", "Finding", "QcReport", "Severity"]

Severity = Literal["info", "warn", "fail"]
Action = Literal["repair", "regenerate", "fix in the edit", "conform", "check by eye"]


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    check: str  # pacing, freeze, loop, flicker, crawl, black, conform, duration, audio, edit
    what: str
    start: str | None = None  # timecode
    end: str | None = None
    start_s: float | None = None  # seconds from the file's (or edit's) start, for pictures
    severity: Severity = "warn"
    action: Action = "check by eye"


@dataclass(frozen=True)
class Clock:
    """Frames to timecode, from the file's (or the edit's) own start timecode."""

    rate: float
    start_timecode: str = "00:00:00:00"

    def tc(self, frame: int) -> str:
        start = otio.opentime.from_timecode(self.start_timecode, self.rate)
        return str(otio.opentime.to_timecode(start + otio.opentime.RationalTime(frame, self.rate), self.rate))


class QcReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    kind: Literal["take", "edit"]
    duration: float
    rate: float
    start_timecode: str = "00:00:00:00"
    findings: tuple[Finding, ...] = ()

    @property
    def verdict(self) -> str:
        if any(f.severity == "fail" for f in self.findings):
            return "fail"
        return "warn" if self.findings else "pass"

    @property
    def clock(self) -> Clock:
        return Clock(self.rate, self.start_timecode)
