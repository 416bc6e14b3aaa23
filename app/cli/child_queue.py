"""A forked decoding child's side of its queue (`app.cli.ahead`, `app.cli.ingest_ahead`)."""

from __future__ import annotations

import os
from queue import Full
from typing import Any


def put_while_parent_lives(queue: Any, message: object, parent: int) -> bool:
    """Put ``message`` on a child's queue to ``parent``; False once the parent is gone.

    A full queue is waited on a second at a time, so that a child whose parent was killed
    (SIGKILL: no cleanup ran, nobody reads) ends instead of waiting for ever.
    """
    while True:
        try:
            queue.put(message, timeout=1.0)
            return True
        except Full:
            if os.getppid() != parent:
                return False
