"""Class-typical maximum speeds, the bound on how far a dark vessel can have gone.

The reachable area of a vessel that went dark grows with the speed it *could* make, not the
speed it was making, so each class gets a plausible maximum, rounded up: a bound that is too
low hides the vessel, one too high only widens the search. Callers override it whenever they
know better (the vessel's own record, an intelligence report).

Classes come from the AIS "type of ship and cargo" field, ITU-R M.1371-5 Annex 8 Table 53
(reproduced by IMO, e.g. https://imorules.com/GUID-4AF512F5-1714-491A-858D-456C752CC12E.html):
first digit 2 = wing in ground, 3 = special (second digit: 0 fishing, 1-2 towing, 3 dredging,
4 diving, 5 military, 6 sailing, 7 pleasure), 4 = high-speed craft, 5 = special craft
(50 pilot, 51 search and rescue, 52 tug, 53 port tender, 54 anti-pollution, 55 law
enforcement, 58 medical), 6 = passenger, 7 = cargo, 8 = tanker, 9 = other.

Speeds and their sources (service speeds as published, plus a margin for a vessel pushed):

- Cargo and tankers: bulk carriers and tankers 13-19 kn, container ships 20-25 kn at service
  speed (maritimepage.com, "The Speed of a Cargo Ship at Sea? Compare Top 10 Types"; the same
  ranges in UNCTAD's Review of Maritime Transport discussions of slow steaming). Bound 25 kn
  cargo, 20 kn tanker.
- Passenger: cruise ships about 20-22 kn, conventional ferries up to about 27 kn; fast ferries
  report themselves as HSC. Bound 30 kn.
- High-speed craft: the IMO HSC Code (2000) defines them by a Froude-type speed threshold; fast
  ferries run 35-45 kn, the record HSC *Francisco* 58 kn (maritimepage.com, above). Bound 45 kn.
- Fishing: trawling 2.5-5 kn, transit 10-12 kn (VMS/AIS speed profiles, e.g. Natale et al.,
  "Mapping Fishing Effort through AIS Data", PLOS ONE 10(6) e0130746, 2015). Bound 15 kn.
- Go-fast boats and large RHIBs used by smugglers: 35-50 kn (US Coast Guard descriptions
  summarised in the "Go-fast boat" encyclopedia article; multi-outboard RHIBs seized in 2004-07
  were credited with up to 60 kn). Bound 45 kn, the central value the Mediterranean services
  quote; override to 60 kn for the multi-engine boats.
- Pleasure craft: sailing yachts under 10 kn, most motor yachts under 35 kn. Bound 35 kn
  (pleasure craft is also what a go-fast most often declares).
- Search and rescue, pilot, law enforcement: all-weather lifeboats 25 kn, coast-guard patrol
  boats 30-35 kn. Bound 35 kn.
- Tugs, dredgers, diving, port tenders, anti-pollution: 12-15 kn. Bound 15 kn.
- Military: from corvettes at 25 kn to fast patrol craft at 40 kn. Bound 40 kn.
- Wing in ground craft: fly at 80-100 kn. Bound 100 kn.
- Unknown or "other" type: no basis for a lower bound, so the go-fast value, 45 kn.

These are judgement values grounded in the sources above, not measurements; they are the
defaults of a tool, meant to be overridden.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SpeedClass:
    """A vessel class, its typical maximum speed (knots) and where the number comes from."""

    name: str
    max_speed_kn: float
    source: str


FISHING = SpeedClass("fishing", 15.0, "transit 10-12 kn (Natale et al. 2015, PLOS ONE)")
TOWING = SpeedClass("towing / tug", 15.0, "tugs and work boats 12-15 kn")
DREDGING = SpeedClass("dredging / diving / work", 15.0, "work vessels 12-15 kn")
MILITARY = SpeedClass("military", 40.0, "corvettes 25 kn to fast patrol craft 40 kn")
SAILING = SpeedClass("sailing", 15.0, "sailing yachts under 10 kn, motor-sailing margin")
PLEASURE = SpeedClass("pleasure craft", 35.0, "most motor yachts under 35 kn")
HIGH_SPEED = SpeedClass("high-speed craft", 45.0, "fast ferries 35-45 kn (IMO HSC Code class)")
SAR = SpeedClass("search and rescue / pilot / law enforcement", 35.0, "lifeboats 25, patrol 35 kn")
PASSENGER = SpeedClass("passenger", 30.0, "cruise 20-22 kn, ferries to about 27 kn")
CARGO = SpeedClass("cargo", 25.0, "bulk 13-15 kn, container ships to 25 kn")
TANKER = SpeedClass("tanker", 20.0, "tankers 13-19 kn")
WIG = SpeedClass("wing in ground", 100.0, "WIG craft fly at 80-100 kn")
GO_FAST = SpeedClass("go-fast / RHIB", 45.0, "smuggling go-fasts 35-50 kn (USCG descriptions)")
UNKNOWN = SpeedClass("unknown", 45.0, "no type: assume it could be a go-fast")

_SPECIAL_3X = {
    0: FISHING,
    1: TOWING,
    2: TOWING,
    3: DREDGING,
    4: DREDGING,
    5: MILITARY,
    6: SAILING,
    7: PLEASURE,
}
_SPECIAL_5X = {
    0: SAR,
    1: SAR,
    2: TOWING,
    3: DREDGING,
    4: DREDGING,
    5: SAR,
    8: SAR,
}
_BY_FIRST_DIGIT = {2: WIG, 4: HIGH_SPEED, 6: PASSENGER, 7: CARGO, 8: TANKER}


def speed_class(ship_type: int | None) -> SpeedClass:
    """Map an AIS ship type code (ITU-R M.1371 Table 53) to its speed class.

    Codes outside 20-99, reserved codes and "other" (90-99) give `UNKNOWN`: a conservative
    bound, because a vessel that does not say what it is may be the fast one.

    Examples
    --------
    >>> speed_class(30).name, speed_class(30).max_speed_kn
    ('fishing', 15.0)
    >>> speed_class(84).name, speed_class(51).name
    ('tanker', 'search and rescue / pilot / law enforcement')
    >>> speed_class(None) is UNKNOWN, speed_class(99) is UNKNOWN
    (True, True)
    """
    if ship_type is None or not 20 <= ship_type <= 99:
        return UNKNOWN
    first, second = divmod(ship_type, 10)
    if first == 3:
        return _SPECIAL_3X.get(second, UNKNOWN)
    if first == 5:
        return _SPECIAL_5X.get(second, UNKNOWN)
    return _BY_FIRST_DIGIT.get(first, UNKNOWN)


def max_speed_kn(ship_type: int | None, *, override_kn: float | None = None) -> float:
    """Return the speed bound for the reachable area: the override if given, else the class's.

    Examples
    --------
    >>> max_speed_kn(70), max_speed_kn(70, override_kn=18.0), max_speed_kn(None)
    (25.0, 18.0, 45.0)
    """
    if override_kn is not None:
        if override_kn < 0:
            raise ValueError("a maximum speed cannot be negative")
        return float(override_kn)
    return speed_class(ship_type).max_speed_kn
