"""Open our exports in the real editors: Kdenlive and Shotcut in a window on a virtual screen,
OpenShot's own importers under an offscreen Qt, pycmx on the EDL.

Kdenlive and Shotcut have no command line that imports a project and reports what they made of
it, so each is started on the file under Xvfb, every window it opens is read by title (a dialog
means a complaint: "Incorrect project file", "Question"...), and once it has loaded the project
it is asked, with its own Save As, to write what it holds. That file, written by the program, is
what the tests read: its tracks, its clips, its compositions, its own notes of repairs; melt then
renders it, as the program's own render would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEBIAN_PYTHON = Path("/usr/bin/python3")  # OpenShot's modules are Debian's, for Debian's Python


@dataclass
class Opened:
    """What a program did with a file: the dialogs it raised, and the project as it saved it."""

    program: str
    version: str
    dialogs: list[str] = field(default_factory=list)
    saved: Path | None = None
    log: str = ""


def program_version(command: list[str], prefix: str) -> str:
    """The version a Debian package installed, from dpkg (the programs need a screen to say it)."""
    try:
        found = subprocess.run(["dpkg-query", "-W", "-f=${Version}", command[0]], capture_output=True, text=True, timeout=30)
    except OSError:
        return "unknown"
    return f"{prefix} {found.stdout.split('+')[0].split('-')[0]}" if found.returncode == 0 else "unknown"


@contextmanager
def virtual_screen() -> Iterator[str]:
    """An Xvfb display of our own for the duration of the block."""
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as displayfd:
        number = displayfd.readline().strip()
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _windows(display: str) -> dict[str, str]:
    env = {**os.environ, "DISPLAY": display}
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "."], capture_output=True, text=True, env=env)
    titles = {}
    for window in found.stdout.split():
        name = subprocess.run(["xdotool", "getwindowname", window], capture_output=True, text=True, env=env)
        titles[window] = name.stdout.strip()
    return titles


def _keys(display: str, window: str, *keys: str, text: str | None = None) -> None:
    env = {**os.environ, "DISPLAY": display}
    subprocess.run(["xdotool", "windowfocus", "--sync", window], env=env, timeout=30, capture_output=True)
    if text is not None:
        subprocess.run(["xdotool", "type", "--delay", "15", text], env=env, timeout=60, check=True)
    for key in keys:
        subprocess.run(["xdotool", "key", key], env=env, timeout=30, check=True)


def _isolated_home(folder: Path) -> dict[str, str]:
    """A fresh home for the program: no settings, no crash flags, no recent files of anyone's."""
    home = folder / "home"
    for sub in ("tmp", "run", ".config", ".local/share", ".cache"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    (home / "run").chmod(0o700)
    return {
        "HOME": str(home), "TMPDIR": str(home / "tmp"), "XDG_RUNTIME_DIR": str(home / "run"),
        "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CACHE_HOME": str(home / ".cache"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
    }


def open_and_save(
    command: list[str], project: Path, save_as: Path, main_title: str, program: str, display: str, timeout: float = 120.0,
) -> Opened:
    """Start the program on `project`, wait until its main window shows the project, note every
    other window (a dialog), and have it save what it loaded as `save_as` through File > Save As."""
    opened = Opened(program=program, version="")
    env = {**os.environ, **_isolated_home(save_as.parent), "DISPLAY": display}
    log = save_as.parent / f"{program}.log"
    with log.open("w") as sink:
        process = subprocess.Popen([*command, str(project)], env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        seen: dict[str, str] = {}
        main, quiet_since, deadline = None, None, time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            titles = _windows(display)
            seen.update(titles)
            main = next((w for w, t in titles.items() if main_title in t), main)
            if main in titles and len(titles) == 1:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 5.0:  # loaded, and nothing more to say
                    break
            else:
                quiet_since = None
            time.sleep(0.5)
        opened.dialogs = [title for window, title in seen.items() if window != main]
        if main is None or opened.dialogs:
            return opened
        _keys(display, main, "ctrl+shift+s")
        dialog = _wait_for(lambda: next((w for w, t in _windows(display).items() if "Save" in t and w != main), None), 30)
        if dialog is None:
            opened.dialogs.append("no Save As dialog")
            return opened
        _keys(display, dialog, "ctrl+a")  # the suggested name goes; ours is typed whole
        _keys(display, dialog, "Return", text=str(save_as))
        if _wait_for(lambda: save_as.is_file() and save_as.stat().st_size > 0 or None, 60):
            time.sleep(1.0)  # the program writes, then renames: let it finish
            opened.saved = save_as
        return opened
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        _wait_for(lambda: not _windows(display) or None, 30)  # the next program gets an empty screen
        opened.log = log.read_text(errors="replace")


def _wait_for(probe, seconds: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    return None


def open_in_kdenlive(project: Path, folder: Path, display: str) -> Opened:
    opened = open_and_save(["dbus-run-session", "--", "kdenlive"], project, folder / "saved by kdenlive.kdenlive",
                           f"{project.stem} /", "kdenlive", display)
    opened.version = program_version(["kdenlive"], "Kdenlive")
    return opened


def open_in_shotcut(project: Path, folder: Path, display: str) -> Opened:
    opened = open_and_save(["dbus-run-session", "--", "shotcut"], project, folder / "saved by shotcut.mlt", f"{project.name} - Shotcut", "shotcut", display)
    opened.version = program_version(["shotcut"], "Shotcut")
    return opened


def import_in_openshot(kind: str, export: Path, media: Path, folder: Path, rate: int) -> dict:  # type: ignore[type-arg]
    """Run OpenShot's own importer (`fcp7` or `edl`) on an export; returns its project's layers and clips."""
    env = {**os.environ, **_isolated_home(folder), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(["dbus-run-session", "--", str(DEBIAN_PYTHON), str(HERE / "openshot_import.py"), kind, str(export), str(media), str(rate)],
                          capture_output=True, text=True, env=env, timeout=300)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])  # type: ignore[no-any-return]
    raise AssertionError(f"OpenShot's {kind} importer gave no result:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def missing_programs(*names: str) -> list[str]:
    return [name for name in names if shutil.which(name) is None]
