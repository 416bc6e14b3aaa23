"""The liaison rule, in one place: what a user may see.

A coastguard liaison sees the alerts of its zones, the zones themselves, and the vessels that
bear an alert of those zones (both vessels of an encounter), and the suspect cases that touch
those vessels or zones; every other role sees everything.
Every route, stream, webhook and OGC collection asks a `Scope` and never ``user.zones``
directly, so the rule cannot drift between copies: ``tests/app/api/test_scope_rule.py`` walks
every endpoint with a liaison and fails on any that shows it something outside.

The alert rules' narrowings that apply to a user (``narrow``, docs/alerts.md) are part of its
scope for alerts: asked after the zones, they can only take alerts away, never add one.

Out-of-scope objects are answered as if they did not exist (`OutOfScope` is a 404, docs/api.md):
a 403 would tell a liaison that a vessel or alert is there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from shapely.geometry import Point

from app.auth.errors import ClaimOutsideScope, OutOfScope
from app.identity import User
from geo.alert_rules import Narrowing, keeps
from geo.zones import Zone


def zone_ids_at(zones: Iterable[Zone], lon: float, lat: float) -> list[str]:
    """Return the ids of the zones holding a point (a contact's place, for `sees_any_zone`)."""
    pt = Point(lon, lat)
    return [z.id for z in zones if z.geometry.covers(pt)]


class AlertedVessels(Protocol):
    """The store's answer to "which vessels bear an alert of these zones"."""

    def mmsis_with_alerts(self, zones: frozenset[str]) -> set[int]: ...


@dataclass(frozen=True, slots=True)
class Scope:
    """What one user may see: ``zones`` None for everything, else only those zones.

    ``narrow``: of the alerts in those zones, only those every narrowing keeps.
    """

    zones: frozenset[str] | None
    narrow: tuple[Narrowing, ...] = ()

    @classmethod
    def of(cls, user: User) -> Scope:
        """Return the scope of ``user`` (a liaison: its zones; anyone else: everything)."""
        return cls(user.zone_scope, user.narrow)

    # Zones ------------------------------------------------------------------------------------

    def sees_zone(self, zone_id: str | None) -> bool:
        """Return whether the zone (an alert's zone, which may be None) is in scope."""
        return self.zones is None or (zone_id is not None and zone_id in self.zones)

    def check_zone(self, zone_id: str) -> None:
        """Raise `OutOfScope` (a 404) for a zone outside the scope."""
        if not self.sees_zone(zone_id):
            raise OutOfScope(f"zone {zone_id}")

    def narrow_zones(self, requested: Iterable[str] | None) -> list[str] | None:
        """Return the zones a query may cover: ``requested`` within scope.

        None means no zone filter (an unlimited scope that asked for none); an empty list
        means nothing at all (a liaison that asked only for zones outside its scope).
        """
        asked = sorted({z for z in requested or () if z})
        if self.zones is None:
            return asked or None
        return [z for z in asked if z in self.zones] if asked else sorted(self.zones)

    def sees_any_zone(self, zone_ids: Iterable[str]) -> bool:
        """Return whether any of ``zone_ids`` is in scope (the zones holding a contact, say).

        Something in none of a liaison's zones is not shown, as an alert of another zone is not.
        """
        return self.zones is None or any(z in self.zones for z in zone_ids)

    def claim_zones(self, requested: Iterable[str] | None) -> list[str] | None:
        """Return the zones a subscription covers; `ClaimOutsideScope` names any outside.

        Unlike `narrow_zones`, which filters a read, a claim (a liaison's webhook) must not be
        silently cut down: the caller would believe it covers zones it does not.
        """
        asked = None if requested is None else sorted(set(requested))
        if self.zones is None:
            return asked
        if asked is None:
            asked = sorted(self.zones)
        outside = [z for z in asked if z not in self.zones]
        if outside or not asked:
            raise ClaimOutsideScope("a liaison's subscription covers only its own zones", outside)
        return asked

    # Alerts -----------------------------------------------------------------------------------

    def sees_alert(self, alert: Mapping[str, Any]) -> bool:
        """Return whether an alert (the API's Alert JSON or an event's dict) is in scope."""
        if not self.sees_zone(alert.get("zone")):
            return False
        if not self.narrow:
            return True
        details = alert.get("details") or {}
        zone_kind = details.get("zone_kind") if isinstance(details, Mapping) else None
        return all(keeps(n, alert, zone_kind) for n in self.narrow)

    def alert_filter(self) -> Callable[[Mapping[str, Any]], bool] | None:
        """Return a predicate for the hub's alert streams (None: every alert)."""
        return None if self.zones is None and not self.narrow else self.sees_alert

    # Reports ----------------------------------------------------------------------------------

    def sees_report(self, zones: Iterable[str] | None, narrow: Iterable[str]) -> bool:
        """Return whether a report of ``zones`` (None: the whole area) is in scope.

        A report shows what its scope shows: a liaison sees those of its own zones only, and
        a user with narrowings only those made under at least the same narrowings (ids), so a
        report never holds an alert the user's own list would not.
        """
        if self.zones is not None and (zones is None or not set(zones) <= self.zones):
            return False
        return {n.id for n in self.narrow} <= set(narrow)

    def report_scope(
        self, requested: Iterable[str] | None
    ) -> tuple[list[str] | None, tuple[Narrowing, ...]]:
        """Return the zones and narrowings of a report the user makes (`ClaimOutsideScope`).

        A liaison's covers its own zones (all of them unless it names some, and never
        another); anyone else's the zones it names, or the whole area.
        """
        asked = None if requested is None else sorted({z for z in requested if z})
        if self.zones is None:
            return asked or None, self.narrow
        return self.claim_zones(asked or None), self.narrow

    # Vessels ----------------------------------------------------------------------------------

    def mmsis(self, store: AlertedVessels) -> set[int] | None:
        """Return the MMSIs in scope (None: every vessel)."""
        if self.zones is None:
            return None
        return set(store.mmsis_with_alerts(self.zones))

    # Cases ------------------------------------------------------------------------------------

    def sees_case(self, store: AlertedVessels, mmsis: Iterable[int], zones: Iterable[str]) -> bool:
        """Return whether a case touches the scope.

        It does when one of its vessels (its own and the linked ones) is in scope, or one of
        its attached events lies in a zone of the scope.
        """
        return self.case_filter(store)(mmsis, zones)

    def case_filter(self, store: AlertedVessels) -> Callable[[Iterable[int], Iterable[str]], bool]:
        """Return `sees_case` as a predicate over (MMSIs, zones), the store asked once.

        For a list of cases: the vessels in scope are read once, not once a case.
        """
        if self.zones is None:
            return lambda mmsis, zones: True
        allowed = self.mmsis(store) or set()
        return lambda mmsis, zones: any(m in allowed for m in mmsis) or self.sees_any_zone(zones)

    def check_case(
        self, store: AlertedVessels, case_id: int, mmsis: Iterable[int], zones: Iterable[str]
    ) -> None:
        """Raise `OutOfScope` (a 404) for a case that does not touch the scope."""
        if not self.sees_case(store, mmsis, zones):
            raise OutOfScope(f"case {case_id}")

    def check_vessel(self, store: AlertedVessels, mmsi: int) -> None:
        """Raise `OutOfScope` (a 404) for a vessel outside the scope."""
        allowed = self.mmsis(store)
        if allowed is not None and mmsi not in allowed:
            raise OutOfScope(f"vessel {mmsi}")
