"""Running `aivp watch` as a service: a systemd user unit (Linux) or a launchd agent (macOS).

Both stop it with SIGTERM, which lets the file being imported finish (the watcher checks its stop
flag between files), and give it time to do so before a harder kill.
"""

from __future__ import annotations

import plistlib
import shlex
from pathlib import Path

from ..errors import ConfigError
from ..files import shown

__all__ = ["launchd_plist", "systemd_unit"]

STOP_GRACE = 120  # seconds to finish the current file before the service manager kills


def _plain(path: Path) -> str:
    """A path a service file can hold: no line breaks or control characters (they would end the
    line and let the rest of the name become configuration), and text, not bytes."""
    text = str(path)
    if any(not c.isprintable() and c != " " for c in text) or shown(text) != text:
        raise ConfigError(f"{shown(text)}: a service file cannot hold this path (control characters or bytes that are not text); "
                          "move or rename the folder, then make the service file again")
    return text


def systemd_unit(aivp: Path, project: Path) -> str:
    """Save as ~/.config/systemd/user/aivp-watch.service; then `systemctl --user enable --now aivp-watch`."""
    command = shlex.join([_plain(aivp), "watch", _plain(project)]).replace("%", "%%")  # % starts a systemd specifier
    return (
        "[Unit]\n"
        f"Description=aivp-nle watch folder for {project.name.replace('%', '%%')}\n"
        "After=default.target\n\n"
        "[Service]\n"
        "Type=simple\n"
        f"ExecStart={command}\n"
        "KillSignal=SIGTERM\n"
        f"TimeoutStopSec={STOP_GRACE}\n"
        "Restart=on-failure\n"
        "RestartSec=5\n\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )


def launchd_plist(aivp: Path, project: Path) -> str:
    """Save as ~/Library/LaunchAgents/org.aivp.watch.plist; then `launchctl load -w` that file."""
    return plistlib.dumps({
        "Label": "org.aivp.watch",
        "ProgramArguments": [_plain(aivp), "watch", _plain(project)],
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ExitTimeOut": STOP_GRACE,
        "StandardOutPath": str(project / ".aivp" / "watch.log"),
        "StandardErrorPath": str(project / ".aivp" / "watch.log"),
    }).decode("utf-8")
