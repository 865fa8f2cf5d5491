"""The main job in one call: takes and a song in, a multicam and a beat-cut out.

Everything is checked (probe, rates, lengths, beats) before anything is written, so a refusal
leaves the disk as it was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import opentimelineio as otio

from .beats import BeatGrid
from .beats.analysis import BeatOptions, analyse
from .chunks import Chunk, ChunkManifest, chunk_of
from .config import BeatSettings, ConformTarget, CutSettings, Fit, GrainSettings
from .conform import problems
from .edit import Angle, GrainAsset, Song, build_beatcut, build_multicam
from .edit.inputs import require_common_rate
from .edit.multicam import marked_beats
from .errors import ConfigError
from .ffmpeg import FFmpeg, locate
from .files import next_version
from .lipsync_workflow import LipSyncReport, lipsync_angles, lipsync_plan, require_lipsync_rate, sound_tracks
from .probe import probe
from .project import Project, TakeFile
from .qc.edit import reshaped_clips
from .timelines import load_timeline, save_timeline

__all__ = ["BuildResult", "EditInputs", "beat_options", "beatcut_files", "build_project", "gather_inputs"]


@dataclass(frozen=True)
class EditInputs:
    angles: tuple[Angle, ...]
    song: Song
    beats: BeatGrid
    grain: GrainAsset | None


@dataclass(frozen=True)
class BuildResult:
    multicam: Path
    beatcut: Path
    timeline: otio.schema.Timeline
    lipsync: LipSyncReport = LipSyncReport()
    warnings: tuple[str, ...] = ()  # what the editor should know: no grain, a mix of conformed and raw takes, a reshaped take


def _unique_names(takes: Sequence[TakeFile]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for take in takes:
        seen[take.angle] = seen.get(take.angle, 0) + 1
        names.append(take.angle if seen[take.angle] == 1 else f"{take.angle}-{seen[take.angle]}")
    return names


def _split_chunked(
    takes: Sequence[TakeFile], manifest: ChunkManifest | None
) -> tuple[dict[str, list[tuple[TakeFile, Chunk]]], list[TakeFile]]:
    """Takes named after a chunk of the manifest (chunk02_angleA_v001.mp4), grouped by angle, and the rest."""
    chunked: dict[str, list[tuple[TakeFile, Chunk]]] = {}
    whole = []
    for take in takes:
        angle, chunk = chunk_of(take.angle, manifest)
        if chunk is None:
            whole.append(take)
        else:
            chunked.setdefault(angle, []).append((take, chunk))
    return chunked, whole


def gather_inputs(
    takes: Sequence[TakeFile],
    song: Path,
    *,
    rate: int | None = None,
    offsets: Mapping[str, float] | None = None,
    fits: Mapping[str, Fit] | None = None,
    grain: Path | None = None,
    beats: BeatOptions | None = None,
    beat_audio: Path | None = None,
    ff: FFmpeg | None = None,
    manifest: ChunkManifest | None = None,
) -> tuple[EditInputs, int]:
    """Probe and check every input, then find the beats; returns the inputs and the working rate."""
    ff = ff or locate()
    offsets = offsets or {}
    chunked, whole = _split_chunked(takes, manifest)
    infos = [probe(take.path, ff) for take in whole]
    chunk_infos = {angle: [(probe(t.path, ff), c.start_frame, c.frames) for t, c in parts] for angle, parts in chunked.items()}
    names = _unique_names(whole)
    unknown = sorted(set(offsets) - set(names) - set(chunked))
    if unknown:
        raise ConfigError(f"offset given for {', '.join(unknown)}, but the angles are {', '.join([*names, *chunked])}")
    rate = rate or require_common_rate([*infos, *(i for parts in chunk_infos.values() for i, _, _ in parts)])
    fits = fits or {}
    angles = tuple(
        replace(Angle.from_media(name, info, rate, offsets.get(name, 0.0)), fit=fits.get(name, "fill")) for name, info in zip(names, infos)
    ) + tuple(
        replace(Angle.from_chunks(name, parts, rate), offset=round(offsets.get(name, 0.0) * rate), fit=fits.get(name, "fill"))
        for name, parts in sorted(chunk_infos.items())
    )
    song_clip = Song.from_media(probe(song, ff))
    grain_asset = GrainAsset.from_media(probe(grain, ff)) if grain else None
    grid = analyse(beat_audio or song, beats or BeatOptions(), ff)
    return EditInputs(angles=angles, song=song_clip, beats=grid, grain=grain_asset), rate


def beatcut_files(
    angle_paths: Sequence[Path],
    song: Path,
    cut: CutSettings,
    *,
    grain: Path | None = None,
    grain_settings: GrainSettings | None = None,
    offsets: Mapping[str, float] | None = None,
    beats: BeatOptions | None = None,
    conform: ConformTarget | None = None,
    ff: FFmpeg | None = None,
) -> otio.schema.Timeline:
    """The project-less form: the working rate is the angles' own (24 or 30, all the same)."""
    takes = [TakeFile.from_path(Path(p).expanduser().absolute()) for p in angle_paths]
    inputs, rate = gather_inputs(takes, song, offsets=offsets, grain=grain, beats=beats, ff=ff)
    conform = (conform or ConformTarget()).model_copy(update={"fps": rate})
    return build_beatcut(inputs.angles, inputs.song, inputs.beats, conform, cut, grain=inputs.grain, grain_settings=grain_settings)


