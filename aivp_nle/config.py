"""The project file, `aivp.toml`: conform target, grain, cut and audio settings.

A pydantic model, because it is a file format we own. Refusals name the key, the value and
what is allowed, so a user can fix the file without reading our code.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal, TypeVar

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError

__all__ = [
    "AngleSettings", "AudioSettings", "BeatSettings", "ConformTarget", "CutSettings", "DeliveryPreset",
    "LipSyncSettings", "WatchSettings",
    "GrainSettings", "ProjectConfig", "checked", "dump_config", "load_config",
]

_TIMECODE = re.compile(r"^\d\d:[0-5]\d:[0-5]\d[:;]\d\d$")
BlendMode = Literal["overlay", "soft_light", "screen"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConformTarget(_Section):
    """The handbook's working format: one rate (24 or 30, never mixed), Rec.709 gamma 2.4, UHD."""

    fps: Literal[24, 30] = 24
    width: int = Field(default=3840, gt=0, multiple_of=2)
    height: int = Field(default=2160, gt=0, multiple_of=2)
    color: Literal["Rec.709 Gamma 2.4"] = "Rec.709 Gamma 2.4"
    start_timecode: str = "01:00:00:00"

    @field_validator("start_timecode")
    @classmethod
    def _is_timecode(cls, value: str) -> str:
        if not _TIMECODE.match(value) or int(value[:2]) > 23:
            raise ValueError("must be a timecode HH:MM:SS:FF under 24:00:00:00, like 01:00:00:00")
        return value

    @model_validator(mode="after")
    def _frames_within_the_rate(self) -> ConformTarget:
        if int(self.start_timecode[-2:]) >= self.fps:
            raise ValueError(f"start_timecode {self.start_timecode}: its frames must be under the rate ({self.fps})")
        return self


class GrainSettings(_Section):
    """The unity trick: a grain asset above all footage, Overlay, about 30 %."""

    asset: str | None = None
    opacity: float = Field(default=0.30, ge=0.0, le=1.0)
    blend: BlendMode = "overlay"


Fit = Literal["fill", "fit", "blur"]
CutPattern = Literal["beats", "bars", "downbeats", "phrase", "energy"]


class CutSettings(_Section):
    """How the beat-cut switches angles: the pattern, its length, and the rules every pattern keeps."""

    pattern: CutPattern = Field(default="beats", description="beats, bars, downbeats, phrase or energy")
    every: int = Field(default=2, ge=1, le=64, description="beats (pattern beats) or bars (pattern bars) per shot")
    phrase_bars: Literal[4, 8] = Field(default=4, description="bars per phrase for the phrase pattern")
    hero: str | None = Field(default=None, description="angle held through the loudest phrase")
    min_shot: float = Field(default=1.0, gt=0.0, le=60.0, description="shortest shot, seconds")
    seed: int = 0


class BeatSettings(_Section):
    """Where the beats come from: the tracker, or the user's grid, file and nudge."""

    bpm: float | None = Field(default=None, ge=30.0, le=300.0, description="pin the tempo instead of estimating it")
    first_downbeat: float | None = Field(default=None, ge=0.0, description="with bpm: seconds to the first bar; a steady grid")
    offset: float = Field(default=0.0, ge=-2.0, le=2.0, description="seconds to move every beat (later when positive)")
    file: str | None = Field(default=None, description="beat times from a file: text/CSV, or an .otio's markers")
    tracker: Literal["beatnet", "aivp", "librosa"] = Field(default="beatnet", description="beatnet: a trained ear (CC BY 4.0 weights); aivp: no model")
    level: Literal["auto", "half", "double"] = Field(default="auto", description="half or double the metrical level the tracker chose")
    meter: Literal[3, 4] = Field(default=4, description="beats per bar of a pinned grid")


class AudioSettings(_Section):
    """The song and its stems. The edit plays the mix, or `play = "stems"`: instrumental + vocals
    recombined (the handbook's way); the other tracks stay in the timeline, muted."""

    song: str | None = Field(default=None, description="the song, relative to the project; default: the one audio file in 04_Audio that is not a stem")
    beats_from: str | None = Field(default=None, description="the audio to track beats on; default: a drums stem, else an instrumental one, else the song")
    vocals: str | None = Field(default=None, description="the isolated vocal stem; default: the file in 04_Audio named vocals/vocal/acapella")
    instrumental: str | None = Field(default=None, description="the instrumental stem; default: the file named instrumental/inst/karaoke")
    play: Literal["mix", "stems"] = Field(default="mix", description="what the edit plays: the mix, or instrumental + vocals")
    mix_db: float = Field(default=0.0, ge=-60.0, le=12.0, description="level of the mix track, dB")
    vocals_db: float = Field(default=0.0, ge=-60.0, le=12.0, description="level of the vocal track, dB")
    instrumental_db: float = Field(default=0.0, ge=-60.0, le=12.0, description="level of the instrumental track, dB")


class LipSyncSettings(_Section):
    """The close-up while the singer sings: sung phrases from the vocal stem put a lip-sync angle on screen."""

    enabled: bool = Field(default=True, description="cut to lip-sync angles on sung phrases when there are both")
    min_phrase: float = Field(default=1.0, ge=0.1, le=60.0, description="shortest sung phrase, seconds, that earns a lip-sync shot")
    every: int | None = Field(default=None, ge=1, le=64, description="beats per shot inside a long phrase; default: cut.every")
    threshold_db: float = Field(default=-30.0, ge=-80.0, le=-3.0, description="sung when the vocal is this loud against its loudest, dB")


