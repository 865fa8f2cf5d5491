"""Render any of our timelines to a watchable file in one ffmpeg pass, no editor needed.

The picture is the enabled video tracks flattened top-down (the cut track over the angles, or
the top angle of a multicam), gaps black; the grain track is blended over it with its recorded
blend and opacity (`[footage][grain]blend`: the order an editor composites); the enabled audio
tracks are the sound, each at its `gain_db` (so a take's own audio is never heard). Each clip is a frame-exact `trim` of
its media at the timeline rate. Consecutive clips that continue one another (or wrap around a
looped grain plate) share one decoder, so memory stays flat however many cuts the edit has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import ffmpeg as graph
import opentimelineio as otio

from .edit import meta
from .edit.blends import blend_named
from .edit.clips import clip_media
from .edit.meta import delivery_size, timeline_rate
from .errors import ConfigError, EditError
from .ffmpeg import FFmpeg, locate, media_arg
from .files import claim, scratch_path

__all__ = ["PRESETS", "Preset", "cut_frames", "preview_size", "render", "render_size"]


@dataclass(frozen=True)
class Preset:
    """How a render is encoded; `finish` filters run after the grain, on the whole picture."""

    name: str
    full_size: bool  # the delivery size; else a quick 720-line preview
    suffixes: tuple[str, ...]
    video: dict[str, str]
    audio: dict[str, str]
    finish: tuple[tuple[str, dict[str, str]], ...] = ()
    bitrate_4k: int = 0  # bits per second at 3840x2160, scaled by the picture's area


PRESETS = {
    "preview": Preset("preview", False, (".mp4", ".mov", ".mkv"), {
        "c:v": "libx264", "preset": "veryfast", "crf": "18", "tune": "grain", "pix_fmt": "yuv420p",
    }, {"c:a": "aac", "b:a": "192k"}),
    "master": Preset("master", True, (".mov",), {
        "c:v": "prores_ks", "profile:v": "3", "vendor": "apl0", "pix_fmt": "yuv422p10le",
    }, {"c:a": "pcm_s24le"}),
    # The handbook's defence against social compression: grain kept by the encoder's grain tuning,
    # a touch of contrast, no pure black (it macroblocks), a bitrate well above YouTube's 35-45 Mb/s
    # suggestion for UHD.
    "social": Preset("social", True, (".mp4",), {
        "c:v": "libx264", "preset": "slow", "tune": "grain", "profile:v": "high", "pix_fmt": "yuv420p",
        "movflags": "+faststart",
    }, {"c:a": "aac", "b:a": "320k"}, (("eq", {"contrast": "1.04"}), ("lutyuv", {"y": "max(val,20)"})), 60_000_000),
}
AUDIO_FORMAT = {"sample_rates": 48000, "channel_layouts": "stereo"}
LOOP_IN_MEMORY = 600 * 1024 * 1024  # bytes of decoded frames a looped plate may keep in memory


@dataclass(frozen=True)
class Segment:
    """A run of frames from one media file (or black/silence when `path` is None)."""

    path: Path | None
    start: int  # first frame in the media, counted from the media's first frame
    frames: int
    media_frames: int | None = None
    still: bool = False
    looped: bool = False
    fit: str = "fill"  # fill (crop), fit (pad) or blur: how a picture of another shape fills the frame


def preview_size(timeline: otio.schema.Timeline, height: int = 720) -> tuple[int, int]:
    """A quick-to-encode size with the delivery's shape: 1280x720 for a UHD target."""
    width, tall = meta.delivery_size(timeline)
    return (round(height * width / tall / 2) * 2, height)


@dataclass(frozen=True)
class _Frame:
    """The render's clock and picture: what every step of the graph needs to agree on."""

    rate: float
    total: int  # frames of the timeline
    width: int
    height: int
    root: Path  # where relative media resolve

    @property
    def seconds(self) -> float:
        return self.total / self.rate


def render(
    timeline: otio.schema.Timeline,
    output: Path,
    *,
    size: tuple[int, int] | None = None,
    media_root: Path | None = None,
    ff: FFmpeg | None = None,
    on_progress: Callable[[float], None] | None = None,
    replace_existing: bool = False,
    preset: str = "preview",
    streams: Literal["both", "picture", "sound"] = "both",
    seek: bool = False,
) -> Path:
    """Write `output` with a preset (preview, master, social); `on_progress` gets the fraction done.
    Relative media resolve from `media_root`. The file appears under its name only when complete.

    A segment of a farm render asks for the picture alone with `seek`: each clip's file is opened
    at its in-point, so only what is on screen is decoded (the one-pass render shares one decoder
    per file instead, which keeps memory flat over hundreds of cuts); the sound is rendered once,
    for the whole edit, with `streams="sound"`."""
    chosen = _preset_for(preset, output)
    frame = _frame_of(timeline, chosen, size, media_root)
    inputs = _Inputs(frame.rate, frame.width, frame.height, seek)
    picture = [_picture(timeline, inputs, frame, chosen)] if streams != "sound" else []
    sound = _sound(timeline, inputs, frame) if streams != "picture" else []
    if not picture and not sound:
        raise EditError(f"timeline {timeline.name!r} has no enabled audio track to render")
    video = {**chosen.video, **_bitrate(chosen, frame), **_keyframes_at_cuts(timeline, frame), "r": frame.rate,
             "color_primaries": "bt709", "color_trc": "bt709", "colorspace": "bt709"} if picture else {}
    audio = {**chosen.audio, "ar": 48000} if sound else {}
    output = output.expanduser().absolute()
    with scratch_path(output) as scratch:
        command = graph.output(*picture, *sound, media_arg(scratch), t=f"{frame.seconds:.6f}", **video, **audio).overwrite_output()
        progress = (lambda done: on_progress(min(1.0, done / frame.seconds))) if on_progress else None
        (ff or locate()).run_graph(command, f"rendering {timeline.name!r} to {output}", progress)
        return claim(scratch, output, replace=replace_existing)


