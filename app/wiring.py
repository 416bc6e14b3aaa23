"""The composition root: the one module that knows every part of the service.

`create_app(settings)` builds the FastAPI application, whose lifespan starts the parts in order
(`start_service`) and stops them in reverse (`stop_service`), so `uvicorn` serving
``app.wiring:create_app`` is all of Mare in one process. Routes, streams and webhooks receive
their parts through the typed dependencies of `app.api.deps`, never from here directly.

Order matters: the store first (everything else reads it), then zones and watchlist (seeded
from the shipped files into an empty database, so a first `mare demo` has the central-Med
set) and own assets (``MARE_ASSETS_FILE``, upserted by name at every start), land (loaded
once: a reachable area must not re-read 170 kB of coastline), the engine
(from its snapshot when there is one), the live picture (from stored vessels), auth (the
bootstrap token), the NMEA relay when ``MARE_RELAY_LISTEN`` asks for one (fed by the decoder's
`on_accepted` hook, so it listens before the first line is decoded), and last the pipeline,
whose sources start streaming at once, then the radar feeds (``MARE_RADAR_SOURCES``), whose
contacts go to the running engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from ais_ingest.decoder import Decoder
from app.api.docs_pages import DocsPolicy
from app.api.errors import add_exception_handlers
from app.api.guard import RequestGuard
from app.api.headers import SecurityHeaders
from app.api.openapi import document_errors
from app.api.push.seq_recorder import attach as attach_seq_recorder
from app.api.routers import ROUTERS
from app.api.routes.watchlist import engine_watchlist
from app.api.services import NotStarted, Services, install, services_of
from app.auth.service import AuthService, check_secret
from app.auth.throttle import LoginThrottle, Policy
from app.bus.api_feed import ApiFeed
from app.bus.subjects import Layout
from app.live.assets import load_assets_file
from app.live.hub import Hub
from app.live.picture import LivePicture
from app.live.radar import RadarFeeds, wall_ms
from app.live.radar import Store as RadarStore
from app.live.relay import NmeaRelay
from app.pipeline import Pipeline
from app.pipeline.catchup import CatchUp, catch_up
from app.pipeline.clock import LiveClock
from app.pipeline.snapshot import restore_or_new
from app.pipeline.vessel_watch import VesselWatcher, vessel_changes
from app.pipeline.zone_watch import ZoneWatcher
from app.reports.schedule import DailyReports, liaison_scopes
from app.settings import ServiceSettings
from app.store import contact_posts
from app.store.maintainer import Maintainer
from app.store.repo import Repo
from geo.alert_rules import load_rules_file, parse_rules
from geo.contacts import Contact
from geo.coverage import load_coverage_map
from geo.land import load_land
from geo.places import load_places
from geo.watchlist import load_watchlist
from geo.zones import load_zone_file

log = logging.getLogger("app.service")


def check_secrets(settings: ServiceSettings) -> None:
    """Refuse weak secrets in serve mode before anything opens (`WeakSecretError`)."""
    check_secret("MARE_BOOTSTRAP_ADMIN_TOKEN", settings.bootstrap_admin_token, mode=settings.mode)
    check_secret("MARE_METRICS_TOKEN", settings.metrics_token, mode=settings.mode)


def _prepare(settings: ServiceSettings) -> dict[str, Any]:
    """Blocking part of the start (store, seeds, land, engine), run in a worker thread."""
    # Read before the store opens: a refused file stops the start with nothing to close.
    assets = load_assets_file(settings.assets_file) if settings.assets_file is not None else None
    rules = load_rules_file(settings.alert_rules_file)
    repo = Repo.open(settings.resolved_database_url)
    saved = repo.alert_rules_document()
    if saved is not None:  # what an admin saved wins over the file (validated when saved)
        rules = parse_rules(saved)
        log.info("alert rules: as last saved through the API")
    if not repo.list_zones() and settings.zone_file.is_file():
        repo.put_zones(load_zone_file(settings.zone_file))
        log.info("zones seeded from %s", settings.zone_file)
    if settings.watchlist_file is not None and not repo.list_watch():
        wl = load_watchlist(settings.watchlist_file)
        repo.import_watch(
            [
                {
                    "mmsi": e.mmsi,
                    "imo": e.imo,
                    "name": e.name,
                    "callsign": e.callsign,
                    "note": e.note,
                }
                for e in wl.entries
            ]
        )
    if assets is not None:
        added, updated = repo.upsert_assets([a.model_dump() for a in assets])
        log.info("assets from %s: %d added, %d updated", settings.assets_file, added, updated)
    zones = repo.list_zones()
    land = load_land(settings.land_file) if settings.land_file.is_file() else None
    engine, restored = restore_or_new(
        settings.snapshot_path,
        zones,
        watchlist=engine_watchlist(repo.list_watch()),
        places=load_places(settings.places_file) if settings.places_file.is_file() else [],
        coverage_path=settings.coverage_path,
    )
    if settings.coverage_file is not None:  # configuration, like zones: not in a snapshot
        engine.set_coverage_map(load_coverage_map(settings.coverage_file))
        log.info("receiver coverage: judged with %s too", settings.coverage_file)
    # Contacts stored but not fused before a stop (after the snapshot, or with none): the
    # engine takes them again; those its snapshot still holds are not queued twice.
    since = engine.now_ms() - int(engine.config.contact_history_s * 1000)
    engine.add_contacts(repo.unfused_contacts(since if engine.now_ms() else 0))
    # positions stored after the snapshot (a crash): replayed, so no episode is raised twice
    caught = catch_up(engine, repo) if restored else CatchUp()
    live = LivePicture()
    live.load(repo.load_vessels())
    scores = {m: engine.vessel_risk_score(m) for m in engine.book}
    live.set_risk(scores)
    return {
        "repo": repo,
        "land": land,
        "engine": engine,
        "restored": restored,
        "live": live,
        "caught": caught,
        "rules": rules,
    }


async def start_service(app: FastAPI, settings: ServiceSettings) -> None:
    """Open everything and start the pipeline; the parts are the app's `Services`."""
    check_secrets(settings)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    parts = await asyncio.to_thread(_prepare, settings)
    repo: Repo = parts["repo"]
    policy = Policy(
        user_failures=settings.login_user_failures,
        client_failures=settings.login_client_failures,
        window=settings.login_window_seconds,
    )
    auth = AuthService(repo, token_hours=settings.token_hours, throttle=LoginThrottle(policy))
    if settings.bootstrap_admin_token:
        await asyncio.to_thread(auth.bootstrap_admin, settings.bootstrap_admin_token)
    hub = Hub(alert_seq_start=await asyncio.to_thread(repo.max_stream_seq))
    recorder = attach_seq_recorder(hub, repo)  # SSE resumption from the store on hub ids
    for alert in parts["caught"].new_alerts:  # stored by the catch-up: the crash cut them off
        hub.publish_alert(alert)
    pipeline = Pipeline(
        engine=parts["engine"],
        live=parts["live"],
        sink=repo,
        hub=hub,
        sources=[] if settings.api_only else list(settings.sources),
        decoder=Decoder(
            dedupe_seconds=settings.dedupe_seconds,
            fragment_timeout_seconds=settings.fragment_timeout_seconds,
            # The demo plays its simulation at --speed times real time: ahead on purpose.
            max_ahead_seconds=None if settings.mode == "demo" else settings.decoder_max_ahead,
        ),
        snapshot_path=None if settings.api_only else settings.snapshot_path,
        coverage_path=None if settings.api_only else settings.coverage_path,
        snapshot_seconds=settings.snapshot_seconds,
        queue_batches=settings.queue_batches,
        batch_size=settings.batch_size,
        batch_seconds=settings.batch_seconds,
        rules=parts["rules"],
    )
    # people's narrowings follow the rules in force (a saved change: from the next check on)
    auth.narrowings = lambda username, role: pipeline.triage.rules.narrowings_for(username, role)
    services = Services(
        settings=settings,
        repo=repo,
        auth=auth,
        hub=hub,
        live=parts["live"],
        engine=parts["engine"],
        engine_restored=parts["restored"],
        pipeline=pipeline,
        land=parts["land"],
        seq_recorder=recorder,
    )
    install(app, services)
    radar = RadarFeeds(settings.radar_sources, radar_store(repo, services), services.fuse_contacts)
    services.radar = radar
    started = False
    try:
        services.relay = await start_relay(settings, pipeline.decoder)
        await pipeline.start()
        started = True
        services.bus_feed = await start_bus_feed(settings, hub, parts["live"], pipeline, repo,
                                                 services.identities_changed)  # fmt: skip
        await radar.start()  # after the pipeline (or the bus): its contacts go to the engine
    except BaseException:
        await radar.stop()
        if started:
            await pipeline.stop()
        if services.relay is not None:
            await services.relay.stop()
        await hub.close()
        await asyncio.to_thread(recorder.stop)
        repo.close()
        raise
    if repo.store.postgis:  # zone changes by other processes (mare CLI, another service)
        watch = await asyncio.to_thread(
            ZoneWatcher, settings.resolved_database_url, repo.list_zones, pipeline.set_zones
        )
        watch.start()
        services.zone_watch = watch
    # vessels stored by other processes (mare ingest, another service) join the live picture
    vessels = await asyncio.to_thread(
        VesselWatcher,
        vessel_changes(repo.positions, settings.resolved_database_url),
        lambda: repo.vessels_newer_than(parts["live"].fix_times()),
        pipeline.adopt_vessels,
    )
    vessels.start()
    services.vessel_watch = vessels


