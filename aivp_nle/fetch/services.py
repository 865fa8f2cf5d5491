"""The generation services' task APIs: how to ask about a task, and what "done" looks like.

Shapes as each service documents them: Runway `status`
SUCCEEDED with `output[]`; Luma `state` completed with `assets.video`; Kling `data.task_status`
succeed with `data.task_result.videos[].url` (its key is a JWT signed with your secret); Veo (the
Gemini API) an operation `done` with `response.generateVideoResponse.generatedSamples[].video.uri`,
done with no sample when safety-filtered; Replicate `status` succeeded with `output` (a URL or a
list). Keys come from the environment or the OS keyring, go only to the service's own hosts, and
never into a file or a message.

A task id comes from the user, a jobs file or a callback anyone can send: it goes into an API URL
only when it has the shape of that service's ids, and escaped even then, so no id can point the
request, and the key with it, at another API path (`../../v1/account`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

import httpx

from ..errors import ConfigError
from .download import DownloadPolicy

__all__ = [
    "SERVICES", "Service", "TaskState", "api_key", "configured", "download_policy", "insecure_hosts", "poll", "task_path",
]

Status = Literal["pending", "done", "failed", "expired"]


@dataclass(frozen=True)
class TaskState:
    status: Status
    videos: tuple[str, ...] = ()
    reason: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)  # prompt, model, seed, settings, duration


@dataclass(frozen=True)
class Service:
    name: str
    base: str
    hosts: frozenset[str]  # the hosts its API and its outputs live on
    key_names: tuple[str, ...]
    keeps: str  # how long outputs stay: said when a task has expired
    path: Callable[[str, str], str]  # (task id, kind) -> API path
    headers: Callable[[str], dict[str, str]]
    parse: Callable[[dict[str, Any]], TaskState]
    task_shape: re.Pattern[str]  # what the service's task ids look like
    task_example: str
    key_on_download: bool = False  # Veo's files need the key; other services sign their URLs


IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")  # UUIDs, Kling's and Replicate's ids
KIND = re.compile(r"[a-z0-9-]{1,32}")  # Kling's task kinds: image2video, text2video ...


def task_path(service: Service, task: str, kind: str = "") -> str:
    """The API path of a task, refusing an id or kind of the wrong shape (never sent, never followed)."""
    if not isinstance(task, str) or not service.task_shape.fullmatch(task):
        raise ConfigError(f"{task!r} is not a {service.name} task id (they look like {service.task_example}); check it")
    if kind and not KIND.fullmatch(kind):
        raise ConfigError(f"{kind!r} is not a {service.name} task kind; use one like image2video")
    return service.path(quote(task, safe="/"), kind)


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _runway(data: dict[str, Any]) -> TaskState:
    status = str(data.get("status", ""))
    meta = {"model": data.get("model"), "prompt": (data.get("options") or {}).get("promptText"), "seed": (data.get("options") or {}).get("seed")}
    if status == "SUCCEEDED":
        return TaskState("done", tuple(data.get("output") or ()), metadata=meta)
    if status in ("FAILED", "CANCELLED"):
        return TaskState("failed", reason=str(data.get("failure") or status.lower()))
    return TaskState("pending", reason=status.lower())


def _luma(data: dict[str, Any]) -> TaskState:
    state = str(data.get("state", ""))
    request = data.get("request") or {}
    meta = {"model": request.get("model"), "prompt": request.get("prompt"), "settings": {k: request.get(k) for k in ("aspect_ratio", "resolution", "duration") if k in request}}
    if state == "completed":
        video = (data.get("assets") or {}).get("video")
        return TaskState("done", (video,) if video else (), metadata=meta)
    if state == "failed":
        return TaskState("failed", reason=str(data.get("failure_reason") or "failed"))
    return TaskState("pending", reason=state)


def _kling(data: dict[str, Any]) -> TaskState:
    body = data.get("data") or {}
    status = str(body.get("task_status", ""))
    videos = (body.get("task_result") or {}).get("videos") or []
    meta = {"model": body.get("model_name"), "duration": float(videos[0]["duration"]) if videos and videos[0].get("duration") else None}
    if status == "succeed":
        return TaskState("done", tuple(v["url"] for v in videos if v.get("url")), metadata=meta)
    if status == "failed":
        return TaskState("failed", reason=str(body.get("task_status_msg") or "failed"))
    return TaskState("pending", reason=status)


def _veo(data: dict[str, Any]) -> TaskState:
    if not data.get("done"):
        return TaskState("pending", reason="running")
    if data.get("error"):
        return TaskState("failed", reason=str((data["error"] or {}).get("message", "error")))
    response = (data.get("response") or {}).get("generateVideoResponse") or {}
    samples = response.get("generatedSamples") or []
    uris = tuple(s["video"]["uri"] for s in samples if (s.get("video") or {}).get("uri"))
    if not uris:
        reasons = "; ".join(response.get("raiMediaFilteredReasons") or []) or "no video was returned"
        return TaskState("failed", reason=f"filtered by the service's safety checks: {reasons}")
    return TaskState("done", uris)


def _replicate(data: dict[str, Any]) -> TaskState:
    status = str(data.get("status", ""))
    given = data.get("input") or {}
    meta = {"model": data.get("model") or data.get("version"), "prompt": given.get("prompt"), "seed": given.get("seed"), "settings": given}
    if status == "succeeded":
        output = data.get("output")
        urls = (output,) if isinstance(output, str) else tuple(u for u in (output or []) if isinstance(u, str))
        return TaskState("done", urls, metadata=meta)
    if status in ("failed", "canceled"):
        return TaskState("failed", reason=str(data.get("error") or status))
    return TaskState("pending", reason=status)


def kling_token(access: str, secret: str, now: float | None = None) -> str:
    """Kling's API key: an HS256 JWT from your access key, signed with your secret key, valid 30 min."""
    def encode(part: dict[str, Any]) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(part, separators=(",", ":")).encode()).rstrip(b"=")

    issued = int(now if now is not None else time.time())
    signing = encode({"alg": "HS256", "typ": "JWT"}) + b"." + encode({"iss": access, "exp": issued + 1800, "nbf": issued - 5})
    signature = base64.urlsafe_b64encode(hmac.new(secret.encode(), signing, hashlib.sha256).digest()).rstrip(b"=")
    return (signing + b"." + signature).decode()


