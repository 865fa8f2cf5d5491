"""Our exports opened in the programs they are for: Kdenlive and Shotcut load our projects and save
them back as they understood them, OpenShot imports our FCP7 XML with its own importer, pycmx reads
our EDL. The edit is interchange_edit's: cuts off whole seconds, angles ahead of the song, a
chunked angle, stems."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import opentimelineio as otio
import pytest

from aivp_nle.edit import meta

from . import interchange_checks as checks
from .real_editors import Opened

pytestmark = pytest.mark.real_editors


def _ours(edit: otio.schema.Timeline) -> dict[str, tuple[bool, list[tuple[int, int, str, int]]]]:
    return {t.name: (t.kind == otio.schema.TrackKind.Audio, checks.file_cuts(t)) for t in edit.tracks}


def _saved(opened: Opened | None, program: str) -> Opened:
    if opened is None:
        pytest.skip(f"{program} is not installed here (./setup installs it from Debian)")
    assert opened.dialogs == [], f"{opened.version} raised {opened.dialogs}"
    assert opened.saved is not None, f"{opened.version} did not save the project:\n{opened.log[-2000:]}"
    return opened


def test_kdenlive_opens_our_project_with_no_dialog_and_no_repair(kdenlive: Opened | None) -> None:
    opened = _saved(kdenlive, "Kdenlive")
    notes = ET.parse(opened.saved).getroot().findtext(".//playlist[@id='main_bin']/property[@name='kdenlive:documentnotes']")
    assert "Errors found" not in (notes or "")


@pytest.mark.parametrize("program", ["kdenlive", "shotcut"])
def test_the_editor_keeps_every_track_clip_and_cut_frame_for_frame(
    program: str, kdenlive: Opened | None, shotcut: Opened | None, edit: otio.schema.Timeline,
) -> None:
    opened = _saved({"kdenlive": kdenlive, "shotcut": shotcut}[program], program.capitalize())
    assert opened.saved is not None
    found = {t["name"]: (t["audio"], t["clips"]) for t in checks.mlt_tracks(opened.saved)}
    assert found == _ours(edit)


@pytest.mark.parametrize("program", ["kdenlive", "shotcut"])
def test_the_editor_keeps_the_grain_overlay_at_30_percent(program: str, kdenlive: Opened | None, shotcut: Opened | None) -> None:
    opened = _saved({"kdenlive": kdenlive, "shotcut": shotcut}[program], program.capitalize())
    assert opened.saved is not None
    blends = {t["name"]: t.get("blend") for t in checks.mlt_tracks(opened.saved) if t.get("blend")}
    assert blends == {"Grain": ("overlay", 0.3)}


@pytest.mark.parametrize("program", ["kdenlive", "shotcut"])
def test_what_the_editor_saved_plays_every_frame_right(
    program: str, kdenlive: Opened | None, shotcut: Opened | None, played: dict, expected_frames: list,
) -> None:
    _saved({"kdenlive": kdenlive, "shotcut": shotcut}[program], program.capitalize())
    seen, _ = played[f"saved by {program}"]
    wrong = [(i, e, s) for i, (e, s) in enumerate(zip(expected_frames, seen)) if e != s]
    assert len(seen) == len(expected_frames) and not wrong, f"{len(wrong)} wrong frames, first {wrong[:3]}"


def test_shotcut_opens_our_mlt_as_a_project_with_video_and_audio_tracks(shotcut: Opened | None, edit: otio.schema.Timeline) -> None:
    opened = _saved(shotcut, "Shotcut")
    assert opened.saved is not None
    doc = ET.parse(opened.saved).getroot()
    assert doc.get("title", "").startswith("Shotcut version")  # written by Shotcut, as a project
    tractor = list(doc.iter("tractor"))[-1]
    assert tractor.findtext("property[@name='shotcut']") == "1"
    kinds = {t["name"]: t["audio"] for t in checks.mlt_tracks(opened.saved)}
    assert kinds == {t.name: t.kind == otio.schema.TrackKind.Audio for t in edit.tracks}  # hidden angles stay video


def test_openshot_imports_our_fcp7_xml_with_every_cut_at_its_frame(openshot: dict | None, cut: otio.schema.Track) -> None:
    if openshot is None:
        pytest.skip("OpenShot is not installed here (./setup installs openshot-qt from Debian)")
    result = openshot["fcp7"]
    assert "error" not in result, result.get("error")
    layers = checks.openshot_cuts(result)
    assert checks.file_cuts(cut) in layers
    # OpenShot 2.6 takes <pathurl> as a plain path: it looks for "grain%20plate.mp4", a name no
    # folder holds, so the one file whose name needs percent-encoding stays out (8 tracks, 7 come in).
    assert len(layers) == 7 and "grain%20plate.mp4" in result["asked"]


def test_pycmx_reads_the_edls_picture_cuts_exactly(exports: dict, cut: otio.schema.Track) -> None:
    picture, _ = checks.pycmx_cuts(exports["edl"])
    assert picture == checks.cut_list(cut)


def test_kdenlive_and_shotcut_get_the_angles_hidden_and_the_mix_muted(kdenlive: Opened | None, shotcut: Opened | None,
                                                                    edit: otio.schema.Timeline) -> None:
    hidden = {t.name for t in edit.tracks if not t.enabled}
    for program, opened in (("Kdenlive", kdenlive), ("Shotcut", shotcut)):
        saved = _saved(opened, program).saved
        assert saved is not None
        assert {t["name"] for t in checks.mlt_tracks(saved) if t["hide"] == "both"} == hidden, program
    assert hidden == {t.name for t in edit.tracks if meta.role_of(t) in (meta.Role.ANGLE, meta.Role.SONG)}
