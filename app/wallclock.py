"""The wall clock, read in one place.

The engine runs on event time and never reads this. What does read it is real-world
bookkeeping: token expiry, audit and lifecycle timestamps, row creation times, retention.
Keeping the reads here makes them easy to find and gives every one the same form (aware UTC,
epoch milliseconds).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Return the wall clock as an aware UTC datetime."""
    return datetime.now(tz=UTC)


def now_ms() -> int:
    """Return the wall clock in epoch milliseconds."""
    return int(time.time() * 1000)


def now_iso() -> str:
    """Return the wall clock as ISO 8601 UTC to the second (``2026-06-01T03:10:00Z``)."""
    return utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
