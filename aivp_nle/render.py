"""Render any of our timelines to a watchable file in one ffmpeg pass, no editor needed.

The picture is the enabled video tracks flattened top-down (the cut track over the angles, or
the top angle of a multicam), gaps black; the grain track is blended over it with its recorded
blend and opacity (`[footage][grain]blend`: the order an editor composites); the enabled audio
tracks are the sound, so a take's own audio is never heard. Each clip is a frame-exact `trim` of
its media at the timeline rate. Consecutive clips that continue one another (or wrap around a
looped grain plate) share one decoder, so memory stays flat however many cuts the edit has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import ffmpeg as graph
import opentimelineio as otio

from .edit import meta
from .edit.clips import clip_media
from .errors import EditError
from .ffmpeg import FFmpeg, locate, media_arg
from .files import claim, scratch_path

__all__ = ["preview_size", "render"]

FFMPEG_BLEND = {"overlay": "overlay", "soft_light": "softlight", "screen": "screen"}
AUDIO_FORMAT = {"sample_rates": 48000, "channel_layouts": "stereo"}


@dataclass(frozen=True)
class Segment:
    """A run of frames from one media file (or black/silence when `path` is None)."""

    path: Path | None
    start: int  # first frame in the media, counted from the media's first frame
    frames: int
    media_frames: int | None = None
    still: bool = False
    looped: bool = False


def preview_size(timeline: otio.schema.Timeline, height: int = 720) -> tuple[int, int]:
    """A quick-to-encode size with the delivery's shape: 1280x720 for a UHD target."""
    conform = meta.get(timeline).get("conform", {})
    width, tall = int(conform.get("width", 16)), int(conform.get("height", 9))
    return (round(height * width / tall / 2) * 2, height)


def render(
    timeline: otio.schema.Timeline,
    output: Path,
    size: tuple[int, int] | None = None,
    media_root: Path | None = None,
    ff: FFmpeg | None = None,
    on_progress: Callable[[float], None] | None = None,
    replace_existing: bool = False,
) -> Path:
    """Write `output` (H.264 + AAC); `on_progress` gets the fraction done. Relative media resolve from `media_root`."""
    rate = _rate(timeline)
    total = round(timeline.duration().rescaled_to(rate).value)
    if total <= 0:
        raise EditError(f"timeline {timeline.name!r} is empty: nothing to render")
    width, height = size or preview_size(timeline)
    root = (media_root or Path.cwd()).absolute()
    picture_tracks = [t for t in timeline.video_tracks() if t.enabled and meta.role_of(t) != meta.Role.GRAIN]
    if not picture_tracks:
        raise EditError(f"timeline {timeline.name!r} has no enabled video track to render")
    flat = otio.algorithms.flatten_stack(picture_tracks)
    inputs = _Inputs(rate, width, height)
    picture = inputs.concat(list(_segments(flat, rate, root, total)), fit="pad")
    for track in timeline.video_tracks():
        if track.enabled and meta.role_of(track) == meta.Role.GRAIN and len(track):
            blend = _grain_blend(track)
            grain = inputs.concat(list(_segments(track, rate, root, total)), fit="crop")
            picture = graph.filter([picture, grain], "blend", all_mode=blend[0], all_opacity=blend[1])
    sounds = [
        inputs.concat_audio(list(_segments(t, rate, root, total)))
        for t in timeline.audio_tracks() if t.enabled and len(t)
    ]
    streams: list[Any] = [picture.filter("format", "yuv420p")]
    if len(sounds) > 1:
        streams.append(graph.filter(sounds, "amix", inputs=len(sounds), normalize=0))
    elif sounds:
        streams.append(sounds[0])
    seconds = total / rate
    output = output.expanduser().absolute()
    with scratch_path(output) as scratch:
        command = graph.output(
            *streams, media_arg(scratch), t=f"{seconds:.6f}", r=rate, vcodec="libx264", preset="veryfast",
            crf=18, tune="grain", pix_fmt="yuv420p", color_primaries="bt709", color_trc="bt709",
            colorspace="bt709", acodec="aac", audio_bitrate="192k", ar=48000, movflags="+faststart",
        ).overwrite_output()
        progress = (lambda done: on_progress(min(1.0, done / seconds))) if on_progress else None
        (ff or locate()).run_graph(command, f"rendering {timeline.name!r} to {output}", progress)
        return claim(scratch, output, replace=replace_existing)


def _rate(timeline: otio.schema.Timeline) -> float:
    fps = meta.get(timeline).get("conform", {}).get("fps")
    return float(fps) if fps else float(timeline.duration().rate)


def _grain_blend(track: otio.schema.Track) -> tuple[str, float]:
    settings = meta.get(next(iter(track)))
    mode = str(settings.get("blend_mode", "overlay"))
    if mode not in FFMPEG_BLEND:
        raise EditError(f"grain blend {mode!r} is not one we render; use one of {', '.join(FFMPEG_BLEND)}")
    return FFMPEG_BLEND[mode], float(settings.get("opacity", 0.3))


