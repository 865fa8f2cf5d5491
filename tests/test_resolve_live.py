"""Against a real DaVinci Resolve Studio: opt-in, never in the default run.

    AIVP_RESOLVE_LIVE=1 .venv/bin/python -m pytest tests/test_resolve_live.py

Needs Resolve Studio running with Preferences > System > General > External scripting using =
Local, and an EMPTY project open (the test conforms it, imports a demo edit, adds markers and
queues renders it does not start). RESOLVE_SCRIPT_LIB may point at fusionscript.so/.dll.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aivp_nle.demo import run_demo
from aivp_nle.project import open_project
from aivp_nle.resolve.bridge import connect, run_plan
from aivp_nle.resolve.plan import ACTIONS
from aivp_nle.resolve.planner import plan_for_project

pytestmark = pytest.mark.skipif(not os.environ.get("AIVP_RESOLVE_LIVE"), reason="set AIVP_RESOLVE_LIVE=1 to run against a real Resolve")


def test_a_real_resolve_takes_the_whole_plan_and_every_step_verifies(tmp_path: Path) -> None:
    resolve = connect({})
    assert resolve is not None, "no Resolve answered: Studio running, external scripting set to Local?"
    demo = run_demo(tmp_path / "live demo", seconds=10)
    report = run_plan(resolve, plan_for_project(open_project(demo.project)).model_dump(mode="json"), list(ACTIONS))
    assert report.problems == [], report.text()
