"""The handbook's lip-sync workflow, applied to a project: stems on their own tracks, lip-synced
takes found and checked, the sung phrases that steer the cut.

Which takes are lip-synced: `[angles.NAME] lipsync = true` in aivp.toml, else a name ending in
"lipsync" (`red-lipsync_v001.mp4`), else `aivp mark TAKE lipsync`. Each is checked three ways:
its own audio against the vocal stem (the offset, in milliseconds, with a confidence), its frame
rate (fixed before lip sync: a take at another rate is refused, not conformed), and its order
(made after its source take was upscaled: lip sync last).

A performance longer than 10 s is generated in chunks (`chunk02_red-lipsync_v001.mp4`): each chunk
is a take of its angle, checked against the vocal from the chunk's place in the song, and against
the same chunk of its source angle for the order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from .chunks import Chunk, ChunkManifest, chunk_of
from .config import ProjectConfig
from .edit import LipSyncCut, SongTrack, meta
from .edit.inputs import Song
from .errors import RateMismatchError
from .ffmpeg import FFmpeg
from .probe import probe
from .project import Project, TakeFile
from .take_steps import read_history
from .vocals import SyncMeasure, VocalStem

__all__ = [
    "LipSyncReport", "SyncCheck", "lipsync_angles", "lipsync_plan", "order_flags", "require_lipsync_rate", "sound_tracks",
    "source_angle",
]

_LIPSYNC_NAME = re.compile(r"^(?P<source>.+?)[-_ ]lip-?sync(ed)?$", re.IGNORECASE)


@dataclass(frozen=True)
class SyncCheck:
    angle: str
    measured: SyncMeasure
    expected: float  # the offset the project gives the angle, seconds
    rate: int
    chunk: str | None = None  # the chunk of the performance, when the angle was generated in chunks

    @property
    def take(self) -> str:
        return f"{self.angle} ({self.chunk})" if self.chunk else self.angle

    @property
    def off_frames(self) -> float:
        return (self.measured.offset - self.expected) * self.rate

    def describe(self) -> str:
        milliseconds = round(1000 * self.measured.offset, 1) + 0.0  # never "-0.0"
        return (f"lip sync {self.take}: its audio sits {milliseconds:+.1f} ms from the vocal stem "
                f"(confidence {self.measured.confidence:.2f})")

    def warning(self) -> str | None:
        """More than half a frame from the offset the project gives it: the mouth will read late or early."""
        if self.measured.confidence < 0.3:
            return (f"lip sync {self.take}: its audio hardly matches the vocal stem (confidence {self.measured.confidence:.2f}); "
                    "is it the lip-synced take, synced to this vocal? Its offset could not be checked")
        if abs(self.off_frames) <= 0.5:
            return None
        return (f"lip sync {self.take} is {abs(self.off_frames):.1f} frames from the project's offset "
                f"({1000 * self.expected:+.1f} ms): set [angles.{self.angle}] offset = {self.measured.offset:.4f} in aivp.toml")


def source_angle(name: str, config: ProjectConfig) -> str | None:
    settings = config.angles.get(name)
    if settings and settings.source:
        return settings.source
    match = _LIPSYNC_NAME.match(name)
    return match["source"] if match else None


def lipsync_angles(takes: Sequence[TakeFile], config: ProjectConfig, manifest: ChunkManifest | None = None) -> frozenset[str]:
    found = set()
    for take in takes:
        angle, _ = chunk_of(take.angle, manifest)
        settings = config.angles.get(angle)
        if settings is not None and settings.lipsync is not None:
            marked = settings.lipsync
        else:
            marked = bool(_LIPSYNC_NAME.match(angle)) or bool(read_history(take.path).times("lipsync"))
        if marked:
            found.add(angle)
    return frozenset(found)


def sound_tracks(project: Project, song: Song, ff: FFmpeg) -> tuple[SongTrack, ...]:
    """The mix, plus the vocal and instrumental stems when both are there; what plays is `[audio] play`."""
    audio = project.config.audio
    vocals, instrumental = project.stem("vocals"), project.stem("instrumental")
    if vocals is None or instrumental is None:
        return (SongTrack(meta.Role.SONG, song, audio.mix_db),)
    stems = audio.play == "stems"
    return (
        SongTrack(meta.Role.SONG, song, audio.mix_db, enabled=not stems),
        SongTrack(meta.Role.INSTRUMENTAL, Song.from_media(probe(instrumental, ff)), audio.instrumental_db, enabled=stems),
        SongTrack(meta.Role.VOCALS, Song.from_media(probe(vocals, ff)), audio.vocals_db, enabled=stems),
    )


def require_lipsync_rate(
    takes: Sequence[TakeFile], singers: frozenset[str], rate: int, ff: FFmpeg, manifest: ChunkManifest | None = None
) -> None:
    """A lip-synced take at another rate cannot be conformed after the fact: refuse it with the handbook's order."""
    for take in takes:
        video = probe(take.path, ff).video if chunk_of(take.angle, manifest)[0] in singers else None
        if video is not None and video.frame_rate != rate:
            raise RateMismatchError(
                take.path, f"is lip-synced at {float(video.frame_rate):g} fps, not the project's {rate}",
                "Fix the frame rate before lip sync: conform its source take, then lip-sync it again",
            )


