"""The `aivp` command: thin faces over the library. They parse, call, print; the library does the work.

One module per area; a command's module is imported when the command is used (see `_common`).
"""

from ._common import main

__all__ = ["main"]
