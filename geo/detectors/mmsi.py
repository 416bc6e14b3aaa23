"""``invalid_mmsi``: once per MMSI, for a vessel transmitting under an identity no ship can have.

The layout rules are ITU-R M.585-9, implemented in `ais_ingest.mmsi`. A position or static
report from an ``INVALID`` MMSI is flagged, and so is one from a number that identifies a
group call or a coast station, which never sends vessel reports; SART/MOB/EPIRB, AMRD and
craft-associated numbers do send positions legitimately and are not flagged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ais_ingest.mmsi import MmsiKind, classify_mmsi, classify_mmsi_array, flag_of, kind_code
from geo.events import Event, EventKind, Severity

_NOT_A_VESSEL = {MmsiKind.GROUP, MmsiKind.COAST_STATION, MmsiKind.HANDHELD_VHF}
#: `classify_mmsi_array`'s codes of the kinds `mmsi_problem` names.
_PROBLEM_CODES = np.zeros(256, dtype=np.bool_)
_PROBLEM_CODES[[kind_code(k) for k in (MmsiKind.INVALID, *_NOT_A_VESSEL)]] = True


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


def with_problems(mmsis: Sequence[int]) -> npt.NDArray[np.bool_]:
    """Which MMSIs `mmsi_problem` has something to say of, all at once.

    A capture of the world's ports meets ten thousand vessels in its first minutes, nearly all
    with a valid number: classifying them in one array leaves the per-MMSI work to the few.
    """
    if not len(mmsis):
        return np.zeros(0, dtype=np.bool_)
    out: npt.NDArray[np.bool_] = _PROBLEM_CODES[classify_mmsi_array(np.asarray(mmsis))]
    return out


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
