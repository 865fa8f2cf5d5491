"""The handbook's project layout, and where a project keeps its takes, song and edits.

    Project/
      01_Source_Images/  02_Reference_Video/
      03_Generations/{v1_exploration,v2_selected,v3_final}/
      04_Audio/  05_Upscaled/  06_Edit/  prompts.txt  aivp.toml

Generations are versioned (`NAME_v001.mp4`, `NAME_v002.mp4`, ...) and never overwritten: a new
take of an angle is a new version, and the edit uses each angle's newest version from the most
advanced stage that holds any take (final, then selected, then exploration).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from .chunks import ChunkManifest, read_manifest
from .config import ProjectConfig, dump_config, load_config
from .errors import ConfigError, EditError, MediaError
from .files import claim, next_version, scratch_path, write_bytes

__all__ = ["Project", "TakeFile", "add_file", "init_project", "media_files", "open_project", "use_grain"]

CONFIG_NAME = "aivp.toml"
GENERATIONS = "03_Generations"
STAGES = ("v1_exploration", "v2_selected", "v3_final")
FOLDERS = (
    "01_Source_Images", "02_Reference_Video", *(f"{GENERATIONS}/{s}" for s in STAGES),
    "04_Audio", "05_Upscaled", "06_Edit",
)
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".mkv", ".webm", ".m4v", ".mxf"})
AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".aif", ".aiff"})
_VERSIONED = re.compile(r"^(?P<angle>.+?)_v(?P<version>\d+)$")
# Words in a file name that say it is a stem, not the mix; the stem each one means.
STEM_WORDS = {
    "drums": "drums", "drum": "drums", "instrumental": "instrumental", "inst": "instrumental",
    "karaoke": "instrumental", "vocals": "vocals", "vocal": "vocals", "acapella": "vocals", "bass": "bass", "other": "other",
}


def _stem_kind(path: Path) -> str | None:
    words = re.split(r"[^a-z]+", path.stem.lower())
    return next((STEM_WORDS[w] for w in words if w in STEM_WORDS), None)


@dataclass(frozen=True)
class TakeFile:
    """One generation on disk: which angle it is, which version."""

    angle: str
    version: int
    path: Path

    @classmethod
    def from_path(cls, path: Path) -> TakeFile:
        match = _VERSIONED.match(path.stem)
        if match is None:
            return cls(angle=path.stem, version=0, path=path)
        return cls(angle=match["angle"], version=int(match["version"]), path=path)


@dataclass(frozen=True)
class Project:
    root: Path
    config: ProjectConfig

    @property
    def edit_dir(self) -> Path:
        return self.root / "06_Edit"

    @property
    def audio_dir(self) -> Path:
        return self.root / "04_Audio"

    def stage_dir(self, stage: str) -> Path:
        return self.root / GENERATIONS / stage

    def path(self, relative: str) -> Path:
        """A path from the project file, relative to the project unless absolute."""
        return (self.root / Path(relative).expanduser()).absolute()

    def latest_takes(self, conformed: bool = True) -> list[TakeFile]:
        """Each angle's newest version, from the most advanced stage that has takes (its conformed
        copy when `aivp conform apply` made one)."""
        for stage in reversed(STAGES):
            files = [TakeFile.from_path(p) for p in media_files(self.stage_dir(stage), VIDEO_SUFFIXES)]
            if files:
                newest: dict[str, TakeFile] = {}
                for take in sorted(files, key=lambda t: (t.angle, t.version)):
                    newest[take.angle] = take
                copies = media_files(self.stage_dir(stage) / "conformed", VIDEO_SUFFIXES) if conformed else []
                by_stem = {p.stem: p for p in copies}
                return [replace(t, path=by_stem.get(t.path.stem, t.path)) for t in newest.values()]
        raise EditError(
            f"{self.root / GENERATIONS}: no takes in {', '.join(STAGES)}. "
            "Put each angle's generation there (e.g. angleA_v001.mp4) and build again"
        )

    def song(self) -> Path:
        """The song named in aivp.toml, else the one audio file in 04_Audio that is not a stem."""
        if self.config.audio.song:
            return self.path(self.config.audio.song)
        found = [p for p in media_files(self.audio_dir, AUDIO_SUFFIXES) if _stem_kind(p) is None]
        if len(found) == 1:
            return found[0]
        if not found:
            raise MediaError(self.audio_dir, "holds no song", "Put the song (WAV, FLAC, MP3, M4A) in 04_Audio")
        names = ", ".join(p.name for p in found)
        raise ConfigError(
            f"{self.audio_dir}: several audio files ({names}); name the song in {CONFIG_NAME}: "
            '[audio] song = "04_Audio/NAME"'
        )

    def stem(self, kind: str) -> Path | None:
        """The vocals or instrumental stem: named in aivp.toml, else the one file in 04_Audio whose name says so."""
        named = {"vocals": self.config.audio.vocals, "instrumental": self.config.audio.instrumental}.get(kind)
        if named:
            return self.path(named)
        found = [p for p in media_files(self.audio_dir, AUDIO_SUFFIXES) if _stem_kind(p) == kind]
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            raise ConfigError(f"{self.audio_dir}: several {kind} stems ({names}); name one in {CONFIG_NAME}: [audio] {kind} = \"04_Audio/NAME\"")
        return found[0] if found else None

    def beat_audio(self) -> Path:
        """What the beats are tracked on: a drums stem beats an instrumental one beats the full mix."""
        if self.config.audio.beats_from:
            return self.path(self.config.audio.beats_from)
        stems = {_stem_kind(p): p for p in media_files(self.audio_dir, AUDIO_SUFFIXES)}
        return stems.get("drums") or stems.get("instrumental") or self.song()

    def chunk_manifest(self) -> ChunkManifest | None:
        """The reference's chunk manifest (02_Reference_Video/chunks), when the performance was chunked."""
        found = sorted((self.root / "02_Reference_Video" / "chunks").glob("*_chunks.json"))
        if len(found) > 1:
            raise ConfigError(f"{found[0].parent}: several chunk manifests ({', '.join(p.name for p in found)}); keep one")
        return read_manifest(found[0]) if found else None

    def newest_edit(self) -> Path | None:
        """The newest beat-cut (highest beatcut_vNNN.otio), else the multicam, else None."""
        versions = [p for p in self.edit_dir.glob("beatcut_v*.otio") if p.stem.removeprefix("beatcut_v").isdigit()]
        if versions:
            return max(versions, key=lambda p: int(p.stem.removeprefix("beatcut_v")))
        multicam = self.edit_dir / "multicam.otio"
        return multicam if multicam.is_file() else None

    def grain_asset(self) -> Path | None:
        asset = self.config.grain.asset
        return self.path(asset) if asset else None


