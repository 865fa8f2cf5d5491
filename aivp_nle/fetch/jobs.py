"""Pending tasks listed in the project's `jobs.toml`, fetched when they are done.

    [[job]]
    service = "kling"          # runway, luma, kling, veo, replicate
    task = "CmJ0..."           # the task (Veo: the operation name)
    kind = "image2video"       # Kling only: the endpoint the task was made on

Each run asks every unfinished job once; what came in, failed or expired is remembered in
`.aivp/jobs.json`, so the next run skips it and a failed task is reported once, not retried forever.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import BaseModel, ConfigDict, field_validator

from ..config import checked
from ..errors import AivpError, ConfigError
from ..files import write_bytes
from .services import SERVICES, api_key, configured, download_policy, task_path
from .tasks import TaskFailed, fetch_task

__all__ = ["Job", "JobOutcome", "run_jobs"]


class Job(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    service: str
    task: str
    kind: str = ""

    @field_validator("service")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in SERVICES:
            raise ValueError(f"must be one of {', '.join(SERVICES)}")
        return value


class _JobsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job: list[Job] = []


@dataclass(frozen=True)
class JobOutcome:
    job: Job
    status: str  # fetched, pending, failed, expired, done earlier
    detail: str


def run_jobs(root: Path, inbox: Path, client: httpx.Client, environ: dict[str, str] | None = None) -> list[JobOutcome]:
    jobs_file = root / "jobs.toml"
    if not jobs_file.is_file():
        raise ConfigError(f"{jobs_file}: no jobs file. List pending tasks there as [[job]] service = ..., task = ...")
    try:
        jobs = checked(_JobsFile, tomllib.loads(jobs_file.read_text(encoding="utf-8")), str(jobs_file)).job
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{jobs_file}: not valid TOML ({error})") from None
    state_file = root / ".aivp" / "jobs.json"
    try:
        state: dict[str, dict[str, str]] = json.loads(state_file.read_text()) if state_file.is_file() else {}
    except (OSError, ValueError):
        state = {}  # our own record of what was fetched, damaged: every job is asked about again (fetches are idempotent)
    outcomes = []
    for job in jobs:
        key = f"{job.service}:{job.task}"
        if state.get(key, {}).get("status") in ("fetched", "failed", "expired"):
            outcomes.append(JobOutcome(job, "done earlier", state[key]["detail"]))
            continue
        service = configured(job.service, environ)
        try:
            task_path(service, job.task, job.kind)
        except ConfigError as refusal:
            outcomes.append(JobOutcome(job, "failed", f"{jobs_file}: {refusal}"))
            continue
        try:
            fetched = fetch_task(
                client, service, job.task, api_key(service, environ), inbox, kind=job.kind, policy=download_policy(service, environ), timeout=0.0
            )
            outcome = JobOutcome(job, "fetched", ", ".join(p.name for p in (*fetched.files, *fetched.already_there)))
        except TaskFailed as failure:
            outcome = JobOutcome(job, failure.status, str(failure))
        except AivpError as error:
            outcome = JobOutcome(job, "pending", str(error))  # a download that broke is tried again next run
        if outcome.status != "pending":
            state[key] = {"status": outcome.status, "detail": outcome.detail}
        outcomes.append(outcome)
    write_bytes(state_file, json.dumps(state, indent=2).encode("utf-8"), replace=True)
    return outcomes
