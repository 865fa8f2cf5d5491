"""QC of one take, measured: the picture decoded once, small and grey, and the audio once.

The handbook's checklist, where it can be measured: uneven frame pacing (duplicated or dropped
frames, uneven timestamps: repair with optical flow), frozen stretches, a background that loops
(past 10 s: regenerate shorter), flicker and texture crawl (frame-to-frame swings of brightness
and of fine detail: regenerate, or unify the colour space), large near-black areas (they
macroblock after upload), clips over 10 s, the conform target, clipping, silence and loudness.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..config import ConformTarget
from ..conform import problems
from ..ffmpeg import FFmpeg, locate, media_arg
from ..probe import MediaInfo, probe
from .findings import Clock, Finding, QcReport

__all__ = ["Frames", "qc_take", "read_frames"]

Frames = npt.NDArray[np.float32]  # (frames, height, width), luma 0-255
SIZE = (64, 36)
STILL = 0.35  # mean luma change below which two frames are the same picture (decoder noise included)
MAX_TAKE = 10.0
CRAWL = 0.12  # frame-to-frame reversal of fine detail, relative to its amount
LOUDNESS_TARGET = -14.0  # LUFS, what the big platforms normalise to


def read_frames(path: Path, ff: FFmpeg) -> tuple[Frames, Frames]:
    """Every frame as it was coded (no frames added or dropped to make the rate even), twice:
    its picture at 64x36 grey, and its fine detail (Sobel edges found at 480x270) averaged to 64x36."""
    width, height = SIZE
    graph = (f"[0:v:0]split[a][b];[a]scale={width}:{height}:flags=area,format=gray[picture];"
             f"[b]scale=480:270:flags=area,format=gray,sobel,scale={width}:{height}:flags=area[detail];[picture][detail]hstack")
    raw = ff.read(["-i", media_arg(path), "-filter_complex", graph, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                  f"decoding {path.name} for QC")
    both = np.frombuffer(raw, np.uint8).reshape(-1, height, 2 * width).astype(np.float32)
    return both[:, :, :width], both[:, :, width:]


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(start, end) index pairs of the True stretches."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2], edges[1::2]))


def _changes(frames: Frames) -> npt.NDArray[np.float32]:
    """Mean luma change from each frame to the next."""
    return np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2))


def pacing(frames: Frames, clock: Clock) -> list[Finding]:
    """Freezes (long runs of the same picture), and single repeated frames amid motion: a frame
    that hardly changes while its neighbours move is a duplicate, whatever the amount of motion."""
    if len(frames) < 8:
        return []
    change = _changes(frames)
    found = []
    freezes = [(a, b) for a, b in _runs(change < STILL) if b - a >= clock.rate / 2]
    for a, b in freezes:
        found.append(Finding(check="freeze", what=f"the picture freezes for {(b - a + 1) / clock.rate:.1f} s",
                             start=clock.tc(a), end=clock.tc(b + 1), start_s=a / clock.rate, severity="fail", action="regenerate"))
    around = np.array([np.median(np.delete(change[max(0, i - 3): i + 4], min(i, 3))) for i in range(len(change))])
    duplicate = (change < 0.25 * around) & (around >= STILL) & (change < 3 * STILL)
    for a, b in freezes:
        duplicate[max(0, a - 1) : b + 1] = False
    single = np.flatnonzero(duplicate)
    if single.size >= 2:
        gaps = np.diff(single)
        regular = f", every {int(np.median(gaps))} frames" if np.all(np.abs(gaps - np.median(gaps)) <= 1) else ""
        found.append(Finding(check="pacing", what=f"{single.size} duplicated frames{regular}: uneven frame pacing",
                             start=clock.tc(int(single[0]) + 1), start_s=(single[0] + 1) / clock.rate, severity="warn", action="repair"))
    return found


def timestamps(path: Path, ff: FFmpeg, clock: Clock) -> list[Finding]:
    """Dropped frames and uneven timestamps, from the packets' own presentation times."""
    done = ff.read(["-i", media_arg(path), "-map", "0:v:0", "-c", "copy", "-f", "framemd5", "-"], f"reading {path.name}'s timestamps")
    times = sorted(int(line.split(",")[2]) for line in done.decode("ascii", "replace").splitlines() if line and not line.startswith("#"))
    base = re.search(rb"#tb 0: (\d+)/(\d+)", done)
    if len(times) < 3 or not base:
        return []
    unit = Fraction(int(base.group(1)), int(base.group(2)))
    steps = np.diff(np.array(times, dtype=np.float64)) * float(unit) * clock.rate  # in frames
    found = []
    dropped = int(np.sum(np.round(steps[steps > 1.5]) - 1))
    if dropped:
        first = int(np.flatnonzero(steps > 1.5)[0])
        found.append(Finding(check="pacing", what=f"{dropped} dropped frame(s): timestamps skip", start=clock.tc(first + 1),
                             start_s=(first + 1) / clock.rate, severity="warn", action="repair"))
    elif np.std(steps) > 0.1:
        found.append(Finding(check="pacing", what=f"uneven timestamps (frame spacing varies by {np.std(steps) * 100:.0f} %)",
                             severity="warn", action="repair"))
    return found