def order_flags(
    takes: Sequence[TakeFile], singers: frozenset[str], config: ProjectConfig, manifest: ChunkManifest | None = None
) -> list[str]:
    """Lip-synced takes made before their source take (the same chunk of it) was upscaled: the handbook
    says lip sync last."""
    placed = [(take, *chunk_of(take.angle, manifest)) for take in takes]
    by_place = {(angle, chunk.name if chunk else None): take.path for take, angle, chunk in placed}
    flags = []
    for take, angle, chunk in placed:
        source_name = source_angle(angle, config) if angle in singers else None
        source = by_place.get((source_name or "", chunk.name if chunk else None))
        upscaled = read_history(source).times("upscaled") if source else []
        if not upscaled:
            continue
        made = read_history(take.path).times("lipsync") or [datetime.fromtimestamp(take.path.stat().st_mtime, UTC)]
        if max(made) < max(upscaled):  # the newest lip sync came before the newest upscale
            flags.append(f"{take.path.name} was lip-synced before {source.name if source else ''} was upscaled: "
                         "lip sync comes last; lip-sync the upscaled take again")
    return flags


@dataclass(frozen=True)
class LipSyncReport:
    """What the build measured of the lip-synced takes, and what it warns of."""

    cut: LipSyncCut | None = None
    syncs: tuple[SyncCheck, ...] = ()
    warnings: tuple[str, ...] = ()


def lipsync_plan(
    project: Project, takes: Sequence[TakeFile], singers: frozenset[str], manifest: ChunkManifest | None, rate: int, ff: FFmpeg,
) -> LipSyncReport:
    """The phrases and lip-sync angles for the cut, each lip-synced take's measured sync, the order broken."""
    config = project.config
    if not singers:
        return LipSyncReport()
    warnings = order_flags(takes, singers, config, manifest)
    vocals = project.stem("vocals")
    if vocals is None:
        return LipSyncReport(warnings=(*warnings, "lip-synced takes but no vocal stem in 04_Audio: cut on the beats only"))
    syncs, stem = [], VocalStem.load(vocals, ff)
    for take in takes:
        angle, chunk = chunk_of(take.angle, manifest)
        if angle in singers and probe(take.path, ff).audio:
            expected = config.angles[angle].offset if angle in config.angles else 0.0
            syncs.append(_sync_check(take, angle, chunk, expected, stem, rate, ff))
    warnings += [w for w in (s.warning() for s in syncs) if w]
    settings = config.lipsync
    cut = LipSyncCut(singers, tuple(stem.phrases(settings.threshold_db)), settings.min_phrase, settings.every)
    return LipSyncReport(cut if settings.enabled else None, tuple(syncs), tuple(warnings))


def _sync_check(take: TakeFile, angle: str, chunk: Chunk | None, expected: float, stem: VocalStem, rate: int, ff: FFmpeg) -> SyncCheck:
    """A chunk's audio starts where the chunk starts in the song: measured from there, reported as the angle's offset."""
    start = chunk.start_frame / rate if chunk else 0.0
    measured = stem.measure(take.path, expected - start, ff=ff)
    return SyncCheck(angle, replace(measured, offset=measured.offset + start), expected, rate, chunk.name if chunk else None)
