"""`aivp doctor`: which ffmpeg and prober each job uses, and whether they can do what we ask of them.

A user on a new machine, or one who pointed AIVP_FFMPEG at their own build, finds out here (not in
the middle of a render) that their ffmpeg lacks ProRes or zscale.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .avprobe import available
from .ffmpeg import ENV_FFMPEG, ENV_FFPROBE, IN_PROCESS, FFmpeg, bundled_ffmpeg, locate

__all__ = ["ENCODERS", "FILTERS", "Checkup", "checkup"]

# What our jobs ask of ffmpeg, and the job that asks it.
ENCODERS = {"libx264": "render (preview, social), the demo", "prores_ks": "render master, conform apply",
            "dnxhd": "conform apply --codec dnxhr", "aac": "render", "pcm_s16le": "the demo's song"}
FILTERS = {"blend": "the grain over the picture", "zscale": "HDR tone mapping (conform)", "tonemap": "HDR tone mapping (conform)",
           "minterpolate": "conform --interpolate", "ebur128": "QC loudness", "astats": "QC clipping", "sobel": "QC texture crawl",
           "setparams": "Rec.709 tags", "drawtext": "the demo's burnt-in timecode", "amix": "stems recombined", "adelay": "lip-sync test takes"}
MUXERS = {"mov": "ProRes masters", "mp4": "previews", "framemd5": "QC frame timing", "wav": "decoded audio"}


@dataclass
class Checkup:
    ffmpeg: Path
    ffmpeg_source: str
    version: str
    prober: str
    melt: str
    missing: dict[str, str] = field(default_factory=dict)  # what is missing -> the job that needs it

    @property
    def ok(self) -> bool:
        return not self.missing


def _listed(ffmpeg: Path, kind: str) -> set[str]:
    done = subprocess.run([str(ffmpeg), "-hide_banner", f"-{kind}"], capture_output=True, text=True, timeout=60)
    # each listing line: flags (letters and dots), the name, a description
    return {m.group(1) for m in re.finditer(r"^ +[A-Z.|]{1,6} +([A-Za-z0-9_,]+) ", done.stdout, re.M)}


def checkup(ff: FFmpeg | None = None) -> Checkup:
    ff = ff or locate()
    source = (f"{ENV_FFMPEG}" if os.environ.get(ENV_FFMPEG) else "bundled (imageio-ffmpeg)" if ff.ffmpeg == bundled_ffmpeg()
              else "PATH")
    version = subprocess.run([str(ff.ffmpeg), "-hide_banner", "-version"], capture_output=True, text=True, timeout=60).stdout
    prober = f"{ff.ffprobe} ({ENV_FFPROBE if os.environ.get(ENV_FFPROBE) else 'PATH'})" if ff.ffprobe else IN_PROCESS
    if ff.ffprobe is None and available():
        import av

        prober += f", PyAV {av.__version__}"
    melt = shutil.which("melt")
    found = Checkup(ffmpeg=ff.ffmpeg, ffmpeg_source=source, version=version.splitlines()[0] if version else "unknown",
                    prober=prober, melt=melt or "not installed (only the tests use it, to play MLT exports)")
    for kind, wanted in (("encoders", ENCODERS), ("filters", FILTERS), ("muxers", MUXERS)):
        have = _listed(ff.ffmpeg, kind)
        names = {part for entry in have for part in entry.split(",")}
        found.missing |= {f"{kind[:-1]} {name}": job for name, job in wanted.items() if name not in names}
    return found
