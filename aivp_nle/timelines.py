"""Reading and writing our .otio files, with clear errors and no half-written files."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

from .errors import ConfigError, MediaError
from .files import write_bytes

__all__ = ["load_timeline", "save_timeline"]


def save_timeline(timeline: otio.schema.Timeline, path: Path, replace: bool = False) -> Path:
    text = otio.adapters.write_to_string(timeline, "otio_json")
    return write_bytes(path.expanduser().absolute(), text.encode("utf-8"), replace=replace)


def load_timeline(path: Path) -> otio.schema.Timeline:
    path = path.expanduser().absolute()
    if not path.is_file():
        raise MediaError(path, "file not found", "Check the path of the .otio edit")
    try:
        loaded = otio.adapters.read_from_file(str(path))
    except Exception as error:  # OTIO raises many unrelated types for a bad file
        raise ConfigError(f"{path}: not a timeline OTIO can read ({error}). Give an .otio file aivp wrote") from None
    if not isinstance(loaded, otio.schema.Timeline):
        raise ConfigError(f"{path}: holds a {type(loaded).__name__}, not a timeline. Give an .otio edit")
    return loaded
