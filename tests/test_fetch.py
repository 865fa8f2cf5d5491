"""Downloads against real servers on 127.0.0.1 that cut, drip, stall, redirect and lie."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import httpx
import pytest

from aivp_nle.fetch import download as download_module
from aivp_nle.fetch.download import DiskFullError, DownloadError, DownloadPolicy, download

from .http_helpers import Route, running, sha

DATA = os.urandom(300_000)
LOCAL = frozenset({"127.0.0.1", "localhost"})


def _policy(**changes: object) -> DownloadPolicy:
    return DownloadPolicy(insecure_hosts=LOCAL, backoff=0.01, **changes)  # type: ignore[arg-type]


@pytest.fixture
def client() -> httpx.Client:
    with httpx.Client(timeout=5.0) as c:
        yield c


def _nothing_published(folder: Path) -> bool:
    return not list(folder.iterdir())


def test_a_body_cut_half_way_resumes_from_the_right_byte(client: httpx.Client, tmp_path: Path) -> None:
    with running() as server:
        server.routes["/take.mp4"] = Route(data=DATA, cut_first=1)
        done = download(client, server.url("/take.mp4"), tmp_path / "take.mp4", _policy())
        ranges = [s.headers.get("range") for s in server.seen]
    assert done.sha256 == sha(DATA) and (tmp_path / "take.mp4").read_bytes() == DATA
    assert ranges[0] is None and ranges[1] is not None and int(ranges[1][6:-1]) > 0 and done.attempts == 2


def test_a_dripping_server_meets_the_deadline_and_nothing_is_published(client: httpx.Client, tmp_path: Path) -> None:
    with running() as server:
        server.routes["/slow.mp4"] = Route(data=DATA[:400], drip=0.02)
        with pytest.raises(DownloadError, match="deadline"):
            download(client, server.url("/slow.mp4"), tmp_path / "slow.mp4", _policy(deadline=1.0))
    assert _nothing_published(tmp_path)


def test_503_with_retry_after_is_honoured_then_the_file_comes(client: httpx.Client, tmp_path: Path) -> None:
    waits: list[float] = []
    with running() as server:
        server.routes["/busy.mp4"] = Route(data=DATA, busy_first=2)
        done = download(client, server.url("/busy.mp4"), tmp_path / "busy.mp4", _policy(), sleep=waits.append)
    assert waits == [1.0, 1.0] and done.sha256 == sha(DATA)


def test_every_retry_says_what_failed_and_how_long_it_waits(client: httpx.Client, tmp_path: Path) -> None:
    said: list[str] = []
    with running() as server:
        server.routes["/busy.mp4"] = Route(data=DATA, busy_first=2)
        download(client, server.url("/busy.mp4"), tmp_path / "busy.mp4", _policy(), sleep=lambda _: None, on_retry=said.append)
    assert len(said) == 2 and all("503" in line and "trying again in 1 s" in line for line in said), said
    assert "try 2 of 8" in said[0] and "try 3 of 8" in said[1]


def test_a_server_ignoring_range_restarts_the_file_cleanly(client: httpx.Client, tmp_path: Path) -> None:
    with running() as server:
        server.routes["/norange.mp4"] = Route(data=DATA, cut_first=1, ignore_range=True)
        done = download(client, server.url("/norange.mp4"), tmp_path / "norange.mp4", _policy())
    assert (tmp_path / "norange.mp4").read_bytes() == DATA and done.attempts == 2


def test_a_changed_etag_between_tries_restarts_with_the_new_file(client: httpx.Client, tmp_path: Path) -> None:
    second = os.urandom(250_000)
    with running() as server:
        server.routes["/changed.mp4"] = Route(cut_first=1, etags=['"a"', '"b"'], versions=[DATA, second])
        download(client, server.url("/changed.mp4"), tmp_path / "changed.mp4", _policy())
    assert (tmp_path / "changed.mp4").read_bytes() == second  # never half of one and half of the other


def test_a_wrong_length_is_refused_and_nothing_published(client: httpx.Client, tmp_path: Path) -> None:
    with running() as server:
        server.routes["/short.mp4"] = Route(data=DATA, declared_length=len(DATA) + 1000)
        with pytest.raises(DownloadError):
            download(client, server.url("/short.mp4"), tmp_path / "short.mp4", _policy(attempts=3))
    assert _nothing_published(tmp_path)


def test_a_wrong_checksum_is_refused_and_nothing_published(client: httpx.Client, tmp_path: Path) -> None:
    with running() as server:
        server.routes["/take.mp4"] = Route(data=DATA)
        with pytest.raises(DownloadError, match="checksum"):
            download(client, server.url("/take.mp4"), tmp_path / "take.mp4", _policy(), sha256=sha(b"something else"))
    assert _nothing_published(tmp_path)


def test_the_servers_file_name_is_never_used_as_a_path(client: httpx.Client, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with running() as server:
        server.routes["/x"] = Route(data=DATA, disposition='attachment; filename="../../x.mp4"')
        done = download(client, server.url("/x"), inbox / "ours.mp4", _policy())
    assert done.path == inbox / "ours.mp4" and not (tmp_path / "x.mp4").exists() and not Path("/x.mp4").exists()
    assert json.loads((inbox / "ours.mp4.json").read_text())["original_name"] == "../../x.mp4"


def test_a_redirect_to_another_host_does_not_carry_the_key(client: httpx.Client, tmp_path: Path) -> None:
    with running() as api, running() as storage:
        storage.routes["/file.mp4"] = Route(data=DATA)
        api.routes["/file.mp4"] = Route(redirect=storage.url("/file.mp4").replace("127.0.0.1", "localhost"))
        download(client, api.url("/file.mp4"), tmp_path / "f.mp4", _policy(),
                 headers={"Authorization": "Bearer secret", "x-goog-api-key": "secret"})
        assert api.seen[0].headers["authorization"] == "Bearer secret"
        assert "authorization" not in storage.seen[0].headers and "x-goog-api-key" not in storage.seen[0].headers


def test_plain_http_is_refused_unless_the_host_is_allowed(client: httpx.Client, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="only https"):
        download(client, "http://example.com/take.mp4", tmp_path / "t.mp4")


def test_a_file_over_the_size_limit_is_stopped(client: httpx.Client, tmp_path: Path) -> None:
    with running() as server:
        server.routes["/big.mp4"] = Route(data=DATA)
        with pytest.raises(DownloadError, match="allowed"):
            download(client, server.url("/big.mp4"), tmp_path / "big.mp4", _policy(max_bytes=1000))
    assert _nothing_published(tmp_path)


def test_a_full_disk_removes_the_partial_file(client: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(download_module.os, "fsync", full)
    with running() as server:
        server.routes["/take.mp4"] = Route(data=DATA)
        with pytest.raises(DiskFullError, match="partial download was removed"):
            download(client, server.url("/take.mp4"), tmp_path / "take.mp4", _policy(durable=True))
    assert _nothing_published(tmp_path)
