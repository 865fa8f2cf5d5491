"""Conform: every clip on the project's rate and colour space before it meets an editor.

`check` lists what is off against the target (rate, variable rate, colour tags, HDR, size, audio
rate, start timecode). `apply` writes a conformed copy beside the take (`<stage>/conformed/`), never
touching the original: a constant target rate (frames dropped or repeated by default: exact and
artefact-free for AI footage; motion interpolation on request, slower and prone to warping faces),
HDR tone-mapped to Rec.709 (Hable, through linear light), tagged Rec.709 gamma 2.4 (BT.709 tags),
optionally scaled to the working size, every take stamped with the same start timecode so
Resolve's multicam-by-timecode lines the angles up, audio at 48 kHz, in an edit intermediate
(ProRes 422 HQ, or DNxHR HQ), with a sidecar naming its source, the source's hash and the command.
Only what is off changes: a take whose pictures are right but whose colour tags, timecode or audio
rate are not (every ordinary AI generation) is remuxed, every video packet copied, in seconds.
The edit then uses the conformed copy of each take that has one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from glob import escape as glob_escape
from pathlib import Path
from typing import Literal

from .config import ConformTarget
from .errors import MediaError
from .ffmpeg import FFmpeg, locate, media_arg
from .files import claim, hash_file, scratch_path, write_bytes
from .probe import ISO_BMFF, MediaInfo, VideoStream, box_problem, probe
from .project import VIDEO_SUFFIXES

__all__ = ["CODECS", "ConformOptions", "conformed_path", "conform_clip", "picture_off", "problems", "unusable"]

Codec = Literal["prores", "dnxhr", "h264"]
CODECS: dict[str, tuple[str, list[str]]] = {  # name -> (container suffix, encoder arguments)
    "prores": (".mov", ["-c:v", "prores_ks", "-profile:v", "3", "-vendor", "apl0", "-pix_fmt", "yuv422p10le"]),
    "dnxhr": (".mov", ["-c:v", "dnxhd", "-profile:v", "dnxhr_hq", "-pix_fmt", "yuv422p"]),
    "h264": (".mp4", ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]),  # proxies
}
HDR_NAMES = {"smpte2084": "HDR10 (PQ)", "arib-std-b67": "HLG"}


def problems(info: MediaInfo, target: ConformTarget) -> list[str]:
    """What is wrong with a clip against the target, in an editor's words (empty when it conforms)."""
    video = info.video
    if video is None:
        return ["no video stream"]
    found = []
    if video.variable_frame_rate:
        found.append(f"variable frame rate (average {float(video.average_frame_rate):.3f} fps)")
    if video.frame_rate != target.fps and not video.still:
        found.append(f"{float(video.frame_rate):g} fps; the project works at {target.fps}")
    if video.hdr:
        found.append(f"{HDR_NAMES.get(video.color_transfer or '', 'HDR')}: needs tone mapping to Rec.709")
    tags = (video.color_primaries, video.color_transfer, video.color_matrix)
    if not video.hdr and not _tagged_709(video):
        found.append("colour untagged (read as Rec.709 by most, not all)" if not any(tags) else f"colour tagged {'/'.join(str(t) for t in tags)}, not Rec.709")
    if video.width % 2 or video.height % 2:
        found.append(f"odd size {video.width}x{video.height} (4:2:0 video needs even sides)")
    elif Fraction(video.width, video.height) != Fraction(target.width, target.height):
        found.append(f"shape {video.width}x{video.height} differs from the delivery's {target.width}x{target.height}")
    found += [f"audio at {a.sample_rate} Hz; the edit runs at 48000" for a in info.audio if a.sample_rate != 48000]
    if not info.start_timecode:
        found.append("no start timecode (multicam by timecode needs one)")
    return found


def unusable(info: MediaInfo, target: ConformTarget) -> str | None:
    """Why the edit would refuse this take as it is (what `build` requires of every angle), or None:
    the watch folder asks before filing, so nothing it files breaks the next build."""
    video = info.video
    if video is None:
        return "no video stream"
    if video.variable_frame_rate:
        return f"a variable frame rate (average {float(video.average_frame_rate):.3f} fps); the project works at a constant {target.fps}"
    if video.frame_rate != target.fps and not video.still:
        return f"{float(video.frame_rate):g} fps, but the project works at {target.fps} fps (never mixed)"
    return None


@dataclass(frozen=True)
class ConformOptions:
    codec: Codec = "prores"
    interpolate: bool = False  # motion-interpolated rate change instead of dropping/repeating frames
    scale: bool = False  # scale (fit, padded) to the working size
    proxy: bool = False  # a half-size H.264 proxy instead of the intermediate
    intermediate: bool = False  # re-encode into the intermediate even when a remux would fix everything


RETAGGABLE = {"h264": "h264_metadata", "hevc": "hevc_metadata"}  # bitstream filters that rewrite the colour tags in place


def _tagged_709(video: VideoStream) -> bool:
    return (video.color_primaries, video.color_transfer, video.color_matrix) == ("bt709",) * 3


def picture_off(info: MediaInfo, target: ConformTarget, options: ConformOptions) -> bool:
    """Whether the pictures themselves must change (rate, HDR, size, codec), which only a re-encode does;
    otherwise colour tags, timecode and audio rate are fixed by a remux, in seconds, every frame kept."""
    video = info.require_video()
    return (
        options.intermediate or options.proxy or options.scale or video.hdr or video.variable_frame_rate
        or video.frame_rate != target.fps or bool(video.width % 2 or video.height % 2)
        or (not _tagged_709(video) and video.codec not in RETAGGABLE)
    )


