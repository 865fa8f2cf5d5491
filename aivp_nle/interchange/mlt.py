"""MLT XML as Shotcut writes its projects, which melt renders exactly; and the parts the Kdenlive
writer shares (profile, producers, the entries of a track, the grain's blend).

Written by hand because the stock otio-mlt-adapter (0.3.0) output is unusable here: it gives a
track and a clip the same id (melt segfaults on the duplicate), its profile holds only the rate
(so melt renders 720x576), it composites nothing (melt shows one track) and leaves every take's
own audio playing. So: unique ids; a full profile from the timeline's conform settings; a black
background track; every visible video track composited over it in stacking order with
`frei0r.cairoblend` (normal for picture, the grain's blend mode and opacity for the grain track);
video tracks' audio hidden and audio tracks mixed in with `mix`, so only the song is heard.

Shotcut opens a file as a project (a timeline of tracks) only when its main tractor carries
`shotcut=1`, and tells a video track from an audio one by `shotcut:video` / `shotcut:audio` on
each playlist (without them a track hidden both ways shows up as an audio track): Shotcut
22.12's own files, and its `mltcontroller.h` annotations, are the model.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio

from ..edit import meta
from ..edit.blends import blend_named
from ..edit.clips import clip_media
from ..errors import MediaError
from .common import XML_INVALID, delivery_size, timeline_rate, xml_safe_tree

__all__ = ["Entry", "MLT_VERSION", "MltDocument", "grain_blend", "hold", "profile", "prop", "to_mlt", "track_entries", "xml_text"]

MLT_VERSION = "7.12.0"  # Debian 12's MLT, which Shotcut 22.12 and Kdenlive 22.12 run on


@dataclass(frozen=True)
class Entry:
    """One stretch of a track: a clip's frames of a file, or a blank (`path` None)."""

    frames: int
    path: Path | None = None
    still: bool = False
    first: int = 0  # first frame used, counted from the file's first frame
    media_frames: int = 0  # how long the producer must be to hold it


def prop(parent: ET.Element, name: str, value: object) -> ET.Element:
    element = ET.SubElement(parent, "property", name=name)
    element.text = str(value)
    return element


def xml_text(doc: ET.Element) -> str:
    xml_safe_tree(doc)
    ET.indent(doc)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(doc, encoding="unicode") + "\n"


def track_entries(track: otio.schema.Track, rate: float, total: int, root: Path, check_online: bool) -> list[Entry]:
    entries = []
    for item in track:
        frames = round(item.duration().rescaled_to(rate).value)
        if isinstance(item, otio.schema.Clip):
            media = clip_media(item, rate, root, check_online)
            if XML_INVALID.search(str(media.path)):
                raise MediaError(media.path, "has a control character in its name, which no MLT (XML) file can hold",
                                 "Rename the file, relink the clip, then export again")
            length = max(media.media_frames or 0, media.first + media.frames, total if media.still else 0)
            entries.append(Entry(frames=media.frames, path=media.path, still=media.still, first=media.first, media_frames=length))
        elif frames:
            entries.append(Entry(frames=frames))
    return entries


def grain_blend(track: otio.schema.Track) -> tuple[str, float] | None:
    """The cairoblend mode and opacity of a grain track, None for any other track."""
    look = meta.grain_of_track(track)
    return (blend_named(look.blend).mlt, look.opacity) if look else None


