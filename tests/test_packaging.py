"""What a user installs: the wheel holds every module and data file of the source tree, and the
command lists, finds and helps with every command without loading the library first."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from aivp_nle import __version__
from aivp_nle.cli import main
from aivp_nle.cli._common import listed_commands

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (built,) = out.glob("aivp_nle-*.whl")
    return built


def test_the_wheel_holds_every_module_and_data_file_of_the_source_tree(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "aivp_nle").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    scripts = {"aivp_nle/resolve_scripts/" + p.relative_to(ROOT / "resolve_scripts").as_posix()
               for p in (ROOT / "resolve_scripts").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    missing = sorted((sources | scripts) - names)
    assert not missing, f"the wheel lacks {missing}"
    assert "aivp_nle/py.typed" in names


def test_the_wheel_says_its_version_and_python(wheel: Path) -> None:
    metadata = next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith("METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert f"Version: {__version__}" in text and "Requires-Python: >=3.11" in text
    assert "Requires-Dist: imageio-ffmpeg" in text and "Requires-Dist: av" in text


def test_help_lists_every_command_as_its_own_help_says() -> None:
    listed = listed_commands()
    assert {"render", "export", "watch", "fetch", "doctor", "qc", "demo"} <= set(listed)
    ctx = click.Context(main)
    for name, entry in listed.items():
        command = main.get_command(ctx, name)
        assert command is not None, name
        assert entry.summary == command.get_short_help_str(300), name  # the list is the commands' own words


@pytest.mark.parametrize("name", sorted(listed_commands()))
def test_every_command_answers_dash_h(name: str) -> None:
    result = CliRunner().invoke(main, [name, "-h"])
    assert result.exit_code == 0 and result.output.startswith("Usage: ")


def test_the_command_list_does_not_load_the_library() -> None:
    code = "import sys; from aivp_nle.cli import main; main(['--help'], standalone_mode=False); " \
           "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'opentimelineio', 'pydantic', 'av')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]"
