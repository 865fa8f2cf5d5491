"""`aivp beats`: beat times a cut can land on, whatever the file format."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from aivp_nle import synthetic as synth
from aivp_nle.beats import track_beats
from aivp_nle.beats.analysis import BeatOptions, analyse, beats_from_file
from aivp_nle.beats.plot import beat_picture
from aivp_nle.cli import main
from aivp_nle.errors import NoBeatsError
from aivp_nle.ffmpeg import FFmpeg
from aivp_nle.project import init_project

from .conftest import BPM, SONG_SECONDS


def test_beats_of_a_click_track_fall_on_its_grid(song: Path, ff: FFmpeg) -> None:
    grid = track_beats(song, ff=ff)
    period = 60.0 / BPM
    expected = np.arange(0.0, SONG_SECONDS - 1e-6, period)
    assert len(grid.beats) == len(expected)
    assert np.max(np.abs(np.array(grid.beats) - expected)) < 0.005
    assert grid.bpm == pytest.approx(BPM, abs=0.2)


def test_downbeats_are_the_accented_first_beats_of_each_bar(song: Path, ff: FFmpeg) -> None:
    grid = track_beats(song, ff=ff)
    assert np.allclose(grid.downbeats, np.arange(0.0, SONG_SECONDS - 1e-6, 4 * 60.0 / BPM), atol=0.005)


@pytest.mark.parametrize("suffix", [".mp3", ".m4a", ".opus"])
def test_compressed_copies_give_the_same_beats_within_two_ms(
    suffix: str, song: Path, make: Callable[..., Path], ff: FFmpeg
) -> None:
    reference = np.array(track_beats(song, ff=ff).beats)
    compressed = np.array(track_beats(make("song", suffix=suffix), ff=ff).beats)
    assert compressed.shape == reference.shape
    assert np.max(np.abs(compressed - reference)) < 0.002


def test_silence_has_no_beats_and_says_to_give_the_tempo(make: Callable[..., Path], ff: FFmpeg) -> None:
    with pytest.raises(NoBeatsError, match="silence.wav: has no beats.*--bpm"):
        track_beats(make("silence"), ff=ff)


def test_a_pinned_tempo_is_kept(song: Path, ff: FFmpeg) -> None:
    grid = track_beats(song, bpm=120.0, ff=ff)
    assert grid.bpm == 120.0
    assert np.max(np.abs(np.diff(grid.beats) - 0.5)) < 0.01


def test_beats_json_has_beats_downbeats_bpm_and_the_bar_grid(song: Path) -> None:
    result = CliRunner().invoke(main, ["beats", "--json", "--fps", "24", str(song)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"beats", "downbeats", "bpm", "bar_positions", "tempo_curve", "confidence", "meter"} <= set(data)
    assert all(isinstance(t, float) for t in data["beats"]) and isinstance(data["bpm"], float)
    assert data["bar_positions"][:8] == [1, 2, 3, 4, 1, 2, 3, 4] and data["meter"] == 4
    assert data["frames"]["beats"][:4] == [0, 12, 24, 36] and data["frames"]["max_snap_error_s"] < 0.005
    assert data["confidence"] > 0.9 and all(abs(bpm - 120) < 2 for _, bpm in data["tempo_curve"])


def test_the_cli_reports_tempo_meter_and_confidence(song: Path) -> None:
    first_line = CliRunner().invoke(main, ["beats", str(song)]).output.splitlines()[0]
    assert first_line.startswith("song.wav: 120") and "BPM, 4/4, 24 beats, 6 downbeats, confidence" in first_line
    assert "(beatnet: BeatNet models 1-3 (Heydari et al., CC BY 4.0)" in first_line


def test_a_pinned_grid_needs_no_tracking_and_keeps_the_bar(song: Path, tmp_path: Path) -> None:
    grid = analyse(song, BeatOptions(bpm=120.0, first_downbeat=0.25), cache=tmp_path)
    assert grid.source == "pinned grid" and grid.beats[:3] == (0.25, 0.75, 1.25)
    assert grid.downbeats[:2] == (0.25, 2.25) and grid.bar_positions[:5] == (1, 2, 3, 4, 1)


def test_an_offset_nudges_every_beat(song: Path, tmp_path: Path) -> None:
    plain = analyse(song, BeatOptions(), cache=tmp_path)
    later = analyse(song, BeatOptions(offset=0.02), cache=tmp_path)
    assert np.allclose(np.array(later.beats[:10]) - np.array(plain.beats[:10]), 0.02, atol=1e-6)


def test_beat_times_load_from_a_text_file_with_bar_positions(tmp_path: Path) -> None:
    beats_file = tmp_path / "beats.csv"
    beats_file.write_text("time,position\n0.5,1\n1.0,2\n1.5,3\n2.0,4\n2.5,1\n")
    grid = beats_from_file(beats_file)
    assert grid.beats == (0.5, 1.0, 1.5, 2.0, 2.5) and grid.downbeats == (0.5, 2.5) and grid.bpm == 120.0


def test_beat_times_load_from_an_otio_timelines_markers(tmp_path: Path) -> None:
    from aivp_nle.config import BeatSettings
    from aivp_nle.pipeline import beat_options
    from aivp_nle.samples import sample_timelines
    from aivp_nle.timelines import save_timeline

    path = save_timeline(sample_timelines()["multicam.otio"], tmp_path / "edit.otio")
    grid = beat_options(BeatSettings(), tmp_path, beats_file=path).known
    assert grid is not None
    assert grid.beats[:3] == (0.0, 0.5, 1.0) and grid.downbeats[:2] == (0.0, 2.0)


def test_results_are_cached_by_the_audios_content(song: Path, tmp_path: Path) -> None:
    first = analyse(song, BeatOptions(), cache=tmp_path)
    (entry,) = tmp_path.glob("*.json")
    assert entry.name.startswith(hashlib.sha256(song.read_bytes()).hexdigest())
    entry.write_text(first.model_copy(update={"bpm": 99.0}).model_dump_json())
    assert analyse(song, BeatOptions(), cache=tmp_path).bpm == 99.0  # served from the cache


def test_a_project_tracks_beats_on_its_drums_stem(tmp_path: Path, song: Path) -> None:
    project = init_project(tmp_path / "mv")
    for name in ("My Song (mix).wav", "My Song (drums).wav", "My Song (vocals).wav"):
        shutil.copy(song, project.audio_dir / name)
    assert project.song().name == "My Song (mix).wav"
    assert project.beat_audio().name == "My Song (drums).wav"


def test_a_two_second_file_is_too_short_and_says_what_to_do(tmp_path: Path, ff: FFmpeg) -> None:
    short = synth.make_song(tmp_path / "short.wav", 2.0, 120.0, ff)
    with pytest.raises(NoBeatsError, match="lasts 2.0 s.*--bpm N --first-downbeat"):
        track_beats(short, ff=ff)


def test_speech_with_no_beat_is_refused_with_the_suggestion_to_pin_a_bpm(tmp_path: Path, ff: FFmpeg) -> None:
    rng = np.random.default_rng(3)
    speech = np.zeros(22050 * 12, dtype=np.float32)
    for start in np.cumsum(rng.exponential(0.3, 60)):
        at, length = int(start * 22050), int(rng.uniform(0.08, 0.25) * 22050)
        if at + length < speech.size:
            speech[at : at + length] += (rng.standard_normal(length) * np.hanning(length) * 0.3).astype(np.float32)
    path = tmp_path / "talk.wav"
    _write_wav(path, speech)
    with pytest.raises(NoBeatsError, match="talk.wav: has no beats.*--bpm"):
        track_beats(path, ff=ff)


def _write_wav(path: Path, signal: np.ndarray) -> None:
    import wave

    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(22050)
        handle.writeframes((np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes())


def test_a_corrupt_file_gets_a_clear_message(tmp_path: Path) -> None:
    broken = tmp_path / "song.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    result = CliRunner().invoke(main, ["beats", str(broken)])
    assert result.exit_code == 1 and "song.wav: is not media" in result.output


def test_the_plot_draws_waveform_beats_and_cuts(song: Path, tmp_path: Path) -> None:
    picture = tmp_path / "beats.png"
    result = CliRunner().invoke(main, ["beats", str(song), "--plot", str(picture)])
    assert result.exit_code == 0, result.output
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    grid = analyse(song, BeatOptions(), cache=tmp_path)
    pixels = beat_picture(np.sin(np.arange(8000 * 12) / 10).astype(np.float32), 8000, grid, cuts=[6.0])
    assert tuple(pixels[5, int(6.0 / 12 * 1599)]) == (30, 90, 220)  # a cut, top third
    assert tuple(pixels[300, int(grid.downbeats[1] / 12 * 1599)]) == (215, 40, 40)  # a downbeat, full height
