"""aivp-nle, Workspace > Scripts > Utility > aivp Window: pick a project, Build, Apply, read the report.

Resolve Studio (its window toolkit); elsewhere it says to use `aivp panel`. The window and the
bridge come from `aivp resolve install-scripts`, the projects from `aivp resolve plan`.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("APPDATA", ""), "aivp", "resolve") if sys.platform == "win32" else os.path.expanduser("~/.aivp/resolve"))
import aivp_resolve_window  # noqa: E402

aivp_resolve_window.main(globals())
