"""MLT XML for Shotcut and melt, and its Kdenlive flavour: files that melt renders exactly.

Written by hand because the stock otio-mlt-adapter (0.3.0) output is unusable here: it gives a
track and a clip the same id (melt segfaults on the duplicate), its profile holds only the rate
(so melt renders 720x576), it composites nothing (melt shows one track) and leaves every take's
own audio playing. So: unique ids; a full profile from the timeline's conform settings; a black
background track; every visible video track composited over it in stacking order with
`frei0r.cairoblend` (normal for picture, the grain's blend mode and opacity for the grain track);
video tracks' audio hidden and audio tracks mixed in with `mix`, so only the song is heard.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import opentimelineio as otio

from ..edit import meta
from ..edit.clips import clip_media
from .common import delivery_size, timeline_rate

__all__ = ["to_kdenlive", "to_mlt"]

CAIRO_BLEND = {"overlay": "overlay", "soft_light": "softlight", "screen": "screen"}


def to_mlt(timeline: otio.schema.Timeline, root: Path, check_online: bool = True) -> str:
    return _Writer(timeline, root, check_online, kdenlive=False).write()


def to_kdenlive(timeline: otio.schema.Timeline, root: Path, check_online: bool = True) -> str:
    """The same graph, with the bin playlist and track names Kdenlive keeps in its documents."""
    return _Writer(timeline, root, check_online, kdenlive=True).write()


def _prop(parent: ET.Element, name: str, value: object) -> None:
    ET.SubElement(parent, "property", name=name).text = str(value)


class _Writer:
    def __init__(self, timeline: otio.schema.Timeline, root: Path, check_online: bool, kdenlive: bool) -> None:
        self.timeline, self.root, self.check_online, self.kdenlive = timeline, root, check_online, kdenlive
        self.rate = timeline_rate(timeline)
        self.total = round(timeline.duration().rescaled_to(self.rate).value)
        self.doc = ET.Element("mlt", LC_NUMERIC="C", version="7.12.0", title=timeline.name or "aivp")
        self.producers: dict[tuple[Path, bool], ET.Element] = {}

    def write(self) -> str:
        self._profile()
        self._producer_black()
        tracks = list(self.timeline.tracks)
        playlists = [self._playlist(index, track) for index, track in enumerate(tracks, start=1)]
        if self.kdenlive:
            self._bin()
        self._tractor(tracks, playlists)
        ET.indent(self.doc)
        return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(self.doc, encoding="unicode") + "\n"

    def _profile(self) -> None:
        width, height = delivery_size(self.timeline)
        rate = otio.opentime.RationalTime(1, self.rate).rate
        numerator, denominator = (int(rate), 1) if float(rate).is_integer() else (round(rate * 1001), 1001)
        divisor = math.gcd(width, height)
        ET.SubElement(
            self.doc, "profile", description=f"aivp {width}x{height} {rate:g} fps", width=str(width),
            height=str(height), progressive="1", sample_aspect_num="1", sample_aspect_den="1",
            display_aspect_num=str(width // divisor), display_aspect_den=str(height // divisor),
            frame_rate_num=str(numerator), frame_rate_den=str(denominator), colorspace="709",
        )

    def _producer_black(self) -> None:
        black = ET.SubElement(self.doc, "producer", attrib={"id": "black", "in": "0", "out": str(self.total - 1)})
        for name, value in (("length", self.total), ("eof", "pause"), ("resource", "black"),
                            ("aspect_ratio", 1), ("mlt_service", "color"), ("set.test_audio", 0)):
            _prop(black, name, value)
        background = ET.SubElement(self.doc, "playlist", id="background")
        ET.SubElement(background, "entry", attrib={"producer": "black", "in": "0", "out": str(self.total - 1)})

    def _producer(self, path: Path, still: bool, length: int) -> str:
        key = (path, still)
        producer = self.producers.get(key)
        if producer is None:
            number = len(self.producers) + 1
            producer = ET.Element("producer", id=f"producer{number}")
            _prop(producer, "resource", str(path))
            _prop(producer, "mlt_service", "qimage" if still else "avformat")
            if self.kdenlive:
                _prop(producer, "kdenlive:id", number + 1)
                _prop(producer, "kdenlive:clipname", path.name)
            self.doc.insert(list(self.doc).index(self.doc.find("playlist")), producer)  # type: ignore[arg-type]
            self.producers[key] = producer
        known = int(producer.get("out", "-1")) + 1
        if length > known:
            producer.set("in", "0")
            producer.set("out", str(length - 1))
            for old in producer.findall("property[@name='length']"):
                producer.remove(old)
            _prop(producer, "length", length)
        return producer.get("id", "")

    def _playlist(self, index: int, track: otio.schema.Track) -> str:
        playlist = ET.SubElement(self.doc, "playlist", id=f"playlist{index}")
        _prop(playlist, "kdenlive:track_name" if self.kdenlive else "shotcut:name", track.name)
        if self.kdenlive and track.kind == otio.schema.TrackKind.Audio:
            _prop(playlist, "kdenlive:audio_track", 1)
        for item in track:
            frames = round(item.duration().rescaled_to(self.rate).value)
            if isinstance(item, otio.schema.Clip):
                media = clip_media(item, self.rate, self.root, self.check_online)
                length = max(media.media_frames or 0, media.first + media.frames, self.total if media.still else 0)
                producer = self._producer(media.path, media.still, length)
                ET.SubElement(
                    playlist, "entry",
                    attrib={"producer": producer, "in": str(media.first), "out": str(media.first + media.frames - 1)},
                )
            else:
                ET.SubElement(playlist, "blank", length=str(frames))
        gain = meta.gain_db(track)
        if track.kind == otio.schema.TrackKind.Audio and gain:  # the track's level, as the timeline sets it
            level = ET.SubElement(playlist, "filter", id=f"level{index}")
            _prop(level, "mlt_service", "volume")
            _prop(level, "level", f"{gain:g}")
        return playlist.get("id", "")

    def _bin(self) -> None:
        main_bin = ET.SubElement(self.doc, "playlist", id="main_bin")
        _prop(main_bin, "kdenlive:docproperties.version", "1.1")
        _prop(main_bin, "xml_retain", 1)
        for producer in self.producers.values():
            span = {"in": producer.get("in", "0"), "out": producer.get("out", "0")}
            ET.SubElement(main_bin, "entry", attrib={"producer": producer.get("id", ""), **span})

    def _tractor(self, tracks: list[otio.schema.Track], playlists: list[str]) -> None:
        tractor = ET.SubElement(
            self.doc, "tractor",
            attrib={"id": "tractor0", "title": self.timeline.name or "aivp", "in": "0", "out": str(self.total - 1)},
        )
        multitrack = ET.SubElement(tractor, "multitrack")
        ET.SubElement(multitrack, "track", producer="background")
        for track, playlist in zip(tracks, playlists):
            video = track.kind == otio.schema.TrackKind.Video
            hide = "both" if not track.enabled else ("audio" if video else "video")
            ET.SubElement(multitrack, "track", producer=playlist, hide=hide)
        for index, track in enumerate(tracks, start=1):
            if not track.enabled:
                continue
            if track.kind == otio.schema.TrackKind.Audio:
                self._transition(tractor, "mix", index, {"sum": 1})
                continue
            mode, opacity = "normal", 1.0
            if meta.role_of(track) == meta.Role.GRAIN and len(track):
                grain = meta.get(next(iter(track)))
                mode, opacity = CAIRO_BLEND[str(grain.get("blend_mode", "overlay"))], float(grain.get("opacity", 0.3))
            self._transition(tractor, "frei0r.cairoblend", index, {"0": opacity, "1": mode})

    def _transition(self, tractor: ET.Element, service: str, b_track: int, values: dict[str, object]) -> None:
        number = len(tractor.findall("transition")) + 1
        transition = ET.SubElement(tractor, "transition", id=f"transition{number}")
        for name, value in (("a_track", 0), ("b_track", b_track), ("mlt_service", service), ("always_active", 1), *values.items()):
            _prop(transition, name, value)
