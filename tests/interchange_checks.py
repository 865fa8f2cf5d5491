"""Measure what each export keeps, by reading it back (OTIO's readers, pycmx, Apple's DTD), playing
it (melt), or opening it in the editor it is for (see real_editors). The tests assert on these
measurements and README's table is made from them."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import opentimelineio as otio

from aivp_nle.edit import meta
from aivp_nle.errors import ToolFailedError
from aivp_nle.ffmpeg import FFmpeg
from aivp_nle.interchange import import_edit

from .conftest import angle_on_screen, frame_code, read_frames
from .real_editors import Opened, program_version
from .timeouts import work_timeout

COLUMNS = ("video tracks", "audio tracks", "markers", "start TC", "grain blend / opacity", "cuts frame-exact", "checked in")
DTD = Path(__file__).resolve().parents[2] / "shared" / "data" / "dtd" / "FCPXMLv1_10.dtd"
RATE = 24


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


def file_cuts(track: otio.schema.Track) -> list[tuple[int, int, str, int]]:
    """(record start, length, file name, first frame of the file used): what a player needs."""
    cuts = []
    for clip in track.find_clips():
        available = clip.media_reference.available_range
        first = clip.source_range.start_time - (available.start_time if available else otio.opentime.RationalTime(0, RATE))
        name = Path(otio.url_utils.filepath_from_url(clip.media_reference.target_url)).name
        cuts.append((round(clip.range_in_parent().start_time.value), round(clip.duration().value), name, round(first.value)))
    return cuts


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
    return "yes" if any(cut_list(track) == expected for track in tracks) else "NO"


def _markers(timeline: otio.schema.Timeline, beats: list[int]) -> str:
    """How many markers came back, and whether each sits on its beat's record frame."""
    frames = [round(m.marked_range.start_time.value) for m in timeline.tracks.markers]
    for clip in timeline.find_clips():  # EDL markers come back on clips, in source time
        record = round(clip.range_in_parent().start_time.value)
        frames += [record + round((m.marked_range.start_time - clip.source_range.start_time).value) for m in clip.markers]
    return str(len(frames)) if sorted(frames) == beats else f"{len(frames)}, NOT on their beats"


def read_back(path: Path, kind: str, expected: list[tuple[int, int, int]], tracks: tuple[int, int], beats: list[int]) -> dict[str, str]:
    extract = path.with_name(path.name + "_media")
    timeline = import_edit(path, rate=RATE, extract_to=extract if kind == "otioz" else None)
    return {
        "video tracks": f"{len(timeline.video_tracks())} of {tracks[0]}",
        "audio tracks": f"{len(timeline.audio_tracks())} of {tracks[1]}",
        "markers": _markers(timeline, beats),
        "start TC": _timecode(timeline.global_start_time),
        "grain blend / opacity": grain_of(timeline),
        "cuts frame-exact": _exact(timeline.video_tracks(), expected),
        "checked in": f"OTIO {otio.__version__} reader",
    }


def read_edl(path: Path, expected: list[tuple[int, int, int]], tracks: tuple[int, int], beats: list[int]) -> dict[str, str]:
    row = read_back(path, "edl", expected, tracks, beats)
    first = re.search(r"^001 +\S+ +\S+ +C +\S+ \S+ (\S+) \S+\s*$", path.read_text(), re.M)
    row["video tracks"] = f"1 of {tracks[0]} (the picture)"
    row["audio tracks"] += " (what plays)"
    row["start TC"] = first.group(1) if first else "lost"  # OTIO's reader drops it; the file has it
    return row


def pycmx_cuts(path: Path) -> tuple[list[tuple[int, int, int]], list[tuple[int, ...]]]:
    """The picture's (record start, length, source start) in frames, and each audio event's channels,
    as pycmx (a CMX 3600 parser of its own) reads the EDL."""
    import pycmx

    def frames(tc: str) -> int:
        hours, minutes, seconds, rest = (int(x) for x in re.split("[:;]", tc))
        return ((hours * 60 + minutes) * 60 + seconds) * RATE + rest

    with path.open(encoding="utf-8") as text:
        edl = pycmx.parse_cmx3600(text)
    picture, sound = [], []
    for event in edl.events:
        for edit in event.edits:
            if edit.channels.video:
                picture.append((frames(edit.record_in), frames(edit.record_out) - frames(edit.record_in), frames(edit.source_in)))
            if edit.channels.audio:
                sound.append(tuple(edit.channels.channels))
    start = picture[0][0] if picture else 0
    return [(r - start, n, s) for r, n, s in picture], sound


