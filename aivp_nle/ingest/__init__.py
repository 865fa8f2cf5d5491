"""Ingest: judging finished generations (finished), filing them exactly once (importer, ledger,
naming, sidecar), the watch-folder daemon (watcher), its status and its service files."""
