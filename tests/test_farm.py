"""The render farm on real Dask: a scheduler and two workers started here as separate processes on
127.0.0.1; conform, QC and a segment render give what this machine gives, a worker killed with -9
mid-render changes nothing, and no scheduler is one clear line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from aivp_nle import synthetic as synth  # noqa: E402
from aivp_nle.config import ConformTarget  # noqa: E402
from aivp_nle.conform import ConformOptions, conform_clip  # noqa: E402
from aivp_nle.demo import run_demo  # noqa: E402
from aivp_nle.farm.executor import DaskCluster, Embedded, FarmError  # noqa: E402
from aivp_nle.farm.jobs import Farm, conform_on_farm, qc_on_farm, require_tools  # noqa: E402
from aivp_nle.farm.paths import PathMap  # noqa: E402
from aivp_nle.farm.segments import render_segments, split_at_cuts  # noqa: E402
from aivp_nle.ffmpeg import locate  # noqa: E402
from aivp_nle.qc.take import qc_take  # noqa: E402
from aivp_nle.render import cut_frames, render  # noqa: E402
from aivp_nle.timelines import load_timeline  # noqa: E402
from tests.dask_cluster import Cluster  # noqa: E402

SIZE = (320, 180)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    started = Cluster(tmp_path_factory.mktemp("dask"))
    yield started
    started.stop()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 60 s beat-cut of five angles and a lip-synced take, with the grain plate over it."""
    return run_demo(tmp_path_factory.mktemp("demo") / "project", seconds=60.0).build.beatcut


def _frames(path: Path) -> list[str]:
    done = subprocess.run([str(locate().ffmpeg), "-v", "error", "-i", str(path), "-map", "0:v", "-f", "framemd5", "-"],
                          capture_output=True, text=True, check=True)
    return [line.rsplit(",", 1)[-1].strip() for line in done.stdout.splitlines() if not line.startswith("#")]


