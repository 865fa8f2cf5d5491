"""Callbacks and task ids from anyone: they never send the key to another API path, and the
callback server stays small, quick to drop the idle and polite to the malformed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from aivp_nle.cli import main
from aivp_nle.errors import ConfigError
from aivp_nle.fetch import webhook
from aivp_nle.fetch.services import SERVICES, task_path
from aivp_nle.fetch.webhook import make_server

from .http_helpers import Route, Server, running

KEYS = {"LUMAAI_API_KEY": "luma-key", "KLING_ACCESS_KEY": "ak", "KLING_SECRET_KEY": "sk", "REPLICATE_API_TOKEN": "r-key"}


@contextmanager
def callbacks(api: Server, tmp_path: Path, service: str) -> Iterator[tuple[str, list[str]]]:
    """`aivp fetch serve` on a free port, its services' APIs at `api` (AIVP_<SERVICE>_API, as the command reads it)."""
    env = {**KEYS, f"AIVP_{service.upper()}_API": api.base, "AIVP_ALLOW_HTTP_HOSTS": "127.0.0.1"}
    lines: list[str] = []
    with httpx.Client(timeout=5) as client:
        server = make_server(0, tmp_path, client, env, lines.append)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/webhook/{service}", lines
        finally:
            server.shutdown()
            server.server_close()


@pytest.mark.parametrize("service", ["luma", "kling", "replicate"])
def test_a_forged_callback_id_never_sends_the_key_to_another_api_path(service: str, tmp_path: Path) -> None:
    forged = "../../v1/account?delete=1"
    body = {"kling": {"task_id": forged}}.get(service, {"id": forged})
    with running() as api, callbacks(api, tmp_path, service) as (url, lines):
        answer = httpx.post(url, json=body)
    assert answer.status_code == 400 and api.seen == []  # nothing was asked of the API, with or without the key
    assert any("is not a" in line for line in lines)


def test_a_task_id_of_the_wrong_shape_is_refused_before_any_request(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with running() as api:
        for name, value in {**KEYS, "AIVP_LUMA_API": api.base, "AIVP_ALLOW_HTTP_HOSTS": "127.0.0.1"}.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(main, ["fetch", "--service", "luma", "--task", "x/../../account", "--to", str(tmp_path)])
    assert result.exit_code == 1 and "is not a luma task id" in result.output and api.seen == []


def test_task_ids_go_into_urls_escaped_and_only_in_their_services_shape() -> None:
    assert task_path(SERVICES["veo"], "models/veo-3.0-generate-001/operations/abc123") == "/v1beta/models/veo-3.0-generate-001/operations/abc123"
    for service, bad in (("veo", "models/x/../../files"), ("runway", "a b"), ("replicate", "p9?x=1"), ("kling", "%2e%2e")):
        with pytest.raises(ConfigError, match="is not a"):
            task_path(SERVICES[service], bad)
    with pytest.raises(ConfigError, match="task kind"):
        task_path(SERVICES["kling"], "t1", "../account")


def test_a_callback_body_over_a_megabyte_is_refused_unread(tmp_path: Path) -> None:
    with running() as api, callbacks(api, tmp_path, "replicate") as (url, lines):
        host, port = url.split("//")[1].split("/")[0].split(":")
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            raw.sendall(b"POST /webhook/replicate HTTP/1.1\r\nHost: x\r\nContent-Length: 536870912\r\n\r\n" + b"x" * 1000)
            answer = raw.recv(200)
    assert answer.startswith(b"HTTP/1.0 413") or answer.startswith(b"HTTP/1.1 413")
    assert any("536870912 bytes" in line for line in lines)


@pytest.mark.parametrize("body", [b"{", b"[]", b'"id"', b"[" * 100_000 + b"]" * 100_000, b'{"id": 5}', b"\xff\xfe"])
def test_malformed_callbacks_get_a_4xx(body: bytes, tmp_path: Path) -> None:
    with running() as api, callbacks(api, tmp_path, "replicate") as (url, _):
        answer = httpx.post(url, content=body)
    assert 400 <= answer.status_code < 500 and api.seen == []


@pytest.mark.slow
def test_idle_connections_are_dropped_and_workers_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook, "IDLE", 3.0)
    with running() as api, callbacks(api, tmp_path, "replicate") as (url, _):
        host, port = url.split("//")[1].split("/")[0].split(":")
        idle = [socket.create_connection((host, int(port)), timeout=5) for _ in range(webhook.WORKERS)]
        deadline, busy = time.monotonic() + 2.5, 0
        while busy != 503 and time.monotonic() < deadline:  # once every worker holds a silent client
            busy = httpx.post(url, json={"id": "p1"}).status_code
        assert busy == 503
        time.sleep(3.0)  # the silent ones are dropped
        for connection in idle:  # each was closed by the server (after a 503, for any it could not take)
            while connection.recv(100):
                pass
            connection.close()
        api.routes["/v1/predictions/p1"] = Route(json_body=lambda: {"status": "processing"})
        later = httpx.post(url, json={"id": "p1"})
    assert later.status_code == 202
