"""Putting our Workspace > Scripts entries where each OS's Resolve looks for them.

The entries are tiny and have no dependencies; the executors they load (the Python bridge and
the Lua executor) go to aivp's own folder, next to the newest plan, so they never show up in
Resolve's Scripts menu themselves. Installing again replaces only what changed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Literal

from ..errors import ConfigError
from ..files import write_bytes
from .bridge import plan_folder

__all__ = ["SCRIPTS", "install_scripts", "scripts_folder"]

Scope = Literal["user", "all"]
SCRIPTS = files("aivp_nle.resolve_scripts")  # resolve_scripts/ in the repository
BRIDGE = Path(__file__).resolve().parent / "bridge.py"
WINDOW = Path(__file__).resolve().parent / "window.py"


def scripts_folder(scope: Scope = "user", platform: str = sys.platform, env: Mapping[str, str] = os.environ) -> Path:
    """Resolve's Fusion/Scripts/Utility folder (Utility: the menu shows it on every page)."""
    home = Path(env.get("HOME", str(Path.home())))
    if platform == "darwin":
        base = Path("/Library/Application Support") if scope == "all" else home / "Library/Application Support"
        return base / "Blackmagic Design/DaVinci Resolve/Fusion/Scripts/Utility"
    if platform == "win32":
        key = "PROGRAMDATA" if scope == "all" else "APPDATA"
        if key not in env:
            raise ConfigError(f"%{key}% is not set; give the Scripts folder with --dest")
        middle = "Blackmagic Design/DaVinci Resolve/Fusion/Scripts" if scope == "all" else "Blackmagic Design/DaVinci Resolve/Support/Fusion/Scripts"
        return Path(env[key]) / middle / "Utility"
    if scope == "all":
        return Path("/opt/resolve/Fusion/Scripts/Utility")
    return home / ".local/share/DaVinciResolve/Fusion/Scripts/Utility"


def _changed(destination: Path, data: bytes) -> bool:
    if destination.is_file() and destination.read_bytes() == data:
        return False
    write_bytes(destination, data, replace=True)
    return True


def install_scripts(destination: Path, support: Path | None = None) -> list[Path]:
    """Copy the entries into `destination` and the executors into aivp's folder; returns what changed."""
    support = support or plan_folder()
    entries = sorted((SCRIPTS / "Utility").iterdir(), key=lambda entry: entry.name)
    wanted = {destination / e.name: e.read_bytes() for e in entries if e.name.endswith((".lua", ".py"))}
    wanted[support / "executor.lua"] = (SCRIPTS / "support" / "executor.lua").read_bytes()
    wanted[support / "aivp_resolve_bridge.py"] = BRIDGE.read_bytes()
    wanted[support / "aivp_resolve_window.py"] = WINDOW.read_bytes()
    # the Python that runs aivp: Resolve starts entries without the user's shell PATH (aivp Open Panel)
    wanted[support / "aivp_command.txt"] = os.fsencode(sys.executable) + b"\n"
    try:
        return [path for path, data in wanted.items() if _changed(path, data)]
    except PermissionError as error:
        raise ConfigError(f"{error.filename}: no permission to write there. Use --user, or run as an administrator for --all-users") from None
