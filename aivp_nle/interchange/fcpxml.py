"""FCPXML 1.10 for Final Cut Pro and DaVinci Resolve, valid against Apple's DTD.

Written by hand because the stock otio-fcpx-xml-adapter (1.0.0) hangs every track as lanes on the
first angle clip, drops the timeline markers and the start timecode (no `tcStart`), marks every
asset `hasAudio="0"` and loses the grain's blend. Here the primary storyline is one gap as long as
the edit, and every track hangs from it on its own lane in stacking order (video lanes 1, 2, ...;
audio lanes -1, -2, ...), so each NLE track comes back as a track. Clips of disabled tracks are
`enabled="0"`; video clips use only their picture (`srcEnable="video"`); the grain carries
`<adjust-blend mode="14 (Overlay)" amount="0.3"/>` (FCP's blend-mode numbers), an audio track's level
is `<adjust-volume amount="-3dB"/>` on each of its clips; every video clip says how a picture of
another shape fills the frame (`<adjust-conform type="fill"/>`, or "fit"; FCP's own default is fit,
and it has no blurred fill, so "blur" is written as fit); beat markers sit on
the gap at their record times; asset audio flags come from probing each file. Formats carry the
names FCP gives them (FFVideoFormat3840x2160p24), or none where FCP has none.

`srcEnable` on `asset-clip` is Apple's DTD attribute for a clip that uses only its video or only
its audio (a "video only" edit); none of the FCP exports we compared has such an edit, so how FCP
honours it there stays unverified. The angles are lanes, not an `mc-clip`: OTIO's FCPXML reader
(and so `aivp import`) cannot read a multicam clip back, and a file we cannot read back we cannot
check.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from ..edit import meta
from ..edit.blends import blend_named
from ..edit.clips import clip_media
from ..probe import MediaInfo
from .common import delivery_size, timeline_rate, xml_safe_tree

__all__ = ["to_fcpxml"]

# The formats FCP names (FFVideoFormat1080p24, FFVideoFormat3840x2160p2997 ...); others it leaves unnamed.
FCP_SIZES = {(1280, 720): "720", (1920, 1080): "1080", (3840, 2160): "3840x2160", (4096, 2160): "4096x2160"}
FCP_RATES = {Fraction(24): "24", Fraction(25): "25", Fraction(30): "30", Fraction(50): "50", Fraction(60): "60",
             Fraction(24000, 1001): "2398", Fraction(30000, 1001): "2997", Fraction(60000, 1001): "5994"}


def fcp_format_name(width: int, height: int, frame: Fraction) -> str | None:
    """FCP's name for a format, or None for one FCP has no name for (a custom format)."""
    size, rate = FCP_SIZES.get((width, height)), FCP_RATES.get(1 / frame)
    return f"FFVideoFormat{size}p{rate}" if size and rate else None


class _Clock:
    """FCPXML times: rational seconds, "N/Ds" or "Ns"."""

    def __init__(self, rate: float) -> None:
        self.frame = 1 / Fraction(rate).limit_denominator(1001)



    def __call__(self, frames: int) -> str:
        seconds = frames * self.frame
        return f"{seconds.numerator}s" if seconds.denominator == 1 else f"{seconds.numerator}/{seconds.denominator}s"


def to_fcpxml(timeline: otio.schema.Timeline, root: Path, media: Mapping[Path, MediaInfo]) -> str:
    rate = timeline_rate(timeline)
    clock = _Clock(rate)
    width, height = delivery_size(timeline)
    total = round(timeline.duration().rescaled_to(rate).value)
    start = round(timeline.global_start_time.rescaled_to(rate).value) if timeline.global_start_time else 0

    doc = ET.Element("fcpxml", version="1.10")
    resources = ET.SubElement(doc, "resources")
    formats: dict[tuple[int, int, str], str] = {}

    def format_id(w: int, h: int, frame: str) -> str:
        if (w, h, frame) not in formats:
            formats[(w, h, frame)] = f"r{len(formats) + 1}"
            name = fcp_format_name(w, h, Fraction(frame[:-1]))
            attributes = {"id": formats[(w, h, frame)], **({"name": name} if name else {}), "frameDuration": frame,
                          "width": str(w), "height": str(h), "colorSpace": "1-1-1 (Rec. 709)"}
            ET.SubElement(resources, "format", attrib=attributes)
        return formats[(w, h, frame)]

    sequence_format = format_id(width, height, clock(1))
    assets: dict[Path, str] = {}

    def asset_id(path: Path, media_start: int) -> str:
        if path in assets:
            return assets[path]
        info = media[path]
        assets[path] = f"a{len(assets) + 1}"
        attributes = {"id": assets[path], "name": path.name, "start": clock(media_start),
                      "duration": clock(max(1, round(info.duration * rate))), "hasVideo": "1" if info.video else "0",
                      "hasAudio": "1" if info.audio else "0"}
        if info.video:
            video = info.video
            frame = _Clock(float(video.frame_rate))(1) if video.frame_rate and not video.still else clock(1)
            attributes |= {"format": format_id(video.width, video.height, frame), "videoSources": "1"}
        if info.audio:
            attributes |= {"audioSources": str(len(info.audio)), "audioChannels": str(info.audio[0].channels),
                           "audioRate": str(info.audio[0].sample_rate)}
        asset = ET.SubElement(resources, "asset", attrib=attributes)
        ET.SubElement(asset, "media-rep", kind="original-media", src=path.as_uri())
        return assets[path]

    library = ET.SubElement(doc, "library")
    event = ET.SubElement(library, "event", name="aivp-nle")
    project = ET.SubElement(event, "project", name=timeline.name or "aivp")
    sequence = ET.SubElement(project, "sequence", format=sequence_format, duration=clock(total), tcStart=clock(start),
                             tcFormat="NDF", audioLayout="stereo", audioRate="48k")
    spine = ET.SubElement(sequence, "spine")
    gap = ET.SubElement(spine, "gap", name="aivp tracks", offset=clock(start), start=clock(start), duration=clock(total))

    lanes = [(lane, t) for lane, t in enumerate(timeline.video_tracks(), start=1)]
    lanes += [(-lane, t) for lane, t in enumerate(timeline.audio_tracks(), start=1)]
    for lane, track in lanes:
        video = lane > 0
        for clip in track.find_clips():
            used = clip_media(clip, rate, root, False)
            record = round(clip.range_in_parent().start_time.rescaled_to(rate).value)
            item = ET.SubElement(
                gap, "asset-clip", ref=asset_id(used.path, used.media_start), lane=str(lane),
                offset=clock(start + record), name=clip.name, start=clock(used.media_start + used.first),
                duration=clock(used.frames), enabled="1" if track.enabled else "0",
                srcEnable="video" if video else "audio",
            )
            look = meta.grain_look(clip)
            if video:  # Final Cut fits a picture of another shape by default (black bars): say what the edit does
                ET.SubElement(item, "adjust-conform", type="fill" if look is not None or meta.fit_of(clip) == "fill" else "fit")
            if look is not None:
                ET.SubElement(item, "adjust-blend", amount=f"{look.opacity:g}", mode=blend_named(look.blend).fcpxml)
            if not video and meta.gain_db(track):
                ET.SubElement(item, "adjust-volume", amount=f"{meta.gain_db(track):g}dB")
    for marker in timeline.tracks.markers:
        frame = round(marker.marked_range.start_time.rescaled_to(rate).value)
        ET.SubElement(gap, "marker", start=clock(start + frame), duration=clock(1), value=marker.name)
    ET.indent(xml_safe_tree(doc))
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n' + ET.tostring(doc, encoding="unicode") + "\n"
