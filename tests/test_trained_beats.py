"""The trained ear (BeatNet's network, our decoding): the default tracker, its levels, its refusals."""

from __future__ import annotations

import io
import json
import pickle
import typing
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from aivp_nle import synthetic as synth
from aivp_nle.beats import track_beats
from aivp_nle.beats.analysis import DEFAULT_TRACKER, TRACKERS, BeatOptions, analyse, at_level
from aivp_nle.beats.beatnet import FPS, SAMPLE_RATE, Activation, load_weights
from aivp_nle.beats.trained import beats_from_activation, trained_beats
from aivp_nle.cli import main
from aivp_nle.config import BeatSettings
from aivp_nle.errors import ConfigError, NoBeatsError
from aivp_nle.ffmpeg import FFmpeg

from .conftest import BPM, SONG_SECONDS


def test_the_default_tracker_is_the_trained_one_everywhere() -> None:
    assert DEFAULT_TRACKER == "beatnet" == BeatOptions().tracker == BeatSettings().tracker


def test_every_tracker_can_be_named_in_the_project_file() -> None:
    assert set(typing.get_args(BeatSettings.model_fields["tracker"].annotation)) == set(TRACKERS)


def test_the_trained_ear_finds_the_click_tracks_beats_within_five_ms(song: Path, tmp_path: Path) -> None:
    grid = analyse(song, BeatOptions(), cache=tmp_path)
    expected = np.arange(0.0, SONG_SECONDS - 1e-6, 60.0 / BPM)
    assert len(grid.beats) == len(expected) and grid.bpm == pytest.approx(BPM, abs=0.2)
    assert np.max(np.abs(np.array(grid.beats) - expected)) < 0.005
    assert grid.source.startswith("beatnet")


def test_the_trained_ear_hears_the_bar_where_the_harmony_changes(song: Path, tmp_path: Path) -> None:
    grid = analyse(song, BeatOptions(), cache=tmp_path)
    assert grid.meter == 4
    assert np.allclose(grid.downbeats, np.arange(0.0, SONG_SECONDS - 1e-6, 4 * 60.0 / BPM), atol=0.005)


def test_a_four_second_clip_still_gets_its_bars(tmp_path: Path, ff: FFmpeg) -> None:
    clip = synth.make_song(tmp_path / "clip.wav", 4.0, 120.0, ff)
    grid = analyse(clip, BeatOptions(), ff, cache=tmp_path)
    assert len(grid.beats) >= 7 and grid.downbeats[0] == pytest.approx(0.0, abs=0.01)


@pytest.mark.parametrize("kind", ["silence", "noise"])
def test_audio_without_a_pulse_is_refused_with_what_to_do(kind: str, tmp_path: Path, ff: FFmpeg) -> None:
    rng = np.random.default_rng(5)
    signal = np.zeros(SAMPLE_RATE * 12, dtype=np.float32)
    if kind == "noise":
        signal = (rng.standard_normal(signal.size) * 0.2).astype(np.float32)
    path = tmp_path / f"{kind}.wav"
    _write_wav(path, signal)
    with pytest.raises(NoBeatsError, match=f"{kind}.wav: has no beats.*--bpm"):
        track_beats(path, ff=ff, listen=trained_beats)


def _speech(seed: int, seconds: float = 12.0) -> np.ndarray:
    """Speech-like sound: phrases of words of syllables (a consonant burst, then a voiced vowel
    gliding in pitch with its harmonics), pauses between words and longer ones between phrases."""
    rng = np.random.default_rng(seed)
    out, t = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32), 0.2
    while t < seconds - 1:
        for _ in range(rng.integers(3, 9)):
            for _ in range(rng.integers(1, 4)):
                at, n = int(t * SAMPLE_RATE), int(rng.uniform(0.03, 0.08) * SAMPLE_RATE)
                out[at : at + n] += (rng.standard_normal(n) * 0.05 * np.hanning(n))[: out.size - at].astype(np.float32)
                t += n / SAMPLE_RATE
                at, n = int(t * SAMPLE_RATE), int(rng.uniform(0.08, 0.25) * SAMPLE_RATE)
                phase = 2 * np.pi * np.cumsum(rng.uniform(100, 220) * np.linspace(1, rng.uniform(0.8, 1.2), n)) / SAMPLE_RATE
                voice = np.sin(phase) + 0.6 * np.sin(2 * phase) + 0.4 * np.sin(3 * phase) + 0.2 * np.sin(5 * phase)
                out[at : at + n] += (0.25 * voice * np.hanning(n))[: out.size - at].astype(np.float32)
                t += n / SAMPLE_RATE
            t += rng.uniform(0.03, 0.2)
        t += rng.uniform(0.3, 0.9)
    return out


