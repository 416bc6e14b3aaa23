"""Liaison scoping: a liaison sees only alerts of its zones and the vessels that bear them.

Out-of-scope objects answer 404, as if they did not exist (docs/api.md): a 403 would tell a
liaison that a vessel or alert is there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shapely.geometry import Point

from app.api.errors import not_found
from app.identity import User
from app.store.repo import Repo
from geo.zones import Zone


def visible_mmsis(user: User, repo: Repo) -> set[int] | None:
    """Return the MMSIs a liaison may see (None: everything)."""
    zones = user.zone_scope
    if zones is None:
        return None
    return repo.mmsis_with_alerts(zones)


def check_vessel(user: User, repo: Repo, mmsi: int) -> None:
    """Raise 404 when ``mmsi`` is outside the user's scope."""
    scope = visible_mmsis(user, repo)
    if scope is not None and mmsi not in scope:
        raise not_found(f"vessel {mmsi}")


def alert_visible(user: User, alert: dict[str, Any]) -> bool:
    """Return whether the user may see an alert."""
    zones = user.zone_scope
    return zones is None or alert.get("zone") in zones


def zone_ids_at(zones: Iterable[Zone], lon: float, lat: float) -> list[str]:
    """Return the ids of the zones holding a point (a contact's place, for the rule below)."""
    pt = Point(lon, lat)
    return [z.id for z in zones if z.geometry.covers(pt)]


def contact_visible(user: User, zones_at_point: Iterable[str]) -> bool:
    """Return whether the user may see a contact lying in ``zones_at_point``.

    The same rule as alerts: a liaison sees what lies in its zones. A contact in none of them
    is not shown, as an alert of another zone is not.
    """
    scope = user.zone_scope
    return scope is None or any(z in scope for z in zones_at_point)
