"""Final Cut Pro 7 XML (xmeml) for Premiere Pro, DaVinci Resolve and OpenShot.

Written by hand, in the shape Premiere and Resolve export, because the stock otio-fcp-adapter
(1.0.0) writes clips a literal reader cannot use: it gives identical clips one id and writes all
but the first as empty stubs (a reused clipitem id means "the same clip": the grain's 14 repeats
vanish), writes every `<rate>` twice, no `<locked>` on tracks (OpenShot's importer crashes on
that), no `<sourcetrack>` on audio clips and no channel counts, an empty sequence `<format/>`
(Resolve ignores such a sequence), and drops track enabling, levels and blends.

Here every clip item has its own id and carries its whole `<file>` (the same file id and the same
content each time: OpenShot reads the path inside each clip item, and Premiere and Resolve read a
repeated file as the one file); file media say their size, audio channels and rate as probed;
tracks end in `<enabled>` and `<locked>`; audio clips say which source track they play; the
grain carries `<compositemode>` and an Opacity filter; a track's level is an Audio Levels filter
(linear gain, +12 dB at most); media are percent-encoded file URLs, which Premiere needs for
spaces, quotes and non-ASCII letters; beat markers sit on the sequence at their record frames.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

import opentimelineio as otio

from ..edit import meta
from ..edit.blends import blend_named
from ..edit.clips import ClipMedia, clip_media
from ..probe import MediaInfo
from .common import delivery_size, timecode, timeline_rate, xml_safe_tree

__all__ = ["to_fcp7"]


def _sub(parent: ET.Element, tag: str, text: object | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = str(text)
    return element


def _fields(parent: ET.Element, **values: object) -> None:
    for tag, value in values.items():
        _sub(parent, tag, value)


class _Writer:
    def __init__(self, timeline: otio.schema.Timeline, root: Path, media: Mapping[Path, MediaInfo]) -> None:
        self.timeline, self.root, self.media = timeline, root, media
        self.rate = timeline_rate(timeline)
        self.files: dict[Path, str] = {}
        self.clipitems = 0

    def _rate(self, parent: ET.Element) -> None:
        rate = _sub(parent, "rate")
        _fields(rate, timebase=round(self.rate), ntsc="FALSE" if float(self.rate).is_integer() else "TRUE")

    def _timecode(self, parent: ET.Element, frame: int) -> None:
        element = _sub(parent, "timecode")
        self._rate(element)
        _fields(element, string=timecode(frame, self.rate), frame=frame, displayformat="NDF")

    def _video_characteristics(self, parent: ET.Element, width: int, height: int) -> None:
        characteristics = _sub(parent, "samplecharacteristics")
        self._rate(characteristics)
        _fields(characteristics, width=width, height=height, anamorphic="FALSE", pixelaspectratio="square",
                fielddominance="none")

    def _file(self, parent: ET.Element, used: ClipMedia) -> None:
        info = self.media[used.path]
        self.files.setdefault(used.path, f"file-{len(self.files) + 1}")
        element = ET.SubElement(parent, "file", id=self.files[used.path])
        _fields(element, name=used.path.name, pathurl=used.path.as_uri())
        self._rate(element)
        _sub(element, "duration", used.media_frames or max(1, round(info.duration * self.rate)))
        self._timecode(element, used.media_start)
        media = _sub(element, "media")
        if info.video is not None:
            self._video_characteristics(_sub(media, "video"), info.video.width, info.video.height)
        if info.audio:
            audio = _sub(media, "audio")
            _fields(_sub(audio, "samplecharacteristics"), depth=16, samplerate=info.audio[0].sample_rate)
            _sub(audio, "channelcount", info.audio[0].channels)

    def _clipitem(self, parent: ET.Element, clip: otio.schema.Clip, track: otio.schema.Track) -> None:
        used = clip_media(clip, self.rate, self.root, False)
        record = round(clip.range_in_parent().start_time.rescaled_to(self.rate).value)
        self.clipitems += 1
        item = ET.SubElement(parent, "clipitem", id=f"clipitem-{self.clipitems}")
        _fields(item, name=clip.name, enabled="TRUE", duration=used.media_frames or used.first + used.frames)
        self._rate(item)
        _fields(item, start=record, end=record + used.frames, **{"in": used.first, "out": used.first + used.frames})
        self._file(item, used)
        if track.kind == otio.schema.TrackKind.Audio:
            _fields(_sub(item, "sourcetrack"), mediatype="audio", trackindex=1)
            if meta.gain_db(track):
                self._audio_level(item, meta.gain_db(track))
        look = meta.grain_look(clip)
        if look is not None:
            self._grain_blend(item, look)

    def _grain_blend(self, clipitem: ET.Element, look: meta.GrainLook) -> None:
        """Composite mode and opacity; the opacity also as a keyframe at the clip's start, which is
        where OpenShot's importer (and Premiere, for animated opacity) read it."""
        _sub(clipitem, "compositemode", blend_named(look.blend).fcp7)
        effect = _sub(_sub(clipitem, "filter"), "effect")
        _fields(effect, name="Opacity", effectid="opacity", effectcategory="motion", effecttype="motion", mediatype="video")
        parameter = _sub(effect, "parameter")
        percent = f"{look.opacity * 100:g}"
        _fields(parameter, parameterid="opacity", name="Opacity", valuemin=0, valuemax=100, value=percent)
        _fields(_sub(parameter, "keyframe"), when=0, value=percent)

    def _audio_level(self, clipitem: ET.Element, gain_db: float) -> None:
        effect = _sub(_sub(clipitem, "filter"), "effect")
        _fields(effect, name="Audio Levels", effectid="audiolevels", effectcategory="audiolevels",
                effecttype="audiolevels", mediatype="audio")
        _fields(_sub(effect, "parameter"), parameterid="level", name="Level", valuemin=0, valuemax=3.98109,
                value=f"{min(10 ** (gain_db / 20), 3.98109):.6g}")

    def _track(self, parent: ET.Element, track: otio.schema.Track) -> None:
        element = _sub(parent, "track")
        for clip in track.find_clips():
            self._clipitem(element, clip, track)
        _fields(element, enabled="TRUE" if track.enabled else "FALSE", locked="FALSE")

    def write(self) -> str:
        doc = ET.Element("xmeml", version="4")
        sequence = ET.SubElement(doc, "sequence", id="sequence-1")
        _fields(sequence, name=self.timeline.name or "aivp",
                duration=round(self.timeline.duration().rescaled_to(self.rate).value))
        self._rate(sequence)
        start = self.timeline.global_start_time
        self._timecode(sequence, round(start.rescaled_to(self.rate).value) if start is not None else 0)
        media = _sub(sequence, "media")
        video = _sub(media, "video")
        width, height = delivery_size(self.timeline)
        self._video_characteristics(_sub(video, "format"), width, height)
        for track in self.timeline.video_tracks():
            self._track(video, track)
        audio = _sub(media, "audio")
        _fields(_sub(_sub(audio, "format"), "samplecharacteristics"), depth=16, samplerate=48000)
        for track in self.timeline.audio_tracks():
            self._track(audio, track)
        for marker in self.timeline.tracks.markers:
            first = round(marker.marked_range.start_time.rescaled_to(self.rate).value)
            length = round(marker.marked_range.duration.rescaled_to(self.rate).value)
            element = _sub(sequence, "marker")
            _fields(element, name=marker.name, comment="", **{"in": first, "out": first + length if length else -1})
        ET.indent(xml_safe_tree(doc))
        return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n' + ET.tostring(doc, encoding="unicode") + "\n"


def to_fcp7(timeline: otio.schema.Timeline, root: Path, media: Mapping[Path, MediaInfo]) -> str:
    return _Writer(timeline, root, media).write()
