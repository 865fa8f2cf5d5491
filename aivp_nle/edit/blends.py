"""The grain's blend modes: one record each, with the name every output gives it.

The edit stores the mode by our name (`[grain] blend` in aivp.toml); each writer and the renderer
look up their own word here, so a mode is never read with another default in another place.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import EditError

__all__ = ["BLENDS", "Blend", "blend_named"]


@dataclass(frozen=True)
class Blend:
    name: str  # ours, as aivp.toml says it
    ffmpeg: str  # the blend filter's all_mode
    mlt: str  # frei0r.cairoblend's mode (Shotcut, Kdenlive, melt)
    fcp7: str  # <compositemode> (Premiere, Resolve)
    fcpxml: str  # adjust-blend mode: Final Cut's menu position and name
    resolve_index: int  # Resolve's composite mode in its OTIO and its API (Normal = 0)
    resolve_constant: str  # the constant's name on Resolve's scripting object


BLENDS = {
    b.name: b for b in (
        Blend("overlay", "overlay", "overlay", "overlay", "14 (Overlay)", 6, "COMPOSITE_OVERLAY"),
        Blend("soft_light", "softlight", "softlight", "softlight", "15 (Soft Light)", 8, "COMPOSITE_SOFTLIGHT"),
        Blend("screen", "screen", "screen", "screen", "10 (Screen)", 5, "COMPOSITE_SCREEN"),
    )
}


def blend_named(name: str) -> Blend:
    if name not in BLENDS:
        raise EditError(f"grain blend {name!r} is not one we know; use one of {', '.join(BLENDS)}")
    return BLENDS[name]
