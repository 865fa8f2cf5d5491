"""Real HTTP servers on 127.0.0.1 for the download tests: each misbehaves the way the web does."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    """What the server does for one path."""

    data: bytes = b""
    cut_first: int = 0  # this many requests stop after half the body
    drip: float = 0.0  # seconds between single bytes
    busy_first: int = 0  # this many requests get 503 with Retry-After: 1
    ignore_range: bool = False
    etags: list[str] = field(default_factory=lambda: ["\"v1\""])  # one per request, the last repeats
    versions: list[bytes] = field(default_factory=list)  # the body for each etag, when it changes
    declared_length: int | None = None
    disposition: str | None = None
    redirect: str | None = None
    content_type: str = "video/mp4"
    json_body: Callable[[], Any] | None = None  # an API: the JSON to answer
    status: int = 200


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


class Server:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.counts: dict[str, int] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def do_GET(self) -> None:  # noqa: N802
                outer.serve(self)

            do_POST = do_GET

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?")[0]
        self.seen.append(Seen(path, {k.lower(): v for k, v in handler.headers.items()}))
        route = self.routes.get(path)
        count = self.counts[path] = self.counts.get(path, 0) + 1
        if route is None:
            return self._send(handler, 404, b"not found", "text/plain")
        if route.redirect:
            handler.send_response(302)
            handler.send_header("Location", route.redirect)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if route.json_body is not None:
            return self._send(handler, route.status, json.dumps(route.json_body()).encode(), "application/json")
        if count <= route.busy_first:
            handler.send_response(503)
            handler.send_header("Retry-After", "1")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        etag = route.etags[min(count, len(route.etags)) - 1]
        data = route.versions[min(count, len(route.versions)) - 1] if route.versions else route.data
        start = 0
        asked = handler.headers.get("Range", "")
        if asked.startswith("bytes=") and not route.ignore_range and handler.headers.get("If-Range") in (None, etag):
            start = int(asked[6:].split("-")[0])
        body = data[start:]
        handler.send_response(206 if start else 200)
        if start:
            handler.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        handler.send_header("Content-Length", str(route.declared_length if route.declared_length is not None else len(body)))
        handler.send_header("Content-Type", route.content_type)
        handler.send_header("ETag", etag)
        if route.disposition:
            handler.send_header("Content-Disposition", route.disposition)
        handler.end_headers()
        if count <= route.cut_first:
            handler.wfile.write(body[: len(body) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            return
        if route.drip:
            for index in range(len(body)):
                handler.wfile.write(body[index : index + 1])
                handler.wfile.flush()
                time.sleep(route.drip)
            return
        handler.wfile.write(body)
        if route.declared_length is not None:
            handler.close_connection = True

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


@contextmanager
def running() -> Iterator[Server]:
    server = Server()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