@pytest.mark.parametrize("seed", [101, 202, 303])
def test_speech_is_refused_with_what_to_do(seed: int, tmp_path: Path, ff: FFmpeg) -> None:
    path = tmp_path / "talk.wav"
    _write_wav(path, _speech(seed))
    with pytest.raises(NoBeatsError, match="talk.wav: has no beats.*--bpm"):
        track_beats(path, ff=ff, listen=trained_beats)


def test_double_the_level_puts_a_beat_between_each_two_and_keeps_the_bars(song: Path, tmp_path: Path) -> None:
    grid = analyse(song, BeatOptions(), cache=tmp_path)
    double = at_level(grid, "double")
    assert len(double.beats) == 2 * len(grid.beats) - 1 and double.bpm == pytest.approx(2 * grid.bpm)
    assert double.downbeats == grid.downbeats and double.meter == 8


def test_half_the_level_keeps_every_other_beat_from_the_bar(song: Path, tmp_path: Path) -> None:
    grid = analyse(song, BeatOptions(), cache=tmp_path)
    half = at_level(grid, "half")
    assert half.beats == grid.beats[::2] and half.downbeats == grid.downbeats and half.bar_positions[:4] == (1, 2, 1, 2)


def test_the_cli_gives_the_other_level_on_request(song: Path) -> None:
    normal = json.loads(CliRunner().invoke(main, ["beats", "--json", str(song)]).output)
    halved = json.loads(CliRunner().invoke(main, ["beats", "--json", "--level", "half", str(song)]).output)
    assert "other_level" in normal and len(halved["beats"]) == (len(normal["beats"]) + 1) // 2
    assert halved["bpm"] == pytest.approx(normal["bpm"] / 2, abs=0.01)


def test_two_close_levels_are_said_and_the_other_one_offered() -> None:
    """A pulse at 184 BPM whose every other beat is barely stronger: a listener taps 92 or 184."""
    seconds = 30.0
    frames = np.arange(int(seconds * FPS))
    beat = np.zeros(frames.size)
    period = 60.0 * FPS / 184.0
    for i, at in enumerate(np.arange(0.0, frames.size - 1, period)):
        beat[int(round(at))] = 0.95 if i % 2 == 0 else 0.9
    signal = np.random.default_rng(1).standard_normal(int(seconds * SAMPLE_RATE)).astype(np.float32) * 0.1
    grid = beats_from_activation(Activation(beat=beat, downbeat=beat * 0.1), signal)
    assert grid is not None and grid.other_level in ("half", "double")


def test_weights_with_anything_but_tensors_are_refused_before_running(tmp_path: Path) -> None:
    class Payload:
        def __reduce__(self) -> tuple[Callable[..., object], tuple[str]]:
            return (print, ("ran",))

    bad = tmp_path / "model.pt"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("model/data.pkl", pickle.dumps(Payload()))
    with pytest.raises(ConfigError, match="model.pt: is not BeatNet's weights.*builtins.print is not a tensor"):
        load_weights(bad)


def test_damaged_weights_say_to_reinstall(tmp_path: Path) -> None:
    bad = tmp_path / "model.pt"
    bad.write_bytes(io.BytesIO(b"not a zip").getvalue())
    with pytest.raises(ConfigError, match="model.pt: is not BeatNet's weights.*reinstall"):
        load_weights(bad)


def _write_wav(path: Path, signal: np.ndarray) -> None:
    import wave

    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(SAMPLE_RATE)
        handle.writeframes((np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes())