async def start_bus_feed(
    settings: ServiceSettings,
    hub: Hub,
    live: LivePicture,
    pipeline: Pipeline,
    repo: Repo,
    identities_changed: Callable[[], None],
) -> ApiFeed | None:
    """Start an API node's feed of vessels, alerts and events from the bus (None: one process).

    The node's event time is the engines' as published (`app.bus.api_feed`): its clock does
    not run on with the wall clock, so every node answers intercepts at the same time. Rules
    saved on any node are this node's from then on (``identities_changed``: people's
    narrowings follow them).
    """
    if not settings.api_only or not settings.bus_url:
        return None
    pipeline.clock = LiveClock(outage_s=0.0)
    layout = Layout(settings.bus_prefix, settings.bus_partitions)
    store = repo.store
    feed = ApiFeed(settings.bus_url, layout, hub, live, pipeline.engine, pipeline.clock,
                   unsent=lambda before: contact_posts.unsent(store, before),
                   mark_sent=lambda post, at: contact_posts.mark_sent(store, post, at),
                   on_rules=lambda: take_rules(pipeline, repo, identities_changed))  # fmt: skip
    await feed.start()
    return feed


async def take_rules(
    pipeline: Pipeline, repo: Repo, identities_changed: Callable[[], None]
) -> None:
    """Apply the alert rules saved last (on any API node) to this node."""
    document = await asyncio.to_thread(repo.alert_rules_document)
    if document is not None:
        pipeline.set_rules(parse_rules(document))
        identities_changed()


