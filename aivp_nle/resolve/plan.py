"""The plan of Resolve steps the library writes and the in-app executors carry out.

Scripts inside Resolve cannot import our package (Resolve runs its own interpreter), so the library
decides everything here, where it can be tested, and writes it down: as JSON for the Python
executor and as a Lua table literal for the Lua one. The executors only perform and verify.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "PlanIndex", "PlannedProject",
    "ACTIONS", "AudioLevel", "BinMedia", "ConformStep", "GrainSpec", "ImportStep", "MarkerSpec", "MarkersStep",
    "RenderJobSpec", "RendersStep", "ResolvePlan", "to_lua",
]

ACTIONS = ("conform", "import", "markers", "renders")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConformStep(_Model):
    action: Literal["conform"] = "conform"
    frame_rate: str  # Resolve's spelling: "24", "30"
    width: int
    height: int
    color_science: str = "davinciYRGB"
    color_space: str = "Rec.709 Gamma 2.4"


class BinMedia(_Model):
    bin: list[str]  # folder names from the media pool root, e.g. ["03_Generations", "v1_exploration", "red"]
    files: list[str]


class GrainSpec(_Model):
    track: int  # 1-based video track index in Resolve
    composite_mode: str = "COMPOSITE_OVERLAY"  # the constant's name on the live resolve object
    composite_fallback: int = 6  # its value by declaration order, when the object lacks it
    opacity: float  # 0-100, as Resolve's Opacity property counts


class AudioLevel(_Model):
    track: int  # 1-based audio track index in Resolve
    name: str
    gain_db: float  # carried in by the timeline files; Resolve's scripting can neither set nor read it, so it is shown


class ImportStep(_Model):
    action: Literal["import"] = "import"
    bins: list[BinMedia]
    timeline_files: list[str]  # tried in order: Resolve-shaped OTIO, then FCPXML, then FCP7 XML
    timeline_name: str
    source_clips_path: str
    video_items: list[int]  # expected item count per video track, bottom up
    video_names: list[str]
    audio_names: list[str]
    disabled_video: list[int]  # 1-based indexes of tracks to switch off (the angles under a cut)
    disabled_audio: list[int] = []  # the sound the edit does not play (the stems when it plays the mix, or the mix)
    audio_levels: list[AudioLevel] = []  # the played tracks not at 0 dB
    grain: GrainSpec | None = None


class MarkerSpec(_Model):
    frame: int  # from the timeline's start
    color: str
    name: str
    note: str = ""


class MarkersStep(_Model):
    action: Literal["markers"] = "markers"
    markers: list[MarkerSpec]


class RenderJobSpec(_Model):
    name: str
    target_dir: str
    file_name: str
    format: str
    codec: str
    width: int
    height: int
    frame_rate: str


class RendersStep(_Model):
    action: Literal["renders"] = "renders"
    jobs: list[RenderJobSpec]


Step = Annotated[ConformStep | ImportStep | MarkersStep | RendersStep, Field(discriminator="action")]


class ResolvePlan(_Model):
    version: Literal[1] = 1
    project: str
    edit: str
    manual_import: str  # what to do by hand when scripting is refused
    steps: list[Step]


def _lua(value: Any, indent: str) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = "".join(
            {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}.get(c, c) if ord(c) >= 32 or c in "\n\r" else f"\\{ord(c):03d}"
            for c in value
        )
        return f'"{escaped}"'
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f'{inner}["{k}"] = {_lua(v, inner)},' for k, v in value.items() if v is not None]
    else:
        items = [f"{inner}{_lua(v, inner)}," for v in value]
    return "{\n" + "\n".join(items) + f"\n{indent}}}" if items else "{}"


def to_lua(plan: ResolvePlan | PlanIndex) -> str:
    """The plan (or the index of plans) as a Lua chunk returning one table (Lua lists are 1-based tables, dicts keyed tables)."""
    return "-- aivp-nle Resolve plan; written by aivp, read by executor.lua\nreturn " + _lua(plan.model_dump(mode="json"), "") + "\n"


class PlannedProject(BaseModel):
    """One project with a plan waiting in the user's plan folder (projects/KEY/plan.json and .lua)."""

    key: str  # the folder under projects/: the project's name and a digest of where it lives
    name: str  # the project folder's name, matched against the open Resolve project's name
    root: str
    planned_at: str


class PlanIndex(BaseModel):
    """Every planned project, and the one `aivp resolve select` chose for when no name matches."""

    projects: list[PlannedProject] = []
    selected: str | None = None
