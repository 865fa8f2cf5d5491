"""Chunks: a reference performance cut into pieces of at most 10 s for the generators.

Generators keep a background steady only for about ten seconds (the handbook: loops appear past
10 s), so a longer performance goes through them in chunks. Cuts land on whole frames, on beats
when a song is given (a chunk boundary is then a natural cut point), and each chunk is re-encoded
so it starts exactly on its frame. A manifest (a format we own: pydantic) records where each chunk
came from; `aivp build` uses it to put each angle's generated chunks back in order as one take.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from .errors import CONFORM_HINT, ConfigError, MediaError, RateMismatchError
from .ffmpeg import FFmpeg, locate, media_arg
from .files import claim, hash_file, scratch_path, write_bytes
from .probe import probe

__all__ = ["Chunk", "ChunkManifest", "chunk_frames", "chunk_of", "chunk_reference", "manifest_path", "read_manifest"]

CHUNK_ENCODE = ["-c:v", "libx264", "-preset", "fast", "-crf", "14", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "256k"]


class Chunk(BaseModel):
    model_config = ConfigDict(frozen=True)

    index: int  # 1-based
    name: str  # the shot name generations of this chunk carry: chunk01, chunk02, ...
    file: str
    start_frame: int  # in the reference (and so in the song's time)
    frames: int


class ChunkManifest(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int = 1
    source: str
    source_sha256: str
    frame_rate: int
    frames: int
    max_seconds: float
    on_beats: bool
    chunks: tuple[Chunk, ...]

    def chunk_named(self, name: str) -> Chunk | None:
        return next((c for c in self.chunks if c.name == name), None)


def chunk_of(take_angle: str, manifest: ChunkManifest | None) -> tuple[str, Chunk | None]:
    """The angle a generation belongs to and the chunk it was made from: `chunk02_red` is chunk02 of
    the angle `red`; a name no chunk of the manifest claims is an angle of its own."""
    shot, _, angle = take_angle.partition("_")
    chunk = manifest.chunk_named(shot) if manifest and angle else None
    return (angle, chunk) if chunk else (take_angle, None)


def manifest_path(folder: Path, reference: Path) -> Path:
    return folder / f"{reference.stem}_chunks.json"


def chunk_frames(total: int, rate: int, max_seconds: float, beats: Sequence[float] = ()) -> list[tuple[int, int]]:
    """(start, end) frames of each chunk: at most `max_seconds` long, ending on the last beat that
    fits (when there is one past the first second), else as even as possible."""
    limit = math.floor(max_seconds * rate + 1e-9)
    if limit < 1:
        raise ConfigError(f"--max {max_seconds} is refused: a chunk needs at least one frame")
    if not beats:
        count = math.ceil(total / limit)
        bounds = [round(i * total / count) for i in range(count + 1)]
        return list(zip(bounds, bounds[1:]))
    beat_frames = sorted({round(b * rate) for b in beats})
    chunks, start = [], 0
    while total - start > limit:
        fitting = [f for f in beat_frames if start + rate <= f <= start + limit]
        end = fitting[-1] if fitting else start + limit
        chunks.append((start, end))
        start = end
    chunks.append((start, total))
    return chunks


def chunk_reference(
    reference: Path, folder: Path, max_seconds: float = 10.0, beats: Sequence[float] = (), ff: FFmpeg | None = None,
) -> ChunkManifest:
    """Write chunk01.. of a reference performance and their manifest; a failure leaves none of them."""
    ff = ff or locate()
    info = probe(reference, ff)
    video = info.require_video()
    if video.variable_frame_rate or video.frame_rate.denominator != 1:
        raise RateMismatchError(reference, f"has a variable or fractional frame rate ({float(video.average_frame_rate):.3f} fps)", CONFORM_HINT)
    rate = int(video.frame_rate)
    total = video.frames or math.floor(info.duration * rate + 1e-3)
    spans = chunk_frames(total, rate, max_seconds, beats)
    manifest_file = manifest_path(folder, reference)
    if manifest_file.exists():
        raise ConfigError(f"{manifest_file}: chunks of this reference exist already; move them aside to cut again")
    chunks: list[Chunk] = []
    try:
        for index, (start, end) in enumerate(spans, start=1):
            chunks.append(_cut(reference, folder, index, start, end, rate, bool(info.audio), ff))
    except BaseException:
        for written in chunks:  # ours, made a moment ago: a failed cut leaves no partial set behind
            (folder / written.file).unlink(missing_ok=True)
        raise
    manifest = ChunkManifest(
        source=str(reference), source_sha256=hash_file(reference), frame_rate=rate, frames=total,
        max_seconds=max_seconds, on_beats=bool(beats), chunks=tuple(chunks),
    )
    write_bytes(manifest_file, manifest.model_dump_json(indent=2).encode("utf-8"))
    return manifest


def _cut(reference: Path, folder: Path, index: int, start: int, end: int, rate: int, audio: bool, ff: FFmpeg) -> Chunk:
    """One chunk, re-encoded so that its first frame is exactly the reference's frame `start`."""
    name = f"chunk{index:02d}"
    suffix = reference.suffix.lower() if reference.suffix.lower() in (".mp4", ".mov") else ".mp4"
    target = folder / f"{reference.stem}_{name}{suffix}"
    trim_audio = ["-af", f"atrim=start={start / rate:.6f}:end={end / rate:.6f},asetpts=PTS-STARTPTS"] if audio else ["-an"]
    args = ["-i", media_arg(reference), "-vf", f"trim=start_frame={start}:end_frame={end},setpts=PTS-STARTPTS",
            *trim_audio, *CHUNK_ENCODE, "-r", str(rate), "-frames:v", str(end - start)]
    with scratch_path(target) as scratch:
        ff.run([*args, "-y", media_arg(scratch)], f"cutting {name} of {reference.name}")
        claim(scratch, target)
    return Chunk(index=index, name=name, file=target.name, start_frame=start, frames=end - start)


def read_manifest(path: Path) -> ChunkManifest:
    try:
        return ChunkManifest.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise MediaError(path, f"is not a chunk manifest aivp can read ({error.__class__.__name__})", "Cut the reference again with `aivp chunk`") from None
