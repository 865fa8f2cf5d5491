"""`aivp init` and aivp.toml: the handbook's layout, its defaults, and refusals that say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from aivp_nle.config import ProjectConfig, load_config
from aivp_nle.errors import ConfigError
from aivp_nle.project import FOLDERS, add_file, init_project, open_project


def test_init_makes_the_handbook_layout_and_project_file(tmp_path: Path) -> None:
    project = init_project(tmp_path / "mv")
    for folder in FOLDERS:
        assert (project.root / folder).is_dir()
    assert {"03_Generations/v1_exploration", "03_Generations/v2_selected", "03_Generations/v3_final"} <= set(FOLDERS)
    assert (project.root / "prompts.txt").is_file()
    config = load_config(project.root / "aivp.toml")
    assert config.conform.fps == 24 and (config.conform.width, config.conform.height) == (3840, 2160)
    assert config.conform.color == "Rec.709 Gamma 2.4"
    assert (config.grain.opacity, config.grain.blend) == (0.30, "overlay")


def test_init_on_a_used_folder_keeps_what_is_there(tmp_path: Path) -> None:
    root = tmp_path / "mv"
    init_project(root)
    (root / "prompts.txt").write_text("red_v001: woman in red dress\n")
    (root / "aivp.toml").write_text("[conform]\nfps = 30\n")
    project = init_project(root)
    assert (root / "prompts.txt").read_text() == "red_v001: woman in red dress\n"
    assert project.config.conform.fps == 30


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ("[conform]\nfps = 25\n", "conform.fps = 25 is refused (allowed: 24 or 30)"),
        ("[grain]\nopacity = 3.0\n", "grain.opacity = 3.0 is refused"),
        ("[grain]\nblend = 'multiply'\n", "grain.blend = 'multiply' is refused (allowed: 'overlay', 'soft_light' or 'screen')"),
        ("[cut]\nevrey = 4\n", "cut.evrey is not a setting we know"),
        ("[conform]\nstart_timecode = '1h'\n", "must be a timecode HH:MM:SS:FF"),
    ],
)
def test_a_bad_value_is_refused_naming_key_value_and_what_is_allowed(tmp_path: Path, toml: str, named: str) -> None:
    (tmp_path / "aivp.toml").write_text(toml)
    with pytest.raises(ConfigError) as refused:
        open_project(tmp_path)
    assert str(tmp_path / "aivp.toml") in str(refused.value)
    assert named in str(refused.value)


def test_a_folder_without_project_file_points_to_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="aivp init"):
        open_project(tmp_path)


def test_adding_a_take_twice_makes_a_new_version_and_never_overwrites(tmp_path: Path, angles: list[Path]) -> None:
    project = init_project(tmp_path / "mv", ProjectConfig())
    stage = project.stage_dir("v1_exploration")
    first = add_file(angles[0], stage, "red")
    second = add_file(angles[1], stage, "red")
    assert (first.name, second.name) == ("red_v001.mp4", "red_v002.mp4")
    assert first.read_bytes() == angles[0].read_bytes()
    assert not list(stage.glob(".aivp-tmp-*"))


def test_the_edit_uses_each_angles_newest_version_from_the_most_final_stage(tmp_path: Path, angles: list[Path]) -> None:
    project = init_project(tmp_path / "mv")
    explore, selected = project.stage_dir("v1_exploration"), project.stage_dir("v2_selected")
    add_file(angles[2], explore, "blue")
    for source in angles[:2]:
        add_file(source, selected, "red")
    add_file(angles[1], selected, "green")
    takes = project.latest_takes()
    assert [(t.angle, t.path.name) for t in takes] == [("green", "green_v001.mp4"), ("red", "red_v002.mp4")]


def test_with_several_audio_files_the_song_must_be_named(tmp_path: Path, song: Path) -> None:
    project = init_project(tmp_path / "mv")
    for name in ("song draft.wav", "song final.wav"):
        (project.audio_dir / name).write_bytes(song.read_bytes())
    with pytest.raises(ConfigError, match=r'\[audio\] song = "04_Audio/NAME"'):
        project.song()
