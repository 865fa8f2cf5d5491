"""A film-grain plate for the handbook's unity trick (a grain asset above all footage, Overlay, ~30 %).

Monochrome (grain must not tint the grade), organic (per-pixel noise softened into clumps about
two pixels wide at UHD, as 35 mm scanned at 4K shows), new in every frame, so the plate loops with
no visible seam: no frame is more like its neighbour than the last is like the first. At the
project's size and rate, so no editor rescales it.

Strength: Overlay at 30 % on mid-grey passes 30 % of the plate's deviation from grey, and grain
under about 2.5 code values (8-bit) is lost in an H.264 delivery. The plate is made with a
deviation of about 12, so the default overlay moves mid-grey by about 3.5 (`visibility` measures it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .ffmpeg import FFmpeg, locate, media_arg
from .files import claim, next_version, scratch_path
from .project import Project, use_grain

__all__ = ["grain_graph", "make_grain_plate", "project_grain", "visibility"]


def grain_graph(width: int, height: int, fps: int, seconds: float) -> str:
    """The lavfi graph of the plate: grey, temporal monochrome noise, a slight blur into clumps."""
    # (blur, noise strength): clumps about two pixels wide at UHD, one at HD, with the noise measured to
    # leave the plate a deviation of about 12 code values after the blur
    sigma, strength = (1.1, 54) if height > 1200 else (0.6, 32)
    return (
        f"color=c=0x808080:s={width}x{height}:r={fps}:d={seconds},format=yuv420p,"
        f"noise=c0s={strength}:c0f=t,gblur=sigma={sigma}:planes=1,"  # luma only: the chroma stays neutral
        # tagged in the graph: FFmpeg 7 ignores -color_primaries & co. as output options for lavfi input
        "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"
    )


def make_grain_plate(
    path: Path, *, width: int, height: int, fps: int, seconds: float = 2.0, ff: FFmpeg | None = None, replace: bool = False,
) -> Path:
    """Write the plate (H.264, a loop of `seconds`); never over a file unless `replace`."""
    ff = ff or locate()
    args = [
        "-f", "lavfi", "-i", grain_graph(width, height, fps, seconds), "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-an",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with scratch_path(path) as scratch:
        ff.run([*args, "-y", media_arg(scratch)], f"making the grain plate {path.name}")
        return claim(scratch, path, replace=replace)


def visibility(plate: Path, *, opacity: float = 0.30, mode: str = "overlay", frames: int = 12, ff: FFmpeg | None = None) -> float:
    """How far the plate moves mid-grey at this blend and opacity: the standard deviation, in 8-bit
    code values, of the blended picture over its first frames."""
    ff = ff or locate()
    raw = ff.read([
        "-i", media_arg(plate), "-f", "lavfi", "-i", "color=c=0x808080:s=16x16",
        "-filter_complex", f"[0:v]format=gray[g];[1:v][g]scale2ref[base][g2];[base]format=gray[b];"
        f"[b][g2]blend=all_mode={mode}:all_opacity={opacity},format=gray",
        "-frames:v", str(frames), "-f", "rawvideo", "-",
    ], f"blending {plate.name} on mid-grey")
    return float(np.frombuffer(raw, dtype=np.uint8).astype(np.float64).std())


def project_grain(project: Project, *, seconds: float = 2.0, ff: FFmpeg | None = None) -> tuple[Path, Project]:
    """A new plate at the project's size and rate in 06_Edit/grain/ (versioned, never over another),
    named in aivp.toml when the project has none yet."""
    target = project.config.conform
    folder = project.edit_dir / "grain"
    folder.mkdir(parents=True, exist_ok=True)

    def write(path: Path) -> Path:
        return make_grain_plate(path, width=target.width, height=target.height, fps=target.fps, seconds=seconds, ff=ff)

    plate = next_version(folder, f"grain_{target.width}x{target.height}_{target.fps}p", ".mp4", write)
    return plate, use_grain(project, plate)
