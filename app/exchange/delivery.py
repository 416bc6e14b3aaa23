"""What every push to an outside endpoint shares (webhooks, CISE partners): one retry rule.

It sits in `app.exchange`, below the API, so that the API's webhooks and the exchange's
partner pushes both use it.

A delivery is retried with exponential backoff (1 s, 2 s, 4 s, ... capped, with jitter so that
receivers coming back are not hit by every retry at once) until ``max_attempts``; a 4xx other
than 408/429 is final (the request itself is refused: repeating it cannot help). Deliveries
run as tasks of their own, at most ``limit`` at once, so a slow receiver delays only its own.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many attempts, and how long to wait after each failed one."""

    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 300.0

    def delay(self, attempt: int) -> float:
        """Return the wait after failed attempt ``attempt`` (1-based), jittered."""
        capped: float = min(self.base_delay * 2.0 ** (attempt - 1), self.max_delay)
        return capped * random.uniform(0.5, 1.0)


def is_final(status: int | None) -> bool:
    """Return whether an HTTP answer refuses the request itself (retrying cannot help)."""
    return status is not None and 400 <= status < 500 and status not in (408, 429)


class Deliveries:
    """The deliveries in flight: at most ``limit``; `stop` cancels them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    @property
    def full(self) -> bool:
        return len(self._tasks) >= self.limit

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` as a task of its own (the caller checks `full` first)."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
