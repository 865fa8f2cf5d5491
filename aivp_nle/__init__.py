"""aivp-nle: AI video generations to finished edits.

The flow runs one way: media in (`probe`, `track_beats`) -> edit builders (pure functions that
return OpenTimelineIO timelines) -> outputs (`save_timeline`, `render`). `build_project` and
`beatcut_files` do the main job in one call.

The names below are loaded when first used, so that `import aivp_nle` (and the `aivp` command)
does not pay for OTIO, NumPy and pydantic before it needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

_WHERE = {
    "BeatGrid": "beats", "track_beats": "beats",
    "ConformTarget": "config", "CutSettings": "config", "GrainSettings": "config", "ProjectConfig": "config",
    "Angle": "edit", "GrainAsset": "edit", "Song": "edit", "build_beatcut": "edit", "build_multicam": "edit", "plan_cuts": "edit",
    "AivpError": "errors", "ConfigError": "errors", "EditError": "errors", "MediaError": "errors", "NoBeatsError": "errors",
    "OutputExistsError": "errors", "RateMismatchError": "errors", "ToolFailedError": "errors", "ToolNotFoundError": "errors",
    "FFmpeg": "ffmpeg", "locate": "ffmpeg",
    "BuildResult": "pipeline", "beatcut_files": "pipeline", "build_project": "pipeline",
    "MediaInfo": "probe", "probe": "probe",
    "Project": "project", "init_project": "project", "open_project": "project",
    "render": "render",
    "load_timeline": "timelines", "save_timeline": "timelines",
}

__all__ = sorted([*_WHERE, "__version__"])


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'aivp_nle' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from .beats import BeatGrid, track_beats
    from .config import ConformTarget, CutSettings, GrainSettings, ProjectConfig
    from .edit import Angle, GrainAsset, Song, build_beatcut, build_multicam, plan_cuts
    from .errors import (
        AivpError,
        ConfigError,
        EditError,
        MediaError,
        NoBeatsError,
        OutputExistsError,
        RateMismatchError,
        ToolFailedError,
        ToolNotFoundError,
    )
    from .ffmpeg import FFmpeg, locate
    from .pipeline import BuildResult, beatcut_files, build_project
    from .probe import MediaInfo, probe
    from .project import Project, init_project, open_project
    from .render import render
    from .timelines import load_timeline, save_timeline
