"""Faces that bring generations in: watch, status, fetch."""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import signal
import sys
import time
from pathlib import Path

import click
import httpx

from .._version import __version__
from ..config import WatchSettings, checked
from ..errors import AivpError, ConfigError
from ..fetch.download import DownloadPolicy, download, suffix_for
from ..fetch.jobs import run_jobs
from ..fetch.services import SERVICES, api_key, configured, download_policy, insecure_hosts
from ..fetch.tasks import fetch_task
from ..fetch.webhook import make_server
from ..ingest.service import launchd_plist, systemd_unit
from ..ingest.status import project_status
from ..ingest.watcher import Watcher
from ..project import open_project
from ._common import A_PATH, _Bytes, main


@main.command()
@click.argument("project", type=A_PATH, default=Path("."))
@click.option("--inbox", type=A_PATH, help="the folder to watch (default: [watch] inbox in aivp.toml, inbox/)")
@click.option("--polling", is_flag=True, help="poll instead of OS events (NFS, SMB, SSHFS and other shares)")
@click.option("--once", is_flag=True, help="import what is there, then exit")
@click.option("--settle", type=float, help="seconds a file must stay unchanged (default from aivp.toml: 2)")
@click.option("--service", type=click.Choice(["systemd", "launchd"]), help="print a service file that runs this watcher, and exit")
def watch(project: Path, inbox: Path | None, polling: bool, once: bool, settle: float | None, service: str | None) -> None:
    """Watch the inbox: file finished generations as new versions, then rebuild the edit."""
    opened = open_project(project)
    if service:
        aivp = Path(sys.argv[0]).absolute()
        click.echo(systemd_unit(aivp, opened.root) if service == "systemd" else launchd_plist(aivp, opened.root), nl=False)
        return
    values = opened.config.watch.model_dump()
    values.update({k: v for k, v in (("polling", polling or None), ("settle", settle)) if v is not None})
    watcher = Watcher(opened, inbox, checked(WatchSettings, values, "options"), on_event=click.echo)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: watcher.stop.set())
    click.echo(f"watching {watcher.inbox} (Ctrl-C or SIGTERM stops after the current file)" if not once else f"importing from {watcher.inbox}")
    watcher.run(once=once)
    if once and watcher.failures:
        raise AivpError(f"{len(watcher.failures)} problem(s) this run: " + "; ".join(watcher.failures)
                        + f" (reasons in {watcher.inbox / 'quarantine'}, `aivp status`)")


@main.command()
@click.argument("project", type=A_PATH, default=Path("."))
@click.option("--json", "as_json", is_flag=True, help="takes (stage -> angle -> names), pending, quarantined (name -> reason)")
def status(project: Path, as_json: bool) -> None:
    """Takes by angle and version, what waits in the inbox, what is in quarantine and why."""
    found = project_status(open_project(project))
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(found), indent=2))
        return
    for stage, angles in found.takes.items():
        click.echo(f"{stage}:")
        for angle, takes in angles.items():
            click.echo(f"  {angle}: {', '.join(takes)}")
    if not found.takes:
        click.echo("no takes yet")
    click.echo(f"waiting in the inbox: {', '.join(found.pending) if found.pending else 'nothing'}")
    for name, reason in found.quarantined.items():
        click.echo(f"quarantined {name}: {reason}")


class _DefaultGroup(click.Group):
    """`aivp fetch URL ...` runs `fetch get`; `aivp fetch jobs|serve` run those."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["get", *args]
        return super().parse_args(ctx, args)


def _inbox(to: Path | None) -> Path:
    if to is not None:
        return to.absolute()
    if (Path.cwd() / "aivp.toml").is_file():
        project = open_project(Path.cwd())
        return project.path(project.config.watch.inbox)
    return (Path.cwd() / "inbox").absolute()


def _client() -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(30.0, connect=15.0), headers={"User-Agent": f"aivp-nle/{__version__}"})


@main.group(cls=_DefaultGroup)
def fetch() -> None:
    """Collect finished generations: URLs, a task at a service, the project's jobs.toml, or callbacks."""


@fetch.command("get")
@click.argument("urls", nargs=-1)
@click.option("--to", type=A_PATH, help="the inbox (default: the project's, or ./inbox)")
@click.option("--sha256", help="the expected checksum (one URL)")
@click.option("--expect-duration", type=float, help="seconds the video must last (the watch folder checks it)")
@click.option("--service", type=click.Choice(list(SERVICES)), help="fetch a task from this service instead of URLs")
@click.option("--task", help="the task id (Veo: the operation name)")
@click.option("--kind", default="", help="Kling: the endpoint of the task (image2video, text2video)")
@click.option("--wait", default=600.0, show_default=True, help="seconds to wait for a task to finish")
def fetch_get(urls: tuple[str, ...], to: Path | None, sha256: str | None, expect_duration: float | None,
              service: str | None, task: str | None, kind: str, wait: float) -> None:
    """Download URLs (resumed, retried, verified) or a service's task into the inbox."""
    inbox = _inbox(to)
    inbox.mkdir(parents=True, exist_ok=True)
    with _client() as client:
        if service:
            if not task or urls:
                raise ConfigError("--service needs --task, and no URLs")
            chosen = configured(service)
            bar = _Bytes(f"{service} {task}")
            try:
                fetched = fetch_task(client, chosen, task, api_key(chosen), inbox, kind=kind, policy=download_policy(chosen),
                                     timeout=wait, on_progress=bar, on_retry=_said)
            finally:
                bar.close()
            for path in (*fetched.files, *fetched.already_there):
                click.echo(f"{'fetched' if path in fetched.files else 'already here'}: {path}")
            return
        if not urls:
            raise ConfigError("give URLs, or --service and --task")
        if sha256 and len(urls) > 1:
            raise ConfigError("--sha256 checks one file: give one URL")
        for url in urls:
            metadata = {"source_url": url.split("?", 1)[0], **({"expected_duration": expect_duration} if expect_duration else {})}
            destination = inbox / f"fetch-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}{suffix_for(None, url)}"
            bar = _Bytes(url.split("?", 1)[0][-40:])
            try:
                done = download(client, url, destination, DownloadPolicy(insecure_hosts=insecure_hosts()), sha256=sha256,
                                metadata=metadata, on_progress=bar, on_retry=_said)
            finally:
                bar.close()
            click.echo(f"fetched {done.path} ({done.size} bytes, sha256 {done.sha256[:12]}…)")


def _said(line: str) -> None:
    click.echo(line, err=True)


@fetch.command("jobs")
@click.argument("project", type=A_PATH, default=Path("."))
def fetch_jobs(project: Path) -> None:
    """Ask each pending task in the project's jobs.toml once; fetch the finished ones."""
    opened = open_project(project)
    with _client() as client:
        outcomes = run_jobs(opened.root, opened.path(opened.config.watch.inbox), client)
    for outcome in outcomes:
        click.echo(f"{outcome.job.service} {outcome.job.task}: {outcome.status}: {outcome.detail}")


@fetch.command("serve")
@click.option("--port", default=8765, show_default=True)
@click.option("--to", type=A_PATH, help="the inbox (default: the project's, or ./inbox)")
def fetch_serve(port: int, to: Path | None) -> None:
    """Receive the services' callbacks on 127.0.0.1:PORT/webhook/SERVICE (put a tunnel in front)."""
    inbox = _inbox(to)
    with _client() as client:
        server = make_server(port, inbox, client, dict(os.environ), click.echo)
        click.echo(f"listening on http://127.0.0.1:{port}/webhook/<service> -> {inbox} (Ctrl-C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
