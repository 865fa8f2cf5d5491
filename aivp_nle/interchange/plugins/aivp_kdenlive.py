"""OTIO adapter `aivp_kdenlive`: the MLT graph with Kdenlive's bin and track names."""

from pathlib import Path

import opentimelineio as otio

from aivp_nle.interchange.common import prepare
from aivp_nle.interchange.kdenlive import to_kdenlive


def write_to_string(input_otio: otio.schema.Timeline) -> str:
    return to_kdenlive(prepare(input_otio, Path.cwd(), check_online=False), Path.cwd(), check_online=False)
