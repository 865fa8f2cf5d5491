"""`aivp beats`: beat times a cut can land on, whatever the file format."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from aivp_nle.beats import track_beats
from aivp_nle.cli import main
from aivp_nle.errors import NoBeatsError
from aivp_nle.ffmpeg import FFmpeg

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


def test_beats_json_has_exactly_beats_downbeats_and_bpm(song: Path) -> None:
    result = CliRunner().invoke(main, ["beats", "--json", str(song)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"beats", "downbeats", "bpm"}
    assert all(isinstance(t, float) for t in data["beats"]) and isinstance(data["bpm"], float)
