"""DaVinci Resolve: plans of steps (planner, plan), the one module that calls Resolve (bridge), the
Workspace > Scripts installer (install)."""
