"""Conform, chunks, render presets and the handbook's order: real ffmpeg on generated media."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from click.testing import CliRunner

from aivp_nle import synthetic as synth
from aivp_nle.audio import decode_mono
from aivp_nle.chunks import chunk_frames
from aivp_nle.cli import main
from aivp_nle.config import ConformTarget, CutSettings
from aivp_nle.errors import ConfigError
from aivp_nle.ffmpeg import FFmpeg, media_arg
from aivp_nle.files import hash_file
from aivp_nle.pipeline import beatcut_files
from aivp_nle.probe import probe
from aivp_nle.project import Project, init_project, open_project
from aivp_nle.render import render
from aivp_nle.take_steps import mark
from aivp_nle.timelines import load_timeline, save_timeline

from .conftest import ProjectMaker, frame_code, read_frames


def _clip(ff: FFmpeg, path: Path, source: str, *extra: str, seconds: float = 2.0) -> Path:
    ff.run(["-f", "lavfi", "-i", source, *extra, "-t", str(seconds), media_arg(path)], "making a test clip")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = init_project(tmp_path / "mv").root
    (root / "aivp.toml").write_text("[conform]\nwidth = 320\nheight = 180\n")
    return open_project(root)


def _stage(project: Project) -> Path:
    return project.stage_dir("v1_exploration")


def test_check_names_every_problem_and_exits_non_zero(project: Project, ff: FFmpeg) -> None:
    _clip(ff, _stage(project) / "a_v001.mp4", "testsrc2=s=320x180:r=25", "-f", "lavfi", "-i", "sine=r=44100", "-pix_fmt", "yuv420p", "-shortest")
    _clip(ff, _stage(project) / "b_v001.mp4", "testsrc2=s=320x180:r=24", "-pix_fmt", "yuv420p10le", "-c:v", "libx265",
          "-x265-params", "log-level=error", "-vf", "setparams=color_primaries=bt2020:color_trc=arib-std-b67:colorspace=bt2020nc")
    result = CliRunner().invoke(main, ["conform", "check", str(project.root), "--json"])
    assert result.exit_code == 1
    found = {Path(row["clip"]["path"]).name: row["problems"] for row in json.loads(result.output)}
    assert "25 fps; the project works at 24" in found["a_v001.mp4"]
    assert "audio at 44100 Hz; the edit runs at 48000" in found["a_v001.mp4"]
    assert "no start timecode (multicam by timecode needs one)" in found["a_v001.mp4"]
    assert "HLG: needs tone mapping to Rec.709" in found["b_v001.mp4"]


def test_apply_makes_conformed_copies_and_leaves_the_originals_alone(project: Project, ff: FFmpeg) -> None:
    take = _clip(ff, _stage(project) / "a_v001.mp4", "testsrc2=s=320x180:r=25", "-f", "lavfi", "-i", "sine=r=44100",
                 "-pix_fmt", "yuv420p", "-shortest", seconds=4.0)
    before = hash_file(take)
    result = CliRunner().invoke(main, ["conform", "apply", str(project.root)])
    assert result.exit_code == 0, result.output
    copy = _stage(project) / "conformed" / "a_v001.mov"
    info = probe(copy, ff)
    assert info.video is not None and info.video.frame_rate == 24 and info.video.codec == "prores"
    assert info.video.frames == 96 and (info.video.color_primaries, info.video.color_transfer, info.video.color_matrix) == ("bt709",) * 3
    assert info.start_timecode == "01:00:00:00" and info.audio[0].sample_rate == 48000
    sidecar = json.loads((copy.parent / "a_v001.mov.json").read_text())
    assert sidecar["source_sha256"] == before and Path(sidecar["command"][0]).name.startswith("ffmpeg") and "fps=24" in " ".join(sidecar["command"])
    assert hash_file(take) == before
    assert CliRunner().invoke(main, ["conform", "check", str(copy)]).exit_code == 0
    assert project.latest_takes()[0].path == copy  # the edit uses the conformed copy


def _ordinary_ai_take(ff: FFmpeg, path: Path, seconds: float = 2.0) -> Path:
    """What a generator delivers: the right rate and shape, colour untagged, no timecode, AAC at 44.1 kHz."""
    return _clip(ff, path, "testsrc2=s=320x180:r=24", "-f", "lavfi", "-i", "sine=r=44100", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                 "-c:a", "aac", "-shortest", seconds=seconds)


def _packets(ff: FFmpeg, path: Path) -> list[bytes]:
    import av

    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(video=0) if p.size]


def test_tags_and_timecode_alone_are_fixed_by_a_remux_every_frame_kept(project: Project, ff: FFmpeg) -> None:
    take = _ordinary_ai_take(ff, _stage(project) / "a_v001.mp4")
    result = CliRunner().invoke(main, ["conform", "apply", str(take)])
    assert result.exit_code == 0 and "(remuxed)" in result.output, result.output
    copy = _stage(project) / "conformed" / "a_v001.mp4"
    info = probe(copy, ff)
    assert info.video is not None and info.video.codec == "h264" and info.start_timecode == "01:00:00:00"
    assert (info.video.color_primaries, info.video.color_transfer, info.video.color_matrix) == ("bt709",) * 3
    assert info.audio[0].sample_rate == 48000 and json.loads((copy.parent / "a_v001.mp4.json").read_text())["remux"] is True
    assert len(_packets(ff, copy)) == len(_packets(ff, take)) == 48
    assert CliRunner().invoke(main, ["conform", "check", str(copy)]).exit_code == 0


def test_apply_on_one_file_conforms_only_that_file(project: Project, ff: FFmpeg) -> None:
    one = _ordinary_ai_take(ff, _stage(project) / "a_v001.mp4")
    _ordinary_ai_take(ff, _stage(project) / "b_v001.mp4")
    assert CliRunner().invoke(main, ["conform", "apply", str(one)]).exit_code == 0
    assert sorted(p.name for p in (_stage(project) / "conformed").iterdir() if p.suffix == ".mp4") == ["a_v001.mp4"]


def test_a_clip_that_conforms_is_left_alone(project: Project, ff: FFmpeg, tmp_path: Path) -> None:
    take = _clip(ff, _stage(project) / "ok_v001.mov", "testsrc2=s=320x180:r=24", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                 "-vf", "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709", "-timecode", "01:00:00:00")
    result = CliRunner().invoke(main, ["conform", "apply", str(take)])
    assert "conforms already, left alone" in result.output and not (_stage(project) / "conformed").exists()


@pytest.mark.parametrize("transfer", ["smpte2084", "arib-std-b67"])
def test_hdr_is_tone_mapped_to_rec709(project: Project, ff: FFmpeg, transfer: str) -> None:
    take = _clip(ff, _stage(project) / "hdr_v001.mp4", "testsrc2=s=320x180:r=24", "-pix_fmt", "yuv420p10le", "-c:v", "libx265",
                 "-x265-params", "log-level=error", "-vf", f"setparams=color_primaries=bt2020:color_trc={transfer}:colorspace=bt2020nc")
    assert CliRunner().invoke(main, ["conform", "apply", str(project.root)]).exit_code == 0
    info = probe(_stage(project) / "conformed" / "hdr_v001.mov", ff)
    assert info.video is not None and not info.video.hdr and info.video.color_transfer == "bt709"
    frame = read_frames(ff, _stage(project) / "conformed" / "hdr_v001.mov", (64, 36))[10].astype(float)
    assert 20 < frame.mean() < 235 and take.exists()


@pytest.mark.parametrize("size", ["1080x1920", "1000x1000"])
def test_portrait_and_square_takes_are_reported_and_scaled_to_fit(project: Project, ff: FFmpeg, size: str) -> None:
    _clip(ff, _stage(project) / "odd_v001.mp4", f"testsrc2=s={size}:r=24", "-pix_fmt", "yuv420p", seconds=1.0)
    result = CliRunner().invoke(main, ["conform", "check", str(project.root)])
    assert "differs from the delivery's 320x180" in result.output
    assert CliRunner().invoke(main, ["conform", "apply", str(project.root), "--scale"]).exit_code == 0
    info = probe(_stage(project) / "conformed" / "odd_v001.mov", ff)
    assert info.video is not None and (info.video.width, info.video.height) == (320, 180)


def test_a_variable_rate_clip_without_audio_conforms_to_a_constant_rate(project: Project, ff: FFmpeg) -> None:
    _clip(ff, _stage(project) / "vfr_v001.mp4", "testsrc=s=160x90:r=30", "-vf", "select='lt(n\\,30)+not(mod(n\\,3))'",
          "-fps_mode", "vfr", "-an", seconds=3.0)
    assert CliRunner().invoke(main, ["conform", "apply", str(project.root)]).exit_code == 0
    info = probe(_stage(project) / "conformed" / "vfr_v001.mov", ff)
    assert info.video is not None and not info.video.variable_frame_rate and info.video.frame_rate == 24 and not info.audio


def test_a_file_that_ends_early_is_refused_and_leaves_no_output(project: Project, ff: FFmpeg, tmp_path: Path) -> None:
    whole = _clip(ff, tmp_path / "whole.mp4", "testsrc2=s=320x180:r=24", "-pix_fmt", "yuv420p", "-movflags", "+faststart", seconds=3.0)
    (_stage(project) / "cut_v001.mp4").write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    result = CliRunner().invoke(main, ["conform", "apply", str(project.root)])
    assert result.exit_code == 1 and "cut_v001.mp4" in result.output
    conformed = _stage(project) / "conformed"
    assert not conformed.exists() or not [p for p in conformed.iterdir() if p.suffix == ".mov"]


def test_chunks_are_frame_exact_at_most_ten_seconds_and_on_beats(tmp_path: Path, ff: FFmpeg, song: Path) -> None:
    reference = synth.make_angle(tmp_path / "performance.mp4", "red", 25.0, 24, (96, 54), frame_code=True, ff=ff)
    result = CliRunner().invoke(main, ["chunk", str(reference), "--on-beats", str(song)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "chunks" / "performance_chunks.json").read_text())
    chunks = manifest["chunks"]
    assert sum(c["frames"] for c in chunks) == 600 and all(c["frames"] <= 240 for c in chunks)
    assert all(c["start_frame"] % 12 == 0 for c in chunks)  # every boundary on a beat (120 BPM at 24 fps)
    for c in chunks:
        frames = read_frames(ff, tmp_path / "chunks" / c["file"], (96, 54))
        assert len(frames) == c["frames"] and frame_code(frames[0]) == c["start_frame"]


def test_chunks_without_a_song_are_even() -> None:
    assert chunk_frames(600, 24, 10.0) == [(0, 200), (200, 400), (400, 600)]
    with pytest.raises(ConfigError):
        chunk_frames(600, 24, 0.01)


def test_build_puts_each_angles_generated_chunks_back_in_order(tmp_path: Path, ff: FFmpeg, song: Path) -> None:
    project = init_project(tmp_path / "mv")
    (project.root / "aivp.toml").write_text("[conform]\nwidth = 96\nheight = 54\n")
    project = open_project(project.root)
    reference = synth.make_angle(project.root / "02_Reference_Video" / "performance.mp4", "red", 13.0, 24, (96, 54), frame_code=True, ff=ff)
    assert CliRunner().invoke(main, ["chunk", str(reference), "--max", "5"]).exit_code == 0
    chunks = json.loads((reference.parent / "chunks" / "performance_chunks.json").read_text())["chunks"]
    for colour in ("green", "blue"):  # stand-in generations: each angle's chunk is its chunk of a coloured take
        whole = synth.make_angle(tmp_path / f"{colour}.mp4", colour, 13.0, 24, (96, 54), frame_code=True, ff=ff)
        for c in chunks:
            ff.run(["-i", media_arg(whole), "-vf", f"trim=start_frame={c['start_frame']}:end_frame={c['start_frame'] + c['frames']},setpts=PTS-STARTPTS",
                    "-an", media_arg(_stage(project) / f"{c['name']}_{colour}_v001.mp4")], "a generated chunk")
    shutil.copy(song, project.audio_dir / "song.wav")
    assert CliRunner().invoke(main, ["build", str(project.root)]).exit_code == 0
    edit = project.edit_dir / "beatcut_v001.otio"
    timeline = load_timeline(edit)
    green = next(t for t in timeline.video_tracks() if t.name == "green")
    assert [round(c.range_in_parent().start_time.value) for c in green.find_clips()] == [c["start_frame"] for c in chunks]
    out = render(timeline, tmp_path / "chunked.mp4", size=(96, 54), media_root=edit.parent, ff=ff)
    seen = [frame_code(f) for f in read_frames(ff, out, (96, 54))]
    assert seen == list(range(len(seen)))  # the chunked angles play as one continuous take


@pytest.fixture(scope="module")
def small_edit(angles: list[Path], song: Path, make: Callable[..., Path], ff: FFmpeg) -> otio.schema.Timeline:
    return beatcut_files(angles, song, CutSettings(), grain=make("grain"), conform=ConformTarget(width=160, height=90), ff=ff)


def test_the_master_preset_is_prores_at_the_delivery_size(small_edit: otio.schema.Timeline, tmp_path: Path, ff: FFmpeg) -> None:
    out = render(small_edit, tmp_path / "master.mov", preset="master", ff=ff)
    info = probe(out, ff)
    assert info.video is not None and info.video.codec == "prores" and info.video.pixel_format == "yuv422p10le"
    assert (info.video.width, info.video.height) == (160, 90) and info.audio[0].codec == "pcm_s24le"
    with pytest.raises(ConfigError, match="master preset writes .mov"):
        render(small_edit, tmp_path / "master.mp4", preset="master", ff=ff)


def test_the_social_preset_keeps_no_pure_black_and_a_high_bitrate(tmp_path: Path, ff: FFmpeg, song: Path) -> None:
    black = [_clip(ff, tmp_path / f"black{i}.mp4", "color=c=black:s=160x90:r=24", "-pix_fmt", "yuv420p", "-timecode", "01:00:00:00", seconds=13.0) for i in range(2)]
    edit = beatcut_files(black, song, CutSettings(), conform=ConformTarget(width=160, height=90), ff=ff)
    out = render(edit, tmp_path / "social.mp4", preset="social", ff=ff)
    raw = ff.read(["-i", media_arg(out), "-vf", "extractplanes=y", "-f", "rawvideo", "-pix_fmt", "gray", "-"], "reading luma")
    assert np.frombuffer(raw, np.uint8).min() >= 18  # lifted from 16: black macroblocks after upload
    settings = re.search(rb"bitrate=(\d+) ratetol", out.read_bytes())  # x264 writes its settings into the stream
    assert settings and int(settings.group(1)) == 60_000 * 160 * 90 // (3840 * 2160)  # 60 Mb/s at UHD, scaled (kb/s)
    assert b"tune=grain" in out.read_bytes() or b"psy_rd=1.00:0.25" in out.read_bytes()


def test_several_audio_tracks_are_mixed(small_edit: otio.schema.Timeline, tmp_path: Path, ff: FFmpeg, make: Callable[..., Path]) -> None:
    vocal = tmp_path / "vocal.wav"
    ff.run(["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000:duration=12", media_arg(vocal)], "a vocal stem")
    edit = small_edit.deepcopy()
    track = otio.schema.Track(name="Vocal", kind=otio.schema.TrackKind.Audio)
    track.append(otio.schema.Clip(name="vocal.wav", media_reference=otio.schema.ExternalReference(target_url=str(vocal)),
                                  source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(288, 24))))
    edit.tracks.append(track)
    heard = decode_mono(render(edit, tmp_path / "mixed.mp4", ff=ff), 8000, ff)
    spectrum, hz = np.abs(np.fft.rfft(heard)), np.fft.rfftfreq(heard.size, 1 / 8000)
    assert spectrum[(hz > 990) & (hz < 1010)].max() > 0.1 * spectrum.max()  # the vocal stem is in the mix


def test_ctrl_c_leaves_no_half_written_render(small_edit: otio.schema.Timeline, tmp_path: Path) -> None:
    edit = save_timeline(small_edit, tmp_path / "edit.otio")
    out = tmp_path / "out.mov"
    process = subprocess.Popen([sys.executable, "-m", "aivp_nle", "render", str(edit), "-o", str(out), "--preset", "master", "--size", "1920x1080"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".aivp-tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    assert process.returncode != 0 and not out.exists() and not list(tmp_path.glob(".aivp-tmp-*"))


def test_build_warns_when_the_handbooks_order_was_broken(tmp_path: Path, project_with_takes: ProjectMaker) -> None:
    project = project_with_takes(tmp_path / "mv")
    red = _stage(project) / "red_v001.mp4"
    earlier = datetime.now(UTC) - timedelta(hours=2)
    mark(red, "lipsync", when=earlier)
    mark(red, "upscaled", when=earlier + timedelta(minutes=5))
    mark(red, "upscaled")
    result = CliRunner().invoke(main, ["build", str(project.root)])
    assert result.exit_code == 0, result.output
    assert "warning: red_v001.mp4 was upscaled 2 times" in result.output and "lip-synced before it was upscaled" in result.output


def test_mark_records_steps_in_order(tmp_path: Path, angles: list[Path]) -> None:
    take = tmp_path / "red_v001.mp4"
    shutil.copy(angles[0], take)
    assert CliRunner().invoke(main, ["mark", str(take), "full"]).exit_code == 0
    result = CliRunner().invoke(main, ["mark", str(take), "upscaled", "--note", "Topaz Proteus, recover detail 0"])
    assert "red_v001.mp4: full > upscaled" in result.output
    assert json.loads((tmp_path / "red_v001.history.json").read_text())["steps"][1]["note"] == "Topaz Proteus, recover detail 0"
