"""Measure what each export keeps, by reading it back (OTIO's readers, Apple's DTD) or playing it
(melt). The per-format tests assert on these measurements and README's table is made from them."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import opentimelineio as otio

from aivp_nle.edit import meta
from aivp_nle.ffmpeg import FFmpeg
from aivp_nle.interchange import import_edit

from .conftest import angle_on_screen, frame_code, read_frames

COLUMNS = ("video tracks", "audio", "markers", "start TC", "grain blend / opacity", "cuts frame-exact")
DTD = Path(__file__).resolve().parents[2] / "shared" / "data" / "dtd" / "FCPXMLv1_10.dtd"


def cut_list(track: otio.schema.Track) -> list[tuple[int, int, int]]:
    """(record start, length, source start timecode frame) of every clip, record counted from the first
    clip (OTIO's FCPXML reader places clips after a gap as long as the start timecode; the start
    timecode itself is measured on its own)."""
    clips = track.find_clips()
    first = round(clips[0].range_in_parent().start_time.value) if clips else 0
    return [
        (round(c.range_in_parent().start_time.value) - first, round(c.duration().value), round(c.source_range.start_time.value))
        for c in clips
    ]


def grain_of(timeline: otio.schema.Timeline) -> str:
    """The grain blend as our metadata carries it."""
    for clip in timeline.find_clips():
        grain = meta.get(clip)
        if grain.get("role") == meta.Role.GRAIN:
            return f"{grain['blend_mode']} {round(100 * float(grain['opacity']))} %"
    return "lost"


def resolve_composite_of(timeline: otio.schema.Timeline) -> str:
    """The grain blend as Resolve's own Composite effect carries it."""
    for clip in timeline.find_clips():
        for effect in clip.effects:
            composite = effect.metadata.get("Resolve_OTIO", {})
            if composite.get("Effect Name") == "Composite":
                values = {p["Parameter ID"]: p["Parameter Value"] for p in composite["Parameters"]}
                mode = {6: "overlay", 8: "soft_light", 5: "screen"}[int(values["composite mode"])]
                return f"{mode} {round(float(values['opacity']))} % (Resolve Composite)"
    return "lost"


def _timecode(time: otio.opentime.RationalTime | None) -> str:
    return str(otio.opentime.to_timecode(time, time.rate)) if time is not None else "lost"


def _exact(tracks: list[otio.schema.Track], expected: list[tuple[int, int, int]]) -> str:
    for track in tracks:
        if cut_list(track) == expected:
            return "yes"
    return "NO"


def _markers(timeline: otio.schema.Timeline, beats: list[int]) -> str:
    """How many markers came back, and whether each sits on its beat's record frame."""
    frames = [round(m.marked_range.start_time.value) for m in timeline.tracks.markers]
    for clip in timeline.find_clips():  # EDL markers come back on clips, in source time
        record = round(clip.range_in_parent().start_time.value)
        frames += [record + round((m.marked_range.start_time - clip.source_range.start_time).value) for m in clip.markers]
    return str(len(frames)) if sorted(frames) == beats else f"{len(frames)}, NOT on their beats"


def read_back(path: Path, kind: str, expected: list[tuple[int, int, int]], tracks: int, beats: list[int]) -> dict[str, str]:
    extract = path.with_name(path.name + "_media")
    timeline = import_edit(path, rate=24, extract_to=extract if kind == "otioz" else None)
    return {
        "video tracks": f"{len(timeline.video_tracks())} of {tracks}",
        "audio": "song" if timeline.audio_tracks() else "lost",
        "markers": _markers(timeline, beats),
        "start TC": _timecode(timeline.global_start_time),
        "grain blend / opacity": grain_of(timeline),
        "cuts frame-exact": _exact(timeline.video_tracks(), expected),
    }


def read_edl(path: Path, expected: list[tuple[int, int, int]], tracks: int, beats: list[int]) -> dict[str, str]:
    row = read_back(path, "edl", expected, tracks, beats)
    first = re.search(r"^001 +\S+ +\S+ +C +\S+ \S+ (\S+) \S+\s*$", path.read_text(), re.M)
    row["video tracks"] = f"1 of {tracks} (the picture)"
    row["start TC"] = first.group(1) if first else "lost"  # OTIO's reader drops it; the file has it
    return row


