"""From a project's newest beat-cut to a Resolve plan: exports, bins, checks, markers, renders.

Everything Resolve should end up with is decided here, from the edit and `aivp.toml`, so the
executors inside Resolve only perform and verify.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import opentimelineio as otio

from ..edit import meta
from ..edit.blends import blend_named
from ..edit.clips import media_path
from ..errors import EditError
from ..ffmpeg import FFmpeg
from ..files import slug, write_bytes
from ..interchange import export_edit, export_path
from ..project import Project
from ..timelines import load_timeline
from .bridge import plan_folder
from .plan import (
    AudioLevel,
    BinMedia,
    ConformStep,
    GrainSpec,
    ImportStep,
    MarkerSpec,
    MarkersStep,
    PlanIndex,
    PlannedProject,
    RenderJobSpec,
    RendersStep,
    ResolvePlan,
    to_lua,
)

__all__ = ["PlanFiles", "newest_edit", "plan_for_project", "project_key", "read_index", "select_project", "write_plan"]

# OTIO's marker colours as Resolve names them (Resolve refuses "Orange").
MARKER_COLORS = {
    "RED": "Red", "GREEN": "Green", "BLUE": "Blue", "CYAN": "Cyan", "YELLOW": "Yellow", "PINK": "Pink",
    "PURPLE": "Purple", "MAGENTA": "Fuchsia", "ORANGE": "Sand", "WHITE": "Cream", "BLACK": "Cocoa",
}


def newest_edit(project: Project) -> Path:
    edit = project.newest_edit()
    if edit is None or not edit.stem.startswith("beatcut_v"):
        raise EditError(f"{project.edit_dir}: no beat-cut yet. Run `aivp build {project.root}` first")
    return edit


def _bin_for(path: Path, project: Project, angle: str | None) -> list[str]:
    """Bins named after the project's layout; takes get a bin per angle (their names carry the version)."""
    try:
        parts = list(path.relative_to(project.root).parent.parts)
    except ValueError:
        parts = ["External media"]
    return [*parts, angle] if angle else parts


def _import_step(timeline: otio.schema.Timeline, project: Project, files: list[Path]) -> ImportStep:
    bins: dict[tuple[str, ...], list[str]] = {}
    for clip in timeline.find_clips():
        path = media_path(clip, project.edit_dir)
        angle = meta.angle_of(clip)
        files_in_bin = bins.setdefault(tuple(_bin_for(path, project, angle)), [])
        if str(path) not in files_in_bin:
            files_in_bin.append(str(path))
    video = list(timeline.video_tracks())
    grain = next((i for i, t in enumerate(video, start=1) if meta.role_of(t) == meta.Role.GRAIN and len(t)), None)
    look = meta.grain_of_track(video[grain - 1]) if grain else None
    return ImportStep(
        bins=[BinMedia(bin=list(b), files=f) for b, f in bins.items()],
        timeline_files=[str(f) for f in files],
        timeline_name=timeline.name,
        source_clips_path=str(project.root),
        video_items=[len(t.find_clips()) for t in video],
        video_names=[t.name for t in video],
        audio_names=[t.name for t in timeline.audio_tracks()],
        disabled_video=[i for i, t in enumerate(video, start=1) if not t.enabled],
        disabled_audio=[i for i, t in enumerate(timeline.audio_tracks(), start=1) if not t.enabled],
        audio_levels=[
            AudioLevel(track=i, name=t.name, gain_db=meta.gain_db(t))
            for i, t in enumerate(timeline.audio_tracks(), start=1) if t.enabled and meta.gain_db(t)
        ],
        grain=(GrainSpec(track=grain, opacity=round(look.opacity * 100, 3), composite_mode=blend_named(look.blend).resolve_constant,
                         composite_fallback=blend_named(look.blend).resolve_index) if grain and look else None),
    )


def _song_time(marker: otio.schema.Marker) -> float:
    beat = meta.beat_of(marker)
    return beat.time_s if beat is not None and beat.time_s is not None else marker.marked_range.start_time.to_seconds()


