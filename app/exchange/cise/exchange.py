"""A running service's CISE exchange: who it is, its partners, and the outbound dispatcher."""

from __future__ import annotations

from dataclasses import dataclass

from app.exchange.cise.entities import Sender
from app.exchange.cise.outbound import CiseDispatcher
from app.exchange.cise.partners import Partner


@dataclass(eq=False)
class CiseExchange:
    """What the CISE routes and /metrics read; made by the CISE router's lifespan."""

    sender: Sender
    partners: list[Partner]
    dispatcher: CiseDispatcher
