"""A fake DaVinci Resolve that follows the `fusionscript-stubs` contract.

Like Resolve it answers None to what it does not know (unknown attributes) and None or False to
misuse: a duplicate timeline name, an overlapping append, a timeline setting before
`useCustomSettings`, a frame-rate change once media is in, a render setting it does not know.
Every call is recorded as (object, method, arguments) so two executors can be compared, and any
method can be made to fail (`fail["Class.Method"] = None`) to prove silent failures get reported.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import opentimelineio as otio

COMPOSITE = {"COMPOSITE_NORMAL": 0, "COMPOSITE_ADD": 1, "COMPOSITE_SUBTRACT": 2, "COMPOSITE_DIFF": 3,
             "COMPOSITE_MULTIPLY": 4, "COMPOSITE_SCREEN": 5, "COMPOSITE_OVERLAY": 6}
MARKER_COLORS = {"Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia", "Rose", "Lavender",
                 "Sky", "Mint", "Lemon", "Sand", "Cocoa", "Cream"}
PROJECT_SETTINGS = {
    "timelineFrameRate": "25", "timelineResolutionWidth": "1920", "timelineResolutionHeight": "1080",
    "colorScienceMode": "davinciYRGB", "separateColorSpaceAndGamma": "0", "colorSpaceTimeline": "Rec.709 Gamma 2.4",
    "colorSpaceOutput": "Rec.709 Gamma 2.4",
}
RENDER_KEYS = {"SelectAllFrames": bool, "TargetDir": str, "CustomName": str, "FormatWidth": int, "FormatHeight": int,
               "FrameRate": (int, float), "ExportVideo": bool, "ExportAudio": bool}
RENDER_CODECS = {("mov", "ProRes422HQ"), ("mov", "ProRes4444"), ("mp4", "H264"), ("mp4", "H265")}


class Studio:
    """The shared state of one fake Resolve: the call log and the failures to inject."""

    def __init__(self, product: str = "DaVinci Resolve Studio", version: str = "21.0.2") -> None:
        self.calls: list[tuple[str, str, tuple[Any, ...]]] = []
        self.fail: dict[str, Any] = {}
        self.product, self.version = product, version


class _Fake:
    _studio: Studio
    _label = ""

    def __getattr__(self, name: str) -> Any:  # Resolve answers None to what it does not know
        return None

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if name.startswith("_") or not callable(value) or not name[:1].isupper():
            return value
        studio = object.__getattribute__(self, "_studio")

        def recorded(*args: Any) -> Any:
            studio.calls.append((type(self).__name__.removeprefix("Fake"), name, args))
            key = f"{type(self).__name__.removeprefix('Fake')}.{name}"
            return studio.fail[key] if key in studio.fail else value(*args)

        return recorded


class FakeResolve(_Fake):
    def __init__(self, studio: Studio | None = None, project: FakeProject | None = None) -> None:
        self._studio = studio or Studio()
        self._manager = FakeProjectManager(self._studio, project or FakeProject(self._studio))
        for name, value in COMPOSITE.items():
            object.__setattr__(self, name, value)

    def GetProjectManager(self) -> FakeProjectManager:
        return self._manager

    def GetProductName(self) -> str:
        return self._studio.product

    def GetVersionString(self) -> str:
        return self._studio.version


class FakeProjectManager(_Fake):
    def __init__(self, studio: Studio, project: FakeProject | None) -> None:
        self._studio, self._project = studio, project

    def GetCurrentProject(self) -> FakeProject | None:
        return self._project


class FakeProject(_Fake):
    def __init__(self, studio: Studio, name: str = "aivp") -> None:
        self._studio, self._name = studio, name
        self._settings = dict(PROJECT_SETTINGS)
        self._pool = FakeMediaPool(studio, self)
        self._timelines: list[FakeTimeline] = []
        self._current: FakeTimeline | None = None
        self._format: tuple[str, str] | None = None
        self._jobs: list[dict[str, Any]] = []

    def GetName(self) -> str:
        return self._name

    def GetSetting(self, settingName: str) -> str | None:
        return self._settings.get(settingName)

    def SetSetting(self, settingName: str, settingValue: str) -> bool:
        if settingName not in self._settings or not isinstance(settingValue, str):
            return False
        if settingName == "timelineFrameRate" and (self._timelines or self._pool._has_clips()):
            return False  # Resolve locks the rate once media or timelines exist
        self._settings[settingName] = settingValue
        return True

    def GetMediaPool(self) -> FakeMediaPool:
        return self._pool

    def GetTimelineCount(self) -> int:
        return len(self._timelines)

    def GetTimelineByIndex(self, idx: int) -> FakeTimeline | None:
        return self._timelines[idx - 1] if 1 <= idx <= len(self._timelines) else None

    def GetCurrentTimeline(self) -> FakeTimeline | None:
        return self._current

    def SetCurrentTimeline(self, timeline: FakeTimeline) -> bool:
        if timeline not in self._timelines:
            return False
        self._current = timeline
        return True

    def SetCurrentRenderFormatAndCodec(self, format: str, codec: str) -> bool:
        if (format, codec) not in RENDER_CODECS:
            return False
        self._format = (format, codec)
        return True

    def SetRenderSettings(self, settings: dict[str, Any]) -> bool:
        for key, value in settings.items():  # one bad value voids the whole dict
            if key not in RENDER_KEYS or not isinstance(value, RENDER_KEYS[key]):
                return False
        return True

    def AddRenderJob(self) -> str:
        if self._format is None or self._current is None:
            return ""
        job = {"JobId": f"job-{len(self._jobs) + 1}", "TimelineName": self._current._name}
        self._jobs.append(job)
        return str(job["JobId"])

    def GetRenderJobList(self) -> list[dict[str, Any]]:
        return list(self._jobs)


class FakeFolder(_Fake):
    def __init__(self, studio: Studio, name: str) -> None:
        self._studio, self._name = studio, name
        self._clips: list[FakeMediaPoolItem] = []
        self._folders: list[FakeFolder] = []

    def GetName(self) -> str:
        return self._name

    def GetClipList(self) -> list[FakeMediaPoolItem]:
        return list(self._clips)

    def GetSubFolderList(self) -> list[FakeFolder]:
        return list(self._folders)


class FakeMediaPoolItem(_Fake):
    def __init__(self, studio: Studio, path: str) -> None:
        self._studio, self._path = studio, path

    def GetName(self) -> str:
        return os.path.basename(self._path)


class FakeMediaPool(_Fake):
    def __init__(self, studio: Studio, project: FakeProject) -> None:
        self._studio, self._project = studio, project
        self._root = FakeFolder(studio, "Master")
        self._current = self._root

    def _has_clips(self) -> bool:
        folders = [self._root]
        while folders:
            folder = folders.pop()
            if folder._clips:
                return True
            folders += folder._folders
        return False

    def GetRootFolder(self) -> FakeFolder:
        return self._root

    def AddSubFolder(self, folder: FakeFolder, name: str) -> FakeFolder:
        sub = FakeFolder(self._studio, name)
        folder._folders.append(sub)
        return sub

    def SetCurrentFolder(self, folder: FakeFolder) -> bool:
        self._current = folder
        return True

    def ImportMedia(self, items: list[str]) -> list[FakeMediaPoolItem]:
        imported = [FakeMediaPoolItem(self._studio, p) for p in items if os.path.isfile(p)]
        self._current._clips += imported
        return imported

    def ImportTimelineFromFile(self, filePath: str, importOptions: dict[str, Any]) -> FakeTimeline | None:
        name = importOptions.get("timelineName") or Path(filePath).stem
        if any(t._name == name for t in self._project._timelines):
            return None  # Resolve refuses a duplicate name, silently
        tracks = _read_resolve_shape(filePath)
        if tracks is None:
            return None
        timeline = FakeTimeline(self._studio, name, tracks)
        self._project._timelines.append(timeline)
        return timeline

    def CreateEmptyTimeline(self, name: str) -> FakeTimeline | None:
        if any(t._name == name for t in self._project._timelines):
            return None
        timeline = FakeTimeline(self._studio, name, {"video": [0], "audio": [0]})
        self._project._timelines.append(timeline)
        return timeline

    def AppendToTimeline(self, clipInfo: list[dict[str, Any]]) -> list[FakeTimelineItem]:
        timeline = self._project._current
        if timeline is None:
            return []
        placed = []
        for info in clipInfo:
            track = timeline._video[int(info.get("trackIndex", 1)) - 1]
            start, end = int(info["recordFrame"]), int(info["recordFrame"]) + int(info["endFrame"]) - int(info["startFrame"])
            if any(start < item._end and item._start < end for item in track):
                continue  # an overlapping record silently drops the later item
            item = FakeTimelineItem(self._studio, info["mediaPoolItem"].GetName(), start, end)
            track.append(item)
            placed.append(item)
        return placed


def _read_resolve_shape(path: str) -> dict[str, list[int]] | None:
    """Track lengths of a file Resolve would import, or None where Resolve answers None."""
    if path.endswith(".otio"):
        text = Path(path).read_text(encoding="utf-8")
        if '"DEFAULT_MEDIA"' not in text or '"target_url": "file:' in text:
            return None  # not the shape of Resolve's own export
        timeline = otio.adapters.read_from_string(text, "otio_json")
    elif path.endswith((".fcpxml", ".xml")):
        timeline = otio.adapters.read_from_file(path)
        if not isinstance(timeline, otio.schema.Timeline):
            timeline = next(iter(timeline.find_children(descended_from_type=otio.schema.Timeline)))
    else:
        return None
    return {
        "video": [len(t.find_clips()) for t in timeline.video_tracks()],
        "audio": [len(t.find_clips()) for t in timeline.audio_tracks()],
    }


class FakeTimelineItem(_Fake):
    def __init__(self, studio: Studio, name: str, start: int = 0, end: int = 1) -> None:
        self._studio, self._name, self._start, self._end = studio, name, start, end
        self._properties: dict[str, Any] = {"CompositeMode": 0, "Opacity": 100.0}

    def GetName(self) -> str:
        return self._name

    def SetProperty(self, propertyKey: str, propertyValue: Any) -> bool:
        if propertyKey == "CompositeMode" and propertyValue not in COMPOSITE.values():
            return False
        if propertyKey == "Opacity" and not 0.0 <= float(propertyValue) <= 100.0:
            return False
        if propertyKey not in self._properties:
            return False
        self._properties[propertyKey] = propertyValue
        return True

    def GetProperty(self, propertyKey: str) -> Any:
        return self._properties.get(propertyKey)


class FakeTimeline(_Fake):
    def __init__(self, studio: Studio, name: str, tracks: dict[str, list[int]]) -> None:
        self._studio, self._name = studio, name
        self._video = [[FakeTimelineItem(studio, f"v{t}.{i}") for i in range(n)] for t, n in enumerate(tracks["video"])]
        self._audio = [[FakeTimelineItem(studio, f"a{t}.{i}") for i in range(n)] for t, n in enumerate(tracks["audio"])]
        self._names = {("video", i): f"Video {i}" for i in range(1, len(self._video) + 1)}
        self._names |= {("audio", i): f"Audio {i}" for i in range(1, len(self._audio) + 1)}
        self._enabled = dict.fromkeys(self._names, True)
        self._markers: dict[float, dict[str, Any]] = {}
        self._settings: dict[str, str] = {"useCustomSettings": "0", "timelineFrameRate": "24"}

    def _tracks(self, trackType: str) -> list[list[FakeTimelineItem]] | None:
        return {"video": self._video, "audio": self._audio}.get(trackType)

    def GetName(self) -> str:
        return self._name

    def GetTrackCount(self, trackType: str) -> int:
        tracks = self._tracks(trackType)
        return len(tracks) if tracks is not None else 0

    def GetItemListInTrack(self, trackType: str, index: int) -> list[FakeTimelineItem] | None:
        tracks = self._tracks(trackType)
        return list(tracks[index - 1]) if tracks is not None and 1 <= index <= len(tracks) else None

    def SetTrackName(self, trackType: str, trackIndex: int, name: str) -> bool:
        if (trackType, trackIndex) not in self._names:
            return False
        self._names[(trackType, trackIndex)] = name
        return True

    def GetTrackName(self, trackType: str, trackIndex: int) -> str | None:
        return self._names.get((trackType, trackIndex))

    def SetTrackEnable(self, trackType: str, trackIndex: int, Bool: bool) -> bool:
        if (trackType, trackIndex) not in self._enabled:
            return False
        self._enabled[(trackType, trackIndex)] = bool(Bool)
        return True

    def GetIsTrackEnabled(self, trackType: str, trackIndex: int) -> bool:
        return self._enabled.get((trackType, trackIndex), False)

    def AddMarker(self, frameId: float, color: str, name: str, note: str, duration: float, customData: str | None) -> bool:
        if float(frameId) in self._markers or color not in MARKER_COLORS:
            return False  # one marker per frame; "Orange" and friends are refused
        self._markers[float(frameId)] = {"color": color, "name": name, "note": note, "duration": duration, "customData": customData or ""}
        return True

    def GetMarkers(self) -> dict[float, dict[str, Any]]:
        return dict(self._markers)

    def GetSetting(self, settingName: str) -> str | None:
        return self._settings.get(settingName)

    def SetSetting(self, settingName: str, settingValue: str) -> bool:
        if settingName != "useCustomSettings" and self._settings["useCustomSettings"] != "1":
            return False  # every other timeline setting is refused until this one is "1"
        if settingName == "timelinePlaybackFrameRate":
            return False  # cannot be set by script
        self._settings[settingName] = settingValue
        return True
