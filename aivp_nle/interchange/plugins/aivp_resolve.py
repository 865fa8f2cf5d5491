"""OTIO adapter `aivp_resolve`: OTIO shaped for DaVinci Resolve's importer."""

from pathlib import Path

import opentimelineio as otio

from aivp_nle.interchange.resolve import to_resolve_otio


def write_to_string(input_otio: otio.schema.Timeline) -> str:
    return to_resolve_otio(input_otio, Path.cwd())
