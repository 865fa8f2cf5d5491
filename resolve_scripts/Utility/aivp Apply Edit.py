"""aivp-nle, Workspace > Scripts > Utility > aivp Apply Edit: conform, import, markers, renders: the whole edit into this project.

Runs in Resolve Studio and in free Resolve up to 21.0; the executor and plan come from
`aivp resolve install-scripts` / `aivp resolve plan`.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.environ.get("APPDATA", ""), "aivp", "resolve") if sys.platform == "win32" else os.path.expanduser("~/.aivp/resolve"))
import aivp_resolve_bridge  # noqa: E402

aivp_resolve_bridge.main(["conform", "import", "markers", "renders"], globals())
