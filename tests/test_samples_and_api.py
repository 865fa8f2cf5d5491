"""otio_samples/ stays what the tool writes; the public API stays what we promise."""

from __future__ import annotations

from pathlib import Path

import aivp_nle
from aivp_nle.samples import SAMPLE_NAMES, write_samples

SAMPLES = Path(__file__).resolve().parent.parent / "otio_samples"


def test_otio_samples_are_current(tmp_path: Path) -> None:
    write_samples(tmp_path)
    for name in SAMPLE_NAMES:
        assert (SAMPLES / name).read_text() == (tmp_path / name).read_text(), f"run `aivp samples` to refresh {name}"


def test_the_public_api_is_pinned() -> None:
    assert sorted(aivp_nle.__all__) == sorted([
        "AivpError", "Angle", "BeatGrid", "BuildResult", "ConfigError", "ConformTarget", "CutSettings", "EditError",
        "FFmpeg", "GrainAsset", "GrainSettings", "MediaError", "MediaInfo", "NoBeatsError", "OutputExistsError",
        "Project", "ProjectConfig", "RateMismatchError", "Song", "ToolFailedError", "ToolNotFoundError",
        "__version__", "beatcut_files", "build_beatcut", "build_multicam", "build_project", "init_project",
        "load_timeline", "locate", "open_project", "plan_cuts", "probe", "render", "save_timeline", "track_beats",
    ])
    for name in aivp_nle.__all__:
        assert hasattr(aivp_nle, name)