def profile(doc: ET.Element, timeline: otio.schema.Timeline) -> ET.Element:
    width, height = delivery_size(timeline)
    rate = otio.opentime.RationalTime(1, timeline_rate(timeline)).rate
    numerator, denominator = (int(rate), 1) if float(rate).is_integer() else (round(rate * 1001), 1001)
    divisor = math.gcd(width, height)
    return ET.SubElement(
        doc, "profile", description=f"{width}x{height} {rate:g} fps", width=str(width),
        height=str(height), progressive="1", sample_aspect_num="1", sample_aspect_den="1",
        display_aspect_num=str(width // divisor), display_aspect_den=str(height // divisor),
        frame_rate_num=str(numerator), frame_rate_den=str(denominator), colorspace="709",
    )


def hold(producer: ET.Element, frames: int) -> None:
    """Make a producer long enough for every use of its file (in, out and length in frames)."""
    if frames > int(producer.get("out", "-1")) + 1:
        producer.set("in", "0")
        producer.set("out", str(frames - 1))
        for old in producer.findall("property[@name='length']"):
            producer.remove(old)
        prop(producer, "length", frames)


class MltDocument:
    """What both MLT writers start from: the edit, its working rate and length, the document."""

    def __init__(self, timeline: otio.schema.Timeline, root: Path, check_online: bool, attributes: dict[str, str]) -> None:
        self.timeline, self.root, self.check_online = timeline, root, check_online
        self.rate = timeline_rate(timeline)
        self.total = round(timeline.duration().rescaled_to(self.rate).value)
        self.doc = ET.Element("mlt", attrib={"LC_NUMERIC": "C", "version": MLT_VERSION, "producer": "main_bin", **attributes})
        self.producers: dict[tuple[Path, bool], ET.Element] = {}

    def entries(self, track: otio.schema.Track) -> list[Entry]:
        return track_entries(track, self.rate, self.total, self.root, self.check_online)


def to_mlt(timeline: otio.schema.Timeline, root: Path, check_online: bool = True) -> str:
    return _Shotcut(timeline, root, check_online, {"title": timeline.name or "aivp"}).write()


class _Shotcut(MltDocument):

    def write(self) -> str:
        profile(self.doc, self.timeline)
        prop(ET.SubElement(self.doc, "playlist", id="main_bin"), "xml_retain", 1)
        self._background()
        tracks = list(self.timeline.tracks)
        playlists = [self._playlist(index, track) for index, track in enumerate(tracks, start=1)]
        self.doc.extend([*self.producers.values(), *playlists])  # producers before the playlists using them
        self._tractor(tracks, [p.get("id", "") for p in playlists])
        return xml_text(self.doc)

    def _background(self) -> None:
        last = str(self.total - 1)
        black = ET.SubElement(self.doc, "producer", attrib={"id": "black", "in": "0", "out": last})
        for name, value in (("length", self.total), ("eof", "pause"), ("resource", "black"),
                            ("aspect_ratio", 1), ("mlt_service", "color"), ("set.test_audio", 0)):
            prop(black, name, value)
        background = ET.SubElement(self.doc, "playlist", id="background")
        ET.SubElement(background, "entry", attrib={"producer": "black", "in": "0", "out": last})

    def _producer(self, entry: Entry) -> str:
        assert entry.path is not None
        key = (entry.path, entry.still)
        producer = self.producers.get(key)
        if producer is None:
            producer = ET.Element("producer", id=f"producer{len(self.producers) + 1}")
            prop(producer, "resource", str(entry.path))
            prop(producer, "mlt_service", "qimage" if entry.still else "avformat")
            self.producers[key] = producer
        hold(producer, entry.media_frames)
        return producer.get("id", "")

    def _playlist(self, index: int, track: otio.schema.Track) -> ET.Element:
        playlist = ET.Element("playlist", id=f"playlist{index}")
        prop(playlist, "shotcut:video" if track.kind == otio.schema.TrackKind.Video else "shotcut:audio", 1)
        prop(playlist, "shotcut:name", track.name)
        for entry in self.entries(track):
            if entry.path is None:
                ET.SubElement(playlist, "blank", length=str(entry.frames))
                continue
            span = {"in": str(entry.first), "out": str(entry.first + entry.frames - 1)}
            ET.SubElement(playlist, "entry", attrib={"producer": self._producer(entry), **span})
        gain = meta.gain_db(track)
        if track.kind == otio.schema.TrackKind.Audio and gain:  # the track's level, as the timeline sets it
            level = ET.SubElement(playlist, "filter", id=f"level{index}")
            prop(level, "mlt_service", "volume")
            prop(level, "level", f"{gain:g}")
        return playlist

    def _tractor(self, tracks: list[otio.schema.Track], playlists: list[str]) -> None:
        tractor = ET.SubElement(
            self.doc, "tractor",
            attrib={"id": "tractor0", "title": self.timeline.name or "aivp", "in": "0", "out": str(self.total - 1)},
        )
        for name, value in (("shotcut", 1), ("shotcut:projectAudioChannels", 2), ("shotcut:projectFolder", 0)):
            prop(tractor, name, value)
        ET.SubElement(tractor, "track", producer="background")
        for track, playlist in zip(tracks, playlists):
            video = track.kind == otio.schema.TrackKind.Video
            hide = "both" if not track.enabled else ("audio" if video else "video")
            ET.SubElement(tractor, "track", producer=playlist, hide=hide)
        for index, track in enumerate(tracks, start=1):
            if not track.enabled:
                continue
            if track.kind == otio.schema.TrackKind.Audio:
                self._transition(tractor, "mix", index, {"sum": 1})
                continue
            mode, opacity = grain_blend(track) or ("normal", 1.0)
            self._transition(tractor, "frei0r.cairoblend", index, {"version": "0.1", "0": opacity, "1": mode})

    def _transition(self, tractor: ET.Element, service: str, b_track: int, values: dict[str, object]) -> None:
        number = len(tractor.findall("transition")) + 1
        transition = ET.SubElement(tractor, "transition", id=f"transition{number}")
        for name, value in (("a_track", 0), ("b_track", b_track), ("mlt_service", service), ("always_active", 1), *values.items()):
            prop(transition, name, value)
