"""Edits and bundles from anywhere: a project folder named like a URL, .otioz bundles that are
bombs or point outside, .otio files that would crash OTIO's reader."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import opentimelineio as otio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aivp_nle.edit.clips import media_path
from aivp_nle.errors import AivpError, ConfigError
from aivp_nle.ffmpeg import FFmpeg
from aivp_nle.interchange import FORMATS, export_edit, import_edit
from aivp_nle.pipeline import build_project
from aivp_nle.project import Project
from aivp_nle.render import render
from aivp_nle.timelines import load_timeline, save_timeline

from . import interchange_checks as checks
from .conftest import angle_on_screen, frame_code, read_frames
from .interchange_edit import make_project

URLISH = "MV #2 ?take=1 100%25 é"  # every character a URL gives a meaning to


@pytest.fixture(scope="module")
def urlish(tmp_path_factory: pytest.TempPathFactory, ff: FFmpeg) -> Project:
    return make_project(tmp_path_factory.mktemp("urlish"), ff, URLISH)


@pytest.fixture(scope="module")
def urlish_edit(urlish: Project, ff: FFmpeg) -> otio.schema.Timeline:
    return build_project(urlish, ff).timeline


def _online(timeline: otio.schema.Timeline, root: Path) -> bool:
    return all(media_path(c, root).is_file() for c in timeline.find_clips())


@pytest.mark.parametrize("name", [n for n, f in FORMATS.items() if f.readable and n != "fcpxml"])
def test_a_project_folder_named_like_a_url_exports_and_reads_back_online(
    name: str, urlish: Project, urlish_edit: otio.schema.Timeline, tmp_path: Path,
) -> None:
    (path,) = export_edit(urlish_edit, tmp_path / f"edit #1{FORMATS[name].suffix}", to=name, media_root=urlish.edit_dir)
    back = import_edit(path, extract_to=tmp_path / "unpacked #1" if name == "otioz" else None)
    assert _online(back, urlish.edit_dir), [c.media_reference.target_url for c in back.find_clips()][:2]


def test_fcpxml_of_such_a_project_names_its_media_as_encoded_urls(urlish: Project, urlish_edit: otio.schema.Timeline, tmp_path: Path) -> None:
    (path,) = export_edit(urlish_edit, tmp_path / "edit.fcpxml", media_root=urlish.edit_dir)
    assert "MV%20%232%20%3Ftake%3D1%20100%2525%20%C3%A9" in path.read_text()


@pytest.mark.parametrize("name", ["mlt", "kdenlive", "render"])
def test_such_a_project_plays_every_frame_right(
    name: str, urlish: Project, urlish_edit: otio.schema.Timeline, tmp_path: Path, ff: FFmpeg,
) -> None:
    if name == "render":
        played = read_frames(ff, render(urlish_edit, tmp_path / "r.mp4", media_root=urlish.edit_dir, size=(160, 90), ff=ff))
        seen = [(angle_on_screen(f), frame_code(f)) for f in played]
    else:
        (path,) = export_edit(urlish_edit, tmp_path / f"edit{FORMATS[name].suffix}", media_root=urlish.edit_dir)
        seen, _ = checks.play_in_melt(path, tmp_path / "played.mp4", ff, round(urlish_edit.duration().value))
    assert seen[:3] == [("green", 12), ("green", 13), ("green", 14)] and len(seen) == round(urlish_edit.duration().value)


def test_an_otioz_import_relinks_every_clip_to_the_unpacked_media(urlish: Project, urlish_edit: otio.schema.Timeline, tmp_path: Path) -> None:
    (bundle,) = export_edit(urlish_edit, tmp_path / "moved.otioz", media_root=urlish.edit_dir)
    back = import_edit(bundle, extract_to=tmp_path / "elsewhere")
    paths = {media_path(c, tmp_path) for c in back.find_clips()}
    assert paths and all(p.is_file() and p.is_relative_to(tmp_path / "elsewhere") for p in paths)


def test_an_otioz_export_says_how_much_it_packs_before_it_starts(urlish: Project, urlish_edit: otio.schema.Timeline, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from aivp_nle.cli import main

    edit = save_timeline(urlish_edit, urlish.edit_dir / "packed.otio", replace=True)
    result = CliRunner().invoke(main, ["export", str(edit), "-o", str(tmp_path / "packed.otioz")])
    assert result.exit_code == 0, result.output
    assert "packing" in result.stderr and "media file(s)" in result.stderr and "GB, into packed.otioz" in result.stderr


def test_an_otioz_export_refuses_media_outside_the_project_and_says_which(
    urlish: Project, urlish_edit: otio.schema.Timeline, tmp_path: Path,
) -> None:
    leaky = urlish_edit.deepcopy()
    leaky.find_clips()[0].media_reference.target_url = "file:///etc/passwd"
    with pytest.raises(ConfigError, match="refused to bundle /etc/passwd: outside the project"):
        export_edit(leaky, tmp_path / "leaky.otioz", media_root=urlish.edit_dir)
    assert not (tmp_path / "leaky.otioz").exists()


def _bundle(path: Path, entries: dict[str, bytes], deflate: bool = True) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("content.otio", otio.adapters.write_to_string(otio.schema.Timeline(), "otio_json"))
        for name, data in entries.items():
            bundle.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED)
    return path


def test_a_zip_bomb_otioz_is_refused_before_anything_is_unpacked(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.otioz"
    with zipfile.ZipFile(bomb, "w") as bundle:
        bundle.writestr("content.otio", "{}")
        packed = zipfile.ZipInfo("media/zeros.mp4")
        packed.compress_type = zipfile.ZIP_DEFLATED
        with bundle.open(packed, "w", force_zip64=True) as member:  # 256 MiB of zeros, deflated to 250 kB
            for _ in range(256):
                member.write(bytes(1024 * 1024))
    assert bomb.stat().st_size < 2_000_000
    with pytest.raises(AivpError, match="zip bomb"):
        import_edit(bomb, extract_to=tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("entries", [{f"media/{i}.txt": b"x" for i in range(10_001)}, {"../outside.mp4": b"x"}, {"/etc/evil": b"x"}])
def test_an_otioz_with_absurd_or_escaping_entries_is_refused(entries: dict[str, bytes], tmp_path: Path) -> None:
    with pytest.raises(AivpError):
        import_edit(_bundle(tmp_path / "odd.otioz", entries), extract_to=tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "outside.mp4").exists()


def test_an_otio_nested_100000_deep_is_refused_not_a_crash(tmp_path: Path) -> None:
    deep = tmp_path / "deep.otio"
    deep.write_text('{"OTIO_SCHEMA": "Timeline.1", "metadata": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}")
    with pytest.raises(ConfigError, match="nested deeper"):
        load_timeline(deep)
    with pytest.raises(ConfigError, match="nested deeper"):
        import_edit(deep)


@pytest.mark.parametrize("rate, value", [(float("nan"), 10.0), (0.0, 10.0), (24.0, float("inf")), (24.0, 1e15), (24.0, -5.0)])
def test_times_that_are_not_times_are_refused(rate: float, value: float, urlish_edit: otio.schema.Timeline, tmp_path: Path) -> None:
    edit = urlish_edit.deepcopy()
    clip = edit.video_tracks()[0].find_clips()[0]
    clip.source_range = otio.opentime.TimeRange(otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(value, rate))
    path = tmp_path / "odd.otio"
    path.write_text(otio.adapters.write_to_string(edit, "otio_json").replace("NaN", "NaN"))
    with pytest.raises(ConfigError, match="not a time"):
        load_timeline(path)


def test_our_own_edits_still_load(urlish_edit: otio.schema.Timeline, tmp_path: Path) -> None:
    assert json.loads(save_timeline(urlish_edit, tmp_path / "ok.otio").read_text())["OTIO_SCHEMA"].startswith("Timeline")
    assert load_timeline(tmp_path / "ok.otio").name == urlish_edit.name


@pytest.mark.parametrize("text", ['""', "42", "[]", '{"a": 1}'])
def test_json_that_is_not_a_timeline_is_refused_on_import(text: str, tmp_path: Path) -> None:
    (tmp_path / "bare.otio").write_text(text)
    with pytest.raises(AivpError, match="bare.otio"):
        import_edit(tmp_path / "bare.otio")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4000) | st.text(max_size=2000).map(str.encode),
       suffix=st.sampled_from([".otio", ".otioz", ".fcpxml", ".xml", ".edl", ".aaf"]))
def test_random_bytes_given_to_import_are_refused_in_a_sentence(data: bytes, suffix: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / f"random{suffix}"
    path.write_bytes(data)
    try:
        import_edit(path, extract_to=folder / "out")
    except AivpError as error:
        assert str(error).startswith(str(path)) or "random" in str(error)
