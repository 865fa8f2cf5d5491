"""Lip sync and stems: the vocal steers the cut, the stems sit on their own tracks, the sync is measured."""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from click.testing import CliRunner

from aivp_nle import synthetic as synth
from aivp_nle.audio import decode_mono
from aivp_nle.beats import BeatGrid
from aivp_nle.chunks import Chunk, ChunkManifest, chunk_reference
from aivp_nle.cli import main
from aivp_nle.config import CutSettings, ProjectConfig
from aivp_nle.edit import LipSyncCut, meta, plan_lipsync_cuts
from aivp_nle.errors import RateMismatchError
from aivp_nle.ffmpeg import FFmpeg, media_arg
from aivp_nle.interchange import export_edit, import_edit
from aivp_nle.lipsync_workflow import order_flags
from aivp_nle.pipeline import build_project
from aivp_nle.project import Project, TakeFile, add_file, open_project
from aivp_nle.qc.edit import shots
from aivp_nle.render import render
from aivp_nle.take_steps import mark
from aivp_nle.timelines import load_timeline
from aivp_nle.vocals import Phrase, VocalStem
from tests.interchange_checks import DTD
from tests.lipsync_media import PHRASES, make_lipsync_take, make_stems

from .conftest import ProjectMaker
from .timeouts import work_timeout

RATE = 24
SINGERS = ("yellow-lipsync", "magenta-lipsync")


@pytest.fixture(scope="module")
def stems(tmp_path_factory: pytest.TempPathFactory, ff: FFmpeg) -> dict[str, Path]:
    return make_stems(tmp_path_factory.mktemp("stems"), ff)


@pytest.fixture(scope="module")
def lipsync_takes(tmp_path_factory: pytest.TempPathFactory, stems: dict[str, Path], ff: FFmpeg) -> dict[float, Path]:
    """Yellow lip-synced takes whose audio is the vocal 0 ms, one frame and 40 ms late."""
    folder = tmp_path_factory.mktemp("lipsync")
    return {ms: make_lipsync_take(folder / f"take_{ms:g}.mp4", "yellow", stems["vocals"], ms, ff) for ms in (0.0, 1000 / 24, 40.0)}


def _project(
    root: Path, maker: ProjectMaker, takes: list[Path], stems: dict[str, Path], singer_takes: dict[str, Path], **config: object,
) -> Project:
    project = maker(root, config=config, with_song=False, takes=takes)
    for name, take in singer_takes.items():
        add_file(take, project.stage_dir("v1_exploration"), name)
    for stem in stems.values():
        add_file(stem, project.audio_dir, stem.stem)
    return open_project(project.root)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, project_with_takes: ProjectMaker, angles: list[Path], stems: dict[str, Path],
          lipsync_takes: dict[float, Path], ff: FFmpeg) -> otio.schema.Timeline:
    singers = {SINGERS[0]: lipsync_takes[0.0], SINGERS[1]: lipsync_takes[0.0]}
    project = _project(tmp_path_factory.mktemp("mv") / "mv", project_with_takes, angles, stems, singers, cut={"every": 2}, audio={"vocals_db": -3.0})
    return build_project(project, ff).timeline


def test_offsets_of_lipsynced_takes_are_measured_within_a_millisecond(lipsync_takes: dict[float, Path], stems: dict[str, Path], ff: FFmpeg) -> None:
    for ms, take in lipsync_takes.items():
        measured = VocalStem.load(stems["vocals"], ff).measure(take, ff=ff)
        assert abs(measured.offset * 1000 - ms) < 1.0 and measured.confidence > 0.9, (ms, measured)


def test_a_chunk_from_late_in_a_long_song_is_found_where_it_sits(tmp_path: Path, ff: FFmpeg) -> None:
    vocals = synth.make_vocals(tmp_path / "vocals.wav", 100.0, [(start, start + 6.0) for start in range(1, 99, 10)], ff=ff)
    chunk = tmp_path / "chunk10.m4a"  # 90-100 s, one frame late
    ff.run(["-i", media_arg(vocals), "-af", "adelay=41.6667:all=1,atrim=start=90:end=100,asetpts=PTS-STARTPTS", "-c:a", "aac",
            media_arg(chunk)], "a late chunk")
    measured = VocalStem.load(vocals, ff).measure(chunk, expected=-90.0, ff=ff)
    assert abs(1000 * (measured.offset + 90.0) - 41.667) < 1.0 and measured.confidence > 0.9, measured


def test_sung_phrases_are_found_from_the_vocal_stem_and_a_breath_is_not_one(stems: dict[str, Path], ff: FFmpeg) -> None:
    found = VocalStem.load(stems["vocals"], ff).phrases()
    assert len(found) == len(PHRASES)
    for phrase, (start, end) in zip(found, PHRASES):
        assert abs(phrase.start - start) < 0.03 and abs(phrase.end - end) < 0.03


