"""The watch folder run from the panel: the same `Watcher` as `aivp watch`, in a thread, so takes
dropped in the inbox are filed (and the edit rebuilt) while the page shows them arrive. One watcher
per project, as from the command line: a second one (here or in a terminal) is refused."""

from __future__ import annotations

import threading
import time
from collections import deque

from ..errors import AivpError
from ..ingest.watcher import Watcher
from ..project import Project, open_project

__all__ = ["InboxWatch"]


class InboxWatch:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.log: deque[str] = deque(maxlen=50)
        self._watcher: Watcher | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> str:
        if self.running:
            return "the watch folder is running"
        watcher = Watcher(open_project(self.project.root), on_event=lambda line: self.log.append(f"{time.strftime('%H:%M:%S')} {line}"))

        def run() -> None:
            try:
                watcher.run()
            except AivpError as error:
                self.log.append(f"{time.strftime('%H:%M:%S')} stopped: {error}")

        self._watcher, self._thread = watcher, threading.Thread(target=run, name="aivp-panel-watch", daemon=True)
        self._thread.start()
        return f"watching {watcher.inbox}"

    def stop(self) -> str:
        """Stop after the file being filed, as SIGTERM stops `aivp watch`."""
        if self._watcher is None or self._thread is None:
            return "the watch folder is not running"
        self._watcher.stop.set()
        self._thread.join(timeout=60)
        self._watcher = self._thread = None
        return "stopped watching"
