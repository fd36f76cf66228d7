"""Child processes that must not outlive the process that started them."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable


def when_parent_dies(action: Callable[[], None], *, every: float = 1.0) -> None:
    """Run `action` in this (child) process once its parent is gone (killed: no chance to stop
    us). A daemon thread polls the parent's pid, which becomes another's when it dies."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        action()

    threading.Thread(target=watch, name="papersift-parent-watch", daemon=True).start()