def read_fcpxml(path: Path, expected: list[tuple[int, int, int]], tracks: int) -> dict[str, str]:
    from lxml import etree

    valid = etree.DTD(str(DTD)).validate(etree.parse(str(path))) if DTD.exists() else None
    doc = ET.parse(path).getroot()
    lanes = {int(c.get("lane", "0")) for c in doc.iter("asset-clip")}
    blend = next(doc.iter("adjust-blend"), None)
    sequence = doc.find(".//sequence")
    assert sequence is not None
    start = sequence.get("tcStart", "")
    seconds = int(start[:-1]) if start.endswith("s") and start[:-1].isdigit() else None
    readback = import_edit(path)
    return {
        "video tracks": f"{len([x for x in lanes if x > 0])} of {tracks}",
        "audio": "song" if any(x < 0 for x in lanes) else "lost",
        "markers": str(len(list(doc.iter("marker")))),
        "start TC": _timecode(otio.opentime.RationalTime(seconds * 24, 24)) if seconds is not None else "lost",
        "grain blend / opacity": (
            f"{blend.get('mode', '').split('(')[-1].rstrip(')').lower().replace(' ', '_')} {round(100 * float(blend.get('amount', 0)))} %"
            if blend is not None else "lost"
        ),
        "cuts frame-exact": _exact(list(readback.video_tracks()), expected),
        "DTD": "valid" if valid else ("no DTD here" if valid is None else "INVALID"),
    }


def play_in_melt(path: Path, out: Path, ff: FFmpeg) -> tuple[list[tuple[str, int]], Path]:
    subprocess.run(
        ["melt", "-quiet", str(path), "-consumer", f"avformat:{out}", "vcodec=libx264", "preset=ultrafast",
         "crf=12", "acodec=aac", "ar=48000"],
        check=True, capture_output=True, timeout=600,
    )
    return [(angle_on_screen(f), frame_code(f)) for f in read_frames(ff, out)], out


def read_mlt(path: Path, seen: list[tuple[str, int]], expected_frames: list[tuple[str, int]], tracks: int) -> dict[str, str]:
    doc = ET.parse(path).getroot()
    playlists = [t for t in doc.iter("track") if t.get("producer", "").startswith("playlist")]
    grain = [t for t in doc.iter("transition") if t.findtext("property[@name='1']") not in (None, "normal")]
    mode = grain[0].findtext("property[@name='1']") if grain else None
    opacity = float(grain[0].findtext("property[@name='0']") or 0) if grain else 0.0
    return {
        "video tracks": f"{len(playlists) - 1} of {tracks}",
        "audio": "song (takes' audio muted)",
        "markers": "none (no place for them)",
        "start TC": "none (no place for it)",
        "grain blend / opacity": f"{'soft_light' if mode == 'softlight' else mode} {round(100 * opacity)} %" if mode else "lost",
        "cuts frame-exact": "yes (melt, every frame)" if seen == expected_frames else "NO",
    }


def read_resolve(path: Path, expected: list[tuple[int, int, int]], tracks: int, beats: list[int]) -> dict[str, str]:
    row = read_back(path, "otio", expected, tracks, beats)
    row["grain blend / opacity"] = resolve_composite_of(otio.adapters.read_from_file(str(path)))
    data = json.loads(path.read_text())
    clips = [c for t in data["tracks"]["children"] for c in t["children"] if c["OTIO_SCHEMA"].startswith("Clip")]
    shaped = all(
        set(c["media_references"]) == {"DEFAULT_MEDIA"} and not c["media_references"]["DEFAULT_MEDIA"]["target_url"].startswith("file:")
        and c["media_references"]["DEFAULT_MEDIA"]["available_range"] is not None
        for c in clips
    )
    row["Resolve shape"] = "yes" if shaped else "NO"
    return row
