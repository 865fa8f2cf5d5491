"""The small ways input goes wrong, each answered in one clear line: control characters in names,
SIGTERM mid-render, compressed downloads, impossible timecodes, paths a service file cannot hold,
pictures too large to decode, folders that cannot be written."""

from __future__ import annotations

import errno
import gzip
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import opentimelineio as otio
import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from aivp_nle.cli import main
from aivp_nle.config import ConformTarget
from aivp_nle.errors import ConfigError, MediaError
from aivp_nle.fetch.download import DownloadPolicy, download
from aivp_nle.ffmpeg import FFmpeg, media_arg
from aivp_nle.ingest.service import launchd_plist, systemd_unit
from aivp_nle.interchange import export_edit
from aivp_nle.probe import probe
from aivp_nle.resolve.plan import _lua
from aivp_nle.timelines import save_timeline

from .lua_resolve import LUA

ODD = "A\x0123B"  # "\x01" then digits: Lua read "\0123" as "{", XML cannot hold \x01 at all


@pytest.mark.parametrize("name", ["fcp7", "fcpxml", "mlt", "kdenlive"])
def test_a_control_character_in_a_name_leaves_the_file_readable_and_the_name_visible(
    name: str, edit: otio.schema.Timeline, media: Path, tmp_path: Path,
) -> None:
    odd = edit.deepcopy()
    odd.find_clips()[0].name = ODD
    odd.tracks[0].name = ODD
    suffix = {"fcp7": ".xml", "fcpxml": ".fcpxml", "mlt": ".mlt", "kdenlive": ".kdenlive"}[name]
    (path,) = export_edit(odd, tmp_path / f"odd{suffix}", to=name, media_root=media)
    ET.parse(path)  # well-formed XML
    assert "A\\x0123B" in path.read_text()


def test_a_file_named_with_a_control_character_is_refused_for_mlt_with_its_name(edit: otio.schema.Timeline, media: Path, tmp_path: Path) -> None:
    odd = edit.deepcopy()
    source = Path(otio.url_utils.filepath_from_url(odd.find_clips()[0].media_reference.target_url))
    renamed = tmp_path / "take\x01.mp4"
    renamed.write_bytes(source.read_bytes())
    odd.find_clips()[0].media_reference.target_url = str(renamed)
    with pytest.raises(MediaError, match="control character"):
        export_edit(odd, tmp_path / "odd.mlt", media_root=media)


@pytest.mark.skipif(LUA is None, reason="no Lua interpreter (./setup installs lua5.1)")
def test_a_lua_plan_string_reads_back_exactly() -> None:
    assert LUA is not None
    text = "A\x0123B\x7f\"\\ é"
    shown = subprocess.run([LUA, "-e", f"io.write({_lua(text, '')})"], capture_output=True, timeout=30).stdout
    assert shown.decode("utf-8") == text


def test_sigterm_mid_render_stops_ffmpeg_and_leaves_nothing(edit: otio.schema.Timeline, tmp_path: Path) -> None:
    saved = save_timeline(edit, tmp_path / "edit.otio")
    out = tmp_path / "out.mov"
    process = subprocess.Popen([sys.executable, "-m", "aivp_nle", "render", str(saved), "-o", str(out), "--preset", "master",
                                "--size", "1920x1080"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".aivp-tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    time.sleep(0.5)
    assert process.returncode != 0 and not out.exists() and not list(tmp_path.glob(".aivp-tmp-*"))
    running = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.split()
    assert running == [], "ffmpeg went on writing after aivp stopped"


class _Gzipping(BaseHTTPRequestHandler):
    body = b"\x00\x00\x00\x18ftypisom" + bytes(5000)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return

    def do_GET(self) -> None:  # noqa: N802
        packed = "gzip" in self.headers.get("accept-encoding", "")
        data = gzip.compress(self.body) if packed else self.body
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        if packed:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        self.wfile.write(data)


def test_a_download_is_asked_for_as_it_is_never_gzip(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gzipping)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with httpx.Client() as client:
            got = download(client, f"http://127.0.0.1:{server.server_address[1]}/v.mp4", tmp_path / "v.mp4",
                           DownloadPolicy(insecure_hosts=frozenset({"127.0.0.1"})))
    finally:
        server.shutdown()
    assert got.path.read_bytes() == _Gzipping.body


@pytest.mark.parametrize("timecode", ["99:59:59:99", "01:00:00:24", "24:00:00:00"])
def test_an_impossible_start_timecode_is_refused(timecode: str) -> None:
    with pytest.raises(ValidationError, match="timecode"):
        ConformTarget(fps=24, start_timecode=timecode)


def test_a_timecode_in_the_project_file_is_refused_in_one_line(tmp_path: Path) -> None:
    project = tmp_path / "mv"
    assert CliRunner().invoke(main, ["init", str(project)]).exit_code == 0
    (project / "aivp.toml").write_text('[conform]\nstart_timecode = "99:59:59:99"\n')
    result = CliRunner().invoke(main, ["build", str(project)])
    assert result.exit_code == 1 and "start_timecode" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("folder", ["mv\nExecStartPre=/bin/rm -rf ~", "mv\x01"])
def test_a_path_a_service_file_cannot_hold_never_reaches_one(folder: str, tmp_path: Path) -> None:
    for make in (systemd_unit, launchd_plist):
        with pytest.raises(ConfigError, match="a service file cannot hold this path"):
            make(Path("/usr/bin/aivp"), tmp_path / folder)


def test_a_percent_in_a_project_path_is_not_a_systemd_specifier(tmp_path: Path) -> None:
    assert "100%%" in systemd_unit(Path("/usr/bin/aivp"), tmp_path / "100% take")


def test_a_16000_pixel_take_is_refused_without_decoding_it(tmp_path: Path, ff: FFmpeg) -> None:
    big = tmp_path / "big.mkv"
    ff.run(["-f", "lavfi", "-i", "color=c=red:s=16000x16:d=0.1:r=24", "-c:v", "ffv1", media_arg(big)], "a wide take")
    info = probe(big, ff)
    assert info.video is not None
    wide = info.model_copy(update={"video": info.video.model_copy(update={"height": 16000})})  # the header a 16000x16000 file has
    with pytest.raises(MediaError, match="larger than the 8192x8192"):
        wide.require_video()


def test_a_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", "/proc/aivp-cannot-be-here"])
    assert result.exit_code == 1 and result.output.startswith("aivp: error: ") and "Traceback" not in result.output


def test_a_full_disk_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import aivp_nle.project as project_module

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "mv" / "aivp.toml"))

    monkeypatch.setattr(project_module, "write_bytes", full)
    result = CliRunner().invoke(main, ["init", str(tmp_path / "mv")])
    assert result.exit_code == 1 and "No space left on device" in result.output and "Traceback" not in result.output
