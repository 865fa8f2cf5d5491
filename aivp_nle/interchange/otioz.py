""".otioz bundles: the edit and its media in one zip, as OTIO's otioz adapter lays it out
(`version.txt`, `content.otio`, `media/NAME`), written and read by us.

Why not the stock adapter: it reads media paths with OTIO's URL helpers, which cut a path at `#`
and decode a literal `%20`, so a project in "MV #2" cannot be bundled; it bundles any file the edit
points at (an edit naming /etc/passwd bundled it); and its reader leaves every clip pointing at
`media/...` relative to nowhere (offline), while extracting whatever the zip claims, however big.

Here a bundle takes only media inside the edit's project (or its folder) and the user's own media
folders, with symbolic links resolved first, and names every file it refused. Reading, a bundle
is refused before anything is unpacked when its entries are too many, a name would land outside
the folder, an entry expands far beyond its compressed size (a zip bomb), or it would not fit on
the disk; entries are copied with a byte count that stops at their declared size; the clips are
then relinked to the unpacked media.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

import opentimelineio as otio

from ..edit.clips import media_path, media_url, path_from_url
from ..errors import ConfigError, MediaError
from ..files import shown
from ..timelines import otio_from_text

__all__ = ["read_otioz", "user_media_folders", "write_otioz"]

VERSION = "1.0.0"
MEDIA = "media"
CONTENT = "content.otio"
MAX_ENTRIES = 10_000
MAX_CONTENT = 64 * 1024 * 1024  # the edit itself: a timeline of 10,000 beats is a few MB
MAX_RATIO = 100  # how much an entry may expand: media are stored (1:1), JSON deflates ~10:1
CHUNK = 1024 * 1024


def user_media_folders(home: Path | None = None) -> list[Path]:
    """The folders where users keep media, on Linux, macOS and Windows."""
    home = home or Path.home()
    return [home / name for name in ("Videos", "Movies", "Music", "Pictures", "Downloads", "Desktop")]


def _project_of(folder: Path) -> Path:
    """The project a folder belongs to (the nearest one holding aivp.toml), else the folder itself."""
    for candidate in (folder, *folder.parents):
        if (candidate / "aivp.toml").is_file():
            return candidate
    return folder


def _inside(path: Path, roots: Iterable[Path]) -> bool:
    real = Path(os.path.realpath(path))
    return any(real.is_relative_to(Path(os.path.realpath(root))) for root in roots)


def write_otioz(timeline: otio.schema.Timeline, destination: Path, root: Path, allowed: Sequence[Path] = ()) -> None:
    """Bundle the edit with its media into `destination` (a fresh file the caller claims)."""
    roots = [_project_of(root), *allowed, *user_media_folders()]
    bundled = timeline.deepcopy()
    names: dict[Path, str] = {}
    refused: list[Path] = []
    for clip in bundled.find_clips():
        path = media_path(clip, root)
        if not _inside(path, roots):
            refused.append(path)
            continue
        if path not in names:
            name, number = path.name, 1
            while name in names.values():
                number += 1
                name = f"{number}/{path.name}"
            names[path] = name
        clip.media_reference.target_url = media_url(Path(MEDIA) / names[path])
    if refused:
        listed = ", ".join(sorted({shown(p) for p in refused}))
        raise ConfigError(
            f"refused to bundle {listed}: outside the project ({_project_of(root)}) and your media folders. "
            "Copy the file into the project, then export again"
        )
    with zipfile.ZipFile(destination, "w") as bundle:
        bundle.writestr("version.txt", VERSION, compress_type=zipfile.ZIP_DEFLATED)
        bundle.writestr(CONTENT, otio.adapters.write_to_string(bundled, "otio_json"), compress_type=zipfile.ZIP_DEFLATED)
        for path, name in names.items():
            bundle.write(path, f"{MEDIA}/{name}", compress_type=zipfile.ZIP_STORED)


def _entries(bundle: zipfile.ZipFile, path: Path, folder: Path) -> list[zipfile.ZipInfo]:
    """The entries, each checked before anything is written."""
    entries = bundle.infolist()
    if len(entries) > MAX_ENTRIES:
        raise MediaError(path, f"holds {len(entries)} entries (a bundle holds a few files per take)", "Re-export it from the edit")
    total = 0
    for entry in entries:
        name = PurePosixPath(entry.filename)
        if name.is_absolute() or ".." in name.parts or "\\" in entry.filename or (entry.external_attr >> 16) & 0o170000 == 0o120000:
            raise MediaError(path, f"has an entry {shown(entry.filename)} that would land outside the folder", "Do not unpack it")
        if entry.file_size > MAX_RATIO * max(entry.compress_size, 1) + CHUNK:
            raise MediaError(path, f"has an entry {shown(entry.filename)} that expands {entry.file_size // max(entry.compress_size, 1)} times (a zip bomb)", "Do not unpack it")
        total += entry.file_size
    free = shutil.disk_usage(folder.parent).free
    if total > free:
        raise MediaError(path, f"unpacks to {total / 1e9:.1f} GB and {folder.parent} has {free / 1e9:.1f} GB free", "Free some space or unpack elsewhere")
    return entries


def _copy(bundle: zipfile.ZipFile, entry: zipfile.ZipInfo, target: Path) -> None:
    """Copy one entry, never more bytes than it declared."""
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with bundle.open(entry) as source, open(target, "xb") as sink:
        while block := source.read(CHUNK):
            written += len(block)
            if written > entry.file_size:
                raise ConfigError(f"{shown(entry.filename)}: longer than the bundle says; not unpacked")
            sink.write(block)


def read_otioz(path: Path, extract_to: Path) -> otio.schema.Timeline:
    """Unpack a bundle into the new folder `extract_to` and return its edit, relinked to the media there."""
    if not zipfile.is_zipfile(path):
        raise MediaError(path, "is not an .otioz bundle (not a zip file)", "Export it again as .otioz")
    with zipfile.ZipFile(path) as bundle:
        entries = _entries(bundle, path, extract_to)
        content = next((e for e in entries if e.filename == CONTENT), None)
        if content is None or content.file_size > MAX_CONTENT:
            raise MediaError(path, "holds no content.otio of a sensible size", "Export it again as .otioz")
        extract_to.mkdir(parents=True)
        for entry in entries:
            if not entry.is_dir():
                _copy(bundle, entry, extract_to / entry.filename)
    loaded = otio_from_text((extract_to / CONTENT).read_bytes(), f"{path} ({CONTENT})")
    if not isinstance(loaded, otio.core.Composable | otio.schema.Timeline | otio.schema.SerializableCollection):
        raise MediaError(path, "holds no edit", "Export it again as .otioz")
    for clip in loaded.find_clips():
        reference = clip.media_reference
        if isinstance(reference, otio.schema.ExternalReference) and reference.target_url:
            inner = path_from_url(reference.target_url)
            if not inner.is_absolute() and (extract_to / inner).is_file():
                reference.target_url = media_url((extract_to / inner).absolute())
    return loaded
