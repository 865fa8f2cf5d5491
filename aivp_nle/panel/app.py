"""The panel's web app: Starlette on 127.0.0.1, every request carrying the run's token.

The token is in the URL the panel opens (`/?token=...`); the page keeps it in a same-site cookie.
A request without it is refused (403): another user of the machine, or a web page the browser
visits, cannot drive the project. Routes are thin: each calls `panel.actions` or reads a file of the
project (media served only from inside the project folder).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..errors import AivpError
from ..files import write_bytes
from ..project import Project
from . import actions
from .jobs import Jobs
from .page import PAGE
from .watching import InboxWatch

if TYPE_CHECKING:
    from fusionscript import Resolve

__all__ = ["Panel", "Server", "make_app", "running_panel", "serve"]

COOKIE = "aivp_panel"
FIELDS: dict[str, dict[str, type]] = {"cut": {"pattern": str, "every": int, "min_shot": float, "hero": str, "seed": int},
                                      "beats": {"level": str}, "grain": {"opacity": float}}  # what the page's Build sends, by aivp.toml section


@dataclass
class Panel:
    project: Project
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    jobs: Jobs = field(default_factory=Jobs)
    resolve: Resolve | None = None  # a Resolve to apply to (tests: the fake); None: connect when asked
    watch: InboxWatch = field(init=False)

    def __post_init__(self) -> None:
        self.watch = InboxWatch(self.project)


def _allowed(panel: Panel, request: Request) -> bool:
    given = request.query_params.get("token") or request.cookies.get(COOKIE) or request.headers.get("x-aivp-token") or ""
    return secrets.compare_digest(given, panel.token)


def _settings_from(form: dict[str, Any]) -> dict[str, dict[str, object]]:
    """The fields the page sent, typed, by section; an empty hero clears the hero."""
    settings = {section: {key: kind(form[key]) for key, kind in fields.items() if form.get(key) not in (None, "")}
                for section, fields in FIELDS.items()}
    if "hero" in form and form["hero"] in (None, ""):
        settings["cut"]["hero"] = None
    return settings


def make_app(panel: Panel) -> Starlette:
    async def page(request: Request) -> Response:
        response = HTMLResponse(PAGE.replace("{{project}}", panel.project.root.name))
        response.set_cookie(COOKIE, panel.token, httponly=True, samesite="strict")
        return response

    async def state(request: Request) -> Response:
        try:
            found = actions.panel_state(panel.project)
        except AivpError as error:  # the project file made unreadable by hand, say: the page says so
            return JSONResponse({"error": str(error)}, status_code=409)
        return JSONResponse({**found, "jobs": panel.jobs.listing(), "watching": panel.watch.running,
                             "watch_log": list(panel.watch.log)})

    async def watch(request: Request) -> Response:
        wanted = (await request.json()).get("on", True)
        return JSONResponse({"message": panel.watch.start() if wanted else panel.watch.stop()})

    async def build(request: Request) -> Response:
        form = await request.json()
        try:
            settings = _settings_from(form)
        except ValueError as error:
            return JSONResponse({"error": f"a setting is not a number: {error}"}, status_code=400)
        job = panel.jobs.start("build", lambda advance: actions.build_with(panel.project, settings, on_progress=advance))
        return JSONResponse({"job": job.id})

    async def render(request: Request) -> Response:
        job = panel.jobs.start("render", lambda advance: actions.render_preview(panel.project, on_progress=advance))
        return JSONResponse({"job": job.id})

    async def qc(request: Request) -> Response:
        job = panel.jobs.start("qc", lambda advance: actions.qc_with_report(panel.project, on_progress=advance))
        return JSONResponse({"job": job.id})

    async def apply(request: Request) -> Response:
        try:
            return JSONResponse(actions.apply_to_resolve(panel.project, resolve=panel.resolve))
        except AivpError as error:
            return JSONResponse({"edition": "none", "message": str(error)}, status_code=409)

    async def install(request: Request) -> Response:
        return JSONResponse({"message": actions.install_resolve_entries()})

    async def files(request: Request) -> Response:
        wanted = (panel.project.root / request.path_params["path"]).resolve()
        if not wanted.is_relative_to(panel.project.root.resolve()) or not wanted.is_file():
            return Response("not a file of this project", status_code=404)
        return FileResponse(wanted)

    routes = [
        Route("/", page), Route("/api/state", state), Route("/api/build", build, methods=["POST"]),
        Route("/api/render", render, methods=["POST"]), Route("/api/qc", qc, methods=["POST"]),
        Route("/api/apply", apply, methods=["POST"]), Route("/api/watch", watch, methods=["POST"]),
        Route("/api/install", install, methods=["POST"]), Route("/files/{path:path}", files),
    ]

    async def token_required(request: Request, call_next: Any) -> Response:
        if not _allowed(panel, request):
            return Response("this panel needs the token of its URL (see `aivp panel`)", status_code=403)
        response: Response = await call_next(request)
        return response

    return Starlette(routes=routes, middleware=[Middleware(BaseHTTPMiddleware, dispatch=token_required)])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """uvicorn in a thread, on 127.0.0.1 only; `url` carries the token."""

    def __init__(self, panel: Panel, port: int | None = None) -> None:
        self.panel = panel
        self.port = port or _free_port()
        config = uvicorn.Config(make_app(panel), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="aivp-panel", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?token={self.panel.token}"

    def start(self) -> Server:
        self.thread.start()
        while not self.server.started and self.thread.is_alive():
            threading.Event().wait(0.02)
        record = {"url": self.url, "pid": os.getpid()}
        write_bytes(_record(self.panel.project), json.dumps(record).encode("utf-8"), replace=True)
        return self

    def stop(self) -> None:
        self.panel.watch.stop()
        self.server.should_exit = True
        self.thread.join(timeout=10)
        record = _record(self.panel.project)
        if record.is_file() and json.loads(record.read_text(encoding="utf-8")).get("url") == self.url:
            record.unlink()


def _record(project: Project) -> Path:
    """Where a running panel leaves its address, so opening the panel again opens that one."""
    return project.root / ".aivp" / "panel.json"


def running_panel(project: Project) -> str | None:
    """The address of the panel already running for the project, if one answers (a panel killed
    leaves its record behind: it does not answer, so a new one starts)."""
    try:
        url = str(json.loads(_record(project).read_text(encoding="utf-8"))["url"])
        answered = httpx.get(url.replace("/?token=", "/api/state?token="), timeout=2.0).status_code == 200
    except (OSError, ValueError, KeyError, httpx.HTTPError):
        return None
    return url if answered else None


def serve(panel: Panel, port: int | None = None) -> Server:
    return Server(panel, port).start()

