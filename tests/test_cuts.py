"""The beat-cut plan's invariants, over many random songs, tempos and settings."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aivp_nle.edit import plan_cuts
from aivp_nle.errors import EditError

ANGLES = ["a", "b", "c", "d", "e"]


@st.composite
def songs(draw: st.DrawFn) -> dict:
    rate = draw(st.sampled_from([24, 30]))
    seconds = draw(st.floats(0.5, 240.0))
    bpm = draw(st.floats(50.0, 200.0))
    start = draw(st.floats(0.0, 2.0))
    jitter = draw(st.floats(0.0, 0.02))
    beats = []
    time = start
    while time < seconds + 1.0:
        beats.append(time)
        time += 60.0 / bpm * (1 + jitter * (len(beats) % 3 - 1))
    return {
        "beats": beats,
        "total_frames": math.floor(seconds * rate),
        "rate": rate,
        "angles": ANGLES[: draw(st.integers(2, 5))],
        "every": draw(st.integers(1, 8)),
        "min_shot": draw(st.floats(0.1, 4.0)),
        "seed": draw(st.integers(0, 2**32)),
        "downbeats": beats[draw(st.integers(0, 3)) :: 4],
        "pattern": draw(st.sampled_from(["beats", "bars", "downbeats", "phrase", "energy"])),
        "phrase_bars": draw(st.sampled_from([4, 8])),
        "energy": [draw(st.floats(0.0, 1.0)) for _ in beats] if draw(st.booleans()) else [((i * 7) % 10) / 10 for i in range(len(beats))],
        "hero": draw(st.sampled_from([None, "a"])),
    }


@settings(max_examples=300, deadline=None)
@given(songs())
def test_the_plan_covers_the_song_without_gaps_or_overlaps(case: dict) -> None:
    shots = plan_cuts(**case).shots
    assert shots[0].start == 0 and shots[-1].end == case["total_frames"]
    assert all(before.end == after.start for before, after in zip(shots, shots[1:]))


@settings(max_examples=300, deadline=None)
@given(songs())
def test_no_angle_follows_itself(case: dict) -> None:
    shots = plan_cuts(**case).shots
    assert all(before.angle != after.angle for before, after in zip(shots, shots[1:]))


@settings(max_examples=300, deadline=None)
@given(songs())
def test_every_shot_lasts_at_least_the_minimum(case: dict) -> None:
    shots = plan_cuts(**case).shots
    if len(shots) > 1:
        assert min(s.frames for s in shots) / case["rate"] >= case["min_shot"] - 1e-9


@settings(max_examples=300, deadline=None)
@given(songs())
def test_every_cut_is_the_nearest_frame_to_a_beat(case: dict) -> None:
    plan = plan_cuts(**case)
    rate = case["rate"]
    for shot in plan.shots[1:]:
        nearest = min(abs(shot.start / rate - beat) for beat in case["beats"])
        assert nearest <= 0.5 / rate + 1e-9
        assert nearest <= plan.max_snap_error + 1e-9
    assert plan.max_snap_error <= 0.5 / rate + 1e-9


@settings(max_examples=100, deadline=None)
@given(songs())
def test_the_same_seed_gives_the_same_edit(case: dict) -> None:
    assert plan_cuts(**case) == plan_cuts(**case)


def test_cuts_fall_every_n_beats_from_the_first_downbeat() -> None:
    beats = [i * 0.5 for i in range(40)]
    plan = plan_cuts(beats, 20 * 24, 24, ["a", "b"], every=4, min_shot=0.5, downbeats=beats[1::4])
    assert [s.start for s in plan.shots[1:]] == [round(b * 24) for b in beats[1::4]]


def test_one_angle_is_not_enough_for_a_beat_cut() -> None:
    with pytest.raises(EditError, match="at least 2 angles"):
        plan_cuts([0.5, 1.0], 48, 24, ["a"])


BEATS = [i * 0.5 for i in range(64)]  # 32 s at 120 BPM, bars of four from 0
BARS = BEATS[::4]


def _starts(**options: object) -> list[int]:
    plan = plan_cuts(BEATS, 32 * 24, 24, ["a", "b", "c"], min_shot=0.4, downbeats=BARS, **options)  # type: ignore[arg-type]
    return [s.start for s in plan.shots[1:]]


def test_the_bars_pattern_cuts_every_n_bars_on_downbeats() -> None:
    assert _starts(pattern="bars", every=2) == [round(t * 24) for t in BARS[2::2]]


def test_the_downbeats_pattern_cuts_on_every_bar() -> None:
    assert _starts(pattern="downbeats") == [round(t * 24) for t in BARS[1:]]


def test_the_phrase_pattern_cuts_every_four_or_eight_bars() -> None:
    assert _starts(pattern="phrase", phrase_bars=4) == [192, 384, 576]
    assert _starts(pattern="phrase", phrase_bars=8) == [384]


def test_the_energy_pattern_cuts_fast_where_loud_and_slow_where_quiet() -> None:
    energy = [0.0] * 32 + [1.0] * 32  # a quiet first half, a loud second half
    starts = _starts(pattern="energy", every=2, energy=energy)
    quiet = [b - a for a, b in zip(starts, starts[1:]) if b <= 16 * 24]
    loud = [b - a for a, b in zip(starts, starts[1:]) if a >= 16 * 24]
    assert set(quiet) == {8 * 12} and set(loud) == {2 * 12}  # eight beats a shot, then two


def test_the_hero_angle_holds_the_loudest_phrase_uncut() -> None:
    energy = [0.2] * 32 + [1.0] * 16 + [0.2] * 16  # the loudest four bars start at 16 s
    plan = plan_cuts(BEATS, 32 * 24, 24, ["a", "b", "c"], every=2, min_shot=0.4, seed=5, downbeats=BARS, energy=energy, hero="c")
    heroes = [s for s in plan.shots if s.angle == "c" and s.start == 16 * 24]
    assert heroes and heroes[0].end == 24 * 24
    assert all(before.angle != after.angle for before, after in zip(plan.shots, plan.shots[1:]))


def test_an_unknown_hero_is_refused() -> None:
    with pytest.raises(EditError, match="hero angle 'z'"):
        plan_cuts(BEATS, 100, 24, ["a", "b"], hero="z", energy=[0.5] * 64, downbeats=BARS)
