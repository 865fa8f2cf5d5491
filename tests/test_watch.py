"""The watch folder: every finished generation filed exactly once, never half, never lost."""

from __future__ import annotations

import configparser
import errno
import hashlib
import json
import os
import plistlib
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from aivp_nle import synthetic as synth
from aivp_nle.cli import main
from aivp_nle.ffmpeg import FFmpeg, media_arg
from aivp_nle.ingest import importer as importer_module
from aivp_nle.ingest import watcher as watcher_module
from aivp_nle.ingest.service import launchd_plist, systemd_unit
from aivp_nle.ingest.sidecar import TakeSidecar, sidecar_path
from aivp_nle.ingest.status import project_status
from aivp_nle.ingest.watcher import Watcher, ledger_path
from aivp_nle.project import Project, init_project, open_project

from .timeouts import work_timeout
from .watch_helpers import inbox, one_second_clip, takes, variant, wait_for, watch_project, watching, write_in_sessions, write_slowly


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory, ff: FFmpeg) -> bytes:
    return one_second_clip(tmp_path_factory.mktemp("clip"), ff)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return watch_project(tmp_path)


def run_once(project: Project, **settings: object) -> list[str]:
    lines: list[str] = []
    values = {"settle": 0.2, "rebuild": False, **settings}
    Watcher(project, settings=project.config.watch.model_copy(update=values), on_event=lines.append).run(once=True)
    return lines


def digests(paths: list[Path]) -> list[str]:
    return sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in paths)


def test_a_file_written_slowly_is_imported_once_complete_after_its_last_write(project: Project, clip: bytes) -> None:
    data = variant(clip, "slow", 600_000)
    target = inbox(project) / "slow.mp4"
    with watching(project, settle=0.8):

        def nothing_filed_yet() -> None:
            assert takes(project) == []  # never while it is being written

        write_slowly(target, data, 6, 0.5, nothing_filed_yet)
        assert wait_for(lambda: len(takes(project)) == 1)
        time.sleep(1.0)
    assert [p.read_bytes() for p in takes(project)] == [data]


@pytest.mark.parametrize("polling", [False, True])
def test_an_atomic_rename_into_the_inbox_is_imported_once(project: Project, clip: bytes, tmp_path: Path, polling: bool) -> None:
    outside = tmp_path / "made-elsewhere.mp4"
    outside.write_bytes(variant(clip, "renamed"))
    with watching(project, polling=polling):
        os.rename(outside, inbox(project) / "take.mp4")
        assert wait_for(lambda: len(takes(project)) == 1)
        time.sleep(0.8)
    assert len(takes(project)) == 1


