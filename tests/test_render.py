"""`aivp render`: the edit as a watchable file; every frame the right angle at the right moment."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from aivp_nle.audio import decode_mono
from aivp_nle.config import CutSettings
from aivp_nle.edit import meta
from aivp_nle.errors import OutputExistsError
from aivp_nle.ffmpeg import FFmpeg
from aivp_nle.pipeline import beatcut_files
from aivp_nle.probe import probe
from aivp_nle.render import render
from aivp_nle.timelines import load_timeline

from .conftest import SIZE, SONG_SECONDS, ProjectMaker, angle_on_screen, frame_code, read_frames

OFFSETS = {"green": 0.5, "blue": 0.25}


@pytest.fixture(scope="module")
def edit(angles: list[Path], song: Path, make: Callable[..., Path], ff: FFmpeg) -> otio.schema.Timeline:
    return beatcut_files(angles, song, CutSettings(every=2, min_shot=1.0, seed=7), grain=make("grain"), offsets=OFFSETS, ff=ff)


@pytest.fixture(scope="module")
def preview(edit: otio.schema.Timeline, tmp_path_factory: pytest.TempPathFactory, ff: FFmpeg) -> Path:
    return render(edit, tmp_path_factory.mktemp("render") / "preview.mp4", size=SIZE, ff=ff)


def _expected(edit: otio.schema.Timeline) -> list[tuple[str, int]]:
    """(angle, source frame counted from the file's first frame) for every record frame."""
    cut = next(t for t in edit.video_tracks() if meta.role_of(t) == meta.Role.CUT)
    frames = []
    for clip in cut:
        start = (clip.source_range.start_time - clip.media_reference.available_range.start_time).value
        frames += [(meta.get(clip)["angle"], int(start) + i) for i in range(int(clip.duration().value))]
    return frames


def test_every_frame_shows_the_planned_angle_at_its_source_frame(edit: otio.schema.Timeline, preview: Path, ff: FFmpeg) -> None:
    expected = _expected(edit)
    frames = read_frames(ff, preview)
    assert len(frames) == len(expected) == round(SONG_SECONDS * 24)
    seen = [(angle_on_screen(f), frame_code(f)) for f in frames]
    wrong = [(i, e, s) for i, (e, s) in enumerate(zip(expected, seen)) if e != s]
    assert not wrong, f"{len(wrong)} frames wrong, first: {wrong[:3]}"
    assert {angle for angle, _ in seen} == {"red", "green", "blue"}


def test_the_preview_lasts_exactly_the_edit_with_the_song_throughout(preview: Path, song: Path, ff: FFmpeg) -> None:
    info = probe(preview, ff)
    assert info.video is not None and info.video.frames == round(SONG_SECONDS * 24)
    assert info.audio and info.audio[0].duration == pytest.approx(SONG_SECONDS, abs=0.03)
    heard = decode_mono(preview, 8000, ff)
    original = decode_mono(song, 8000, ff)
    quarter = heard.size // 4
    for part in range(4):  # the song plays to the end, not silence
        chunk = heard[part * quarter : (part + 1) * quarter]
        assert np.sqrt(np.mean(chunk**2)) > 0.5 * np.sqrt(np.mean(original**2))


def test_only_the_song_is_heard_not_the_takes_own_audio(preview: Path, ff: FFmpeg) -> None:
    heard = decode_mono(preview, 16000, ff)
    spectrum = np.abs(np.fft.rfft(heard))
    hz = np.fft.rfftfreq(heard.size, 1 / 16000)
    take_tone = spectrum[(hz > 2990) & (hz < 3010)].max()
    assert take_tone < 0.05 * spectrum.max()


def test_the_grain_is_blended_over_the_picture_not_instead_of_it(preview: Path, ff: FFmpeg) -> None:
    frames = read_frames(ff, preview).astype(np.float64)
    patch = frames[:, 5:40, 5:40, :]
    assert patch.std(axis=(1, 2)).mean() > 1.0  # texture from the grain
    assert angle_on_screen(frames[0].astype(np.uint8)) in {"red", "green", "blue"}  # the colour survives


def test_a_multicam_renders_its_top_angle(angles: list[Path], song: Path, ff: FFmpeg, tmp_path: Path, edit: otio.schema.Timeline) -> None:
    multicam = edit.deepcopy()
    for track in list(multicam.tracks):
        if meta.role_of(track) in (meta.Role.CUT, meta.Role.GRAIN):
            multicam.tracks.remove(track)
        elif meta.role_of(track) == meta.Role.ANGLE:
            track.enabled = True
    out = render(multicam, tmp_path / "multicam.mp4", size=SIZE, ff=ff)
    frames = read_frames(ff, out)
    assert {angle_on_screen(f) for f in frames} == {"blue"}
    assert [frame_code(f) for f in frames[:3]] == [6, 7, 8]  # blue runs 0.25 s (6 frames) ahead


def test_render_refuses_to_overwrite_an_existing_file(edit: otio.schema.Timeline, tmp_path: Path, ff: FFmpeg) -> None:
    existing = tmp_path / "preview.mp4"
    existing.write_bytes(b"the user's file")
    with pytest.raises(OutputExistsError, match="--force"):
        render(edit, existing, size=(64, 36), ff=ff)
    assert existing.read_bytes() == b"the user's file"
    assert not list(tmp_path.glob(".aivp-tmp-*"))


@pytest.fixture(scope="module")
def vertical(tmp_path_factory: pytest.TempPathFactory, ff: FFmpeg) -> list[Path]:
    """Two 9:16 takes (the shape phones and some generators deliver) for a 16:9 edit."""
    from aivp_nle import synthetic as synth

    folder = tmp_path_factory.mktemp("vertical")
    return [synth.make_angle(folder / f"{c}.mp4", c, SONG_SECONDS + 1, 24, (54, 96), ff=ff) for c in ("red", "green")]


def _left_edge(project_root: Path, ff: FFmpeg, tmp_path: Path) -> np.ndarray:
    from aivp_nle.project import open_project

    project = open_project(project_root)
    edit = project.newest_edit()
    assert edit is not None
    frames = read_frames(ff, render(load_timeline(edit), tmp_path / "r.mp4", size=(160, 90), media_root=edit.parent, ff=ff), (160, 90))
    return frames[len(frames) // 2][:, :20].astype(float)  # the left ninth: bars, the picture, or its blurred copy


@pytest.mark.parametrize(("fit", "edge"), [("fill", "colour"), ("fit", "black"), ("blur", "colour")])
def test_a_vertical_take_fills_fits_or_sits_on_its_blur_as_the_project_says(
    fit: str, edge: str, vertical: list[Path], song: Path, tmp_path: Path, project_with_takes: ProjectMaker, ff: FFmpeg,
) -> None:
    from aivp_nle.pipeline import build_project

    project = project_with_takes(tmp_path / "mv", takes=vertical, config={"angles": {"red": {"fit": fit}, "green": {"fit": fit}}})
    result = build_project(project, ff)
    (said,) = [w for w in result.warnings if w.startswith("red is 54x96")]
    assert {"fill": "filled: cropped", "fit": "fitted whole, with black bars", "blur": "over a blurred copy"}[fit] in said
    left = _left_edge(project.root, ff, tmp_path)
    if edge == "black":
        assert left.mean() < 20
    else:
        colour = left.reshape(-1, 3).mean(axis=0)
        assert colour.max() > 150 and colour.max() - colour.min() > 100  # the take's own flat colour, no bar


def test_render_and_edit_qc_say_a_take_is_reshaped(vertical: list[Path], tmp_path: Path, project_with_takes: ProjectMaker, ff: FFmpeg) -> None:
    from click.testing import CliRunner

    from aivp_nle.cli import main
    from aivp_nle.pipeline import build_project

    project = project_with_takes(tmp_path / "mv", takes=vertical)
    edit = build_project(project, ff).beatcut
    rendered = CliRunner().invoke(main, ["render", str(edit), "-o", str(tmp_path / "r.mp4"), "--size", "160x90"])
    assert rendered.exit_code == 0 and "warning: red is 54x96 in a 3840x2160 edit: filled: cropped to its middle" in rendered.stderr
    checked = CliRunner().invoke(main, ["qc", str(edit)])
    assert "green is 54x96 in a 3840x2160 edit" in checked.output


def test_final_cut_is_told_how_each_take_fills_the_frame(vertical: list[Path], tmp_path: Path, project_with_takes: ProjectMaker, ff: FFmpeg) -> None:
    import xml.etree.ElementTree as ET

    from aivp_nle.interchange import export_edit
    from aivp_nle.pipeline import build_project

    project = project_with_takes(tmp_path / "mv", takes=vertical, config={"angles": {"green": {"fit": "fit"}}})
    result = build_project(project, ff)
    (path,) = export_edit(result.timeline, tmp_path / "edit.fcpxml", media_root=project.edit_dir)
    conform = {(c.get("name") or "")[:3]: c.find("adjust-conform").get("type")  # type: ignore[union-attr]
               for c in ET.parse(path).getroot().iter("asset-clip") if c.get("srcEnable") == "video"}
    assert conform == {"red": "fill", "gre": "fit"}
