"""AIS ship type codes (ITU-R M.1371-5 Table 53) as words and as families.

The families are what people filter and write rules on (docs/api.md ``ship_type``, the alert
rules' ``ship_types``): one mapping, so a rule and a filter never disagree on what a "fishing"
vessel is.
"""

from __future__ import annotations

#: Families the vessel list filters and alert rules match on; "other" is the rest.
FAMILIES = ("cargo", "tanker", "fishing", "passenger", "pleasure", "hsc", "sar", "other")

_SPECIAL_3X = {
    0: "Fishing",
    1: "Towing",
    2: "Towing (large)",
    3: "Dredging or underwater ops",
    4: "Diving ops",
    5: "Military ops",
    6: "Sailing",
    7: "Pleasure craft",
}
_SPECIAL_5X = {
    0: "Pilot vessel",
    1: "Search and rescue vessel",
    2: "Tug",
    3: "Port tender",
    4: "Anti-pollution equipment",
    5: "Law enforcement",
    8: "Medical transport",
    9: "Noncombatant ship",
}
_BY_FIRST = {
    2: "Wing in ground",
    4: "High-speed craft",
    6: "Passenger",
    7: "Cargo",
    8: "Tanker",
    9: "Other",
}


def ship_type_text(code: int | None) -> str | None:
    """Return words for a ship type code; None when not available (0) or unknown.

    Examples
    --------
    >>> ship_type_text(70), ship_type_text(37), ship_type_text(0)
    ('Cargo', 'Pleasure craft', None)
    """
    if code is None or code <= 0 or code > 99:
        return None
    first, second = divmod(code, 10)
    if first == 3:
        return _SPECIAL_3X.get(second, "Other")
    if first == 5:
        return _SPECIAL_5X.get(second, "Special craft")
    return _BY_FIRST.get(first, "Reserved")


def ship_family(code: int | None) -> str:
    """Return the family of a ship type code (one of `FAMILIES`).

    Examples
    --------
    >>> ship_family(84), ship_family(30), ship_family(36), ship_family(None)
    ('tanker', 'fishing', 'pleasure', 'other')
    """
    if code is None:
        return "other"
    first, second = divmod(code, 10)
    if first == 7:
        return "cargo"
    if first == 8:
        return "tanker"
    if first == 6:
        return "passenger"
    if first == 4:
        return "hsc"
    if code == 30:
        return "fishing"
    if code in (36, 37):
        return "pleasure"
    if code in (51, 55):
        return "sar"
    return "other"