def test_a_browser_download_is_imported_once_after_its_rename(project: Project, clip: bytes) -> None:
    data = variant(clip, "browser")
    partial = inbox(project) / "take.mp4.crdownload"
    with watching(project):
        partial.write_bytes(data[: len(data) // 2])
        time.sleep(1.0)
        partial.write_bytes(data)
        time.sleep(0.5)
        assert takes(project) == []
        os.rename(partial, inbox(project) / "take.mp4")
        assert wait_for(lambda: len(takes(project)) == 1)
    assert takes(project)[0].read_bytes() == data
    assert not (inbox(project) / "quarantine").exists()


def test_firefoxs_empty_placeholder_then_the_real_file_is_imported_once(project: Project, clip: bytes) -> None:
    data = variant(clip, "firefox")
    final, part = inbox(project) / "take.mp4", inbox(project) / "take.mp4.part"
    with watching(project):
        final.write_bytes(b"")
        part.write_bytes(data[:1000])
        time.sleep(1.2)
        part.write_bytes(data)
        os.replace(part, final)
        assert wait_for(lambda: len(takes(project)) == 1)
    assert takes(project)[0].read_bytes() == data and not (inbox(project) / "quarantine").exists()


def _faststart(clip: bytes, tmp_path: Path, ff: FFmpeg) -> bytes:
    whole = tmp_path / "faststart.mp4"
    (tmp_path / "plain.mp4").write_bytes(variant(clip, "fs", 200_000))
    ff.run(["-i", media_arg(tmp_path / "plain.mp4"), "-c", "copy", "-movflags", "+faststart", media_arg(whole)], "remuxing")
    return whole.read_bytes()


def test_a_truncated_mp4_nobody_writes_to_any_more_is_quarantined_with_the_reason(
    project: Project, clip: bytes, tmp_path: Path, ff: FFmpeg
) -> None:
    cut = inbox(project) / "cut.mp4"
    data = _faststart(clip, tmp_path, ff)
    cut.write_bytes(data[: len(data) // 20])
    abandoned = time.time() - 7200
    os.utime(cut, (abandoned, abandoned))
    lines = run_once(project, stall=3600.0)
    why = (inbox(project) / "quarantine" / "cut.mp4.why.txt").read_text()
    assert takes(project) == [] and "truncated" in why and "not written to for" in why
    assert any("quarantined cut.mp4" in line for line in lines)


def test_an_incomplete_mp4_written_recently_is_waiting_not_broken(project: Project, clip: bytes, tmp_path: Path, ff: FFmpeg) -> None:
    data = _faststart(clip, tmp_path, ff)
    (inbox(project) / "cut.mp4").write_bytes(data[: len(data) // 20])
    lines = run_once(project, patience=1.0)
    assert (inbox(project) / "cut.mp4").exists() and not (inbox(project) / "quarantine").exists()
    assert any("left in the inbox cut.mp4: still arriving" in line and "incomplete" in line for line in lines), lines


def test_a_writer_that_pauses_between_chunks_is_imported_once_complete(project: Project, clip: bytes, tmp_path: Path, ff: FFmpeg) -> None:
    data = _faststart(clip, tmp_path, ff)
    target = inbox(project) / "synced.mp4"
    with watching(project, settle=0.3):

        def nothing_filed_or_refused_yet() -> None:
            assert takes(project) == [] and not (inbox(project) / "quarantine").exists()

        write_in_sessions(target, data[: len(data) * 5 // 6], 5, 1.0, nothing_filed_or_refused_yet)
        write_in_sessions(target, data[len(data) * 5 // 6 :], 1, 0.0)
        assert wait_for(lambda: len(takes(project)) == 1)
    assert [p.read_bytes() for p in takes(project)] == [data] and not (inbox(project) / "quarantine").exists()


def test_a_fragmented_mp4_still_growing_waits_and_then_imports_once(project: Project, tmp_path: Path, ff: FFmpeg) -> None:
    fragmented = tmp_path / "fragmented.mp4"
    ff.run(["-f", "lavfi", "-i", "testsrc=s=64x36:r=24:d=6", "-c:v", "libx264", "-g", "12",
            "-movflags", "frag_keyframe+empty_moov", media_arg(fragmented)], "writing a fragmented MP4")
    data = fragmented.read_bytes()
    target = inbox(project) / "growing.mp4"
    with watching(project, settle=0.8):
        write_slowly(target, data, 8, 0.3)
        assert wait_for(lambda: len(takes(project)) == 1)
    assert takes(project)[0].read_bytes() == data and not (inbox(project) / "quarantine").exists()


def test_a_symlink_pointing_outside_is_quarantined_and_its_target_untouched(project: Project, clip: bytes, tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere.mp4"
    secret.write_bytes(variant(clip, "secret"))
    (inbox(project) / "link.mp4").symlink_to(secret)
    run_once(project)
    assert takes(project) == [] and secret.read_bytes() == variant(clip, "secret")
    assert "symbolic link" in (inbox(project) / "quarantine" / "link.mp4.why.txt").read_text()


NAMES = ["two words.mp4", "it's \"quoted\".mp4", "-leading.mp4", "time 01:02.mp4", "a,b,c.mp4", "café ü 日本.mp4"]


def test_awkward_names_are_each_imported_exactly_once(project: Project, clip: bytes) -> None:
    for index, name in enumerate(NAMES):
        (inbox(project) / name).write_bytes(variant(clip, f"name{index}"))
    run_once(project)
    assert digests(takes(project)) == digests([inbox(project) / "imported" / n for n in NAMES])  # originals kept there
    originals = {json.loads(sidecar_path(t).read_text())["original_name"] for t in takes(project)}
    assert originals == set(NAMES)


def test_a_file_that_is_not_media_is_quarantined_and_nothing_is_deleted(project: Project) -> None:
    (inbox(project) / "page.mp4").write_text("<html>Expired link</html>")
    run_once(project)
    quarantined = inbox(project) / "quarantine" / "page.mp4"
    assert quarantined.read_text() == "<html>Expired link</html>"
    assert "ffprobe" in (inbox(project) / "quarantine" / "page.mp4.why.txt").read_text()


def test_the_same_take_dropped_twice_is_imported_once(project: Project, clip: bytes) -> None:
    (inbox(project) / "first.mp4").write_bytes(variant(clip, "same"))
    (inbox(project) / "again.mp4").write_bytes(variant(clip, "same"))
    lines = run_once(project)
    assert len(takes(project)) == 1 and any("the same take as" in line for line in lines)
    assert run_once(project) == []  # a restart is a no-op too


def test_takes_get_versioned_names_from_json_pattern_or_arrival(project: Project, clip: bytes) -> None:
    box = inbox(project)
    (box / "kling_001.mp4").write_bytes(variant(clip, "a"))
    (box / "kling_001.mp4.json").write_text(json.dumps({"angle": "neon", "prompt": "woman in red, neon alley", "service": "kling", "task_id": "t-1"}))
    (box / "kling_002.mp4").write_bytes(variant(clip, "b"))
    (box / "kling_002.txt").write_text("same woman, rooftop at dawn")
    (box / "kling_003.mp4").write_bytes(variant(clip, "c"))
    (box / "kling_004.mp4").write_bytes(variant(clip, "d"))
    (box / "kling_004.mp4.json").write_text(json.dumps({"angle": "neon"}))
    run_once(project)
    names = [t.name for t in takes(project)]
    assert names == ["s01_angleA_v001.mp4", "s01_angleB_v001.mp4", "s01_neon_v001.mp4", "s01_neon_v002.mp4"]
    neon = TakeSidecar.model_validate_json(sidecar_path(takes(project)[2]).read_text())
    assert (neon.prompt, neon.source.service, neon.source.task_id, neon.original_name) == ("woman in red, neon alley", "kling", "t-1", "kling_001.mp4")
    assert neon.sha256 == hashlib.sha256(takes(project)[2].read_bytes()).hexdigest() and neon.probe.video is not None
    dawn = TakeSidecar.model_validate_json(sidecar_path(takes(project)[0]).read_text())
    assert dawn.prompt == "same woman, rooftop at dawn"


def test_a_pattern_in_the_project_file_names_the_angle_and_shot(tmp_path: Path, clip: bytes) -> None:
    root = init_project(tmp_path / "mv").root
    (root / "aivp.toml").write_text("[watch]\nrebuild = false\npattern = '(?P<shot>sh\\d+)_(?P<angle>[a-z]+)'\n")
    project = open_project(root)
    (inbox(project) / "sh02_rooftop_final.mp4").write_bytes(variant(clip, "p"))
    (project.root / "prompts.txt").write_text("sh02_rooftop_final: a rooftop at dawn\n")
    run_once(project)
    (take,) = takes(project)
    assert take.name == "sh02_rooftop_v001.mp4"
    assert TakeSidecar.model_validate_json(sidecar_path(take).read_text()).prompt == "a rooftop at dawn"


@pytest.mark.slow
def test_five_hundred_files_at_once_are_each_imported_exactly_once(project: Project, clip: bytes) -> None:
    sources = []
    with watching(project, settle=0.3):
        for index in range(500):
            path = inbox(project) / f"take {index:03d}.mp4"
            path.write_bytes(variant(clip, f"many{index}"))
            sources.append(hashlib.sha256(path.read_bytes()).hexdigest())  # the originals move to inbox/imported/
        assert wait_for(lambda: len(takes(project)) == 500, timeout=180)
        time.sleep(0.5)
    assert digests(takes(project)) == sorted(sources)


def test_events_lost_to_an_overflowing_queue_are_recovered_by_rescanning(project: Project, clip: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watcher_module._Hints, "on_any_event", lambda self, event: None)  # every event dropped
    with watching(project, rescan=0.5):
        time.sleep(0.3)
        (inbox(project) / "unannounced.mp4").write_bytes(variant(clip, "overflow"))
        assert wait_for(lambda: len(takes(project)) == 1)


def test_a_full_disk_pauses_intake_removes_the_partial_copy_and_loses_nothing(project: Project, clip: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    real_copy = importer_module.Importer._copy
    failures = []

    def copy_until_full(self: importer_module.Importer, source: Path, scratch: Path, checked: object) -> str:
        if not failures:
            failures.append(scratch)
            scratch.write_bytes(b"half a take")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_copy(self, source, scratch, checked)

    monkeypatch.setattr(importer_module.Importer, "_copy", copy_until_full)
    monkeypatch.setattr(watcher_module, "PAUSE_WHEN_FULL", 1.0)
    (inbox(project) / "big.mp4").write_bytes(variant(clip, "full"))
    with watching(project) as (_, lines):
        assert wait_for(lambda: any(line.startswith("paused:") for line in lines))
        assert not failures[0].exists() and takes(project) == []  # the partial copy is gone, nothing half-filed
        assert wait_for(lambda: len(takes(project)) == 1)
    assert takes(project)[0].read_bytes() == variant(clip, "full")


def _watch_command(project: Project) -> list[str]:
    return [sys.executable, "-m", "aivp_nle", "watch", str(project.root), "--once", "--settle", "0.1"]


def _ledger_takes(project: Project) -> list[Path]:
    with sqlite3.connect(ledger_path(project)) as db:
        return sorted(Path(os.fsdecode(row[0])) for row in db.execute("SELECT take FROM takes WHERE state = 'published'"))


@pytest.mark.slow
def test_kill_9_at_random_moments_never_loses_duplicates_or_half_writes_a_take(project: Project, clip: bytes) -> None:
    rng = random.Random(20261125)
    sources = []
    for index in range(12):
        path = inbox(project) / f"take{index:02d}.mp4"
        path.write_bytes(variant(clip, f"kill{index}", 3_000_000))
        sources.append(hashlib.sha256(path.read_bytes()).hexdigest())  # the originals move to inbox/imported/
    for _ in range(20):
        process = subprocess.Popen(_watch_command(project), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 2.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        for take in takes(project):  # no partial file under a final name, ever
            assert hashlib.sha256(take.read_bytes()).hexdigest() in sources
    done = subprocess.run(_watch_command(project), capture_output=True, text=True, timeout=work_timeout(len(sources), seconds_per_second=1.0))
    assert done.returncode == 0, done.stderr
    assert digests(takes(project)) == sorted(sources)  # every file exactly once
    assert _ledger_takes(project) == takes(project)  # the ledger matches the disk
    assert not list(project.stage_dir("v1_exploration").glob(".aivp-tmp-*"))


def test_a_take_the_user_removed_is_not_brought_back_from_the_inbox(project: Project, clip: bytes) -> None:
    (inbox(project) / "take.mp4").write_bytes(variant(clip, "again"))
    run_once(project)
    (take,) = takes(project)
    shutil.move(inbox(project) / "imported" / "take.mp4", inbox(project) / "take.mp4")  # as if it had stayed in the inbox
    take.unlink()
    lines = run_once(project)
    assert any("gone from disk: removed, so its original is not imported again" in line for line in lines)
    assert takes(project) == [] and (inbox(project) / "take.mp4").exists()


def test_an_original_filed_is_moved_to_imported_and_kept(project: Project, clip: bytes) -> None:
    data = variant(clip, "kept")
    (inbox(project) / "take.mp4").write_bytes(data)
    lines = run_once(project)
    assert (inbox(project) / "imported" / "take.mp4").read_bytes() == data and not (inbox(project) / "take.mp4").exists()
    assert any("original kept in inbox/imported/" in line for line in lines)


def test_a_handbook_name_is_filed_as_that_angle_and_version(project: Project, clip: bytes) -> None:
    (inbox(project) / "blue_v002.mp4").write_bytes(variant(clip, "blue2"))
    (inbox(project) / "chunk02_red_v001.mp4").write_bytes(variant(clip, "red1"))
    run_once(project)
    assert [t.name for t in takes(project)] == ["chunk02_red_v001.mp4", "s01_blue_v002.mp4"]


def test_a_version_already_taken_is_filed_as_the_next_one_never_over_it(project: Project, clip: bytes) -> None:
    (inbox(project) / "blue_v002.mp4").write_bytes(variant(clip, "first"))
    run_once(project)
    (inbox(project) / "blue_v002.mp4").write_bytes(variant(clip, "second"))
    lines = run_once(project)
    assert [t.name for t in takes(project)] == ["s01_blue_v002.mp4", "s01_blue_v003.mp4"]
    assert any("as s01_blue_v003.mp4 (v002 was taken)" in line for line in lines)


def test_a_byte_copy_of_a_take_placed_by_hand_is_not_a_new_angle(project: Project, clip: bytes) -> None:
    data = variant(clip, "by hand")
    (project.stage_dir("v1_exploration") / "s01_red_v001.mp4").write_bytes(data)
    (inbox(project) / "copy of red.mp4").write_bytes(data)
    lines = run_once(project)
    assert [t.name for t in takes(project)] == ["s01_red_v001.mp4"]
    assert any("skipped copy of red.mp4: the same take as s01_red_v001.mp4" in line for line in lines)


def test_status_lists_takes_pending_files_and_quarantine_reasons(project: Project, clip: bytes) -> None:
    (inbox(project) / "good.mp4").write_bytes(variant(clip, "good"))
    (inbox(project) / "bad.mp4").write_text("not a video")
    run_once(project)
    (inbox(project) / "later.mp4").write_bytes(variant(clip, "later"))
    found = project_status(project)
    assert found.takes == {"v1_exploration": {"s01_angleA": ["s01_angleA_v001.mp4"]}}
    assert found.pending == ["later.mp4"] and "ffprobe" in found.quarantined["bad.mp4"]


def test_finished_takes_rebuild_the_edit_and_export_it(tmp_path: Path, angles: list[Path], song: Path) -> None:
    project = init_project(tmp_path / "mv")
    shutil.copy(song, project.audio_dir / "song.wav")
    for index, take in enumerate(angles):
        shutil.copy(take, inbox(project) / f"gen{index}.mp4")
    lines = run_once(project, rebuild=True)
    assert (project.edit_dir / "beatcut_v001.otio").is_file() and (project.edit_dir / "beatcut_v001_resolve.otio").is_file()
    assert any(line.startswith("rebuilt") for line in lines)


def test_service_files_start_the_watcher_and_stop_it_with_sigterm(project: Project) -> None:
    unit = configparser.ConfigParser()
    unit.read_string(systemd_unit(Path("/usr/bin/aivp"), project.root))
    assert unit["Service"]["ExecStart"].startswith("/usr/bin/aivp watch ") and unit["Service"]["KillSignal"] == "SIGTERM"
    agent = plistlib.loads(launchd_plist(Path("/usr/local/bin/aivp"), project.root).encode())
    assert agent["ProgramArguments"] == ["/usr/local/bin/aivp", "watch", str(project.root)] and agent["RunAtLoad"]


@pytest.mark.slow
def test_sigterm_lets_the_current_file_finish(project: Project, clip: bytes) -> None:
    data = variant(clip, "sigterm", 400_000_000)
    (inbox(project) / "big.mp4").write_bytes(data)
    process = subprocess.Popen(
        [sys.executable, "-m", "aivp_nle", "watch", str(project.root), "--settle", "0.1"], stdout=subprocess.PIPE, text=True
    )
    stage = project.stage_dir("v1_exploration")
    assert wait_for(lambda: bool(list(stage.glob(".aivp-tmp-*"))), timeout=60), "the copy never started"
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0, out
    assert [t.read_bytes() == data for t in takes(project)] == [True]
    assert "imported big.mp4" in out


def test_a_take_at_another_rate_is_refused_at_the_door_with_the_fix(project: Project, tmp_path: Path, ff: FFmpeg) -> None:
    fast = synth.make_angle(tmp_path / "fast.mp4", "blue", 1.0, 30, (64, 36), ff=ff)
    shutil.copy(fast, inbox(project) / "fast.mp4")
    run_once(project)
    why = (inbox(project) / "quarantine" / "fast.mp4.why.txt").read_text()
    assert takes(project) == [] and "30 fps, but the project works at 24 fps" in why and "aivp conform apply" in why


def test_watch_once_exits_1_when_it_refused_a_file(project: Project, tmp_path: Path, ff: FFmpeg) -> None:
    (inbox(project) / "page.mp4").write_text("<html>Expired link</html>")
    result = CliRunner().invoke(main, ["watch", "--once", "--settle", "0.2", str(project.root)])
    assert result.exit_code == 1 and "1 problem(s) this run: quarantined page.mp4" in result.output


def test_with_conform_on_import_a_take_at_another_rate_is_filed_and_conformed(project: Project, tmp_path: Path, ff: FFmpeg) -> None:
    fast = synth.make_angle(tmp_path / "fast.mp4", "blue", 1.0, 30, (64, 36), ff=ff)
    shutil.copy(fast, inbox(project) / "fast.mp4")
    lines = run_once(project, conform=True)
    (take,) = takes(project)
    copy = take.parent / "conformed" / (take.stem + ".mov")
    assert copy.exists() and any("conformed to conformed/" in line for line in lines)
    assert [t.path for t in project.latest_takes()] == [copy]


def test_a_take_interrupted_after_its_copy_is_finished_and_its_original_filed_away(project: Project, clip: bytes) -> None:
    from aivp_nle.ingest.ledger import Ledger

    data = variant(clip, "interrupted")
    source = inbox(project) / "take.mp4"
    source.write_bytes(data)
    take = project.stage_dir("v1_exploration") / "s01_angleA_v001.mp4"
    take.write_bytes(data)  # linked under its name, then killed before the ledger published it
    with Ledger(ledger_path(project)) as ledger:
        ledger.begin(hashlib.sha256(data).hexdigest(), take, source)
    lines = run_once(project)
    assert any("finished s01_angleA_v001.mp4, interrupted after its copy" in line for line in lines)
    assert takes(project) == [take] and (inbox(project) / "imported" / "take.mp4").read_bytes() == data
