"""What `mare detect` reads for the engine alone: watchlist, places, coverage map, alert rules.

Read after the decoding child is forked (`app.cli.detect`): the child needs none of it, and
the sooner it starts, the more of each batch's work (zone membership) it can take from the
engine's process, the busier of the two.
"""

from __future__ import annotations

from pathlib import Path

from app.cli.failure import refuse
from geo.alert_rules import SHIPPED_RULES_FILE, AlertRules, load_rules_file
from geo.coverage import CoverageMap, load_coverage_map
from geo.detectors.base import Place
from geo.errors import CoverageMapError, GeoError
from geo.places import load_places, shipped_places
from geo.watchlist import Watchlist, load_watchlist
from geo.zones import Zone


def read_coverage_map(path: Path) -> CoverageMap:
    """Read a coverage map file (``--coverage``); a bad one is one clear error line."""
    try:
        return load_coverage_map(path)
    except CoverageMapError as exc:
        raise refuse(str(exc)) from None


def read_engine_inputs(
    zones: list[Zone],
    watchlist_path: Path | None,
    places_path: Path | None,
    coverage_path: Path | None,
    rules_path: Path | None,
) -> tuple[Watchlist | None, list[Place], CoverageMap | None, AlertRules]:
    """Return the watchlist, places, prior coverage map and alert rules; a bad one fails."""
    try:
        watchlist = load_watchlist(watchlist_path) if watchlist_path is not None else None
    except GeoError as exc:
        raise refuse(str(exc)) from None
    try:
        places = load_places(places_path) if places_path is not None else shipped_places()
    except (OSError, ValueError) as exc:
        raise refuse(f"cannot read places: {exc}") from None
    prior = read_coverage_map(coverage_path) if coverage_path is not None else None
    try:
        rules = load_rules_file(rules_path or SHIPPED_RULES_FILE, zone_ids={z.id for z in zones})
    except GeoError as exc:
        raise refuse(str(exc)) from None
    return watchlist, places, prior, rules
