"""Which steps each take went through, and the handbook's order they must keep.

The handbook's golden rule: lock framing, test at a low tier, generate at full quality, upscale
ONCE, lip sync LAST; and fix the frame rate before lip sync. Each take keeps its steps in
`NAME.history.json` beside it (a format we own: pydantic), written by `aivp mark` and by
`aivp conform apply`; `aivp build` and `aivp render` warn when the order was broken.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .files import write_bytes

__all__ = ["STEPS", "StepRecord", "TakeHistory", "history_path", "mark", "order_warnings"]

Step = Literal["framing", "test", "full", "upscaled", "lipsync", "conformed"]
STEPS: tuple[Step, ...] = ("framing", "test", "full", "upscaled", "lipsync", "conformed")


class StepRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    step: Step
    at: datetime
    note: str = ""


class TakeHistory(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int = 1
    steps: tuple[StepRecord, ...] = ()

    def times(self, step: str) -> list[datetime]:
        return [r.at for r in self.steps if r.step == step]


def history_path(take: Path) -> Path:
    original = take.parent.parent / (take.stem + ".mp4") if take.parent.name in ("conformed", "proxies") else take
    return original.with_name(original.stem + ".history.json")


def read_history(take: Path) -> TakeHistory:
    path = history_path(take)
    if not path.is_file():
        return TakeHistory()
    try:
        return TakeHistory.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError:
        return TakeHistory()  # an unreadable history is no history: the guard stays quiet, the edit goes on


def mark(take: Path, step: Step, note: str = "", when: datetime | None = None) -> TakeHistory:
    """Record that a take went through a step (now, unless `when` says otherwise)."""
    history = read_history(take)
    record = StepRecord(step=step, at=when or datetime.now(UTC), note=note)
    updated = history.model_copy(update={"steps": (*history.steps, record)})
    write_bytes(history_path(take), updated.model_dump_json(indent=2).encode("utf-8"), replace=True)
    return updated


def order_warnings(takes: Iterable[tuple[Path, Fraction | None]], project_rate: int) -> list[str]:
    """The handbook's order, broken: (take, its frame rate) in; one plain sentence per problem out."""
    warnings = []
    for take, rate in takes:
        history = read_history(take)
        upscaled, lipsync, conformed = history.times("upscaled"), history.times("lipsync"), history.times("conformed")
        name = take.name
        if len(upscaled) > 1:
            warnings.append(f"{name} was upscaled {len(upscaled)} times: upscale once, at the end (each pass adds artefacts)")
        if lipsync and upscaled and min(lipsync) < max(upscaled):
            warnings.append(f"{name} was lip-synced before it was upscaled: lip sync comes last; regenerate the lip sync")
        if lipsync and conformed and min(lipsync) < max(conformed):
            warnings.append(f"{name} was lip-synced before its frame rate was fixed: fix the rate first, then lip sync again")
        elif lipsync and rate is not None and rate != project_rate:
            warnings.append(f"{name} is lip-synced at {float(rate):g} fps, not the project's {project_rate}: fix the rate before lip sync")
    return warnings