async def start_relay(settings: ServiceSettings, decoder: Decoder) -> NmeaRelay | None:
    """Start the NMEA relay if configured and hook it to ``decoder``; None when it is off.

    The hook is set only while a client is connected: collecting the accepted lines costs the
    decoder a few per cent, for nothing when no plotter listens. The decoder runs on the event
    loop, as the relay does, so `NmeaRelay.feed` writes to the clients at once.
    """
    address = settings.relay_address
    if address is None:
        return None

    def listened(clients: int) -> None:
        decoder.on_accepted = relay.feed if clients else None

    relay = NmeaRelay(*address, on_clients=listened)
    try:
        await relay.start()
    except OSError as exc:
        host, port = address
        raise RuntimeError(
            f"cannot listen for the NMEA relay on {host}:{port} (MARE_RELAY_LISTEN): "
            f"{exc.strerror or exc}"
        ) from exc
    log.info("NMEA relay on %s:%d", *(relay.address or address))
    return relay


def radar_store(repo: Repo, services: Services) -> RadarStore:
    """Return how radar feeds store their contacts: per feed, as ``radar:NAME``, unaudited.

    Each feed's second of contacts is stored as a POST, as a client's (`app.store.contact_posts`):
    on an API node the outbox sends it, or any other node's if this one dies first, so a radar
    contact stored is a radar contact fused.
    """

    def write(contacts: list[Contact]) -> list[tuple[int | None, list[Contact]]]:
        out: list[tuple[int | None, list[Contact]]] = []
        on_bus = services.bus_feed is not None
        for name in sorted({c.source for c in contacts}):
            mine = [c for c in contacts if c.source == name]
            posted = contact_posts.store_post(repo.store, mine, actor=f"radar:{name}"[:64],
                                              via="radar", now_ms=wall_ms(), digest="", key=None,
                                              sent=not on_bus, audit=False)  # fmt: skip
            out.append((posted.id, posted.contacts))
        return out

    async def store(contacts: list[Contact]) -> list[tuple[int | None, list[Contact]]]:
        return await asyncio.to_thread(write, contacts)

    return store


