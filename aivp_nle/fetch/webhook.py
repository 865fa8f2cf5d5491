"""`aivp fetch serve`: the services' callbacks on 127.0.0.1 (put a tunnel in front of it).

A callback is only a hint: the task is read again from the service's API before anything is
downloaded, so a forged callback can neither inject a URL nor mark a task done. Replicate signs its
webhooks (Standard Webhooks: HMAC-SHA256 of "id.timestamp.body" with the `whsec_` secret): those
are checked when REPLICATE_WEBHOOK_SECRET is set. Repeated callbacks are no-ops.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from ..errors import AivpError
from .services import SERVICES, api_key, download_policy
from .tasks import TaskFailed, fetch_task

__all__ = ["make_server", "replicate_signature_ok"]

SIGNATURE_AGE = 300  # seconds a signed callback stays valid (replays after that are refused)


def replicate_signature_ok(headers: Mapping[str, str], body: bytes, secret: str, now: float | None = None) -> bool:
    webhook_id, timestamp, signatures = headers.get("webhook-id"), headers.get("webhook-timestamp"), headers.get("webhook-signature")
    if not (webhook_id and timestamp and signatures and timestamp.isdigit()):
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > SIGNATURE_AGE:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, given.split(",", 1)[-1]) for given in signatures.split())


def _task_id(service: str, payload: dict[str, Any]) -> str | None:
    if service == "kling":
        return payload.get("task_id") or (payload.get("data") or {}).get("task_id")
    return payload.get("id")


def make_server(
    port: int, inbox: Path, client: httpx.Client, environ: dict[str, str], on_event: Callable[[str], None],
    services: Mapping[str, Any] = SERVICES,
) -> ThreadingHTTPServer:
    handled: set[tuple[str, str]] = set()
    lock = threading.Lock()

    class Callback(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the standard library's name
            return  # our own lines only: theirs would print request paths and headers

        def _answer(self, code: int, text: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(text.encode())

        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            name = self.path.rstrip("/").rsplit("/", 1)[-1]
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            if name not in services or not self.path.startswith("/webhook/"):
                return self._answer(404, "unknown service")
            secret = environ.get("REPLICATE_WEBHOOK_SECRET")
            if name == "replicate" and secret and not replicate_signature_ok({k.lower(): v for k, v in self.headers.items()}, body, secret):
                on_event("refused a replicate callback: bad or old signature")
                return self._answer(401, "bad signature")
            try:
                task = _task_id(name, json.loads(body or b"{}"))
            except ValueError:
                task = None
            if not task:
                return self._answer(400, "no task id")
            with lock:
                if (name, task) in handled:
                    return self._answer(200, "already fetched")
            service = services[name]
            try:
                fetched = fetch_task(
                    client, service, task, api_key(service, environ), inbox, policy=download_policy(service, environ), timeout=0.0
                )
            except TaskFailed as failure:
                on_event(str(failure))
                return self._answer(202 if failure.status == "pending" else 200, str(failure))
            except AivpError as error:
                on_event(f"{name} task {task}: {error}")
                return self._answer(502, "download failed; the callback can be sent again")
            with lock:
                handled.add((name, task))
            on_event(f"{name} task {task}: " + ", ".join(p.name for p in (*fetched.files, *fetched.already_there)))
            return self._answer(200, "fetched")

    return ThreadingHTTPServer(("127.0.0.1", port), Callback)
