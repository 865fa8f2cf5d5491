"""The flow runs one way: media in, analysis, edit builders, outputs. A lower layer never imports
a higher one, so a newcomer can read the house floor by floor."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "aivp_nle"
HIGHER = ("edit", "interchange", "render", "resolve", "pipeline", "lipsync_workflow", "timelines", "cli", "qc", "demo")
FLOORS = {  # module (or package folder) -> what it must not import
    "beats": HIGHER,
    "probe.py": HIGHER,
    "avprobe.py": HIGHER,
    "audio.py": HIGHER,
    "vocals.py": HIGHER,
    "chunks.py": HIGHER,
    "project.py": HIGHER,
    "grain_plate.py": HIGHER,
    "config.py": HIGHER,
    "files.py": HIGHER,
    "ffmpeg.py": HIGHER,
    "edit": ("interchange", "render", "resolve", "pipeline", "lipsync_workflow", "cli", "qc", "demo"),
}


def _imported(path: Path) -> set[str]:
    """The aivp_nle modules a file imports, at any depth, written relative to the package."""
    names: set[str] = set()
    inside = path.relative_to(PACKAGE).parts[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(inside[: len(inside) - node.level + 1])
            target = base + (node.module.split(".") if node.module else [])
            names.update([".".join(target)] if node.module else [".".join(base + [a.name]) for a in node.names])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("aivp_nle."):
            names.add(node.module.removeprefix("aivp_nle."))  # type: ignore[union-attr]
        elif isinstance(node, ast.Import):
            names.update(a.name.removeprefix("aivp_nle.") for a in node.names if a.name.startswith("aivp_nle."))
    return names


@pytest.mark.parametrize("floor", list(FLOORS))
def test_a_layer_never_imports_one_above_it(floor: str) -> None:
    files = sorted((PACKAGE / floor).rglob("*.py")) if (PACKAGE / floor).is_dir() else [PACKAGE / floor]
    wrong = {
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in files for name in _imported(path) if name.split(".")[0] in FLOORS[floor]
    }
    assert not wrong

