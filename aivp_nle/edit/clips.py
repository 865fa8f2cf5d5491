"""Where a clip's picture comes from, in frames of the timeline: what every writer and the renderer ask.

OTIO counts a clip's source range in the media's own time (from its start timecode); players and
most formats count frames from the file's first frame. This is the one place that converts.

It is also the one place that turns a file into a URL and back. OTIO's own helpers leave `#`, `?`,
`%` and spaces as they are (`url_from_filepath` unquotes what it quoted), so a project in
"MV #2" became `file:///MV #2/...`, which every reader cuts at the `#`. Ours are RFC 3986 file
URLs, every byte of the name percent-encoded (names that are not UTF-8 too). Reading, a URL that
has characters no encoded URL can hold (an earlier version's, or a tool's) is taken literally.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from urllib.parse import quote_from_bytes, unquote_to_bytes, urlsplit

import opentimelineio as otio

from ..errors import EditError, MediaError
from . import meta

__all__ = ["ClipMedia", "clip_media", "media_path", "media_url", "path_from_url"]

_ENCODED = re.compile(r"[A-Za-z0-9\-._~:/@!$&'()*+,;=]|%[0-9A-Fa-f]{2}")  # what an encoded URL is made of


@dataclass(frozen=True)
class ClipMedia:
    path: Path  # absolute
    first: int  # first frame used, counted from the file's first frame
    frames: int  # length on the timeline
    media_start: int  # the media's start timecode, in frames (0 when it has none)
    media_frames: int | None  # the media's length, when the timeline knows it
    still: bool


def media_url(path: Path) -> str:
    """A file's URL: `file:///...` for an absolute path, a relative reference otherwise, percent-encoded."""
    encoded = quote_from_bytes(os.fsencode(path.as_posix()), safe="/")
    return "file://" + (encoded if encoded.startswith("/") else "/" + encoded) if path.is_absolute() else encoded


def _literal(url: str) -> bool:
    return not all(_ENCODED.fullmatch(m) for m in re.findall(r"%..|.", url, re.S))


def path_from_url(url: str) -> Path:
    """The file a URL (or a plain path, as Resolve and EDLs give) names."""
    if not url.lower().startswith("file:"):
        return Path(url if _literal(url) else os.fsdecode(unquote_to_bytes(url)))
    if _literal(url):  # not encoded: strip the scheme and take the rest as it is
        rest = url[5:]
        rest = rest[2:] if rest.startswith("//") else rest
        rest = rest[len("localhost"):] if rest.startswith("localhost/") else rest
        return Path(rest)
    parts = urlsplit(url)
    decoded = os.fsdecode(unquote_to_bytes(parts.path))
    if parts.netloc and parts.netloc != "localhost":
        return Path(f"//{parts.netloc}{decoded}")  # a UNC share
    if PureWindowsPath(decoded.lstrip("/")).drive:
        return Path(decoded.lstrip("/"))  # file:///C:/...
    return Path(decoded)


def media_path(clip: otio.schema.Clip, root: Path) -> Path:
    """The clip's file as an absolute path (relative ones from `root`); refuses clips without media."""
    reference = clip.media_reference
    if not isinstance(reference, otio.schema.ExternalReference) or not reference.target_url:
        raise EditError(f"clip {clip.name!r} has no media: relink it to its file, then try again")
    path = path_from_url(reference.target_url)
    return path if path.is_absolute() else (root / path).absolute()


def clip_media(clip: otio.schema.Clip, rate: float, root: Path, check_online: bool = True) -> ClipMedia:
    path = media_path(clip, root)
    if check_online and not path.is_file():
        raise MediaError(path, f"is offline (clip {clip.name!r})", "Put the file back or relink the clip, then try again")
    start = clip.source_range.start_time if clip.source_range else otio.opentime.RationalTime(0, rate)
    available = clip.media_reference.available_range
    media_start = otio.opentime.RationalTime(0, rate)
    media_frames = None
    if available is not None:
        media_start = available.start_time
        media_frames = round(available.duration.rescaled_to(rate).value)
    return ClipMedia(
        path=path,
        first=round((start - media_start).rescaled_to(rate).value),
        frames=round(clip.duration().rescaled_to(rate).value),
        media_start=round(media_start.rescaled_to(rate).value),
        media_frames=media_frames,
        still=meta.is_still(clip),
    )
