"""Changing a project's settings from a face: validated as `aivp.toml` is, written back line by line
so the user's comments and order stay (the panel's Build writes the cut the user chose)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from .config import ProjectConfig, checked
from .files import write_bytes
from .project import CONFIG_NAME, Project, open_project

__all__ = ["update_sections", "update_settings"]

_SECTION = re.compile(r"^\s*\[([A-Za-z0-9_.-]+)\]\s*(#.*)?$")


def _toml_value(value: object) -> str:
    return json.dumps(value) if isinstance(value, str | bool | int | float) else json.dumps(str(value))


def update_settings(project: Project, section: str, values: Mapping[str, object]) -> Project:
    """Set `section.key = value` for each value (None removes the key); refused as a wrong aivp.toml would be."""
    current = project.config.model_dump(mode="json", exclude_none=True)
    merged = {**current.get(section, {}), **values}
    merged = {k: v for k, v in merged.items() if v is not None}
    checked(ProjectConfig, {**current, section: merged}, f"{project.root / CONFIG_NAME} [{section}]")
    path: Path = project.root / CONFIG_NAME
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if (m := _SECTION.match(line)) and m.group(1) == section), None)
    if start is None:
        lines += ["", f"[{section}]"]
        start = len(lines) - 1
    end = next((i for i in range(start + 1, len(lines)) if _SECTION.match(lines[i])), len(lines))
    for key, value in values.items():
        at = next((i for i in range(start + 1, end) if re.match(rf"^\s*{re.escape(key)}\s*=", lines[i])), None)
        if value is None:
            if at is not None:
                del lines[at]
                end -= 1
            continue
        entry = f"{key} = {_toml_value(value)}"
        if at is None:
            lines.insert(end, entry)
            end += 1
        else:
            lines[at] = entry
    write_bytes(path, ("\n".join(lines) + "\n").encode("utf-8"), replace=True)
    return open_project(project.root)


def update_sections(project: Project, sections: Mapping[str, Mapping[str, object]]) -> Project:
    """`update_settings` for each section given with values (the faces' Build: cut, beats, grain)."""
    for section, values in sections.items():
        if values:
            project = update_settings(project, section, values)
    return project