def _segments(track: otio.schema.Track, rate: float, root: Path, total: int) -> Iterator[Segment]:
    """The track as runs of media frames, cut to the timeline length, continuing runs merged."""
    pending: Segment | None = None
    placed = 0
    for item in track:
        if placed >= total:
            break
        frames = min(round(item.duration().rescaled_to(rate).value), total - placed)
        placed += frames
        segment = _segment(item, rate, root, frames)
        if pending is not None and _continues(pending, segment):
            pending = replace(pending, frames=pending.frames + frames, looped=pending.looped or segment.start == 0)
            continue
        if pending is not None:
            yield pending
        pending = segment
    if pending is not None:
        yield pending
    if placed < total:
        yield Segment(path=None, start=0, frames=total - placed)


def _continues(before: Segment, after: Segment) -> bool:
    if before.path is None or before.path != after.path or before.still:
        return False
    end = before.start + before.frames
    wraps = before.media_frames is not None and end % before.media_frames == 0 and after.start == 0
    return after.start == end or wraps


def _segment(item: Any, rate: float, root: Path, frames: int) -> Segment:
    if isinstance(item, otio.schema.Gap):
        return Segment(path=None, start=0, frames=frames)
    if not isinstance(item, otio.schema.Clip):
        raise EditError(f"{type(item).__name__} {item.name!r}: the renderer plays clips and gaps only; flatten it first")
    media = clip_media(item, rate, root)
    return Segment(path=media.path, start=media.first, frames=frames, media_frames=media.media_frames, still=media.still)


@dataclass
class _Decoder:
    """One decoded input, split to every segment it feeds, in playback order."""

    splitter: Any
    next_frame: int = 0
    outputs: int = 0


class _Inputs:
    """ffmpeg inputs and the filter chains that trim them, shared where playback stays monotonic."""

    def __init__(self, rate: float, width: int, height: int) -> None:
        self.rate, self.width, self.height = rate, width, height
        self._open: dict[Path, _Decoder] = {}

    def concat(self, segments: list[Segment], fit: str) -> Any:
        parts = [self._picture(s, fit) for s in segments]
        return parts[0] if len(parts) == 1 else graph.concat(*parts, v=1, a=0)

    def concat_audio(self, segments: list[Segment]) -> Any:
        parts = []
        for s in segments:
            seconds = s.frames / self.rate
            if s.path is None:
                source = graph.input(f"anullsrc=r=48000:cl=stereo:d={seconds:.6f}", f="lavfi").audio
            else:
                source = graph.input(media_arg(s.path)).audio.filter(
                    "atrim", start=f"{s.start / self.rate:.6f}", duration=f"{seconds:.6f}"
                )
            parts.append(source.filter("asetpts", "PTS-STARTPTS").filter("aformat", **AUDIO_FORMAT))
        return parts[0] if len(parts) == 1 else graph.concat(*parts, v=0, a=1)

    def _picture(self, s: Segment, fit: str) -> Any:
        if s.path is None:
            size = f"{self.width}x{self.height}"
            return graph.input(f"color=c=black:s={size}:r={self.rate}:d={s.frames / self.rate:.6f}", f="lavfi").video
        stream = self._source(s, fit)
        return stream.trim(start_frame=s.start, end_frame=s.start + s.frames).setpts("PTS-STARTPTS")

    def _source(self, s: Segment, fit: str) -> Any:
        """A prepared stream for the segment: reuse the file's decoder when the segment lies ahead of it."""
        assert s.path is not None
        shared = self._open.get(s.path)
        if shared is None or s.looped or s.still or s.start < shared.next_frame:
            options: dict[str, Any] = {"stream_loop": -1} if s.looped else {}
            if s.still:
                options = {"loop": 1, "framerate": self.rate}
            shared = _Decoder(self._prepare(graph.input(media_arg(s.path), **options).video, fit).split())
            if not (s.looped or s.still):
                self._open[s.path] = shared
        shared.next_frame = s.start + s.frames
        shared.outputs += 1
        return shared.splitter[shared.outputs - 1]

    def _prepare(self, stream: Any, fit: str) -> Any:
        size = {"w": self.width, "h": self.height}
        stream = stream.filter("setpts", "PTS-STARTPTS").filter("fps", fps=self.rate)
        if fit == "crop":
            stream = stream.filter("scale", force_original_aspect_ratio="increase", **size).filter("crop", **size)
        else:
            stream = stream.filter("scale", force_original_aspect_ratio="decrease", **size).filter(
                "pad", x="(ow-iw)/2", y="(oh-ih)/2", **size
            )
        return stream.filter("setsar", "1").filter("format", "yuv420p")
