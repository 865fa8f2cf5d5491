"""Our jobs as farm jobs: conform, QC and render spread over the executor's workers.

The faces (`aivp conform apply`, `aivp qc --project`, `aivp render`) choose the farm with
`farm_for` and call these; the results are the ones the same job gives on this machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..config import ConformTarget, FarmSettings
from ..conform import ConformOptions
from ..files import slug
from ..qc.findings import QcReport
from . import tasks
from .executor import DaskCluster, Executor, FarmError, Tally, Task, connect, job_keys
from .paths import PathMap

__all__ = ["Farm", "NEEDS", "conform_on_farm", "farm_for", "farm_status", "qc_on_farm", "require_tools"]

# What each job asks of a worker's ffmpeg, as `aivp doctor` names it.
NEEDS = {
    "render preview": ("encoder libx264", "encoder aac", "filter blend"),
    "render social": ("encoder libx264", "encoder aac", "filter blend"),
    "render master": ("encoder prores_ks", "filter blend", "muxer mov"),
    "conform prores": ("encoder prores_ks", "muxer mov"),
    "conform dnxhr": ("encoder dnxhd", "muxer mov"),
    "qc": ("filter ebur128", "filter astats", "filter sobel", "muxer framemd5"),
}


@dataclass
class Farm:
    executor: Executor
    paths: PathMap = field(default_factory=PathMap)
    segments: int | None = None

    def close(self) -> None:
        self.executor.close()

    def __enter__(self) -> Farm:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()  # a Dask client left open keeps its connection and threads


def farm_for(settings: FarmSettings | None = None, *, cluster: str | None = None) -> Farm:
    """`--cluster` first, then `[farm] scheduler`, else this machine's processes."""
    settings = settings or FarmSettings()
    return Farm(connect(cluster or settings.scheduler), PathMap(settings.paths), settings.segments)


def require_tools(executor: Executor, job: str) -> None:
    """Refuse to start a job on a cluster where a worker's ffmpeg lacks what the job needs."""
    if not isinstance(executor, DaskCluster):
        return  # this machine: the job itself reports a missing tool, and `aivp doctor` tells
    reports: dict[str, dict[str, str]] = executor.client.run(tasks.worker_checkup)
    if not reports:
        raise FarmError(f"the scheduler at {executor.name} has no workers: start some with `dask worker {executor.name}`")
    for worker, report in sorted(reports.items()):
        missing = [need for need in NEEDS[job] if f"missing {need}" in report]
        if missing:
            raise FarmError(f"worker {worker} ({report['host']}): its ffmpeg {report['ffmpeg']} lacks "
                            f"{', '.join(missing)}, which {job} needs; run `aivp doctor` there")


def _run(farm: Farm, project: str, job: str, calls: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]],
         on_tally: Callable[[Tally], None] | None) -> list[Any]:
    keys = job_keys(slug(project, empty="project"), job.split()[0], len(calls))
    return farm.executor.run([Task(k, f, a) for k, (f, a) in zip(keys, calls, strict=True)], on_tally=on_tally)


def conform_on_farm(takes: Iterable[Path], target: ConformTarget, options: ConformOptions, *, farm: Farm,
                    project: str = "project", on_tally: Callable[[Tally], None] | None = None) -> list[str]:
    """Each take's conformed copy, one task per take; the paths written, as the workers name them."""
    job = f"conform {options.codec}"
    require_tools(farm.executor, job)
    calls = [(tasks.conform_take, (farm.paths.for_worker(t), target.model_dump_json(), asdict(options))) for t in takes]
    return _run(farm, project, job, calls, on_tally)


def qc_on_farm(takes: Sequence[Path], target: ConformTarget, *, farm: Farm, project: str = "project",
               on_tally: Callable[[Tally], None] | None = None) -> list[QcReport]:
    """Each take measured on a worker; the reports name the takes as this machine sees them."""
    require_tools(farm.executor, "qc")
    calls = [(tasks.measure_take, (farm.paths.for_worker(t), target.model_dump_json())) for t in takes]
    found = _run(farm, project, "qc", calls, on_tally)
    return [QcReport.model_validate_json(text).model_copy(update={"path": str(take)}) for text, take in zip(found, takes, strict=True)]


def farm_status(farm: Farm, project: str) -> dict[str, Any]:
    """The cluster's workers (and what their ffmpeg lacks) and this project's tasks by state."""
    if not isinstance(farm.executor, DaskCluster):
        return {"cluster": None, "workers": farm.executor.workers(), "tasks": {}}
    client = farm.executor.client
    prefix = f"aivp-{slug(project, empty='project')}-"

    def project_tasks(dask_scheduler: Any) -> dict[str, str]:
        return {str(key): task.state for key, task in dask_scheduler.tasks.items() if str(key).startswith(prefix)}

    info = client.scheduler_info()
    checkups: dict[str, dict[str, str]] = client.run(tasks.worker_checkup)
    workers = [{"address": address, "host": checkups.get(address, {}).get("host", w.get("host", "")), "threads": w.get("nthreads", 1),
                "memory_gb": round(w.get("memory_limit", 0) / 1e9, 1), "ffmpeg": checkups.get(address, {}).get("ffmpeg", "unknown"),
                "missing": sorted(k.removeprefix("missing ") for k in checkups.get(address, {}) if k.startswith("missing "))}
               for address, w in sorted(info["workers"].items())]
    return {"cluster": farm.executor.name, "workers": workers, "tasks": client.run_on_scheduler(project_tasks)}