#: The hub consumers that are clients' open responses (webhooks are the service's own).
STREAM_KINDS = ("sse", "websocket")


def end_streams(app: FastAPI) -> None:
    """End the clients' open streams as a server's shutdown begins (call on its loop).

    uvicorn waits for every open response to finish before it runs the app's shutdown, and
    an SSE response never finishes: with one client connected, SIGTERM left the service
    running (a supervisor's SIGKILL then skipped the shutdown snapshot). Clients reconnect
    with ``Last-Event-ID`` to whichever instance comes up next.
    """
    try:
        hub = services_of(app).hub
    except NotStarted:  # the start failed: no stream to end
        return
    ended = hub.end_streams(STREAM_KINDS)
    if ended:
        log.info("shutting down: %d open stream(s) ended", ended)


async def stop_service(app: FastAPI) -> None:
    """Stop the pipeline (draining, snapshot), the relay, the hub and the store."""
    services = services_of(app)
    if services.radar is not None:
        await services.radar.stop()
    if services.zone_watch is not None:
        await asyncio.to_thread(services.zone_watch.stop)
    if services.vessel_watch is not None:
        await asyncio.to_thread(services.vessel_watch.stop)
    if services.bus_feed is not None:
        await services.bus_feed.stop()
    await services.pipeline.stop()
    if services.relay is not None:
        services.pipeline.decoder.on_accepted = None
        await services.relay.stop()
    await services.hub.close()
    await asyncio.to_thread(services.seq_recorder.stop)
    await asyncio.to_thread(services.repo.close)


def daily_reports(services: Services, settings: ServiceSettings) -> DailyReports | None:
    """Start the daily reports' thread (whole area and each liaison's zones); None when off."""
    if not settings.daily_reports:
        return None
    repo, auth = services.repo, services.auth
    reports = DailyReports(
        repo,
        lambda: liaison_scopes(repo, auth.narrowings),
        after_midnight_s=settings.report_after_midnight_seconds,
    )
    reports.start()
    return reports


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Return the application for ``settings`` (default: read from ``MARE_*``)."""
    cfg = settings if settings is not None else ServiceSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await start_service(app, cfg)
        services = services_of(app)
        try:
            # in its own thread: the API is ready meanwhile
            services.maintenance = Maintainer(
                services.store, cfg.retention_days, cfg.maintenance_seconds
            )
            services.maintenance.start()
            services.reports = daily_reports(services, cfg)
            yield
        finally:
            if services.reports is not None:  # before the store closes
                await asyncio.to_thread(services.reports.stop)
            if services.maintenance is not None:  # before the store closes
                await asyncio.to_thread(services.maintenance.stop)
            await stop_service(app)

    # The API docs pages load Swagger UI and ReDoc from the package, not a CDN: operation
    # rooms are often air-gapped, and a blank /docs there is no documentation at all.
    app = FastAPIOffline(
        title="Mare",
        version="1",
        summary="AIS vessel tracking and interdiction for the central Mediterranean",
        lifespan=lifespan,
    )
    app.add_middleware(DocsPolicy)
    add_exception_handlers(app)
    app.add_middleware(RequestGuard, max_body=cfg.max_body_bytes)
    app.add_middleware(SecurityHeaders)  # outermost: the guard's refusals carry them too
    for router in ROUTERS:
        app.include_router(router)
    document_errors(app)
    return app