def render_size(timeline: otio.schema.Timeline, output: Path, *, preset: str = "preview", size: tuple[int, int] | None = None,
                ) -> tuple[int, int]:
    """The picture size a render to `output` will have; refuses a preset or a name that do not go together."""
    frame = _frame_of(timeline, _preset_for(preset, output), size, None)
    return frame.width, frame.height


def cut_frames(timeline: otio.schema.Timeline) -> list[int]:
    """Frames where the picture cuts (clip boundaries of the picture tracks, the grain left out)."""
    rate = timeline_rate(timeline)
    cuts: set[int] = set()
    for track in timeline.video_tracks():
        if track.enabled and meta.role_of(track) != meta.Role.GRAIN:
            at = 0
            for item in track:
                at += round(item.duration().rescaled_to(rate).value)
                cuts.add(at)
    return sorted(cuts)


def _preset_for(preset: str, output: Path) -> Preset:
    chosen = PRESETS.get(preset)
    if chosen is None:
        raise ConfigError(f"render preset {preset!r} is refused: one of {', '.join(PRESETS)}")
    if output.suffix.lower() not in chosen.suffixes:
        raise ConfigError(f"{output}: the {preset} preset writes {' or '.join(chosen.suffixes)} files; change the name")
    return chosen


def _frame_of(timeline: otio.schema.Timeline, chosen: Preset, size: tuple[int, int] | None, media_root: Path | None) -> _Frame:
    rate = timeline_rate(timeline)
    total = round(timeline.duration().rescaled_to(rate).value)
    if total <= 0:
        raise EditError(f"timeline {timeline.name!r} is empty: nothing to render")
    width, height = size or (delivery_size(timeline) if chosen.full_size else preview_size(timeline))
    return _Frame(rate, total, width, height, (media_root or Path.cwd()).absolute())


def _picture(timeline: otio.schema.Timeline, inputs: _Inputs, frame: _Frame, chosen: Preset) -> Any:
    """The angles flattened (the top enabled clip wins), the grain blended over them, the preset's finish."""
    picture_tracks = [t for t in timeline.video_tracks() if t.enabled and meta.role_of(t) != meta.Role.GRAIN]
    if not picture_tracks:
        raise EditError(f"timeline {timeline.name!r} has no enabled video track to render")
    flat = otio.algorithms.flatten_stack(picture_tracks)
    picture = inputs.concat(list(_segments(flat, frame)))
    for track in timeline.video_tracks():
        if track.enabled and meta.role_of(track) == meta.Role.GRAIN and len(track):
            mode, opacity = _grain_blend(track)
            grain = inputs.concat([replace(s, fit="fill") for s in _segments(track, frame)])
            picture = graph.filter([picture, grain], "blend", all_mode=mode, all_opacity=opacity)
    for name, values in chosen.finish:
        picture = picture.filter(name, **values)
    # Rec.709 on the frames themselves: FFmpeg 7 and later let the frames' own (unknown) colour
    # properties win over -color_primaries/-color_trc given as output options.
    return picture.filter("setparams", color_primaries="bt709", color_trc="bt709", colorspace="bt709")


def _sound(timeline: otio.schema.Timeline, inputs: _Inputs, frame: _Frame) -> list[Any]:
    """Every enabled audio track at its level, mixed without normalising (the mix is the editor's)."""
    sounds = [
        _level(inputs.concat_audio(list(_segments(t, frame))), meta.gain_db(t))
        for t in timeline.audio_tracks() if t.enabled and len(t)
    ]
    if len(sounds) > 1:
        return [graph.filter(sounds, "amix", inputs=len(sounds), normalize=0)]
    return sounds


def _keyframes_at_cuts(timeline: otio.schema.Timeline, frame: _Frame) -> dict[str, str]:
    """A keyframe (closed GOP) on every cut: the file seeks to any shot, and a render in segments split
    at cuts makes the same GOPs, hence nearly the same frames, as one pass (half a frame early: the
    first frame at or after each time is the keyframe, whatever the rounding)."""
    times = [f"{(cut - 0.5) / frame.rate:.6f}" for cut in cut_frames(timeline) if 0 < cut < frame.total]
    return {"force_key_frames": ",".join(times)} if times else {}