def read_fcpxml(path: Path, expected: list[tuple[int, int, int]], tracks: tuple[int, int]) -> dict[str, str]:
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
        "video tracks": f"{len([x for x in lanes if x > 0])} of {tracks[0]}",
        "audio tracks": f"{len([x for x in lanes if x < 0])} of {tracks[1]}",
        "markers": str(len(list(doc.iter("marker")))),
        "start TC": _timecode(otio.opentime.RationalTime(seconds * RATE, RATE)) if seconds is not None else "lost",
        "grain blend / opacity": (
            f"{blend.get('mode', '').split('(')[-1].rstrip(')').lower().replace(' ', '_')} {round(100 * float(blend.get('amount', 0)))} %"
            if blend is not None else "lost"
        ),
        "cuts frame-exact": _exact(list(readback.video_tracks()), expected),
        # the DTD lives in ../shared/data (not ours to ship): where it is absent the DTD test skips
        "checked in": "Apple's DTD 1.10 (tests/test_interchange.py), OTIO reader" if valid is not False else "DTD: INVALID",
    }


def play_in_melt(path: Path, out: Path, ff: FFmpeg, frames: int | None = None) -> tuple[list[tuple[str, int]], Path]:
    """Every frame melt plays of a file (the first `frames`, as Kdenlive renders its project's length).

    `real_time=0`: every frame rendered, none dropped, however loaded the machine is. Under heavy
    load melt 7.12 has once ended with exit code 0 and an MP4 without its index: tried a second time."""
    command = ["melt", "-quiet", str(path), *([f"out={frames - 1}"] if frames else []), "-consumer", f"avformat:{out}",
               "real_time=0", "vcodec=libx264", "preset=ultrafast", "crf=12", "acodec=aac", "ar=48000"]
    for attempt in (1, 2):
        subprocess.run(command, check=True, capture_output=True, timeout=work_timeout((frames or 24 * 600) / 24))
        try:
            return [(angle_on_screen(f), frame_code(f)) for f in read_frames(ff, out)], out
        except ToolFailedError:
            if attempt == 2:
                raise
            out.unlink(missing_ok=True)
    raise AssertionError("unreachable")


def _mlt_frames(value: str | None) -> int:
    """An MLT position (frames, or a clock "HH:MM:SS.mmm" as Shotcut and Kdenlive save them) in frames."""
    text = value or "0"
    if ":" not in text:
        return int(text)
    hours, minutes, seconds = text.split(":")
    return round(((int(hours) * 60 + int(minutes)) * 60 + float(seconds)) * RATE)


def mlt_tracks(path: Path) -> list[dict[str, object]]:
    """The tracks of an MLT or Kdenlive document as the file has them: name, kind, hidden, and each
    clip as (record start, length, file name, first frame), with the grain composition if any."""
    doc = ET.parse(path).getroot()
    producers = {p.get("id"): p for p in doc.iter("producer")}
    playlists = {p.get("id"): p for p in doc.iter("playlist")}
    tractors = {t.get("id"): t for t in doc.iter("tractor")}
    main = list(doc.iter("tractor"))[-1]
    found = []
    for index, track in enumerate(main.findall("track")):
        element = playlists.get(track.get("producer")) or tractors.get(track.get("producer"))
        if element is None or element.get("id") in ("background", "main_bin"):
            continue
        props = {p.get("name"): p.text for p in element.findall("property")}
        playlist, hide = element, track.get("hide")
        if element.tag == "tractor":  # Kdenlive: a tractor of two playlists per track
            inner = element.findall("track")
            playlist, hide = playlists[inner[0].get("producer")], inner[0].get("hide")
        name = props.get("shotcut:name") or props.get("kdenlive:track_name")
        audio = props.get("shotcut:audio") == "1" or props.get("kdenlive:audio_track") == "1"
        clips, record = [], 0
        for item in playlist:
            if item.tag == "blank":
                record += _mlt_frames(item.get("length"))
            elif item.tag == "entry":
                first, last = _mlt_frames(item.get("in")), _mlt_frames(item.get("out"))
                resource = producers[item.get("producer")].findtext("property[@name='resource']") or ""
                clips.append((record, last - first + 1, Path(resource).name, first))
                record += last - first + 1
        found.append({"index": index, "name": name, "audio": audio, "hide": hide, "clips": clips})
    for transition in main.findall("transition"):
        values = {p.get("name"): p.text or "" for p in transition.findall("property")}
        if values.get("mlt_service") == "frei0r.cairoblend" and values.get("1", "normal") != "normal":
            for track in found:
                if track["index"] == int(values["b_track"]):
                    track["blend"] = (values["1"], float(values.get("0", "1").split("=")[-1]))
    return found


