"""Stream tickets: single-use, 60-second stand-ins for a token where a header cannot be set.

Browsers' ``EventSource`` cannot send an ``Authorization`` header, and a token must never
travel in a URL (it would land in proxy logs). A ticket may: it is worth one connection, for a
minute. Tickets live in memory only: they are for the process that issued them.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

TICKET_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Ticket:
    """Who a ticket stands for and until when (monotonic clock)."""

    user: Any  # app.identity.User (Any: no import cycle, tickets know nothing of users)
    expires: float


class TicketBook:
    """Issued tickets; `redeem` consumes one (a second use fails)."""

    def __init__(self, seconds: float = TICKET_SECONDS) -> None:
        self.seconds = seconds
        self._tickets: dict[str, Ticket] = {}
        self._lock = threading.Lock()

    def issue(self, user: Any) -> tuple[str, float]:
        """Return a new ticket and its lifetime in seconds."""
        value = "mare_k_" + secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            self._tickets = {k: t for k, t in self._tickets.items() if t.expires > now}
            self._tickets[value] = Ticket(user, now + self.seconds)
        return value, self.seconds

    def redeem(self, value: str) -> Ticket | None:
        """Return the ticket's identity if valid and unused; it cannot be used again."""
        with self._lock:
            ticket = self._tickets.pop(value, None)
        if ticket is None or ticket.expires <= time.monotonic():
            return None
        return ticket


#: The process's tickets (a ticket is only good in the process that issued it).
TICKETS = TicketBook()