def _bitrate(chosen: Preset, frame: _Frame) -> dict[str, str]:
    """The preset's 4K bitrate scaled to the picture size, with a capped peak (platforms re-encode above it)."""
    if not chosen.bitrate_4k:
        return {}
    bits = int(chosen.bitrate_4k * frame.width * frame.height / (3840 * 2160))
    return {"b:v": str(bits), "maxrate": str(bits * 4 // 3), "bufsize": str(bits * 2)}


def _level(sound: Any, gain_db: float) -> Any:
    """A track's level, as the timeline sets it (muted tracks are disabled and never reach here)."""
    return sound.filter("volume", f"{gain_db:g}dB") if gain_db else sound


def _grain_blend(track: otio.schema.Track) -> tuple[str, float]:
    look = meta.grain_of_track(track) or meta.GrainLook(meta.DEFAULT_BLEND, meta.DEFAULT_OPACITY)
    return blend_named(look.blend).ffmpeg, look.opacity


def _segments(track: otio.schema.Track, frame: _Frame) -> Iterator[Segment]:
    """The track as runs of media frames, cut to the timeline length, continuing runs merged."""
    rate, root, total = frame.rate, frame.root, frame.total
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
    return Segment(path=media.path, start=media.first, frames=frames, media_frames=media.media_frames, still=media.still,
                   fit=meta.fit_of(item))


@dataclass
class _Decoder:
    """One decoded input, split to every segment it feeds, in playback order."""

    splitter: Any
    next_frame: int = 0
    outputs: int = 0


class _Inputs:
    """ffmpeg inputs and the filter chains that trim them, shared where playback stays monotonic."""

    def __init__(self, rate: float, width: int, height: int, seek: bool = False) -> None:
        self.rate, self.width, self.height, self.seek = rate, width, height, seek
        self._open: dict[Path, _Decoder] = {}

    def concat(self, segments: list[Segment]) -> Any:
        parts = [self._picture(s) for s in segments]
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

    def _picture(self, s: Segment) -> Any:
        if s.path is None:
            size = f"{self.width}x{self.height}"
            return graph.input(f"color=c=black:s={size}:r={self.rate}:d={s.frames / self.rate:.6f}", f="lavfi").video
        stream, origin = self._source(s)
        return stream.trim(start_frame=s.start - origin, end_frame=s.start - origin + s.frames).setpts("PTS-STARTPTS")

    def _source(self, s: Segment) -> tuple[Any, int]:
        """A prepared stream for the segment and the media frame it starts at: reuse the file's decoder
        when the segment lies ahead of it; when seeking, open the file at the segment's in-point."""
        assert s.path is not None
        if self.seek and not (s.looped or s.still):
            # half a frame early: the frame at the in-point is kept whatever the rounding of its time
            opened = graph.input(media_arg(s.path), ss=f"{max(0.0, (s.start - 0.5) / self.rate):.6f}").video
            return self._prepare(opened, s.fit), s.start
        shared = self._open.get(s.path)
        if shared is None or s.looped or s.still or s.start < shared.next_frame:
            shared = _Decoder(self._prepare(self._open_input(s), s.fit).split())
            if not (s.looped or s.still):
                self._open[s.path] = shared
        shared.next_frame = s.start + s.frames
        shared.outputs += 1
        return shared.splitter[shared.outputs - 1], 0

    def _open_input(self, s: Segment) -> Any:
        """The decoded picture of a segment's file. A short looped plate (the grain) is decoded once
        and replayed from memory: decoding noise costs as much as encoding the picture."""
        assert s.path is not None
        if s.still:
            return graph.input(media_arg(s.path), loop=1, framerate=self.rate).video
        frame_bytes = self.width * self.height * 3 // 2
        if s.looped and s.media_frames and s.media_frames * frame_bytes <= LOOP_IN_MEMORY:
            return graph.input(media_arg(s.path)).video.filter("loop", loop=-1, size=s.media_frames, start=0)
        return graph.input(media_arg(s.path), **({"stream_loop": -1} if s.looped else {})).video

    def _prepare(self, stream: Any, fit: str) -> Any:
        size = {"w": self.width, "h": self.height}
        stream = stream.filter("setpts", "PTS-STARTPTS").filter("fps", fps=self.rate)
        filled = {"force_original_aspect_ratio": "increase", **size}
        fitted = {"force_original_aspect_ratio": "decrease", **size}
        if fit == "fit":
            stream = stream.filter("scale", **fitted).filter("pad", x="(ow-iw)/2", y="(oh-ih)/2", **size)
        elif fit == "blur":
            copies = stream.split()
            behind, front = copies[0], copies[1]
            backdrop = behind.filter("scale", **filled).filter("crop", **size).filter("boxblur", luma_radius="min(h,w)/20", luma_power=2)
            stream = graph.overlay(backdrop, front.filter("scale", **fitted), x="(W-w)/2", y="(H-h)/2")
        else:
            stream = stream.filter("scale", **filled).filter("crop", **size)
        return stream.filter("setsar", "1").filter("format", "yuv420p")
