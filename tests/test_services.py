"""Fake service APIs (local servers answering in each service's documented JSON) drive the pollers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from aivp_nle.cli import main
from aivp_nle.fetch.download import DownloadPolicy
from aivp_nle.fetch.services import api_key, configured, kling_token
from aivp_nle.fetch.tasks import TaskFailed, fetch_task
from aivp_nle.fetch.webhook import make_server, replicate_signature_ok
from aivp_nle.ingest.sidecar import TakeSidecar, sidecar_path
from aivp_nle.ingest.watcher import Watcher
from aivp_nle.project import init_project

from .http_helpers import Route, Server, running

KEYS = {
    "RUNWAYML_API_SECRET": "rw-key", "LUMAAI_API_KEY": "luma-key", "KLING_ACCESS_KEY": "ak", "KLING_SECRET_KEY": "sk",
    "GEMINI_API_KEY": "g-key", "REPLICATE_API_TOKEN": "r-key",
}
POLICY = DownloadPolicy(insecure_hosts=frozenset({"127.0.0.1"}), backoff=0.01)


def _sequence(*answers: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """Answers in turn, the last one repeated: a task that progresses as it is polled."""
    calls = iter(answers)
    last: list[dict[str, Any]] = []

    def answer() -> dict[str, Any]:
        try:
            last[:] = [next(calls)]
        except StopIteration:
            pass
        return last[0]

    return answer


def _fetch(server: Server, name: str, task: str, inbox: Path, kind: str = "") -> Any:
    env = {**KEYS, f"AIVP_{name.upper()}_API": server.base}
    service = configured(name, env)
    policy = DownloadPolicy(allowed_hosts=service.hosts, insecure_hosts=POLICY.insecure_hosts, backoff=0.01)
    with httpx.Client(timeout=5) as client:
        return fetch_task(client, service, task, api_key(service, env), inbox, kind=kind, policy=policy, interval=0, timeout=5, sleep=lambda s: None)


@pytest.fixture(scope="module")
def video(angles: list[Path]) -> bytes:
    return angles[0].read_bytes()


def test_runway_pending_then_succeeded_downloads_with_prompt_and_seed(tmp_path: Path, video: bytes) -> None:
    with running() as server:
        server.routes["/out.mp4"] = Route(data=video)
        server.routes["/v1/tasks/t1"] = Route(json_body=_sequence(
            {"status": "PENDING"}, {"status": "RUNNING"},
            {"status": "SUCCEEDED", "output": [server.url("/out.mp4")], "model": "gen4_turbo", "options": {"promptText": "neon alley", "seed": 7}},
        ))
        fetched = _fetch(server, "runway", "t1", tmp_path)
        poll_headers = server.seen[0].headers
    (path,) = fetched.files
    assert path.name == "runway_t1_1.mp4" and path.read_bytes() == video
    meta = json.loads((tmp_path / "runway_t1_1.mp4.json").read_text())
    assert (meta["service"], meta["task_id"], meta["prompt"], meta["seed"], meta["model"]) == ("runway", "t1", "neon alley", 7, "gen4_turbo")
    assert poll_headers["authorization"] == "Bearer rw-key" and poll_headers["x-runway-version"] == "2024-11-06"
    assert server.counts["/v1/tasks/t1"] == 3


def test_luma_completed_gives_its_video(tmp_path: Path, video: bytes) -> None:
    with running() as server:
        server.routes["/v.mp4"] = Route(data=video)
        server.routes["/dream-machine/v1/generations/g1"] = Route(json_body=_sequence(
            {"state": "dreaming"}, {"state": "completed", "assets": {"video": server.url("/v.mp4")}, "request": {"prompt": "rooftop", "model": "ray-2"}},
        ))
        fetched = _fetch(server, "luma", "g1", tmp_path)
    assert [p.name for p in fetched.files] == ["luma_g1_1.mp4"]


def test_kling_signs_its_key_as_a_jwt_and_reports_the_duration(tmp_path: Path, video: bytes) -> None:
    with running() as server:
        server.routes["/k.mp4"] = Route(data=video)
        server.routes["/v1/videos/image2video/k1"] = Route(json_body=lambda: {"code": 0, "data": {
            "task_status": "succeed", "task_result": {"videos": [{"url": server.url("/k.mp4"), "duration": "13.0"}]}}})
        _fetch(server, "kling", "k1", tmp_path, "image2video")
        token = server.seen[0].headers["authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    expected = base64.urlsafe_b64encode(hmac.new(b"sk", f"{header}.{payload}".encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    assert signature == expected and claims["iss"] == "ak" and claims["exp"] > time.time()
    assert json.loads((tmp_path / "kling_k1_1.mp4.json").read_text())["expected_duration"] == 13.0
    assert kling_token("ak", "sk", now=0).count(".") == 2


def test_veo_downloads_with_its_key_from_its_own_host(tmp_path: Path, video: bytes) -> None:
    with running() as server:
        server.routes["/files/v.mp4"] = Route(data=video)
        server.routes["/v1beta/models/veo-3/operations/op1"] = Route(json_body=lambda: {"done": True, "response": {
            "generateVideoResponse": {"generatedSamples": [{"video": {"uri": server.url("/files/v.mp4")}}]}}})
        _fetch(server, "veo", "models/veo-3/operations/op1", tmp_path)
        download_headers = server.seen[-1].headers
    assert download_headers["x-goog-api-key"] == "g-key"
    assert (tmp_path / "veo_op1_1.mp4").read_bytes() == video


def test_veo_done_without_a_video_is_reported_as_filtered(tmp_path: Path) -> None:
    with running() as server:
        server.routes["/v1beta/models/veo-3/operations/op2"] = Route(json_body=lambda: {"done": True, "response": {"generateVideoResponse": {
            "raiMediaFilteredReasons": ["The prompt could not be submitted."]}}})
        with pytest.raises(TaskFailed, match="filtered by the service's safety checks: The prompt could not") as failure:
            _fetch(server, "veo", "models/veo-3/operations/op2", tmp_path)
    assert failure.value.status == "failed" and not list(tmp_path.iterdir())


def test_replicate_failed_is_reported_plainly_and_not_retried(tmp_path: Path) -> None:
    with running() as server:
        server.routes["/v1/predictions/p1"] = Route(json_body=lambda: {"status": "failed", "error": "CUDA out of memory"})
        with pytest.raises(TaskFailed, match="replicate task p1 failed: CUDA out of memory"):
            _fetch(server, "replicate", "p1", tmp_path)
        assert server.counts["/v1/predictions/p1"] == 1


def test_an_expired_task_says_how_long_the_service_keeps_outputs(tmp_path: Path) -> None:
    with running() as server:
        with pytest.raises(TaskFailed, match="no longer has task gone.*keeps outputs 1 hour") as failure:
            _fetch(server, "replicate", "gone", tmp_path)
    assert failure.value.status == "expired"


def test_a_missing_key_says_which_variable_to_set() -> None:
    with pytest.raises(Exception, match="set REPLICATE_API_TOKEN"):
        api_key(configured("replicate", {}), {})


def test_jobs_are_fetched_once_and_failures_reported_once(tmp_path: Path, video: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    project = init_project(tmp_path / "mv")
    with running() as server:
        server.routes["/r.mp4"] = Route(data=video)
        server.routes["/v1/predictions/ok"] = Route(json_body=lambda: {"status": "succeeded", "output": [server.url("/r.mp4")], "input": {"prompt": "x"}})
        server.routes["/v1/predictions/bad"] = Route(json_body=lambda: {"status": "failed", "error": "nsfw"})
        server.routes["/v1/predictions/later"] = Route(json_body=lambda: {"status": "processing"})
        (project.root / "jobs.toml").write_text(
            '[[job]]\nservice = "replicate"\ntask = "ok"\n\n[[job]]\nservice = "replicate"\ntask = "bad"\n\n[[job]]\nservice = "replicate"\ntask = "later"\n'
        )
        env = {**KEYS, "AIVP_REPLICATE_API": server.base, "AIVP_ALLOW_HTTP_HOSTS": "127.0.0.1"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        first = CliRunner().invoke(main, ["fetch", "jobs", str(project.root)])
        second = CliRunner().invoke(main, ["fetch", "jobs", str(project.root)])
    assert "replicate ok: fetched: replicate_ok_1.mp4" in first.output, first.output
    assert "replicate bad: failed: replicate task bad failed: nsfw" in first.output
    assert "replicate later: pending" in first.output
    assert "replicate ok: done earlier" in second.output and "replicate bad: done earlier" in second.output
    assert "replicate later: pending" in second.output


def _sign(secret: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    return "v1," + base64.b64encode(hmac.new(secret, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()).decode()


def test_replicate_signatures_are_checked() -> None:
    secret = b"0123456789abcdef"
    whsec = "whsec_" + base64.b64encode(secret).decode()
    body, now = b'{"id": "p9"}', int(time.time())
    good = {"webhook-id": "msg_1", "webhook-timestamp": str(now), "webhook-signature": _sign(secret, "msg_1", now, body)}
    assert replicate_signature_ok(good, body, whsec)
    assert not replicate_signature_ok(good, b'{"id": "forged"}', whsec)
    assert not replicate_signature_ok({**good, "webhook-timestamp": str(now - 3600), "webhook-signature": _sign(secret, "msg_1", now - 3600, body)}, body, whsec)


def test_a_webhook_rereads_the_task_fetches_once_and_refuses_bad_signatures(tmp_path: Path, video: bytes) -> None:
    secret = b"0123456789abcdef"
    with running() as api:
        api.routes["/r.mp4"] = Route(data=video)
        api.routes["/v1/predictions/p9"] = Route(json_body=lambda: {"status": "succeeded", "output": api.url("/r.mp4")})
        env = {**KEYS, "AIVP_REPLICATE_API": api.base, "REPLICATE_WEBHOOK_SECRET": "whsec_" + base64.b64encode(secret).decode()}
        services = {"replicate": configured("replicate", env)}
        lines: list[str] = []
        env["AIVP_ALLOW_HTTP_HOSTS"] = "127.0.0.1"
        with httpx.Client(timeout=5) as client:
            server = make_server(0, tmp_path, client, env, lines.append, services)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            url = f"http://127.0.0.1:{server.server_address[1]}/webhook/replicate"
            body, now = b'{"id": "p9", "status": "succeeded", "output": "https://evil.example/x.mp4"}', int(time.time())
            signed = {"webhook-id": "m1", "webhook-timestamp": str(now), "webhook-signature": _sign(secret, "m1", now, body)}
            bad = httpx.post(url, content=body, headers={**signed, "webhook-signature": "v1,AAAA"})
            first = httpx.post(url, content=body, headers=signed)
            again = httpx.post(url, content=body, headers=signed)
            server.shutdown()
            server.server_close()
    assert bad.status_code == 401 and first.status_code == 200 and again.text == "already fetched"
    assert (tmp_path / "replicate_p9_1.mp4").read_bytes() == video  # from the API's answer, not the callback's URL


def test_a_fetched_take_is_filed_by_the_watch_folder_with_its_prompt(tmp_path: Path, video: bytes) -> None:
    project = init_project(tmp_path / "mv")
    (project.root / "aivp.toml").write_text("[watch]\nrebuild = false\n")
    inbox = project.root / "inbox"
    with running() as server:
        server.routes["/out.mp4"] = Route(data=video)
        server.routes["/v1/tasks/t7"] = Route(json_body=lambda: {"status": "SUCCEEDED", "output": [server.url("/out.mp4")],
                                                                   "options": {"promptText": "woman in red, neon"}})
        _fetch(server, "runway", "t7", inbox)
    from aivp_nle.project import open_project

    opened = open_project(project.root)
    Watcher(opened, settings=opened.config.watch.model_copy(update={"settle": 0.1})).run(once=True)
    (take,) = [p for p in opened.stage_dir("v1_exploration").iterdir() if p.suffix == ".mp4"]
    sidecar = TakeSidecar.model_validate_json(sidecar_path(take).read_text())
    assert (sidecar.prompt, sidecar.source.service, sidecar.source.task_id) == ("woman in red, neon", "runway", "t7")


def test_the_fetch_command_takes_urls_and_service_tasks(tmp_path: Path, video: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    with running() as server:
        server.routes["/a.mp4"] = Route(data=video)
        server.routes["/dream-machine/v1/generations/g5"] = Route(json_body=lambda: {"state": "completed", "assets": {"video": server.url("/a.mp4")}})
        for name, value in {**KEYS, "AIVP_LUMA_API": server.base, "AIVP_ALLOW_HTTP_HOSTS": "127.0.0.1"}.items():
            monkeypatch.setenv(name, value)
        by_url = CliRunner().invoke(main, ["fetch", server.url("/a.mp4"), "--to", str(tmp_path), "--sha256", hashlib.sha256(video).hexdigest()])
        by_task = CliRunner().invoke(main, ["fetch", "--service", "luma", "--task", "g5", "--to", str(tmp_path)])
        again = CliRunner().invoke(main, ["fetch", "--service", "luma", "--task", "g5", "--to", str(tmp_path)])
    assert by_url.exit_code == 0 and "fetched" in by_url.output, by_url.output
    assert by_task.exit_code == 0 and "fetched: " in by_task.output and "luma_g5_1.mp4" in by_task.output
    assert "already here" in again.output
    assert len([p for p in tmp_path.iterdir() if p.suffix == ".mp4"]) == 2
