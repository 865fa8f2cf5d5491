"""`aivp status`: the takes by angle and version, what waits in the inbox, what is in quarantine and why.

Names are given as they can be printed: bytes that are not UTF-8 and control characters escaped."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..files import shown
from ..project import STAGES, VIDEO_SUFFIXES, Project, TakeFile, media_files
from .finished import is_companion, is_temporary
from .ledger import Ledger
from .watcher import ledger_path

__all__ = ["ProjectStatus", "project_status"]


@dataclass(frozen=True)
class ProjectStatus:
    takes: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # stage -> angle -> take names, oldest first
    pending: list[str] = field(default_factory=list)
    quarantined: dict[str, str] = field(default_factory=dict)  # file name -> reason


def project_status(project: Project, inbox: Path | None = None) -> ProjectStatus:
    status = ProjectStatus()
    for stage in STAGES:
        files = media_files(project.stage_dir(stage), VIDEO_SUFFIXES)
        for take in sorted((TakeFile.from_path(p) for p in files), key=lambda t: (t.angle, t.version)):
            status.takes.setdefault(stage, {}).setdefault(shown(take.angle), []).append(shown(take.path.name))
    inbox = inbox or project.path(project.config.watch.inbox)
    if not inbox.is_dir():
        return status
    handled: set[Path] = set()
    if ledger_path(project).exists():
        with Ledger(ledger_path(project)) as ledger:
            handled = {p for p in inbox.iterdir() if p.is_file() and ledger.already_handled(p, p.stat().st_size, p.stat().st_mtime_ns)}
    waiting = (p for p in inbox.iterdir() if p.is_file() and not is_temporary(p.name) and not is_companion(p))
    status.pending.extend(sorted(shown(p.name) for p in waiting if p not in handled))
    quarantine = inbox / "quarantine"
    for why in sorted(quarantine.glob("*.why.txt")) if quarantine.is_dir() else []:
        lines = why.read_text(encoding="utf-8", errors="replace").splitlines()
        status.quarantined[shown(why.name.removesuffix(".why.txt"))] = lines[1] if len(lines) > 1 else ""
    return status