class AngleSettings(_Section):
    offset: float = Field(default=0.0, ge=-600.0, le=600.0, description="seconds this take runs ahead of the song")
    lipsync: bool | None = Field(default=None, description="a lip-synced take; default: its name ends in lipsync, or `aivp mark` says so")
    source: str | None = Field(default=None, description="the angle a lip-synced take was made from; default: its name before -lipsync")
    fit: Fit = Field(default="fill", description="a take of another shape: fill (cropped, centred), fit (whole, black bars) or blur (whole, over itself blurred)")


class WatchSettings(_Section):
    """The watch folder: where generations land and how they are judged, named and filed."""

    inbox: str = "inbox"
    stage: Literal["v1_exploration", "v2_selected", "v3_final"] = "v1_exploration"
    settle: float = Field(default=2.0, ge=0.05, le=600.0, description="seconds a file must stay unchanged")
    polling: bool = Field(default=False, description="poll instead of OS events (network shares)")
    rescan: float = Field(default=60.0, ge=0.1, le=3600.0, description="seconds between full rescans")
    patience: float = Field(default=120.0, ge=0.1, le=86400.0, description="seconds `--once` waits for a file still arriving")
    stall: float = Field(default=1800.0, ge=1.0, le=7 * 86400.0,
                         description="seconds an incomplete MP4/MOV may go without a write before it is quarantined")
    shot: str = Field(default="s01", pattern=r"^[A-Za-z0-9-]+$")
    pattern: str | None = Field(default=None, description="regex on the incoming name with (?P<angle>...) and optional (?P<shot>...)")
    conform: bool = Field(default=False, description="conform each filed take that is off (rate, tags, timecode) instead of refusing it")
    rebuild: bool = True
    export: list[Literal["resolve", "fcpxml", "fcp7", "edl", "aaf", "mlt", "kdenlive"]] = ["resolve"]

    @field_validator("pattern")
    @classmethod
    def _is_pattern(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            compiled = re.compile(value)
        except re.error as error:
            raise ValueError(f"not a regular expression ({error})") from None
        if "angle" not in compiled.groupindex:
            raise ValueError("needs a named group (?P<angle>...)")
        return value


class FarmSettings(_Section):
    """Where conform, QC and render run: this machine, or a Dask cluster that sees the project's files."""

    scheduler: str | None = Field(default=None, pattern=r"^(tcp|tls|ws|wss|inproc)://.+",
                                  description="a Dask scheduler, tcp://HOST:8786; default: this machine's processes")
    paths: dict[str, str] = Field(default={}, description="where the workers mount what this machine calls PREFIX: {\"/Volumes/NAS\" = \"/mnt/nas\"}")
    segments: int | None = Field(default=None, ge=1, le=4096, description="segments of a farm render; default: two per worker")


class DeliveryPreset(_Section):
    """A render the finished edit is delivered as (Resolve format and codec names)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    format: str = "mov"
    codec: str = "ProRes422HQ"
    width: int = Field(default=3840, gt=0, multiple_of=2)
    height: int = Field(default=2160, gt=0, multiple_of=2)


DEFAULT_DELIVERY = (
    DeliveryPreset(name="master"),
    DeliveryPreset(name="social", format="mp4", codec="H264"),
)


class ProjectConfig(_Section):
    conform: ConformTarget = ConformTarget()
    grain: GrainSettings = GrainSettings()
    cut: CutSettings = CutSettings()
    beats: BeatSettings = BeatSettings()
    audio: AudioSettings = AudioSettings()
    lipsync: LipSyncSettings = LipSyncSettings()
    angles: dict[str, AngleSettings] = {}
    delivery: tuple[DeliveryPreset, ...] = DEFAULT_DELIVERY
    watch: WatchSettings = WatchSettings()
    farm: FarmSettings = FarmSettings()


Model = TypeVar("Model", bound=BaseModel)


def checked(model: type[Model], values: dict[str, Any], where: str) -> Model:
    """Validate values into a settings model, turning pydantic's report into our ConfigError."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise ConfigError(_explain(error, where)) from None


def load_config(path: Path) -> ProjectConfig:
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found. Run `aivp init {path.parent}` to make a project") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML ({error}). Fix the line named, or delete the file and run `aivp init`") from None
    return checked(ProjectConfig, values, str(path))


def dump_config(config: ProjectConfig) -> str:
    body = tomli_w.dumps(config.model_dump(mode="json", exclude_none=True))
    return (
        "# aivp-nle project file. conform.fps is 24 or 30 (never mixed); grain.opacity 0-1;\n"
        "# cut.every = beats per shot; [angles.NAME] offset = seconds a take runs ahead of the song.\n"
        + body
    )


def _explain(error: ValidationError, where: str) -> str:
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"])
        if problem["type"] == "extra_forbidden":
            lines.append(f"{key} is not a setting we know; remove it or check its spelling")
        else:
            allowed = problem["msg"].replace("Input should be", "allowed:").replace("Value error, ", "")
            lines.append(f"{key} = {problem['input']!r} is refused ({allowed})")
    return f"{where}: " + "; ".join(lines)