def conformed_path(take: Path, options: ConformOptions, *, remux: bool = False) -> Path:
    """Where the conformed copy goes: `conformed/` beside the take, in the intermediate's container,
    or the take's own when only a remux was needed."""
    codec = "h264" if options.proxy else options.codec
    folder = take.parent / ("proxies" if options.proxy else "conformed")
    return folder / (take.stem + (take.suffix.lower() if remux else CODECS[codec][0]))


def _encode_args(take: Path, info: MediaInfo, target: ConformTarget, options: ConformOptions) -> list[str]:
    codec = CODECS["h264" if options.proxy else options.codec][1]
    audio = ["-map", "0:a:0?", "-c:a", "pcm_s16le" if not options.proxy else "aac", "-ar", "48000"]
    return [
        "-i", media_arg(take), "-map", "0:v:0", "-vf", _video_filters(info, target, options), *codec, *audio,
        "-r", str(target.fps), "-fps_mode", "cfr", "-color_primaries", "bt709", "-color_trc", "bt709",
        "-colorspace", "bt709", "-timecode", target.start_timecode, "-map_metadata", "-1",
    ]


def _remux_args(take: Path, info: MediaInfo, target: ConformTarget) -> list[str]:
    """Every video packet copied; the colour tags rewritten in the bitstream, the timecode stamped,
    audio re-encoded only when it is not at 48 kHz."""
    video = info.require_video()
    retag = [] if _tagged_709(video) else [
        "-bsf:v", f"{RETAGGABLE[video.codec]}=colour_primaries=1:transfer_characteristics=1:matrix_coefficients=1",
    ]
    resample = any(a.sample_rate != 48000 for a in info.audio[:1])
    audio_codec = ("pcm_s16le" if take.suffix.lower() == ".mov" else "aac") if resample else "copy"
    return [
        "-i", media_arg(take), "-map", "0:v:0", "-c:v", "copy", *retag, "-map", "0:a:0?", "-c:a", audio_codec,
        *(["-ar", "48000"] if resample else []), "-timecode", target.start_timecode, "-map_metadata", "-1",
    ]


def _video_filters(info: MediaInfo, target: ConformTarget, options: ConformOptions) -> str:
    video = info.video
    assert video is not None
    steps = []
    if video.hdr:
        transfer = "arib-std-b67" if video.color_transfer == "arib-std-b67" else "smpte2084"
        steps += [
            f"zscale=tin={transfer}:pin=bt2020:min=bt2020nc:t=linear:npl=100", "format=gbrpf32le",
            "zscale=p=bt709", "tonemap=tonemap=hable:desat=0", "zscale=t=bt709:m=bt709:r=tv",
        ]
    if video.frame_rate != target.fps or video.variable_frame_rate:
        steps.append(f"minterpolate=fps={target.fps}:mi_mode=mci" if options.interpolate else f"fps={target.fps}")
    if options.proxy:
        steps.append("scale=trunc(iw/4)*2:trunc(ih/4)*2")
    elif options.scale:
        size = f"{target.width}:{target.height}"
        steps += [f"scale={size}:force_original_aspect_ratio=decrease", f"pad={size}:(ow-iw)/2:(oh-ih)/2"]
    elif video.width % 2 or video.height % 2:
        steps.append("crop=trunc(iw/2)*2:trunc(ih/2)*2")
    steps.append("setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv")
    return ",".join(steps)


def conform_clip(
    take: Path, target: ConformTarget, options: ConformOptions | None = None, ff: FFmpeg | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Path:
    """Write the conformed copy of a take (replacing an earlier copy of ours); the take is only read."""
    ff, options = ff or locate(), options or ConformOptions()
    info = probe(take, ff)
    video = info.require_video()
    if video.still:
        raise MediaError(take, "is a still image: it has no frame rate to conform", "Use it as a grain plate or in an editor")
    if take.suffix.lower() in ISO_BMFF:
        truncated = box_problem(take)
        if truncated:
            raise MediaError(take, f"ends early ({truncated})", "Download or export it again; a conform would only copy the part that is there")
    remux = not picture_off(info, target, options)
    destination = conformed_path(take, options, remux=remux)
    args = _remux_args(take, info, target) if remux else _encode_args(take, info, target, options)
    for other in destination.parent.glob(f"{glob_escape(destination.stem)}.*"):
        if other.suffix.lower() in VIDEO_SUFFIXES and other != destination and (other.parent / (other.name + ".json")).exists():
            other.unlink()  # our own earlier copy in another container: one copy per take
    with scratch_path(destination) as scratch:
        ff.run([*args, "-y", media_arg(scratch)], f"conforming {take.name}", on_progress and _fraction(on_progress, info.duration))
        claim(scratch, destination, replace=True)
    sidecar = {
        "source": str(take), "source_sha256": hash_file(take), "output": str(destination), "remux": remux,
        "command": [str(ff.ffmpeg), *args, str(destination)], "target": target.model_dump(mode="json"),
        "options": vars(options), "problems_fixed": problems(info, target),
    }
    write_bytes(destination.with_name(destination.name + ".json"), json.dumps(sidecar, indent=2).encode("utf-8"), replace=True)
    return destination


def _fraction(report: Callable[[float], None], seconds: float) -> Callable[[float], None]:
    return lambda done: report(min(1.0, done / seconds) if seconds > 0 else 1.0)