def _markers(timeline: otio.schema.Timeline) -> MarkersStep:
    return MarkersStep(markers=[
        MarkerSpec(
            frame=round(m.marked_range.start_time.value), color=MARKER_COLORS.get(str(m.color), "Blue"), name=m.name,
            note=f"{_song_time(m):.3f} s in the song",
        )
        for m in timeline.tracks.markers
    ])


def plan_for_project(project: Project, edit: Path | None = None, ff: FFmpeg | None = None) -> ResolvePlan:
    """The plan for the project's newest beat-cut (or `edit`), with its Resolve, FCPXML and FCP7 exports."""
    edit = edit or newest_edit(project)
    timeline = load_timeline(edit)
    timeline.name = edit.stem
    in_folder = project.edit_dir / "resolve" / edit.name
    exports = [
        export_edit(timeline, export_path(in_folder, to), to, media_root=project.edit_dir, replace=True, ff=ff)[0]
        for to in ("resolve", "fcpxml", "fcp7")
    ]
    conform = project.config.conform
    renders = project.edit_dir / "renders"
    return ResolvePlan(
        project=project.root.name,
        edit=edit.stem,
        manual_import=(
            f"In any edition: File > Import > Timeline..., choose {exports[0]} and keep 'Automatically import source "
            f"clips into media pool' ticked. If Resolve refuses it, import {exports[1]} the same way."
        ),
        steps=[
            ConformStep(frame_rate=str(conform.fps), width=conform.width, height=conform.height, color_space=conform.color),
            _import_step(timeline, project, exports),
            _markers(timeline),
            RendersStep(jobs=[
                RenderJobSpec(
                    name=d.name, target_dir=str(renders), file_name=f"{edit.stem}_{d.name}", format=d.format,
                    codec=d.codec, width=d.width, height=d.height, frame_rate=str(conform.fps),
                )
                for d in project.config.delivery
            ]),
        ],
    )


PlanFiles = tuple[Path, ...]


def project_key(project: Project) -> str:
    """The project's folder in the user's plans: its name (readable) and a digest of its place (two
    projects both called "mv" never share one)."""
    return f"{slug(project.root.name, limit=48, empty='project')}-{hashlib.sha256(str(project.root).encode('utf-8', 'surrogateescape')).hexdigest()[:8]}"


def write_plan(plan: ResolvePlan, project: Project, user_folder: Path | None = None) -> PlanFiles:
    """The plan beside the edit and in the user's plan folder under the project's own key, listed in
    the index the in-app scripts choose from (one plan per project, never one per user)."""
    json_text = plan.model_dump_json(indent=2).encode("utf-8")
    lua_text = to_lua(plan).encode("utf-8")
    plans = (user_folder or plan_folder()) / "projects"
    key = project_key(project)
    written = []
    for folder in (project.edit_dir / "resolve", plans / key):
        written.append(write_bytes(folder / "plan.json", json_text, replace=True))
        written.append(write_bytes(folder / "plan.lua", lua_text, replace=True))
    index = read_index(plans)
    entry = PlannedProject(key=key, name=project.root.name, root=str(project.root), planned_at=datetime.now(UTC).isoformat(timespec="seconds"))
    index = index.model_copy(update={"projects": [*(p for p in index.projects if p.key != key), entry]})
    return (*written, *write_index(index, plans))


def read_index(plans: Path) -> PlanIndex:
    """The index of planned projects (empty when there is none yet or it cannot be read)."""
    try:
        return PlanIndex.model_validate_json((plans / "index.json").read_bytes())
    except (OSError, ValueError):
        return PlanIndex()


def write_index(index: PlanIndex, plans: Path) -> tuple[Path, Path]:
    return (write_bytes(plans / "index.json", index.model_dump_json(indent=2).encode("utf-8"), replace=True),
            write_bytes(plans / "index.lua", to_lua(index).encode("utf-8"), replace=True))


def select_project(project: Project, user_folder: Path | None = None) -> PlanIndex:
    """Make this project's plan the one applied when the open Resolve project's name matches none."""
    plans = (user_folder or plan_folder()) / "projects"
    index = read_index(plans)
    key = project_key(project)
    if key not in {p.key for p in index.projects}:
        raise EditError(f"{project.root}: has no Resolve plan yet. Run `aivp resolve plan {project.root}` first")
    index = index.model_copy(update={"selected": key})
    write_index(index, plans)
    return index
