"""Timeouts for outside programs in tests."""

from __future__ import annotations

import os


def work_timeout(media_seconds: float, *, seconds_per_second: float = 10.0, floor: float = 120.0) -> float:
    """A timeout for an outside program that scales with the work (seconds of media it handles) and
    with how loaded this machine is now, never a fixed figure a busy CI runner misses."""
    cores = os.cpu_count() or 1
    load = max(1.0, os.getloadavg()[0] / cores) if hasattr(os, "getloadavg") else 1.0
    return max(floor, media_seconds * seconds_per_second) * load * float(os.environ.get("AIVP_TEST_SLOWDOWN", "1"))
