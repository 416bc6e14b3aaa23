"""`Services`: every running part of the service, made by `app.wiring` and read through here.

The composition root builds one `Services` at start and keeps it on the application; routes,
streams and webhooks get their parts from it through the typed dependencies of `app.api.deps`
(`services_of` for code that holds the app itself: lifespans, stream handlers). Nothing else
reads ``app.state``, so what a part may use is visible in its signature and checked by mypy.

The API's own helpers (webhook dispatcher, stream re-checks, metrics, readiness) are made by
their routers' lifespans once the core parts exist, and land in the fields below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette

from app.api.collector import ServiceMetrics
from app.api.push.dispatch import WebhookDispatcher
from app.api.push.seq_recorder import SeqRecorder
from app.api.push.stream_auth import StreamAuth
from app.api.readiness import Readiness
from app.auth.service import AuthService
from app.bus.api_feed import ApiFeed
from app.exchange.cise.exchange import CiseExchange
from app.live.hub import Hub
from app.live.picture import LivePicture
from app.live.radar import RadarFeeds
from app.live.relay import NmeaRelay
from app.pipeline import Pipeline
from app.pipeline.vessel_watch import VesselWatcher
from app.pipeline.zone_watch import ZoneWatcher
from app.reports.schedule import DailyReports
from app.settings import ServiceSettings
from app.store.maintainer import Maintainer
from app.store.repo import Repo
from geo.contacts import Contact
from geo.engine import Engine


@dataclass(eq=False)
class Services:
    """The parts of one running service."""

    settings: ServiceSettings
    repo: Repo
    auth: AuthService
    hub: Hub
    live: LivePicture
    engine: Engine
    #: Whether the engine came back from its snapshot (open episodes kept across the restart).
    engine_restored: bool
    pipeline: Pipeline
    #: Land for reachable areas (one shapely geometry), None when no land file is configured.
    land: Any
    seq_recorder: SeqRecorder
    relay: NmeaRelay | None = None
    zone_watch: ZoneWatcher | None = None
    vessel_watch: VesselWatcher | None = None
    maintenance: Maintainer | None = None
    webhooks: WebhookDispatcher | None = None
    stream_auth: StreamAuth | None = None
    metrics: ServiceMetrics | None = None
    readiness: Readiness | None = None
    cise: CiseExchange | None = None
    radar: RadarFeeds | None = None
    #: The daily reports made after each UTC midnight (None when ``MARE_DAILY_REPORTS`` is off).
    reports: DailyReports | None = None
    #: An API node's feed from the bus (``mare serve --api-only``), None in one process.
    bus_feed: ApiFeed | None = None

    async def fuse_contacts(self, contacts: list[Contact], post: int | None = None) -> None:
        """Hand stored contacts (a radar feed's) to the engines (`hand_contacts`)."""
        self.hand_contacts(contacts, post)

    def hand_contacts(self, contacts: list[Contact], post: int | None = None) -> bool:
        """Hand stored contacts to the engines: this process's, or the bus's on an API node.

        Return whether they were handed now. On the bus they are published in the background
        (`app.bus.contact_outbox`): a stored POST (``post``) that this node does not get to
        send is sent by any API node, so the client need not wait for NATS.
        """
        if self.bus_feed is not None:
            self.bus_feed.send_contacts(post, contacts)
            return False
        self.pipeline.add_contacts(contacts)
        return True

    def streams(self) -> StreamAuth:
        """Return the identity re-checks of open streams, made on first use (on the loop)."""
        if self.stream_auth is None:
            self.stream_auth = StreamAuth(self.auth)
        return self.stream_auth

    def identities_changed(self) -> None:
        """Make open streams and webhook subscriptions re-read identities and scopes at once."""
        if self.stream_auth is not None:
            self.stream_auth.changed()
        if self.webhooks is not None:
            self.webhooks.invalidate()

    @property
    def store(self) -> Any:
        """Return the shared store under the repository (positions, maintenance)."""
        return self.repo.store


class NotStarted(RuntimeError):
    """A part asked for before the service's lifespan made it (or after it stopped)."""


def services_of(app: Starlette) -> Services:
    """Return the running service's parts (`NotStarted` before the lifespan made them)."""
    got = getattr(app.state, "services", None)
    if not isinstance(got, Services):
        raise NotStarted("the service has not started")
    return got


def install(app: Starlette, services: Services) -> None:
    """Keep ``services`` on ``app`` (the composition root's one write of ``app.state``)."""
    app.state.services = services