def _distances(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """RMS difference between every pair of pictures, by matrix product (memory grows with pairs, not pixels)."""
    flat = samples.reshape(len(samples), -1).astype(np.float64)
    squares = (flat**2).sum(axis=1)
    distance = (squares[:, None] + squares[None, :] - 2.0 * flat @ flat.T) / flat.shape[1]
    return np.sqrt(np.maximum(distance, 0.0)).astype(np.float32)


def _background(frames: Frames) -> Frames:
    """The frame minus its centre, where the character usually stands: a background can loop behind
    a performance that does not."""
    height, width = frames.shape[1:]
    ring = frames.copy()
    ring[:, height // 4 : height - height // 4, width // 4 : width - width // 4] = 0.0
    return ring


def loops(frames: Frames, clock: Clock) -> list[Finding]:
    """A picture (or its background) that comes back: the same moving frames again a second or more later."""
    step = max(1, round(clock.rate / 6))
    samples = frames[::step]
    fps = clock.rate / step
    if len(samples) < 3 * fps:
        return []
    moving = np.concatenate([[True], _changes(samples) >= STILL * 2])
    for region in (samples, _background(samples)):
        distance = _distances(region)
        close = distance < max(STILL * 2, float(np.median(distance)) * 0.1)
        for lag in range(int(fps), len(samples) - int(fps)):
            repeat = np.diagonal(close, offset=lag) & moving[lag:] & moving[:-lag]
            run = next(((a, b) for a, b in _runs(repeat) if b - a >= fps), None)
            if run is not None:
                at = (run[0] + lag) * step
                return [Finding(check="loop", what=f"the picture repeats every {lag / fps:.1f} s (a looping background)",
                                start=clock.tc(at), start_s=at / clock.rate, severity="fail", action="regenerate")]
    return []


def flicker(frames: Frames, detail: Frames, clock: Clock) -> list[Finding]:
    """Brightness that jumps frame to frame, and fine detail that swims (texture crawl): swings that
    reverse every frame, which steady motion, fades and zooms never make."""
    if len(frames) < 4:
        return []
    found = []
    brightness = frames.mean(axis=(1, 2))
    swings = np.abs(np.diff(brightness, 2))  # second difference: ignores steady fades
    if np.mean(swings > 6.0) > 0.2:
        first = int(np.flatnonzero(swings > 6.0)[0]) + 1  # the second difference centres on the next frame
        found.append(Finding(check="flicker", what=f"brightness flickers (swings of {np.percentile(swings, 90):.0f}/255 frame to frame)",
                             start=clock.tc(first), start_s=first / clock.rate, severity="fail", action="regenerate"))
    # in a 4x4 grid of regions: clothing or hair can shimmer while the rest holds still
    rows, columns = detail.shape[1] // 4, detail.shape[2] // 4
    energy = detail[:, : rows * 4, : columns * 4].reshape(len(detail), 4, rows, 4, columns).mean(axis=(2, 4))
    crawl = (np.abs(np.diff(energy, 2, axis=0)) / (energy[1:-1] + 1.0)).reshape(len(detail) - 2, 16)
    # a frame whose brightness jumps changes its detail too (clipped highlights): that is the flicker, found above
    crawl[swings[: len(crawl)] > 6.0] = 0.0
    region = int(np.argmax(np.mean(crawl > CRAWL, axis=0)))
    if np.mean(crawl[:, region] > CRAWL) > 0.3:
        first = int(np.flatnonzero(crawl[:, region] > CRAWL)[0]) + 1
        swing = np.percentile(crawl[:, region], 90)
        found.append(Finding(check="crawl", what=f"fine detail swims from frame to frame (texture crawl, {swing:.0%} swings)",
                             start=clock.tc(first), start_s=first / clock.rate, severity="warn", action="regenerate"))
    return found


def blacks(frames: Frames, clock: Clock) -> list[Finding]:
    """Large areas at or near pure black: they macroblock after social compression."""
    dark = (frames < 24).mean(axis=(1, 2)) > 0.5
    runs = [(a, b) for a, b in _runs(dark) if b - a >= clock.rate]
    return [Finding(check="black", what="more than half the picture is near pure black: it will macroblock after upload; lift the blacks",
                    start=clock.tc(a), end=clock.tc(b), start_s=a / clock.rate, severity="warn", action="repair") for a, b in runs[:1]]


def audio(path: Path, info: MediaInfo, ff: FFmpeg) -> list[Finding]:
    if not info.audio:
        return []
    found = []
    stats = ff.read(["-i", media_arg(path), "-map", "0:a:0", "-af", "ebur128,astats=metadata=0",
                     "-f", "null", "-"], f"measuring {path.name}'s audio", stderr=True).decode("utf-8", "replace")
    loudness = re.findall(r"I:\s+(-?[\d.]+|-inf) LUFS", stats)
    peaks = re.findall(r"Peak level dB:\s+(-?[\d.]+|-inf)", stats)
    clipped = re.findall(r"Peak count:\s+([\d.]+)", stats)
    peak = float(peaks[-1]) if peaks and peaks[-1] != "-inf" else -200.0
    if peak > 0.0 or (peak >= -0.01 and clipped and int(float(clipped[-1])) > 2):  # over full scale, or flat tops at it
        found.append(Finding(check="audio", what=f"the audio clips (peaks at {peak:+.1f} dBFS)", severity="fail", action="regenerate"))
    if not loudness or loudness[-1] == "-inf" or float(loudness[-1]) < -60:
        found.append(Finding(check="audio", what="the audio track is silent", severity="warn", action="check by eye"))
    elif abs(float(loudness[-1]) - LOUDNESS_TARGET) > 6:
        found.append(Finding(check="audio", what=f"loudness {float(loudness[-1]):.1f} LUFS, far from the {LOUDNESS_TARGET:g} LUFS platforms play at",
                             severity="info", action="fix in the edit"))
    return found


def qc_take(path: Path, target: ConformTarget | None = None, ff: FFmpeg | None = None) -> QcReport:
    ff = ff or locate()
    info = probe(path, ff)
    info.require_video()
    video = info.video
    clock = Clock(float(video.frame_rate) if video and video.frame_rate else 24.0, info.start_timecode or "00:00:00:00")
    pictures, detail = read_frames(path, ff)
    found = [Finding(check="conform", what=p, severity="warn", action="conform") for p in problems(info, target or ConformTarget())]
    if info.duration > MAX_TAKE + 0.05:
        found.append(Finding(check="duration", what=f"{info.duration:.1f} s long: backgrounds loop past 10 s; generate in chunks",
                             severity="warn", action="regenerate"))
    found += timestamps(path, ff, clock) + pacing(pictures, clock) + loops(pictures, clock) + flicker(pictures, detail, clock)
    found += blacks(pictures, clock) + audio(path, info, ff)
    return QcReport(path=str(path), kind="take", duration=info.duration, rate=clock.rate, start_timecode=clock.start_timecode,
                    findings=tuple(found))
