"""What an engine worker builds its engines from: the store's zones, watchlist and rules.

The same inputs as the single process (`app.wiring`): zones and watchlist as stored (seeded
from the configured files into an empty database), places from their file, the alert rules an
admin saved or else the rules file, and a receiver coverage map of a fuller feed
(``MARE_COVERAGE_FILE``), which like the zones is configuration, not in a snapshot.
"""

from __future__ import annotations

from app.bus.engine_start import EngineFactory
from app.settings import ServiceSettings
from app.store.repo import Repo
from geo.alert_rules import load_rules_file, parse_rules
from geo.coverage import load_coverage_map
from geo.engine import Engine
from geo.places import load_places
from geo.watchlist import stored_watchlist
from geo.zones import load_zone_file


def engine_factory(settings: ServiceSettings) -> EngineFactory:
    """Read the engines' inputs once (the store is closed after) and return the factory."""
    repo = Repo.open(settings.resolved_database_url)
    try:
        if not repo.list_zones() and settings.zone_file.is_file():
            repo.put_zones(load_zone_file(settings.zone_file))
        zones = repo.list_zones()
        watchlist = stored_watchlist(repo.list_watch())
        saved = repo.alert_rules_document()
    finally:
        repo.close()
    rules = parse_rules(saved) if saved is not None else load_rules_file(settings.alert_rules_file)
    places = load_places(settings.places_file) if settings.places_file.is_file() else []
    prior = load_coverage_map(settings.coverage_file) if settings.coverage_file else None

    def judged(engine: Engine) -> Engine:
        engine.set_coverage_map(prior)
        return engine

    return EngineFactory(
        new=lambda: judged(Engine(zones, watchlist=watchlist, places=places)),
        restore=lambda blob: judged(
            Engine.restore(blob, zones, watchlist=watchlist, places=places)
        ),
        rules=rules,
    )
