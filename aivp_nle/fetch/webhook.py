"""`aivp fetch serve`: the services' callbacks on 127.0.0.1 (put a tunnel in front of it).

A callback is only a hint: the task is read again from the service's API before anything is
downloaded, so a forged callback can neither inject a URL nor mark a task done. Replicate signs its
webhooks (Standard Webhooks: HMAC-SHA256 of "id.timestamp.body" with the `whsec_` secret): those
are checked when REPLICATE_WEBHOOK_SECRET is set. Luma and Kling sign nothing, so the task id is the
one thing a callback gives: it must have the service's id shape, and is only ever re-read from the
API, never followed. Repeated callbacks are no-ops.

Anyone can reach a tunnel: a body is at most 1 MB (a callback is a few kB), a connection that
sends nothing is dropped after 10 s, at most 16 callbacks are handled at once (more get 503), and
anything malformed gets a 4xx and one line in the log, never a traceback.
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

from ..errors import AivpError, ConfigError
from .services import SERVICES, Service, api_key, configured, download_policy, task_path
from .tasks import TaskFailed, fetch_task

__all__ = ["BODY_MAX", "WORKERS", "make_server", "replicate_signature_ok"]

SIGNATURE_AGE = 300  # seconds a signed callback stays valid (replays after that are refused)
BODY_MAX = 1024 * 1024
IDLE = 10.0  # seconds a connection may stay silent
WORKERS = 16


class _BoundedServer(ThreadingHTTPServer):
    """A thread per callback, but never more than WORKERS: the rest are told to come back."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], on_event: Callable[[str], None]) -> None:
        super().__init__(address, handler)
        self.slots = threading.BoundedSemaphore(WORKERS)
        self.on_event = on_event

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            try:
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.on_event(f"a callback from {client_address[0]} broke off")  # one line, no traceback


def replicate_signature_ok(headers: Mapping[str, str], body: bytes, secret: str, now: float | None = None) -> bool:
    webhook_id, timestamp, signatures = headers.get("webhook-id"), headers.get("webhook-timestamp"), headers.get("webhook-signature")
    if not (webhook_id and timestamp and signatures and timestamp.isdigit()):
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > SIGNATURE_AGE:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, given.split(",", 1)[-1]) for given in signatures.split())


def _task_id(service: str, payload: object) -> object:
    if not isinstance(payload, dict):
        return None
    if service == "kling":
        data = payload.get("data")
        return payload.get("task_id") or (data.get("task_id") if isinstance(data, dict) else None)
    return payload.get("id")


def make_server(
    port: int, inbox: Path, client: httpx.Client, environ: dict[str, str], on_event: Callable[[str], None],
    services: Mapping[str, Service] | None = None,
) -> ThreadingHTTPServer:
    """The callback server on 127.0.0.1 (each service where AIVP_<SERVICE>_API puts it, as for `fetch`)."""
    known: Mapping[str, Service] = services if services is not None else {name: configured(name, environ) for name in SERVICES}
    handled: set[tuple[str, str]] = set()
    lock = threading.Lock()

    class Callback(BaseHTTPRequestHandler):
        timeout = IDLE  # the socket's: a silent or trickling client is dropped
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the standard library's name
            return  # our own lines only: theirs would print request paths and headers

        def _answer(self, code: int, text: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(text.encode())

        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            name = self.path.rstrip("/").rsplit("/", 1)[-1]
            if name not in known or not self.path.startswith("/webhook/"):
                return self._answer(404, "unknown service")
            length = self.headers.get("content-length", "")
            if not length.isdigit():
                return self._answer(411, "a callback says its length")
            if int(length) > BODY_MAX:
                on_event(f"refused a {name} callback of {int(length)} bytes (a callback is small)")
                self.close_connection = True
                return self._answer(413, "too large")
            try:
                body = self.rfile.read(int(length))
            except (TimeoutError, OSError):
                self.close_connection = True
                return None
            secret = environ.get("REPLICATE_WEBHOOK_SECRET")
            if name == "replicate" and secret and not replicate_signature_ok({k.lower(): v for k, v in self.headers.items()}, body, secret):
                on_event("refused a replicate callback: bad or old signature")
                return self._answer(401, "bad signature")
            try:
                task = _task_id(name, json.loads(body or b"{}"))
            except (ValueError, RecursionError):
                return self._answer(400, "not JSON")
            if not task or not isinstance(task, str):
                return self._answer(400, "no task id")
            service = known[name]
            try:
                task_path(service, task)
            except ConfigError:
                on_event(f"refused a {name} callback: {task[:80]!r} is not a {name} task id")
                return self._answer(400, "not a task id of this service")
            with lock:
                if (name, task) in handled:
                    return self._answer(200, "already fetched")
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

    return _BoundedServer(("127.0.0.1", port), Callback, on_event)