def read_mlt(path: Path, seen: list[tuple[str, int]], expected_frames: list[tuple[str, int]], tracks: tuple[int, int],
             editor: str) -> dict[str, str]:
    found = mlt_tracks(path)
    blend = next((t["blend"] for t in found if "blend" in t), None)
    mode, opacity = blend if isinstance(blend, tuple) else (None, 0.0)
    melt = subprocess.run(["melt", "-version"], capture_output=True, text=True).stdout.split()
    return {
        "video tracks": f"{len([t for t in found if not t['audio']])} of {tracks[0]}",
        "audio tracks": f"{len([t for t in found if t['audio']])} of {tracks[1]} (takes' audio muted)",
        "markers": "none (no place for them)",
        "start TC": "none (no place for it)",
        "grain blend / opacity": f"{'soft_light' if mode == 'softlight' else mode} {round(100 * opacity)} %" if mode else "lost",
        "cuts frame-exact": "yes (melt, every frame)" if seen == expected_frames else "NO",
        "checked in": f"{editor}; melt {melt[1] if len(melt) > 1 else ''}".strip(),
    }


def editor_text(opened: Opened | None, ours: dict[str, tuple[bool, list[tuple[int, int, str, int]]]],
                saved_frames: list[tuple[str, int]] | None, expected_frames: list[tuple[str, int]]) -> str:
    """What Kdenlive or Shotcut made of our file, in a few words for the table."""
    if opened is None:
        return "program not installed"
    if opened.dialogs:
        return f"{opened.version}: {'; '.join(opened.dialogs)}"
    if opened.saved is None:
        return f"{opened.version}: did not save"
    found = mlt_tracks(opened.saved)
    kept = {t["name"]: (t["audio"], t["clips"]) for t in found} == ours and any(t.get("blend") for t in found)
    plays = saved_frames == expected_frames
    return f"{opened.version}: opens with no dialog or repair; its own save keeps {'every track, cut and the grain' if kept else 'LESS'}" + (
        " and plays every frame right" if plays else ", but plays WRONG")


def read_resolve(path: Path, expected: list[tuple[int, int, int]], tracks: tuple[int, int], beats: list[int]) -> dict[str, str]:
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
    row["checked in"] += "; no Resolve here"
    return row


def openshot_cuts(result: dict) -> list[list[tuple[int, int, str, int]]]:  # type: ignore[type-arg]
    """Each layer OpenShot made, as (position, length, file name, first frame) in frames."""
    layers: dict[int, list[tuple[int, int, str, int]]] = {}
    for clip in result.get("clips", []):
        start, end = float(clip["start"]), float(clip["end"])
        cut = (round(float(clip["position"]) * RATE), round((end - start) * RATE), Path(clip["path"] or "").name, round(start * RATE))
        layers.setdefault(int(clip["layer"]), []).append(cut)
    return [sorted(clips) for _, clips in sorted(layers.items())]


def openshot_text(result: dict, expected: list[tuple[int, int, str, int]], tracks: int) -> str:  # type: ignore[type-arg]
    version = program_version(["openshot-qt"], "OpenShot")
    if "error" in result:
        why = " (it reads an EDL as ASCII)" if result["error"].startswith("UnicodeDecodeError") else ""
        return f"{version}: its importer stops, {result['error'].split(':')[0]}{why}"
    layers = openshot_cuts(result)
    lost = [name for name in result["asked"] if "%" in name]
    why = f" ({', '.join(sorted(set(lost)))} not found: it reads URLs as paths)" if lost else ""
    return f"{version}: {len(layers)} of {tracks} tracks{why}, cuts {'exact' if expected in layers else 'WRONG'}"