def _kling_headers(key: str) -> dict[str, str]:
    access, _, secret = key.partition(":")
    return _bearer(kling_token(access, secret))


SERVICES = {
    s.name: s for s in (
        Service("runway", "https://api.dev.runwayml.com", frozenset({"api.dev.runwayml.com", "dnznrvs05pmza.cloudfront.net"}),
                ("RUNWAYML_API_SECRET",), "24-48 hours", lambda task, kind: f"/v1/tasks/{task}",
                lambda key: {**_bearer(key), "X-Runway-Version": "2024-11-06"}, _runway, IDENTIFIER,
                "17f20503-6c24-4c16-946b-35dbbce2af2f"),
        Service("luma", "https://api.lumalabs.ai", frozenset({"api.lumalabs.ai", "storage.cdn-luma.com"}),
                ("LUMAAI_API_KEY",), "a short time", lambda task, kind: f"/dream-machine/v1/generations/{task}", _bearer, _luma,
                IDENTIFIER, "a UUID"),
        Service("kling", "https://api.klingai.com", frozenset({"api.klingai.com", "api-singapore.klingai.com", "cdn.klingai.com", "s15-kling.klingai.com"}),
                ("KLING_ACCESS_KEY", "KLING_SECRET_KEY"), "30 days", lambda task, kind: f"/v1/videos/{kind or 'image2video'}/{task}",
                _kling_headers, _kling, IDENTIFIER, "CjMkJWdX6pcAAAAAAABC7Q"),
        Service("veo", "https://generativelanguage.googleapis.com", frozenset({"generativelanguage.googleapis.com"}),
                ("GEMINI_API_KEY",), "2 days", lambda task, kind: f"/v1beta/{task}", lambda key: {"x-goog-api-key": key}, _veo,
                re.compile(r"models/[A-Za-z0-9][A-Za-z0-9._-]{0,63}/operations/[A-Za-z0-9][A-Za-z0-9_-]{0,127}"),
                "models/veo-3.0-generate-001/operations/OPERATION", key_on_download=True),
        Service("replicate", "https://api.replicate.com", frozenset({"api.replicate.com", "replicate.delivery"}),
                ("REPLICATE_API_TOKEN",), "1 hour", lambda task, kind: f"/v1/predictions/{task}", _bearer, _replicate,
                IDENTIFIER, "gm3qorzdhgbfurvjtvhg6dckhu"),
    )
}