def _sound(path: Path) -> str:
    done = subprocess.run([str(locate().ffmpeg), "-v", "error", "-i", str(path), "-map", "0:a", "-f", "md5", "-"],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def one_pass(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(load_timeline(demo), tmp_path_factory.mktemp("one") / "master.mov", size=SIZE, media_root=demo.parent, preset="master")


def test_segments_are_cut_at_cuts_and_of_near_equal_length(demo: Path) -> None:
    timeline = load_timeline(demo)
    spans = split_at_cuts(timeline, count=6)
    cuts = set(cut_frames(timeline))
    assert sum(frames for _, frames in spans) == 60 * 24
    assert all(first in cuts for first, _ in spans[1:])
    assert max(frames for _, frames in spans) < 2 * min(frames for _, frames in spans)


def test_a_segment_render_on_two_workers_has_the_one_pass_frames_and_sound(demo: Path, one_pass: Path, cluster: Cluster,
                                                                          tmp_path: Path) -> None:
    farm = DaskCluster(cluster.address)
    try:
        written = render_segments(load_timeline(demo), tmp_path / "farm.mov", executor=farm, preset="master", size=SIZE,
                                  media_root=demo.parent, segments=6)
    finally:
        farm.close()
    assert _frames(written) == _frames(one_pass)  # ProRes is intra-only: every frame bit for bit
    assert _sound(written) == _sound(one_pass)
    assert not list(tmp_path.glob(".aivp-*"))


def test_the_embedded_segment_render_has_the_one_pass_frames(demo: Path, one_pass: Path, tmp_path: Path) -> None:
    written = render_segments(load_timeline(demo), tmp_path / "here.mov", executor=Embedded(2), preset="master", size=SIZE,
                              media_root=demo.parent, segments=4)
    assert _frames(written) == _frames(one_pass)


def test_a_preview_render_in_segments_keeps_its_length_and_its_sound(demo: Path, tmp_path: Path) -> None:
    timeline = load_timeline(demo)
    whole = render(timeline, tmp_path / "one.mp4", size=SIZE, media_root=demo.parent)
    parts = render_segments(timeline, tmp_path / "parts.mp4", executor=Embedded(2), size=SIZE, media_root=demo.parent, segments=5)
    assert len(_frames(parts)) == len(_frames(whole)) == 60 * 24
    assert _sound(parts) == _sound(whole)  # one AAC encode for the whole edit: no priming gap at a join
    # H.264's rate control carries history across frames, so segments cannot be bit-exact; with a
    # keyframe on every cut in both renders, each frame stays within the encoder's noise
    assert min(_psnr(parts, whole, tmp_path / "psnr.txt")) >= 50.0


def _psnr(one: Path, other: Path, stats: Path) -> list[float]:
    subprocess.run([str(locate().ffmpeg), "-v", "error", "-i", str(one), "-i", str(other), "-lavfi",
                    f"[0:v][1:v]psnr=stats_file={stats}", "-f", "null", "-"], check=True)
    values = [line.split("psnr_avg:")[1].split()[0] for line in stats.read_text().splitlines()]
    return [float("inf") if value == "inf" else float(value) for value in values]


def _takes_at_30(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    colours = [*synth.ANGLE_COLOURS, "red"]
    return [synth.make_angle(folder / f"take{n}.mp4", colour, 2.0, 30, (96, 54), label=f"take {n}", frame_code=True)
            for n, colour in enumerate(colours, 1)]


def test_conform_of_six_takes_on_the_cluster_gives_this_machines_copies(cluster: Cluster, tmp_path: Path) -> None:
    here, there = _takes_at_30(tmp_path / "here"), _takes_at_30(tmp_path / "there")
    target, options = ConformTarget(fps=24), ConformOptions()
    local = [conform_clip(take, target, options) for take in here]
    with Farm(DaskCluster(cluster.address)) as farm:
        copies = conform_on_farm(there, target, options, farm=farm)
    assert [_frames(Path(c)) for c in copies] == [_frames(c) for c in local]


def test_qc_of_six_takes_on_the_cluster_gives_this_machines_reports(cluster: Cluster, tmp_path: Path) -> None:
    takes = _takes_at_30(tmp_path)
    with Farm(DaskCluster(cluster.address)) as farm:
        reports = qc_on_farm(takes, ConformTarget(fps=24), farm=farm)
    assert [r.model_dump() for r in reports] == [qc_take(t, ConformTarget(fps=24)).model_dump() for t in takes]


def test_a_worker_that_cannot_see_a_take_names_the_path_it_looked_for(cluster: Cluster, tmp_path: Path) -> None:
    take = _takes_at_30(tmp_path)[0]
    with Farm(DaskCluster(cluster.address), PathMap({str(tmp_path): "/mnt/nas/job"})) as farm:
        with pytest.raises(FarmError, match=f"cannot see /mnt/nas/job/{take.name}"):
            qc_on_farm([take], ConformTarget(fps=24), farm=farm)


def test_a_task_failing_three_times_returns_its_log(cluster: Cluster, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all" * 100)
    with Farm(DaskCluster(cluster.address)) as farm:
        with pytest.raises(FarmError, match=r"failed 3 times on tcp://127\.0\.0\.1:\d+; its log:\n.*broken\.mp4"):
            qc_on_farm([broken], ConformTarget(fps=24), farm=farm)


def test_a_worker_whose_ffmpeg_lacks_the_encoder_stops_the_job_before_it_starts(demo: Path, tmp_path: Path) -> None:
    bare = tmp_path / "ffmpeg"
    bare.write_text("#!/bin/sh\necho 'ffmpeg version 0.0-bare'\n")  # lists no encoder, no filter
    bare.chmod(0o755)
    cluster = Cluster(tmp_path / "dask", workers=1, env={"AIVP_FFMPEG": str(bare)})
    try:
        with Farm(DaskCluster(cluster.address)) as farm, \
                pytest.raises(FarmError, match=r"lacks encoder prores_ks, filter blend, muxer mov, which render master needs"):
            require_tools(farm.executor, "render master")
    finally:
        cluster.stop()


def test_a_worker_killed_mid_render_leaves_the_render_complete_and_right(demo: Path, one_pass: Path, tmp_path: Path) -> None:
    cluster = Cluster(tmp_path / "dask")
    farm = DaskCluster(cluster.address)
    killed: list[int] = []

    def kill_one_when_busy() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            busy = [address for address, keys in farm.client.processing().items() if keys]
            if busy:
                time.sleep(0.5)  # well inside its segment
                victim = cluster.workers[0]
                os.kill(victim.pid, signal.SIGKILL)
                killed.append(victim.pid)
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_when_busy)
    try:
        killer.start()
        written = render_segments(load_timeline(demo), tmp_path / "farm.mov", executor=farm, preset="master", size=SIZE,
                                  media_root=demo.parent, segments=4)
        killer.join()
    finally:
        farm.close()
        cluster.stop()
    assert killed
    assert _frames(written) == _frames(one_pass)
    assert not list(tmp_path.glob(".aivp-*"))


def test_the_command_renders_in_segments_on_this_machines_processes(demo: Path, one_pass: Path, tmp_path: Path) -> None:
    output = tmp_path / "segments.mov"
    done = subprocess.run([sys.executable, "-m", "aivp_nle", "render", str(demo), "-o", str(output), "--preset", "master",
                           "--size", f"{SIZE[0]}x{SIZE[1]}", "--segments", "3"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert _frames(output) == _frames(one_pass)


def test_no_scheduler_is_one_clear_line(demo: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "aivp_nle", "render", str(demo), "-o", str(tmp_path / "x.mp4"),
                           "--cluster", "tcp://127.0.0.1:9"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no Dask scheduler answers at tcp://127.0.0.1:9" in lines[0] and "leave out --cluster" in lines[0]
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.parametrize(("mapping", "given", "seen"), [
    ({"/Volumes/NAS": "/mnt/nas"}, "/Volumes/NAS/job/a.mov", "/mnt/nas/job/a.mov"),
    ({"/Volumes/NAS": "/mnt/nas"}, "/Volumes/NASTY/a.mov", "/Volumes/NASTY/a.mov"),
    ({"Z:\\Jobs": "/srv/jobs"}, "z:/jobs/mv/a.mov", "/srv/jobs/mv/a.mov"),
    ({"/mnt/nas": "Z:\\Media"}, "/mnt/nas/mv/a.mov", "Z:\\Media\\mv\\a.mov"),
    ({"/a": "/x", "/a/b": "/y"}, "/a/b/c.mov", "/y/c.mov"),
])
def test_a_path_map_gives_where_a_worker_mounts_the_share(mapping: dict[str, str], given: str, seen: str) -> None:
    assert PathMap(mapping).for_worker(given) == seen
