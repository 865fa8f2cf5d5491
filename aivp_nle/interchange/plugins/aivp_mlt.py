"""OTIO adapter `aivp_mlt`: MLT XML that melt and Shotcut play as the edit (grain blended, only the song heard)."""

from pathlib import Path

import opentimelineio as otio

from aivp_nle.interchange.common import prepare
from aivp_nle.interchange.mlt import to_mlt


def write_to_string(input_otio: otio.schema.Timeline) -> str:
    return to_mlt(prepare(input_otio, Path.cwd(), check_online=False), Path.cwd(), check_online=False)
