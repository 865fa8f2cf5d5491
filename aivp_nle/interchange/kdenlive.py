"""Kdenlive projects in the document format Kdenlive 22.12 writes (document version 1.04).

Why that format: it is the newest one the oldest Kdenlive we support opens (Debian 12's 22.12.3
refuses the 23.04+ sequence format, version 1.1, outright), and every later Kdenlive upgrades a
1.04 document itself when it opens it. The structure is Kdenlive's own (its 22.11/22.12 files and
its loader are the model), because anything else makes Kdenlive "repair" the project and drop
what it cannot place, the grain's composition first:

- the bin (`main_bin`) is the first playlist, since Kdenlive reads the document version from the
  first playlist, and lists every producer the timeline uses, each with its `kdenlive:id`;
- the background is Kdenlive's `black_track` producer, used directly as track 0 (a black clip on
  a playlist is a timeline clip without a bin entry, which Kdenlive removes);
- every track is a tractor of two playlists (the second holds mixes) carrying the track's name,
  kind and state, audio tracks first (the bottom of the stack, A1 nearest the picture), then video
  tracks bottom-up;
- the tracks' own compositing and mixing are Kdenlive's internal transitions (`qtblend`, `mix`,
  marked `internal_added`), and the grain's blend is a real composition (`frei0r.cairoblend`, the
  "Cairo Blend" composition) on the grain track over the track below it, for the grain's length.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import opentimelineio as otio

from ..edit import meta
from .mlt import Entry, MltDocument, grain_blend, hold, profile, prop, xml_text

__all__ = ["KDENLIVE_DOCUMENT", "to_kdenlive"]

KDENLIVE_DOCUMENT = "1.04"  # what Kdenlive 22.04-22.12 write; 23.04 and later upgrade it on opening
INTERNAL = 237  # Kdenlive's mark for the transitions and filters it adds to every track itself
MAIN_TRACTOR = "maintractor"


def to_kdenlive(timeline: otio.schema.Timeline, root: Path, check_online: bool = True) -> str:
    return _Kdenlive(timeline, root, check_online, {"root": str(root)}).write()


class _Kdenlive(MltDocument):

    def write(self) -> str:
        profile(self.doc, self.timeline)
        audio = list(self.timeline.audio_tracks())[::-1]  # A1, the first, sits at the top of the audio
        stack = [*audio, *self.timeline.video_tracks()]
        entries = [self.entries(t) for t in stack]
        for track_entries_ in entries:
            for entry in track_entries_:
                if entry.path is not None:
                    self._bin_clip(entry)
        self._main_bin()
        self._black_track()
        tractors = [self._track(index, track, found) for index, (track, found) in enumerate(zip(stack, entries))]
        self._main_tractor(stack, tractors)
        return xml_text(self.doc)

    def _bin_clip(self, entry: Entry) -> ET.Element:
        assert entry.path is not None
        key = (entry.path, entry.still)
        producer = self.producers.get(key)
        if producer is None:
            number = len(self.producers)
            producer = ET.SubElement(self.doc, "producer", id=f"producer{number}")
            prop(producer, "resource", str(entry.path))
            prop(producer, "mlt_service", "qimage" if entry.still else "avformat-novalidate")
            prop(producer, "kdenlive:id", number + 2)  # Kdenlive numbers bin clips from 2
            prop(producer, "kdenlive:clipname", entry.path.name)
            prop(producer, "kdenlive:folderid", -1)
            self.producers[key] = producer
        hold(producer, entry.media_frames)
        return producer

    def _main_bin(self) -> None:
        main_bin = ET.SubElement(self.doc, "playlist", id="main_bin")
        for name, value in (
            ("kdenlive:docproperties.version", KDENLIVE_DOCUMENT), ("kdenlive:docproperties.kdenliveversion", "22.12.3"),
            ("kdenlive:docproperties.audioChannels", 2), ("kdenlive:docproperties.compositing", 1),
            ("kdenlive:docproperties.activeTrack", 0), ("kdenlive:docproperties.position", 0),
            ("kdenlive:docproperties.zonein", 0), ("kdenlive:docproperties.zoneout", self.total),
            ("kdenlive:documentnotes", ""), ("xml_retain", 1),
        ):
            prop(main_bin, name, value)
        for producer in self.producers.values():
            span = {"in": producer.get("in", "0"), "out": producer.get("out", "0")}
            ET.SubElement(main_bin, "entry", attrib={"producer": producer.get("id", ""), **span})

    def _black_track(self) -> None:
        black = ET.SubElement(self.doc, "producer", attrib={"id": "black_track", "in": "0", "out": str(self.total - 1)})
        for name, value in (("length", 2147483647), ("eof", "continue"), ("resource", "black"), ("aspect_ratio", 1),
                            ("mlt_service", "color"), ("mlt_image_format", "rgba"), ("set.test_audio", 0)):
            prop(black, name, value)

    def _track(self, index: int, track: otio.schema.Track, entries: list[Entry]) -> str:
        video = track.kind == otio.schema.TrackKind.Video
        clips = ET.SubElement(self.doc, "playlist", id=f"playlist{2 * index}")
        for entry in entries:
            if entry.path is None:
                ET.SubElement(clips, "blank", length=str(entry.frames))
                continue
            producer = self.producers[(entry.path, entry.still)]
            span = {"in": str(entry.first), "out": str(entry.first + entry.frames - 1)}
            item = ET.SubElement(clips, "entry", attrib={"producer": producer.get("id", ""), **span})
            prop(item, "kdenlive:id", producer.findtext("property[@name='kdenlive:id']"))
        mixes = ET.SubElement(self.doc, "playlist", id=f"playlist{2 * index + 1}")
        tractor = ET.SubElement(self.doc, "tractor", attrib={"id": f"tractor{index}", "in": "0", "out": str(self.total - 1)})
        prop(tractor, "kdenlive:track_name", track.name)
        if not video:
            prop(tractor, "kdenlive:audio_track", 1)
        prop(tractor, "kdenlive:trackheight", 67)
        prop(tractor, "kdenlive:timeline_active", 1)
        hide = "both" if not track.enabled else ("audio" if video else "video")
        for playlist in (clips, mixes):
            ET.SubElement(tractor, "track", hide=hide, producer=playlist.get("id", ""))
        if not video:
            self._audio_filters(tractor, meta.gain_db(track))
        return tractor.get("id", "")

    def _audio_filters(self, parent: ET.Element, gain_db: float = 0.0) -> None:
        """Kdenlive's own volume and pan filters on a track (or the master); the volume holds its level."""
        number = len(list(self.doc.iter("filter")))
        volume = ET.SubElement(parent, "filter", id=f"filter{number}")
        settings: tuple[tuple[str, object], ...] = (("window", 75), ("max_gain", "20dB"), ("mlt_service", "volume"), ("internal_added", INTERNAL))
        for name, value in settings:
            prop(volume, name, value)
        if gain_db:
            prop(volume, "level", f"{gain_db:g}")
        prop(volume, "disable", 0 if gain_db else 1)
        panner = ET.SubElement(parent, "filter", id=f"filter{number + 1}")
        settings = (("channel", -1), ("mlt_service", "panner"), ("internal_added", INTERNAL), ("start", 0.5), ("disable", 1))
        for name, value in settings:
            prop(panner, name, value)

    def _main_tractor(self, stack: list[otio.schema.Track], tractors: list[str]) -> None:
        main = ET.SubElement(self.doc, "tractor", attrib={"id": MAIN_TRACTOR, "in": "0", "out": str(self.total - 1)})
        ET.SubElement(main, "track", producer="black_track")
        for tractor in tractors:
            ET.SubElement(main, "track", producer=tractor)
        for b_track, track in enumerate(stack, start=1):
            if track.kind == otio.schema.TrackKind.Audio:
                self._transition(main, "mix", 0, b_track, {"kdenlive_id": "mix", "internal_added": INTERNAL,
                                                           "always_active": 1, "accepts_blanks": 1, "sum": 1})
            else:
                self._transition(main, "qtblend", 0, b_track, {"compositing": 0, "distort": 0, "rotate_center": 0,
                                                               "always_active": 1, "internal_added": INTERNAL})
        for b_track, track in enumerate(stack, start=1):
            blend = grain_blend(track)
            if blend is None or not track.enabled:
                continue
            below = max(i for i, t in enumerate(stack[: b_track - 1], start=1) if t.kind == otio.schema.TrackKind.Video)
            mode, opacity = blend
            span = {"in": "0", "out": str(round(track.duration().rescaled_to(self.rate).value) - 1)}
            self._transition(main, "frei0r.cairoblend", below, b_track,
                             {"kdenlive_id": "frei0r.cairoblend", "version": "0.1", "0": opacity, "1": mode}, span)
        self._audio_filters(main)

    def _transition(self, parent: ET.Element, service: str, a_track: int, b_track: int, values: dict[str, object],
                    span: dict[str, str] | None = None) -> None:
        number = len(list(self.doc.iter("transition")))
        transition = ET.SubElement(parent, "transition", attrib={"id": f"transition{number}", **(span or {})})
        for name, value in (("a_track", a_track), ("b_track", b_track), ("mlt_service", service), *values.items()):
            prop(transition, name, value)