def _singers_exactly_when_sung(timeline: otio.schema.Timeline, singers: Sequence[str]) -> bool:
    """A lip-sync angle on every frame of each phrase long enough to read, and on no other frame."""
    on_screen = np.empty(12 * RATE, dtype=object)
    for shot in shots(timeline):
        on_screen[shot.start : shot.start + shot.frames] = shot.angle
    sung = np.zeros(12 * RATE, dtype=bool)
    for start, end in PHRASES:
        if end - start >= 1.0:
            sung[round(start * RATE) : round(end * RATE)] = True
    return all(angle in singers for angle in on_screen[sung]) and not any(angle in singers for angle in on_screen[~sung])


def test_a_lipsync_angle_is_on_screen_for_every_phrase_long_enough_and_never_between(built: otio.schema.Timeline) -> None:
    assert _singers_exactly_when_sung(built, SINGERS)


def test_the_cut_moves_between_lipsync_angles_on_the_beat_inside_a_long_phrase(built: otio.schema.Timeline) -> None:
    inside = [s for s in shots(built) if 6 * RATE <= s.start < 9.5 * RATE]
    assert len(inside) >= 2 and all(s.start % (RATE // 2) == 0 for s in inside)


def test_stems_and_the_mix_have_their_own_tracks_levels_set_and_the_unused_muted(built: otio.schema.Timeline, tmp_path: Path) -> None:
    path = tmp_path / "edit.otio"
    otio.adapters.write_to_file(built, str(path))
    tracks = {t.name: (meta.role_of(t), t.enabled, meta.get(t)["gain_db"]) for t in otio.adapters.read_from_file(str(path)).audio_tracks()}
    assert tracks == {"Song": ("song", True, 0.0), "Instrumental": ("instrumental", False, 0.0), "Vocals": ("vocals", False, -3.0)}


def test_sung_phrases_are_markers_with_their_length(built: otio.schema.Timeline) -> None:
    phrases = [m for m in built.tracks.markers if "phrase" in meta.get(m)]
    assert [(m.name, m.marked_range.duration.value) for m in phrases] == [("sung 1", 48), ("sung 2", 12), ("sung 3", 84)]


def _level(path: Path, seconds: tuple[float, float], ff: FFmpeg) -> float:
    heard = decode_mono(path, 8000, ff)
    return float(np.sqrt(np.mean(heard[int(seconds[0] * 8000) : int(seconds[1] * 8000)] ** 2)))


@pytest.fixture(scope="module")
def stems_played(tmp_path_factory: pytest.TempPathFactory, project_with_takes: ProjectMaker, angles: list[Path], stems: dict[str, Path],
                 lipsync_takes: dict[float, Path], ff: FFmpeg) -> Project:
    """A project that plays the stems: the vocal at -6 dB, the instrumental at -60 dB, the mix muted."""
    project = _project(tmp_path_factory.mktemp("stems_played") / "mv", project_with_takes, angles[:2], stems, {SINGERS[0]: lipsync_takes[0.0]},
                       audio={"play": "stems", "vocals_db": -6.0, "instrumental_db": -60.0})
    build_project(project, ff)
    return project


SUNG, GAP = (6.2, 9.3), (3.3, 4.3)


def test_the_render_plays_the_stems_at_their_levels(stems_played: Project, stems: dict[str, Path], ff: FFmpeg, tmp_path: Path) -> None:
    edit = stems_played.newest_edit()
    assert edit is not None
    output = render(load_timeline(edit), tmp_path / "preview.mp4", size=(160, 90), media_root=edit.parent)
    assert _level(output, SUNG, ff) / _level(stems["vocals"], SUNG, ff) == pytest.approx(0.5, rel=0.05)  # -6 dB
    assert _level(output, GAP, ff) < 0.002  # the mix muted, the instrumental down 60 dB


def test_melt_plays_the_exported_mlt_at_the_same_levels(stems_played: Project, stems: dict[str, Path], ff: FFmpeg, tmp_path: Path) -> None:
    edit = stems_played.newest_edit()
    assert edit is not None
    (exported,) = export_edit(load_timeline(edit), tmp_path / "edit.mlt", media_root=edit.parent)
    heard = tmp_path / "melt.wav"
    subprocess.run(["melt", "-quiet", str(exported), "-consumer", f"avformat:{heard}", "real_time=0", "vn=1", "ac=1", "ar=8000"],
                   check=True, capture_output=True, timeout=work_timeout(load_timeline(edit).duration().to_seconds()))
    assert _level(heard, SUNG, ff) / _level(stems["vocals"], SUNG, ff) == pytest.approx(0.5, rel=0.05)
    assert _level(heard, GAP, ff) < 0.002


def _fcpxml_sound(path: Path) -> dict[int, set[tuple[str | None, str | None]]]:
    """Audio lane -> the (enabled, level) of its clips, as Final Cut reads them."""
    sound: dict[int, set[tuple[str | None, str | None]]] = {}
    for clip in ET.parse(path).getroot().iter("asset-clip"):
        lane = int(clip.get("lane", "0"))
        if lane < 0:
            volume = clip.find("adjust-volume")
            sound.setdefault(lane, set()).add((clip.get("enabled"), volume.get("amount") if volume is not None else "0dB"))
    return sound


def test_final_cut_gets_the_levels_and_the_muted_mix(stems_played: Project, tmp_path: Path) -> None:
    edit = stems_played.newest_edit()
    assert edit is not None
    (exported,) = export_edit(load_timeline(edit), tmp_path / "edit.fcpxml", media_root=edit.parent)
    assert _fcpxml_sound(exported) == {-1: {("0", "0dB")}, -2: {("1", "-60dB")}, -3: {("1", "-6dB")}}
    assert len(import_edit(exported).audio_tracks()) == 3  # and a stock reader still takes it
    if DTD.exists():
        from lxml import etree

        assert etree.DTD(str(DTD)).validate(etree.parse(str(exported)))


def test_premiere_xml_gets_the_levels_as_linear_gain_and_the_muted_mix(stems_played: Project, tmp_path: Path) -> None:
    edit = stems_played.newest_edit()
    assert edit is not None
    (exported,) = export_edit(load_timeline(edit), tmp_path / "edit.xml", to="fcp7", media_root=edit.parent)
    tracks = ET.parse(exported).getroot().findall(".//sequence/media/audio/track")
    levels = [{round(float(v.text or "nan"), 4) for v in t.iterfind("clipitem/filter/effect[effectid='audiolevels']/parameter/value")} for t in tracks]
    assert [t.findtext("enabled") for t in tracks] == ["FALSE", "TRUE", "TRUE"]  # the mix muted, the stems heard
    assert levels[0] == set() and levels[1] == {0.001} and levels[2] == {0.5012}  # -60 and -6 dB
    assert len(import_edit(exported).audio_tracks()) == 3


def test_resolve_gets_the_levels_as_clip_volume_and_the_muted_mix(stems_played: Project, tmp_path: Path) -> None:
    edit = stems_played.newest_edit()
    assert edit is not None
    (exported,) = export_edit(load_timeline(edit), tmp_path / "edit.otio", to="resolve", media_root=edit.parent)
    volume = {}
    for track in otio.adapters.read_from_file(str(exported)).audio_tracks():
        levels = {p["Parameter Value"] for clip in track.find_clips() for effect in clip.effects
                  for p in effect.metadata["Resolve_OTIO"]["Parameters"] if p["Parameter ID"] == "volume"}
        volume[meta.get(track)["name"]] = (track.enabled, levels)
    # no track disabled, as in every Resolve export: the unplayed mix is at Resolve's -100 dB floor
    assert volume == {"Song": (True, {-100.0}), "Instrumental": (True, {-60.0}), "Vocals": (True, {-6.0})}


def test_build_reports_each_lipsync_offset_and_warns_past_half_a_frame(
    tmp_path: Path, project_with_takes: ProjectMaker, angles: list[Path], stems: dict[str, Path], lipsync_takes: dict[float, Path],
) -> None:
    project = _project(tmp_path / "mv", project_with_takes, angles[:2], stems, {SINGERS[0]: lipsync_takes[40.0]})
    result = CliRunner().invoke(main, ["build", str(project.root)])
    assert result.exit_code == 0, result.output
    assert "lip sync yellow-lipsync: its audio sits +40.0 ms from the vocal stem" in result.output
    assert "offset = 0.0400" in result.output  # the warning says what to set


def test_a_lipsync_angle_generated_in_chunks_is_one_singer_each_chunk_measured_from_its_place(
    tmp_path: Path, project_with_takes: ProjectMaker, angles: list[Path], stems: dict[str, Path], lipsync_takes: dict[float, Path], ff: FFmpeg,
) -> None:
    project = _project(tmp_path / "mv", project_with_takes, angles[:2], stems, {})
    reference = synth.make_angle(project.root / "02_Reference_Video" / "performance.mp4", "red", 12.0, RATE, (160, 90), ff=ff)
    manifest = chunk_reference(reference, reference.parent / "chunks", max_seconds=5.0, ff=ff)
    late = lipsync_takes[1000 / RATE]  # the singer's audio one frame late, in every chunk
    for c in manifest.chunks:  # each chunk lip-synced on its own, as the generators do
        start, end = c.start_frame / RATE, (c.start_frame + c.frames) / RATE
        ff.run(["-i", media_arg(late), "-vf", f"trim=start_frame={c.start_frame}:end_frame={c.start_frame + c.frames},setpts=PTS-STARTPTS",
                "-af", f"atrim=start={start}:end={end},asetpts=PTS-STARTPTS", "-c:a", "aac",
                media_arg(project.stage_dir("v1_exploration") / f"{c.name}_{SINGERS[0]}_v001.mp4")], "a lip-synced chunk")
    result = build_project(open_project(project.root), ff)
    assert [(s.take, round(1000 * s.measured.offset)) for s in result.lipsync.syncs] == [
        (f"{SINGERS[0]} ({c.name})", 42) for c in manifest.chunks]
    assert all(abs(1000 * s.measured.offset - 1000 / RATE) < 1.0 and s.measured.confidence > 0.9 for s in result.lipsync.syncs)
    assert [t.name for t in result.timeline.video_tracks()].count(SINGERS[0]) == 1
    assert _singers_exactly_when_sung(result.timeline, SINGERS)


def test_a_lipsync_take_at_another_rate_is_refused_fix_the_rate_before_lip_sync(
    tmp_path: Path, project_with_takes: ProjectMaker, angles: list[Path], stems: dict[str, Path], ff: FFmpeg,
) -> None:
    take = make_lipsync_take(tmp_path / "fast.mp4", "yellow", stems["vocals"], 0.0, ff, fps=30)
    project = _project(tmp_path / "mv", project_with_takes, angles[:2], stems, {SINGERS[0]: take})
    with pytest.raises(RateMismatchError, match="before lip sync"):
        build_project(project, ff)


def test_a_take_lipsynced_before_its_source_was_upscaled_is_flagged(tmp_path: Path) -> None:
    source, singer = tmp_path / "red_v001.mp4", tmp_path / "red-lipsync_v001.mp4"
    for path in (source, singer):
        path.write_bytes(b"")
    now = datetime.now(UTC)
    mark(singer, "lipsync", when=now - timedelta(hours=1))
    mark(source, "upscaled", when=now)
    takes = [TakeFile.from_path(source), TakeFile.from_path(singer)]
    (flag,) = order_flags(takes, frozenset({"red-lipsync"}), ProjectConfig())
    assert "lip-synced before red_v001.mp4 was upscaled" in flag
    os.utime(singer)
    mark(singer, "lipsync")
    assert order_flags(takes, frozenset({"red-lipsync"}), ProjectConfig()) == []


def test_a_chunk_is_flagged_against_the_same_chunk_of_its_source(tmp_path: Path) -> None:
    chunks = tuple(Chunk(index=i, name=f"chunk0{i}", file=f"c{i}.mp4", start_frame=(i - 1) * 96, frames=96) for i in (1, 2))
    manifest = ChunkManifest(source="performance.mp4", source_sha256="0", frame_rate=RATE, frames=192, max_seconds=5.0,
                             on_beats=False, chunks=chunks)
    paths = [tmp_path / f"chunk0{i}_{angle}_v001.mp4" for i in (1, 2) for angle in ("red", "red-lipsync")]
    for path in paths:
        path.write_bytes(b"")
    now = datetime.now(UTC)
    for path in paths[1::2]:
        mark(path, "lipsync", when=now - timedelta(hours=1))
    mark(paths[2], "upscaled", when=now)  # only chunk02 of the source was upscaled since
    takes = [TakeFile.from_path(p) for p in paths]
    (flag,) = order_flags(takes, frozenset({"red-lipsync"}), ProjectConfig(), manifest)
    assert flag.startswith("chunk02_red-lipsync_v001.mp4 was lip-synced before chunk02_red_v001.mp4 was upscaled")


def test_the_lipsync_plan_keeps_the_minimum_shot_no_repeats_and_is_the_same_for_a_seed() -> None:
    grid = BeatGrid(beats=tuple(i * 0.5 for i in range(40)), bpm=120.0)
    singer = LipSyncCut(frozenset({"face1", "face2"}), (Phrase(2.0, 9.0), Phrase(9.4, 12.0), Phrase(15.0, 15.4)), 1.0, 2)
    angles = ["wide", "body", "face1", "face2"]
    plans = [plan_lipsync_cuts(grid, 20 * RATE, RATE, angles, singer, CutSettings(seed=seed)) for seed in (1, 1, 2)]
    assert plans[0] == plans[1]
    shots_ = plans[0].shots
    assert all(s.frames >= RATE for s in shots_)
    assert all(a.angle != b.angle for a, b in zip(shots_, shots_[1:]))
    faces = [s for s in shots_ if s.angle.startswith("face")]
    assert (faces[0].start, faces[-1].end) == (2 * RATE, 12 * RATE)  # the two phrases merged: the breath is shorter than a shot
