"""One record per extension point, and every face reads it: a format, a service, a cut pattern
added in one place reaches the command line, the project file, the plugins and the callbacks."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import click
import httpx
import opentimelineio as otio
import pytest

from aivp_nle.cli import main
from aivp_nle.config import CutPattern, WatchSettings
from aivp_nle.edit.cuts import plan_cuts
from aivp_nle.fetch.jobs import Job
from aivp_nle.fetch.services import SERVICES
from aivp_nle.fetch.webhook import make_server
from aivp_nle.interchange import FORMATS

PLUGINS = Path(__file__).resolve().parents[1] / "aivp_nle" / "interchange" / "plugins"


def _choices(command: str, option: str) -> set[str]:
    ctx = click.Context(main)
    found = main.get_command(ctx, command.split()[0])
    for part in command.split()[1:]:
        found = found.get_command(ctx, part)  # type: ignore[union-attr]
    param = next(p for p in found.params if p.name == option)  # type: ignore[union-attr]
    return set(param.type.choices)  # type: ignore[attr-defined]


def test_export_offers_every_format() -> None:
    assert _choices("export", "to") == set(FORMATS)


def test_the_watch_folder_can_export_every_format_an_editor_opens() -> None:
    allowed = set(typing.get_args(typing.get_args(WatchSettings.model_fields["export"].annotation)[0]))
    assert allowed == set(FORMATS) - {"otio", "otioz"}  # the edit itself is OTIO already


def test_every_plugin_a_format_names_is_in_otios_manifest_and_loads() -> None:
    manifest = {a["name"] for a in json.loads((PLUGINS / "plugin_manifest.json").read_text())["adapters"]}
    assert manifest == {f.plugin for f in FORMATS.values() if f.plugin}
    active = {a.name for a in otio.plugins.ActiveManifest().adapters}
    assert manifest <= active


def test_every_format_writes_and_those_with_a_reader_say_which() -> None:
    for kind in FORMATS.values():
        assert (kind.write is None) != (kind.write_file is None), kind.name
        assert kind.reader is None or kind.reader in {"otio", "otioz"} | {a.name for a in otio.plugins.ActiveManifest().adapters}


def test_fetch_offers_every_service_and_jobs_take_them() -> None:
    assert _choices("fetch get", "service") == set(SERVICES)
    for name in SERVICES:
        assert Job(service=name, task="t1").service == name
    with pytest.raises(ValueError, match="must be one of"):
        Job(service="sora", task="t1")


@pytest.mark.parametrize("name", list(SERVICES))
def test_the_callback_server_has_a_door_for_every_service(name: str, tmp_path: Path) -> None:
    import threading

    with httpx.Client() as client:
        server = make_server(0, tmp_path, client, {}, lambda line: None)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/webhook/"
            assert httpx.post(url + name, content=b"{}").status_code == 400  # known: a body without a task id
            assert httpx.post(url + "nobody", content=b"{}").status_code == 404
        finally:
            server.shutdown()
            server.server_close()


def test_every_cut_pattern_of_the_project_file_is_offered_and_cuts() -> None:
    patterns = set(typing.get_args(CutPattern))
    assert _choices("beatcut", "pattern") == patterns
    beats = [i * 0.5 for i in range(64)]
    for pattern in patterns:
        plan = plan_cuts(beats, 24 * 32, 24.0, ["a", "b"], pattern=pattern, downbeats=beats[::4], energy=[1.0] * len(beats))
        assert plan.shots, pattern
