"""The export formats: one record each, which every face reads (the `--to` choices, the watch
folder's `[watch] export`, the README table, the OTIO adapter plugins, the tests).

Adding a format is a writer module and one record here; a test fails if a face misses it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio

from ..probe import MediaInfo
from .aaf import write_aaf
from .edl import to_edl
from .fcp7 import to_fcp7
from .fcpxml import to_fcpxml
from .kdenlive import to_kdenlive
from .mlt import to_mlt
from .otioz import write_otioz
from .resolve import to_resolve_otio

__all__ = ["FORMATS", "Format"]

TextWriter = Callable[[otio.schema.Timeline, Path, Mapping[Path, MediaInfo]], str]  # (edit, media root, probed media)
FileWriter = Callable[[otio.schema.Timeline, Path, Path], None]  # (edit, destination, media root)


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    editors: str  # who opens it: the README table's "for"
    write: TextWriter | None = None
    write_file: FileWriter | None = None  # formats whose libraries write files themselves
    reader: str | None = None  # the OTIO adapter that reads it back ("otio" and "otioz" are ours); None: none exists
    plugin: str | None = None  # the OTIO adapter plugin we register for it (otioconvert users get it too)
    probes_media: bool = False  # its writer describes each file (sizes, audio channels)

    @property
    def readable(self) -> bool:
        return self.reader is not None


def _otio(edit: otio.schema.Timeline, root: Path, media: Mapping[Path, MediaInfo]) -> str:
    return str(otio.adapters.write_to_string(edit, "otio_json"))


FORMATS = {
    f.name: f for f in (
        Format("otio", ".otio", "any OTIO tool; Resolve 18.5+ (use resolve for its importer's shape)", write=_otio, reader="otio"),
        Format("otioz", ".otioz", "moving a project: the edit with its media in one file",
               write_file=lambda edit, out, root: write_otioz(edit, out, root), reader="otioz"),
        Format("resolve", ".otio", "DaVinci Resolve: File > Import > Timeline", write=lambda e, r, m: to_resolve_otio(e, r),
               reader="otio", plugin="aivp_resolve"),
        Format("fcpxml", ".fcpxml", "Final Cut Pro, DaVinci Resolve", write=to_fcpxml, reader="fcpx_xml", probes_media=True),
        Format("fcp7", ".xml", "Premiere Pro, DaVinci Resolve, OpenShot", write=to_fcp7, reader="fcp_xml", probes_media=True),
        Format("edl", ".edl", "any NLE (one picture track and its audio)", write=lambda e, r, m: to_edl(e, r), reader="cmx_3600"),
        Format("aaf", ".aaf", "Avid Media Composer", write_file=lambda edit, out, root: write_aaf(edit, out), reader="AAF"),
        Format("mlt", ".mlt", "Shotcut, melt", write=lambda e, r, m: to_mlt(e, r), plugin="aivp_mlt"),
        Format("kdenlive", ".kdenlive", "Kdenlive", write=lambda e, r, m: to_kdenlive(e, r), plugin="aivp_kdenlive"),
    )
}
