"""aivp-nle: AI video generations to finished edits.

The flow runs one way: media in (`probe`, `track_beats`) -> edit builders (pure functions that
return OpenTimelineIO timelines) -> outputs (`save_timeline`, `render`). `build_project` and
`beatcut_files` do the main job in one call.
"""

__version__ = "0.1.0"

from .beats import BeatGrid, track_beats
from .config import ConformTarget, CutSettings, GrainSettings, ProjectConfig
from .edit import Angle, GrainAsset, Song, build_beatcut, build_multicam, plan_cuts
from .errors import (
    AivpError, ConfigError, EditError, MediaError, NoBeatsError, OutputExistsError, RateMismatchError,
    ToolFailedError, ToolNotFoundError,
)
from .ffmpeg import FFmpeg, locate
from .pipeline import BuildResult, beatcut_files, build_project
from .probe import MediaInfo, probe
from .project import Project, init_project, open_project
from .render import render
from .timelines import load_timeline, save_timeline

__all__ = [
    "AivpError", "Angle", "BeatGrid", "BuildResult", "ConfigError", "ConformTarget", "CutSettings", "EditError",
    "FFmpeg", "GrainAsset", "GrainSettings", "MediaError", "MediaInfo", "NoBeatsError", "OutputExistsError",
    "Project", "ProjectConfig", "RateMismatchError", "Song", "ToolFailedError", "ToolNotFoundError",
    "__version__", "beatcut_files", "build_beatcut", "build_multicam", "build_project", "init_project",
    "load_timeline", "locate", "open_project", "plan_cuts", "probe", "render", "save_timeline", "track_beats",
]
