"""Exports to every editor our users finish in, and imports back what the formats allow.

`export_edit` is the one entry: it resolves media to absolute paths and refuses offline media
(an import with media offline is worse than none), then hands the timeline to the format's writer
and claims the output crash-safely, never overwriting unless asked. Each writer is a module of its
own; where a stock OTIO adapter works it is used, where it is broken the module says why and mends it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import opentimelineio as otio

from ..edit import meta
from ..edit.blends import BLENDS
from ..edit.clips import media_path
from ..errors import AivpError, ConfigError
from ..ffmpeg import FFmpeg, locate
from ..files import claim, scratch_path, write_bytes
from ..probe import MediaInfo, probe
from ..timelines import checked_timeline, otio_from_text
from .common import prepare
from .edl import to_edls_per_track
from .formats import FORMATS, Format
from .otioz import read_otioz

__all__ = ["FORMATS", "Format", "export_edit", "export_path", "format_for", "import_edit"]


def export_path(edit: Path, name: str) -> Path:
    """Where an edit's export in a format goes: beside it, named after it (`_resolve.otio` for Resolve's shape)."""
    if name in ("otio", "resolve"):
        return edit.with_name(f"{edit.stem}_{name}.otio")
    return edit.with_suffix(FORMATS[name].suffix)


def format_for(path: Path, name: str | None = None) -> Format:
    """The format asked for, else the one the file's extension names (.otio means plain OTIO)."""
    if name is not None:
        if name not in FORMATS:
            raise ConfigError(f"--to {name!r} is refused: one of {', '.join(FORMATS)}")
        return FORMATS[name]
    for candidate in FORMATS.values():
        if path.suffix.lower() == candidate.suffix:
            return candidate
    known = ", ".join(sorted({f.suffix for f in FORMATS.values()}))
    raise ConfigError(f"{path}: cannot tell the format from {path.suffix or 'no extension'!r} ({known}); say it with --to")


def _media_table(timeline: otio.schema.Timeline, ff: FFmpeg) -> dict[Path, MediaInfo]:
    return {path: probe(path, ff) for path in dict.fromkeys(media_path(c, Path("/")) for c in timeline.find_clips())}


def export_edit(
    timeline: otio.schema.Timeline,
    output: Path,
    to: str | None = None,
    *,
    media_root: Path | None = None,
    replace: bool = False,
    per_track: bool = False,
    ff: FFmpeg | None = None,
) -> list[Path]:
    """Write the edit for an editor; returns the files written (several for per-track EDLs)."""
    output = output.expanduser().absolute()
    kind = format_for(output, to)
    root = (media_root or Path.cwd()).absolute()
    edit = prepare(timeline, root)
    if kind.write_file is not None:
        return [_write_file(edit, output, kind, replace, root)]
    assert kind.write is not None
    rendered: dict[Path, str] = {}  # everything is made before anything is written
    if kind.name == "edl" and per_track:
        for key, text in to_edls_per_track(edit, root).items():
            rendered[output.with_name(f"{output.stem}_{key}{output.suffix}")] = text
    else:
        rendered[output] = kind.write(edit, root, _media_table(edit, ff or locate()) if kind.probes_media else {})
    return [write_bytes(path, text.encode("utf-8"), replace=replace) for path, text in rendered.items()]


def _write_file(edit: otio.schema.Timeline, output: Path, kind: Format, replace: bool, root: Path) -> Path:
    """Formats whose libraries write files themselves: into a fresh folder beside the output, then claimed."""
    assert kind.write_file is not None
    with tempfile.TemporaryDirectory(prefix=".aivp-tmp-", dir=output.parent) as folder:
        written = Path(folder) / f"edit{output.suffix}"
        kind.write_file(edit, written, root)
        with scratch_path(output) as scratch:
            written.replace(scratch)
            return claim(scratch, output, replace)


def import_edit(path: Path, rate: float = 24.0, extract_to: Path | None = None) -> otio.schema.Timeline:
    """Read an edit made elsewhere (what the stock readers allow) into our model."""
    path = path.expanduser().absolute()
    kind = format_for(path)
    if not kind.readable:
        raise ConfigError(f"{path}: {kind.name} files cannot be read back (no reader exists); import the .otio we wrote beside it")
    if not path.is_file():
        raise ConfigError(f"{path}: file not found. Check the path")
    options: dict[str, object] = {}
    if kind.name == "edl":
        options["rate"] = rate
    if kind.name == "otioz" and (extract_to is None or extract_to.exists()):
        raise ConfigError(f"{extract_to}: give a new folder to unpack the bundle's media into")
    try:
        if kind.reader == "otioz":
            assert extract_to is not None
            loaded = read_otioz(path, extract_to)
        elif kind.reader == "otio":
            loaded = otio_from_text(path.read_bytes(), str(path))
        else:
            loaded = otio.adapters.read_from_file(str(path), adapter_name=kind.reader, **options)
    except AivpError:
        raise
    except Exception as error:  # the stock readers raise anything from KeyError to their own types
        raise ConfigError(f"{path}: the {kind.name} reader could not read it ({error}). Re-export it from the editor") from None
    timeline = _first_timeline(loaded)
    if timeline is None:
        raise ConfigError(f"{path}: holds no timeline")
    checked_timeline(timeline, str(path))
    _recover_grain(timeline)
    return timeline


def _first_timeline(loaded: object) -> otio.schema.Timeline | None:
    """The timeline a file holds: itself, the first of a collection, or none (valid OTIO JSON can be a bare string)."""
    if isinstance(loaded, otio.schema.Timeline):
        return loaded
    if isinstance(loaded, otio.schema.SerializableCollection):
        return next(iter(loaded.find_children(descended_from_type=otio.schema.Timeline)), None)
    return None


def _recover_grain(timeline: otio.schema.Timeline) -> None:
    """FCP7 XML keeps composite mode and opacity in its own metadata: bring them back into ours."""
    modes = {blend.fcp7: blend.name for blend in BLENDS.values()}
    for track in timeline.video_tracks():
        clips = list(track.find_clips())
        for clip in clips:
            fcp = clip.metadata.get("fcp_xml", {})
            mode = fcp.get("compositemode") if hasattr(fcp, "get") else None
            if mode in modes:
                opacity = float(fcp["filter"]["effect"]["parameter"]["value"]) / 100.0
                meta.set_grain(clip, meta.GrainLook(modes[mode], opacity))
        if clips and all(meta.grain_look(c) is not None for c in clips):
            meta.set_role(track, meta.Role.GRAIN)