def media_files(folder: Path, suffixes: frozenset[str]) -> list[Path]:
    """The visible files of a kind in a folder (our own `.aivp-tmp-*` copies in progress are hidden)."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in suffixes and not p.name.startswith(".")
    )


def init_project(root: Path, config: ProjectConfig | None = None) -> Project:
    """Make the layout; keep whatever is already there (init on a used folder adds, never replaces)."""
    root = root.expanduser().absolute()
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root}: exists and is not a folder. Choose a folder for the project")
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    prompts = root / "prompts.txt"
    if not prompts.exists():
        write_bytes(prompts, b"# One prompt per generation: NAME_vNNN: prompt text\n")
    config_path = root / CONFIG_NAME
    if config_path.exists():
        return open_project(root)
    config = config or ProjectConfig()
    write_bytes(config_path, dump_config(config).encode("utf-8"))
    return Project(root=root, config=config)


def use_grain(project: Project, plate: Path) -> Project:
    """Name the plate in aivp.toml's [grain] asset, unless one is set already (the user's choice stays).
    The file is edited line by line, so the user's comments and order are kept."""
    if project.config.grain.asset:
        return project
    relative = plate.absolute().relative_to(project.root).as_posix() if plate.absolute().is_relative_to(project.root) else str(plate.absolute())
    config_path = project.root / CONFIG_NAME
    lines = config_path.read_text(encoding="utf-8").splitlines()
    entry = f"asset = {json.dumps(relative)}"
    if "[grain]" in (line.strip() for line in lines):
        at = next(i for i, line in enumerate(lines) if line.strip() == "[grain]")
        lines.insert(at + 1, entry)
    else:
        lines += ["", "[grain]", entry]
    write_bytes(config_path, ("\n".join(lines) + "\n").encode("utf-8"), replace=True)
    return open_project(project.root)


def enclosing_project(path: Path) -> Project | None:
    """The project a file lives in (the nearest folder above it with an aivp.toml), else None."""
    for folder in path.expanduser().absolute().parents:
        if (folder / CONFIG_NAME).is_file():
            return open_project(folder)
    return None


def open_project(root: Path) -> Project:
    root = root.expanduser().absolute()
    config_path = root / CONFIG_NAME
    if not config_path.is_file():
        raise ConfigError(f"{root}: not an aivp project (no {CONFIG_NAME}). Run `aivp init {root}` first")
    return Project(root=root, config=load_config(config_path))


def add_file(source: Path, folder: Path, stem: str) -> Path:
    """Copy a file in as the next version `stem_vNNN`, never replacing one that exists."""

    def copy_to(destination: Path) -> Path:
        with scratch_path(destination) as scratch:
            shutil.copyfile(source, scratch)
            return claim(scratch, destination)

    return next_version(folder, stem, source.suffix.lower(), copy_to)
