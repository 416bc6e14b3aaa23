"""``invalid_mmsi``: once per MMSI, for a vessel transmitting under an identity no ship can have.

The layout rules are ITU-R M.585-9, implemented in `ais_ingest.mmsi`. A position or static
report from an ``INVALID`` MMSI is flagged, and so is one from a number that identifies a
group call or a coast station, which never sends vessel reports; SART/MOB/EPIRB, AMRD and
craft-associated numbers do send positions legitimately and are not flagged.
"""

from __future__ import annotations

from ais_ingest.mmsi import MmsiKind, classify_mmsi, flag_of
from geo.events import Event, EventKind, Severity

_NOT_A_VESSEL = {MmsiKind.GROUP, MmsiKind.COAST_STATION, MmsiKind.HANDHELD_VHF}


def mmsi_problem(mmsi: int) -> str | None:
    """Say why an MMSI cannot be a genuine vessel's, or None when it can.

    Examples
    --------
    >>> mmsi_problem(247123456) is None
    True
    >>> mmsi_problem(123456789)
    'not a valid MMSI (ITU-R M.585-9)'
    """
    kind = classify_mmsi(mmsi)
    if kind is MmsiKind.INVALID:
        return "not a valid MMSI (ITU-R M.585-9)"
    if kind in _NOT_A_VESSEL:
        return f"a {kind.value.replace('_', ' ')} number used by a vessel"
    return None


def invalid_mmsi_event(
    mmsi: int, time_ms: int, lat: float | None, lon: float | None
) -> Event | None:
    """Return the once-per-MMSI event for ``mmsi`` first seen at ``time_ms``, or None if valid."""
    why = mmsi_problem(mmsi)
    if why is None:
        return None
    flag = flag_of(mmsi)
    details = {
        "reason": why,
        "kind": classify_mmsi(mmsi).value,
        "flag": None if flag is None else flag.iso_alpha2,
        "summary": f"MMSI {mmsi}: {why}",
    }
    return Event(
        EventKind.INVALID_MMSI, mmsi, time_ms, time_ms, lat, lon, Severity.LOW, details=details
    )