def beat_options(settings: BeatSettings, root: Path, *, beats_file: Path | None = None) -> BeatOptions:
    """The project file's [beats] section as analysis options (a beats file relative to the project,
    or `beats_file` given on the command line): an .otio's markers are read here, as beats known."""
    values = settings.model_dump()
    chosen = beats_file or (root / settings.file if settings.file else None)
    values["file"] = chosen.absolute() if chosen else None
    if chosen is not None and chosen.suffix.lower() == ".otio":
        values["file"], values["known"] = None, marked_beats(load_timeline(chosen), str(chosen))
    return BeatOptions(**values)


def build_project(project: Project, ff: FFmpeg | None = None) -> BuildResult:
    """Rebuild 06_Edit/multicam.otio and add a new 06_Edit/beatcut_vNNN.otio (never overwritten).

    With a vocal stem and lip-synced takes, the cut follows the singer (see `lipsync_workflow`); with
    stems, the mix and the stems each get an audio track."""
    ff = ff or locate()
    config = project.config
    offsets = {name: angle.offset for name, angle in config.angles.items()}
    takes, manifest = project.latest_takes(), project.chunk_manifest()
    singers = lipsync_angles(takes, config, manifest)
    require_lipsync_rate(takes, singers, config.conform.fps, ff, manifest)  # before the general refusal: the handbook's reason
    inputs, rate = gather_inputs(
        takes, project.song(), rate=config.conform.fps, offsets=offsets, grain=project.grain_asset(),
        fits={name: angle.fit for name, angle in config.angles.items()},
        beats=beat_options(config.beats, project.root), beat_audio=project.beat_audio(), ff=ff, manifest=manifest,
    )
    sound = sound_tracks(project, inputs.song, ff)
    lipsync = lipsync_plan(project, takes, singers, manifest, rate, ff)
    phrases = lipsync.cut.phrases if lipsync.cut else ()
    multicam = build_multicam(
        inputs.angles, inputs.song, inputs.beats, config.conform, grain=inputs.grain, grain_settings=config.grain,
        sound=sound, phrases=phrases, lipsync=singers,
    )
    beatcut = build_beatcut(
        inputs.angles, inputs.song, inputs.beats, config.conform, config.cut, grain=inputs.grain, grain_settings=config.grain,
        sound=sound, lipsync=lipsync.cut,
    )
    multicam_path = save_timeline(multicam, project.edit_dir / "multicam.otio", replace=True)

    def save_as_version(path: Path) -> Path:
        beatcut.name = path.stem  # editors refuse or confuse timelines with the same name
        return save_timeline(beatcut, path)

    beatcut_path = next_version(project.edit_dir, "beatcut", ".otio", save_as_version)
    return BuildResult(
        multicam=multicam_path, beatcut=beatcut_path, timeline=beatcut, lipsync=lipsync,
        warnings=_build_warnings(project, takes, inputs, beatcut, ff),
    )


def _build_warnings(
    project: Project, takes: Sequence[TakeFile], inputs: EditInputs, beatcut: otio.schema.Timeline, ff: FFmpeg,
) -> tuple[str, ...]:
    found = []
    if inputs.grain is None:
        found.append("no grain plate: the edit has no Grain track, which the handbook puts above all footage. "
                     "`aivp grain make` makes one and sets [grain] asset")
    found += reshaped_clips(beatcut, project.edit_dir)  # the words edit QC and render use
    conformed = [t for t in takes if t.path.parent.name == "conformed"]
    raw = [t for t in takes if t.path.parent.name != "conformed" and problems(probe(t.path, ff), project.config.conform)]
    if conformed and raw:
        found.append(f"the edit mixes conformed takes ({', '.join(t.angle for t in conformed)}) with takes that are off "
                     f"({', '.join(t.angle for t in raw)}): `aivp conform apply` on {', '.join(t.path.name for t in raw)}")
    return tuple(found)
