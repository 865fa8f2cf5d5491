"""Whatever lands in the inbox, the watch folder goes on: names that are bytes, names at the length
limit, FIFOs, links, junk, files that never finish, a ledger gone bad, a file swapped mid-import."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aivp_nle.cli import main
from aivp_nle.ffmpeg import FFmpeg
from aivp_nle.ingest import importer as importer_module
from aivp_nle.ingest.finished import Judge, Ready
from aivp_nle.ingest.ledger import Ledger
from aivp_nle.ingest.watcher import Watcher, ledger_path
from aivp_nle.project import Project

from .watch_helpers import inbox, one_second_clip, takes, variant, watch_project

NOT_UTF8 = os.fsdecode(b"take \xff\xfe.mp4")  # a legal Linux name that is not text


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory, ff: FFmpeg) -> bytes:
    return one_second_clip(tmp_path_factory.mktemp("clip"), ff)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return watch_project(tmp_path, "patience = 3.0\n")


def run_once(project: Project, timeout: float = 120.0) -> list[str]:
    lines: list[str] = []
    watcher = Watcher(project, settings=project.config.watch.model_copy(update={"settle": 0.2}), on_event=lines.append)
    thread = threading.Thread(target=watcher.run, kwargs={"once": True}, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        watcher.stop.set()
        thread.join(30)
        raise AssertionError(f"watch --once did not finish in {timeout:.0f} s: {lines}")
    return lines


def quarantined(project: Project) -> set[str]:
    folder = inbox(project) / "quarantine"
    return {p.name for p in folder.iterdir() if not p.name.endswith(".why.txt")} if folder.is_dir() else set()


def test_a_name_that_is_not_utf8_is_filed_and_shown_escaped(project: Project, clip: bytes) -> None:
    (inbox(project) / NOT_UTF8).write_bytes(clip)
    lines = run_once(project)
    assert len(takes(project)) == 1 and any("take \\xff\\xfe.mp4" in line for line in lines)
    assert run_once(project) == [] or len(takes(project)) == 1  # a restart is a no-op, not a crash
    shown = CliRunner().invoke(main, ["status", str(project.root)])
    assert shown.exit_code == 0 and "s01_angleA_v001.mp4" in shown.output


def test_a_name_at_the_length_limit_is_filed_and_one_too_odd_is_quarantined_with_its_note(project: Project, clip: bytes) -> None:
    longest = "é" * 125 + "x.mp4"  # 255 bytes: legal, and no temporary sibling can be longer
    (inbox(project) / longest).write_bytes(clip)
    odd = "clip." + "x" * 250  # a legal name whose "extension" is 250 bytes
    (inbox(project) / odd).write_bytes(clip)
    run_once(project)
    assert len(takes(project)) == 1
    (moved,) = quarantined(project)
    assert len(os.fsencode(moved + ".why.txt")) <= 255
    note = (inbox(project) / "quarantine" / (moved + ".why.txt")).read_text()
    assert "aivp builds from" in note and odd[:40] in note


def test_a_folder_of_every_nasty_name_and_kind_never_stops_the_watcher(project: Project, clip: bytes, tmp_path: Path) -> None:
    folder = inbox(project)
    good = {NOT_UTF8: "a", "é" * 125 + "x.mp4": "b", "new\nline.mp4": "c", "ctrl\x01char.mp4": "d", "tab\tand space.mp4": "e",
            "🎬 emoji.mp4": "f"}
    for name, tag in good.items():
        (folder / name).write_bytes(variant(clip, tag))
    bad = {"truncated.mp4": clip[: len(clip) // 3], "noise.mp4": os.urandom(20000), "empty.mov": b"", "clip.avi": clip,
           "no extension": clip, "not really.mkv": b"\x1aE\xdf\xa3" + os.urandom(5000)}
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    os.mkfifo(folder / "a fifo.mp4")
    os.symlink("/etc/passwd", folder / "link.mp4")
    (folder / "a folder").mkdir()
    (folder / "stale.mp4.part").write_bytes(clip[:100])
    old = time.time() - 3600
    os.utime(folder / "empty.mov", (old, old))
    os.utime(folder / "truncated.mp4", (old, old))  # abandoned: an incomplete MP4 written to recently waits
    lines = run_once(project)
    assert len(takes(project)) == len(good), lines
    assert quarantined(project) == {"truncated.mp4", "noise.mp4", "clip.avi", "no extension", "not really.mkv", "a fifo.mp4", "link.mp4"} | (
        {"empty.mov"} if "empty.mov" in quarantined(project) else set())
    assert (folder / "stale.mp4.part").exists() and (folder / "a folder").is_dir()  # waiting, and not ours
    assert "left in the inbox stale.mp4.part: a download's temporary name (it finishes, or it is stale)" in lines
    assert all(line.isprintable() for line in lines)  # every name shown escaped
    assert Path("/etc/passwd").exists()


def test_watch_once_finishes_when_a_file_never_settles(project: Project, clip: bytes) -> None:
    growing = inbox(project) / "growing.mp4"
    stop = threading.Event()

    def grow() -> None:
        with open(growing, "wb") as handle:
            while not stop.is_set():
                handle.write(b"\0" * 1000)
                handle.flush()
                time.sleep(0.05)

    writer = threading.Thread(target=grow, daemon=True)
    writer.start()
    try:
        lines = run_once(project, timeout=60)
    finally:
        stop.set()
        writer.join()
    assert any(line.startswith("left in the inbox growing.mp4: still arriving") for line in lines)
    assert growing.exists() and not takes(project)


def test_a_corrupt_ledger_is_rebuilt_from_the_sidecars_and_nothing_is_imported_twice(project: Project, clip: bytes) -> None:
    for tag in "ab":
        (inbox(project) / f"{tag}.mp4").write_bytes(variant(clip, tag))
    run_once(project)
    assert len(takes(project)) == 2
    ledger = ledger_path(project)
    for extra in (ledger.with_name(ledger.name + "-wal"), ledger.with_name(ledger.name + "-shm")):
        extra.unlink(missing_ok=True)
    ledger.write_bytes(b"this is not a database" * 100)
    lines = run_once(project)
    assert len(takes(project)) == 2, lines  # the inbox files are known again: duplicates, not new takes
    assert any("the ledger could not be read" in line for line in lines)
    assert any(p.name.startswith("ledger.sqlite.unreadable-") for p in ledger.parent.iterdir())


def test_a_missing_ledger_is_rebuilt_from_the_sidecars(project: Project, clip: bytes) -> None:
    (inbox(project) / "a.mp4").write_bytes(clip)
    run_once(project)
    for path in ledger_path(project).parent.glob("ledger.sqlite*"):
        path.unlink()
    lines = run_once(project)
    assert len(takes(project)) == 1 and any("rebuilt the ledger from 1 takes' sidecars" in line for line in lines)


def test_a_ledger_of_names_as_text_is_read_as_names(project: Project, clip: bytes) -> None:
    (inbox(project) / "a.mp4").write_bytes(clip)
    run_once(project)
    with sqlite3.connect(ledger_path(project)) as db:  # as an earlier version wrote it
        db.execute("UPDATE seen SET source = CAST(source AS TEXT)")
    assert run_once(project) == [] and len(takes(project)) == 1


def test_a_file_swapped_between_the_checks_and_the_copy_is_judged_again(
    project: Project, clip: bytes, monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = inbox(project) / "a.mp4"
    source.write_bytes(variant(clip, "first"))
    check = Judge.check

    def check_then_swap(self: Judge, path: Path, expected: float | None = None) -> object:
        verdict = check(self, path, expected)
        if isinstance(verdict, Ready) and path.read_bytes().endswith(b"first"):
            path.unlink()
            path.write_bytes(variant(clip, "second, longer"))  # another file under the same name
        return verdict

    monkeypatch.setattr(Judge, "check", check_then_swap)
    lines = run_once(project)
    (take,) = takes(project)
    assert take.read_bytes().endswith(b"second, longer") and any("changed since it was checked" in line for line in lines)


def test_the_room_needed_is_the_files_size_plus_a_margin(project: Project, clip: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    usage = shutil.disk_usage(project.root)
    monkeypatch.setattr(importer_module.shutil, "disk_usage", lambda path: usage._replace(free=8 * 1024 * 1024))
    (inbox(project) / "small.mp4").write_bytes(clip)  # tens of kB with 8 MB free
    run_once(project)
    assert len(takes(project)) == 1


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.binary(min_size=1, max_size=60).filter(lambda b: b"/" not in b and b"\0" not in b and b not in (b".", b"..")),
                      min_size=1, max_size=4, unique=True),
       data=st.binary(max_size=3000))
def test_random_names_and_bytes_never_stop_the_watcher_and_nothing_is_lost(
    names: list[bytes], data: bytes, tmp_path_factory: pytest.TempPathFactory, clip: bytes,
) -> None:
    project = watch_project(tmp_path_factory.mktemp("fuzz"), "patience = 2.0\n")
    folder = inbox(project)
    for index, name in enumerate(names):
        (folder / os.fsdecode(name)).write_bytes(variant(clip, str(index)) if index == 0 else data)
    arrived = {hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}
    run_once(project, timeout=90)
    kept = [p for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".why.txt")] + takes(project)
    assert arrived <= {hashlib.sha256(p.read_bytes()).hexdigest() for p in kept}  # nothing lost, whatever it was
    with Ledger(ledger_path(project)) as ledger:  # the ledger still reads
        assert ledger.outcomes() is not None
