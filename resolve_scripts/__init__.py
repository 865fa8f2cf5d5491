"""DaVinci Resolve Workspace > Scripts entries for aivp-nle (installed by `aivp resolve install-scripts`).

`Utility/` holds the menu entries, one per action, in Lua (every edition, free 21.1+ included) and
Python (Studio, and free Resolve up to 21.0). They carry no dependencies: each loads an executor
from aivp's folder (`~/.aivp/resolve`, `%APPDATA%\\aivp\\resolve` on Windows) and the newest plan
written there by `aivp resolve plan`. `support/executor.lua` is the Lua executor; the Python one is
`aivp_nle/resolve/bridge.py`, copied there as `aivp_resolve_bridge.py`.
"""
