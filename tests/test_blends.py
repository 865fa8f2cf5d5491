"""The grain's blend reaches every output as set: `[grain] blend = "screen"` at 45 % is screen at 45 %
in the render, the Resolve plan, FCPXML, FCP7 XML, MLT, Kdenlive and Resolve-shaped OTIO."""

from __future__ import annotations

import typing
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import opentimelineio as otio
import pytest

from aivp_nle.config import BlendMode
from aivp_nle.edit.blends import BLENDS
from aivp_nle.ffmpeg import FFmpeg
from aivp_nle.interchange import export_edit
from aivp_nle.pipeline import build_project
from aivp_nle.project import Project
from aivp_nle.render import render
from aivp_nle.resolve.plan import ImportStep
from aivp_nle.resolve.planner import plan_for_project

from .conftest import ProjectMaker, read_frames


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory, project_with_takes: ProjectMaker, make: Callable[..., Path], ff: FFmpeg) -> Project:
    settings = {"conform": {"width": 160, "height": 90}, "grain": {"asset": "06_Edit/grain.mp4", "blend": "screen", "opacity": 0.45}}
    project = project_with_takes(tmp_path_factory.mktemp("blend") / "mv", config=settings, grain=make("grain"))
    build_project(project, ff)
    return project


@pytest.fixture(scope="module")
def edit(screened: Project) -> otio.schema.Timeline:
    path = screened.newest_edit()
    assert path is not None
    return otio.adapters.read_from_file(str(path))


def _export(edit: otio.schema.Timeline, project: Project, tmp_path: Path, suffix: str, to: str | None = None) -> Path:
    (path,) = export_edit(edit, tmp_path / f"edit{suffix}", to=to, media_root=project.edit_dir)
    return path


def test_every_blend_we_accept_has_a_name_in_every_output() -> None:
    assert set(typing.get_args(BlendMode)) == set(BLENDS)


def test_the_render_screens_the_grain_over_the_picture(edit: otio.schema.Timeline, screened: Project, tmp_path: Path, ff: FFmpeg) -> None:
    plain = edit.deepcopy()
    for track in plain.video_tracks():
        if track.name == "Grain":
            track.enabled = False
    frames = [read_frames(ff, render(e, tmp_path / f"{n}.mp4", media_root=screened.edit_dir, size=(160, 90), ff=ff))[10, 5:40, 5:40].mean()
              for n, e in (("plain", plain), ("screened", edit))]
    assert frames[1] > frames[0] + 15  # screen with mid-grey at 45 % lifts every pixel; overlay would leave it


def test_the_resolve_plan_asks_for_screen(screened: Project) -> None:
    step = next(s for s in plan_for_project(screened).steps if isinstance(s, ImportStep))
    assert step.grain is not None
    assert (step.grain.composite_mode, step.grain.composite_fallback, step.grain.opacity) == ("COMPOSITE_SCREEN", 5, 45.0)


def test_fcpxml_and_fcp7_say_screen(edit: otio.schema.Timeline, screened: Project, tmp_path: Path) -> None:
    fcpxml = ET.parse(_export(edit, screened, tmp_path, ".fcpxml")).getroot()
    assert {(b.get("mode"), b.get("amount")) for b in fcpxml.iter("adjust-blend")} == {("10 (Screen)", "0.45")}
    fcp7 = ET.parse(_export(edit, screened, tmp_path, ".xml")).getroot()
    assert {c.text for c in fcp7.iter("compositemode")} == {"screen"}
    assert {v.text for v in fcp7.iter("value") if v.text == "45"} == {"45"}


@pytest.mark.parametrize("suffix", [".mlt", ".kdenlive"])
def test_mlt_and_kdenlive_blend_with_screen(suffix: str, edit: otio.schema.Timeline, screened: Project, tmp_path: Path) -> None:
    doc = ET.parse(_export(edit, screened, tmp_path, suffix)).getroot()
    blends = [{p.get("name"): p.text for p in t.findall("property")} for t in doc.iter("transition")]
    grain = [b for b in blends if b.get("mlt_service") == "frei0r.cairoblend" and b.get("1") != "normal"]
    assert [(b["1"], b["0"]) for b in grain] == [("screen", "0.45")]


def test_resolve_shaped_otio_says_screen(edit: otio.schema.Timeline, screened: Project, tmp_path: Path) -> None:
    shaped = otio.adapters.read_from_file(str(_export(edit, screened, tmp_path, ".otio", "resolve")))
    values = {(p["Parameter ID"], p["Parameter Value"]) for c in shaped.find_clips() for e in c.effects
              for p in e.metadata["Resolve_OTIO"]["Parameters"]}
    assert values == {("composite mode", 5), ("opacity", 45.0)}


def test_only_edit_meta_reads_our_metadata_dictionary() -> None:
    package = Path(__file__).resolve().parents[1] / "aivp_nle"
    readers = [p.relative_to(package).as_posix() for p in package.rglob("*.py")
               if p.name != "meta.py" and any(s in p.read_text() for s in ("meta.get(", "meta.put(", '"aivp"]', 'get("aivp"'))]
    assert readers == []
