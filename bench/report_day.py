"""A simulated day in a store, as the service would have written it: for the report's tests
and its benchmark.

The simulator's traffic (with its labelled smuggling patterns) goes through the real decoder,
engine, alert rules and store (`Store.write_batch`, `Repo.write_events`), the shipped zones,
sample watchlist and own assets are loaded as the service loads them, and a few alerts are
acknowledged, assigned and resolved by people, so every part of the report has something real
to show.
"""

from __future__ import annotations

from typing import Any

from app.store.repo import Repo

#: 2026-06-01T00:00:00Z, the day the tests and the benchmark report on.
DAY_START_MS = 1_780_272_000_000


def fill(
    repo: Repo,
    *,
    hours: float = 6.0,
    vessels: int = 60,
    seed: int = 1,
    start_ms: int = DAY_START_MS + 2 * 3_600_000,
) -> dict[str, Any]:
    """Simulate ``hours`` from ``start_ms`` into ``repo``; return what was written."""
    from ais_ingest.decoder import Decoder
    from app.live.assets import load_assets_file
    from app.store.contacts import add_contacts
    from geo.alert_rules import load_rules_file
    from geo.engine import Engine
    from geo.shipped import ASSETS_SAMPLE, WATCHLIST_SAMPLE, ZONE_FILE
    from geo.triage import Triage
    from geo.watchlist import load_watchlist
    from geo.zones import load_zone_file
    from simulate.scenario import Simulation

    zones = load_zone_file(ZONE_FILE)
    if not repo.list_zones():
        repo.put_zones(zones)
    wl = load_watchlist(WATCHLIST_SAMPLE)
    if not repo.list_watch():
        fields = ("mmsi", "imo", "name", "callsign", "note")
        repo.import_watch([{f: getattr(e, f) for f in fields} for e in wl.entries])
    repo.upsert_assets([a.model_dump() for a in load_assets_file(ASSETS_SAMPLE)])
    sim = Simulation(hours=hours, seed=seed, vessels=vessels, start_ms=start_ms, zones=ZONE_FILE)
    engine = Engine(zones, watchlist=wl)
    triage = Triage(engine, load_rules_file(zone_ids={z.id for z in zones})).follow()
    decoder = Decoder()
    positions = 0
    written: list[dict[str, Any]] = []
    contacts: list[Any] = []

    def feed(batch: Any) -> None:
        nonlocal positions
        # contacts reach the store and the engine as the simulation makes them (live: radar)
        fresh = add_contacts(
            repo.store,
            sim.contacts[len(contacts) :],
            actor="sim",
            via="simulation",
            now_ms=start_ms,
            audit=False,
        )
        contacts.extend(fresh)
        engine.add_contacts(fresh)
        positions += repo.store.write_batch(batch).positions_inserted
        written.extend(repo.write_events(triage.decide(engine.process(batch))))

    chunk: list[str] = []
    last = start_ms
    for t, line in sim:
        chunk.append(line)
        last = t
        if len(chunk) == 8192:
            feed(decoder.decode(chunk, last))
            chunk = []
    feed(decoder.decode(chunk, last))
    feed(decoder.flush())
    written.extend(repo.write_events(triage.decide(engine.flush())))
    ids = sorted({a["id"] for a in written if a.get("id") is not None})
    for i, alert_id in enumerate(ids):  # the desk at work: some acknowledged, assigned, resolved
        if i % 2 == 0:
            repo.acknowledge(alert_id, "officer1")
        if i % 3 == 0:
            repo.assign(alert_id, "officer1", "analyst1")
        if i % 4 == 0:
            repo.resolve(alert_id, "officer2", "checked")
    return {"positions": positions, "alerts": len(ids), "contacts": len(contacts)}