def api_key(service: Service, environ: dict[str, str] | None = None) -> str:
    """The key from the environment (AIVP_<SERVICE>_KEY or the service's own variable), else the OS
    keyring (service "aivp", user = the service's name). Kling's is "access:secret"."""
    environ = dict(os.environ) if environ is None else environ
    own = environ.get(f"AIVP_{service.name.upper()}_KEY")
    if own:
        return own
    values = [environ.get(name) for name in service.key_names]
    if all(values):
        return ":".join(v for v in values if v)
    try:
        import keyring  # optional: pip install keyring

        stored = keyring.get_password("aivp", service.name)
    except Exception:  # no keyring installed, or no backend on this machine
        stored = None
    if stored:
        return str(stored)
    names = " and ".join(service.key_names)
    raise ConfigError(f"no API key for {service.name}: set {names} (or AIVP_{service.name.upper()}_KEY), or store it with `keyring set aivp {service.name}`")


def poll(client: httpx.Client, service: Service, task: str, key: str, kind: str = "") -> TaskState:
    """Ask the service about a task once."""
    url = service.base.rstrip("/") + task_path(service, task, kind)
    try:
        response = client.get(url, headers=service.headers(key), follow_redirects=False)
    except httpx.TransportError as error:
        return TaskState("pending", reason=f"{service.name} did not answer ({error.__class__.__name__}); asking again later")
    if response.status_code == 404:
        return TaskState("expired", reason=f"{service.name} no longer has task {task} (it keeps outputs {service.keeps}); generate it again")
    if response.status_code in (401, 403):
        raise ConfigError(f"{service.name} refused the API key ({response.status_code}); check it")
    if response.status_code in (429,) or response.status_code >= 500:
        return TaskState("pending", reason=f"{service.name} answered {response.status_code}; asking again later")
    if response.status_code != 200:
        return TaskState("failed", reason=f"{service.name} answered {response.status_code} for task {task}")
    try:
        return service.parse(response.json())
    except (ValueError, KeyError, TypeError) as error:
        return TaskState("failed", reason=f"{service.name} answered in a shape we do not know ({error.__class__.__name__})")


def insecure_hosts(environ: dict[str, str] | None = None) -> frozenset[str]:
    """Hosts allowed over plain http (AIVP_ALLOW_HTTP_HOSTS, comma separated): a LAN box, or tests."""
    value = (os.environ if environ is None else environ).get("AIVP_ALLOW_HTTP_HOSTS", "")
    return frozenset(h.strip() for h in value.split(",") if h.strip())


def configured(name: str, environ: dict[str, str] | None = None) -> Service:
    """The service, with its API base moved where AIVP_<NAME>_API says (a proxy, or a test server)."""
    service = SERVICES[name]
    base = (os.environ if environ is None else environ).get(f"AIVP_{name.upper()}_API")
    if not base:
        return service
    from dataclasses import replace
    from urllib.parse import urlsplit

    return replace(service, base=base, hosts=service.hosts | {urlsplit(base).hostname or ""})


def download_policy(service: Service, environ: dict[str, str] | None = None) -> DownloadPolicy:
    """Downloads for a service go to its hosts only, over https unless AIVP_ALLOW_HTTP_HOSTS says otherwise."""
    return DownloadPolicy(allowed_hosts=service.hosts, insecure_hosts=insecure_hosts(environ))
