"""The handbook's manual QC checklist, and the ticks a person saved from the report: a format we own.

What cannot be measured (eyes, teeth, hands, consonants...) is still checked by eye; the report
lays it out as tick boxes and the ticks are saved in the project as `06_Edit/qc/checklist.json`.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import ConfigError
from ..files import write_bytes

__all__ = ["CHECKLIST", "Checklist", "import_checklist", "read_checklist"]

# (key, section, what to check), in the handbook's words and order.
CHECKLIST: tuple[tuple[str, str, str], ...] = (
    ("eyes", "Visual", "Eyes track consistently, no micro-jumps"),
    ("teeth", "Visual", "Teeth stable across frames"),
    ("hands", "Visual", "Hands don't partially disappear"),
    ("clothing", "Visual", "Clothing doesn't shimmer or crawl"),
    ("background", "Visual", "Background motion doesn't loop"),
    ("consonants", "Audio", "Hard consonants (p, b, t, d) match lips"),
    ("breathing", "Audio", "Breathing matches chest movement"),
    ("room_tone", "Audio", "Room tone matches environment size"),
    ("cuts", "Editorial", "Every cut has purpose"),
    ("camera", "Editorial", "Camera movement has intent"),
    ("emotion", "Editorial", "Emotional state clear within 2 seconds"),
)
FILE_NAME = "checklist.json"


class Checklist(BaseModel):
    model_config = ConfigDict(extra="ignore")

    report: str = ""  # which report the ticks were made in
    items: dict[str, bool] = {}
    saved: str | None = None  # ISO time the browser saved it

    @property
    def done(self) -> int:
        return sum(1 for key, _, _ in CHECKLIST if self.items.get(key))


def read_checklist(path: Path) -> Checklist:
    """The saved ticks, or an empty checklist when none were saved yet."""
    if not path.is_file():
        return Checklist()
    try:
        return Checklist.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as error:
        raise ConfigError(f"{path}: not a QC checklist ({str(error).splitlines()[0]}). Save it again from the report") from None


def import_checklist(source: Path, folder: Path) -> Path:
    """Copy a checklist the browser saved (to Downloads, say) into the project; the source stays."""
    checklist = read_checklist(source)
    if not source.is_file():
        raise ConfigError(f"{source}: file not found. Give the checklist.json the report saved")
    return write_bytes(folder / FILE_NAME, checklist.model_dump_json(indent=2).encode("utf-8"), replace=True)
