"""The `aivp` command: thin faces over the library. They parse, call, print; the library does the work.

One module per area; importing them registers their commands on `main`.
"""

from . import collect, edits, exchange, media, qc  # noqa: F401  (registering the commands)
from ._common import main

__all__ = ["main"]
