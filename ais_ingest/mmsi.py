"""MMSI classification and flag state from the Maritime Identification Digits (MID).

An MMSI is nine digits whose layout says what kind of station sent it (Recommendation ITU-R
M.585-9, Annex 1 for stations, Annex 2 for other maritime devices). AIS carries it as a 30-bit
integer, so leading zeros are lost: a coast station ``002470003`` arrives as ``2470003``. Every
rule below is written on that integer form:

====================  ==============  =================  =====================================
kind                  layout          integer range      MID (digits of the 9-digit form)
====================  ==============  =================  =====================================
ship                  ``MIDXXXXXX``   2xx..7xx million   1-3 (M.585-9 Annex 1 s.1)
group                 ``0MIDXXXXX``   8 digits           2-4 (Annex 1 s.2, group ship call)
coast_station         ``00MIDXXXX``   7 digits           3-5 (Annex 1 s.3; AIS base stations)
sar_aircraft          ``111MIDXXX``   111 million + ...  4-6 (Annex 1 s.4)
aton                  ``99MIDXXXX``   99x million        3-5 (Annex 1 s.5, AIS aids to nav.)
craft_associated      ``98MIDXXXX``   98x million        3-5 (Annex 1 s.6, e.g. a ship's boat)
handheld_vhf          ``8MIDXXXXX``   8xx million        2-4 (Annex 2 s.1; diver radios too)
sart_mob_epirb        ``97NXXYYYY``   970/972/974 ...    none: XX maker 01-99, YYYY serial
amrd                  ``979XXYYYY``   979 million + ...  none: autonomous maritime radio device
====================  ==============  =================  =====================================

Anything else is ``invalid``: fewer than 7 or more than 9 digits, a first digit of 1 other than
``111`` (the 1 block is reserved), ``9`` prefixes other than those above, a device maker ``00``,
and every layout whose MID is not allocated by the ITU (``mid_table.csv``, which lists only MIDs
201-775 that the ITU has given to an administration). So ``000000000`` (0), ``111111111`` (SAR
layout, MID 111), ``123456789`` (MID 123) and ``999999999`` (AtoN layout, MID 999) are invalid.
Invalid identities are kept and marked by the ingest, never dropped.

Diver radios are taken to use the ``8MIDXXXXX`` layout of handheld VHF transceivers (Signal K reads
it the same way; the M.585-9 text itself was not at hand to confirm), so the two cannot be told
apart from the number: ``MmsiKind.DIVER`` is an alias of ``MmsiKind.HANDHELD_VHF``. The AMRD
prefix 979 (group A autonomous maritime radio devices) is likewise from memory of M.585-8/-9.

The scalar functions are plain integer arithmetic; the ``*_array`` forms do the same on a whole
batch with numpy and lookup tables indexed by MID (0..999), with no Python loop per element.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "KIND_BY_CODE",
    "MID_TABLE",
    "Flag",
    "MmsiKind",
    "classify_mmsi",
    "classify_mmsi_array",
    "flag_alpha2_array",
    "flag_of",
    "flag_of_mid",
    "is_valid_ship_mmsi",
    "kind_code",
    "kinds_of_codes",
    "mid_of",
    "mid_of_array",
]


class MmsiKind(StrEnum):
    """What kind of station an MMSI identifies, from its digit layout (ITU-R M.585-9)."""

    INVALID = "invalid"
    SHIP = "ship"
    GROUP = "group"
    COAST_STATION = "coast_station"
    SAR_AIRCRAFT = "sar_aircraft"
    ATON = "aton"
    CRAFT_ASSOCIATED = "craft_associated"
    HANDHELD_VHF = "handheld_vhf"
    #: Diver radios share the ``8MIDXXXXX`` layout of handheld VHF sets: same kind on the wire.
    DIVER = "handheld_vhf"
    SART_MOB_EPIRB = "sart_mob_epirb"
    AMRD = "amrd"


#: ``KIND_BY_CODE[code]`` is the kind for a ``uint8`` code of `classify_mmsi_array`. The codes are
#: part of the contract (stored columns use them): 0 invalid, 1 ship, 2 group, 3 coast_station,
#: 4 sar_aircraft, 5 aton, 6 craft_associated, 7 handheld_vhf, 8 sart_mob_epirb, 9 amrd.
KIND_BY_CODE: Final[tuple[MmsiKind, ...]] = (
    MmsiKind.INVALID,
    MmsiKind.SHIP,
    MmsiKind.GROUP,
    MmsiKind.COAST_STATION,
    MmsiKind.SAR_AIRCRAFT,
    MmsiKind.ATON,
    MmsiKind.CRAFT_ASSOCIATED,
    MmsiKind.HANDHELD_VHF,
    MmsiKind.SART_MOB_EPIRB,
    MmsiKind.AMRD,
)
_CODE_BY_KIND: Final[dict[MmsiKind, int]] = {k: i for i, k in enumerate(KIND_BY_CODE)}

_INVALID, _SHIP, _GROUP, _COAST, _SAR, _ATON, _CRAFT, _HANDHELD, _DEVICE, _AMRD = range(10)
#: Kinds whose layout carries a MID; the others (devices) carry a maker id instead.
_MID_CODES: Final = (_SHIP, _GROUP, _COAST, _SAR, _ATON, _CRAFT, _HANDHELD)
_DEVICE_PREFIXES: Final = (970, 972, 974)  # AIS-SART, MOB, EPIRB-AIS (M.585-9 Annex 2 s.2)
_AMRD_PREFIX: Final = 979  # AMRD group A (M.585-9 Annex 2)


def kind_code(kind: MmsiKind) -> int:
    """Return the ``uint8`` code that `classify_mmsi_array` uses for a kind."""
    return _CODE_BY_KIND[kind]


def kinds_of_codes(codes: npt.NDArray[np.uint8]) -> list[MmsiKind]:
    """Turn codes from `classify_mmsi_array` back into kinds (for output, not the hot path)."""
    return [KIND_BY_CODE[int(c)] for c in codes]


@dataclass(frozen=True, slots=True)
class Flag:
    """The administration a MID belongs to: the flag state of a ship.

    ``iso_alpha2`` is the ISO 3166-1 code of the territory the ITU names (Gibraltar ``GI``, Faroe
    Islands ``FO``), which is the flag a map shows; ``country`` is a short English name.
    """

    mid: int
    iso_alpha2: str
    country: str


def _load_table() -> dict[int, Flag]:
    """Read the packaged ITU MID table and check the invariants the lookups rely on."""
    # Beside this module, as geo.shipped finds its data: importlib.resources would be the
    # batch commands' only user of it (0.003-0.004 s of their start-up to import).
    text = Path(__file__).with_name("mid_table.csv").read_text(encoding="utf-8")
    table: dict[int, Flag] = {}
    for row in csv.DictReader(io.StringIO(text)):
        mid = int(row["mid"])
        alpha2 = row["iso_alpha2"].strip()
        if not 201 <= mid <= 775 or mid in table:
            raise ValueError(f"mid_table.csv: MID {mid} out of 201..775 or repeated")
        if len(alpha2) != 2 or not alpha2.isascii() or not alpha2.isupper():
            raise ValueError(f"mid_table.csv: MID {mid} has a bad ISO code {alpha2!r}")
        table[mid] = Flag(mid, alpha2, row["country"].strip())
    return table


#: Every MID the ITU has allocated, with its flag.
MID_TABLE: Final[Mapping[int, Flag]] = MappingProxyType(_load_table())

_ALLOCATED: Final = np.zeros(1000, dtype=np.bool_)
_ALPHA2: Final = np.full(1000, "", dtype="<U2")
for _mid, _flag in MID_TABLE.items():
    _ALLOCATED[_mid] = True
    _ALPHA2[_mid] = _flag.iso_alpha2
_ALLOCATED.flags.writeable = False
_ALPHA2.flags.writeable = False


def _layout(mmsi: int) -> tuple[int, int]:
    """Return (kind code, MID or -1) from the digit layout alone, before checking allocation."""
    if not 1_000_000 <= mmsi < 1_000_000_000:
        return _INVALID, -1
    if mmsi < 10_000_000:  # 00MIDXXXX
        return _COAST, mmsi // 10_000
    if mmsi < 100_000_000:  # 0MIDXXXXX
        return _GROUP, mmsi // 100_000
    top3 = mmsi // 1_000_000
    first = top3 // 100
    if 2 <= first <= 7:
        return _SHIP, top3
    if first == 8:
        return _HANDHELD, (mmsi // 100_000) % 1000
    if top3 == 111:
        return _SAR, (mmsi // 1000) % 1000
    if top3 // 10 == 99:
        return _ATON, (mmsi // 10_000) % 1000
    if top3 // 10 == 98:
        return _CRAFT, (mmsi // 10_000) % 1000
    if top3 in _DEVICE_PREFIXES:
        return _DEVICE, -1
    if top3 == _AMRD_PREFIX:
        return _AMRD, -1
    return _INVALID, -1


def _classify(mmsi: int) -> tuple[int, int]:
    """Return (kind code, MID or -1) with the allocation and maker-id rules applied."""
    m = int(mmsi)
    code, mid = _layout(m)
    if mid >= 0 and mid not in MID_TABLE:
        return _INVALID, -1
    if code in (_DEVICE, _AMRD) and (m // 10_000) % 100 == 0:
        return _INVALID, -1  # maker id XX runs 01..99 (M.585-9 Annex 2)
    return code, mid


def classify_mmsi(mmsi: int) -> MmsiKind:
    """Return the kind of station an MMSI identifies, per ITU-R M.585-9 (see module docstring).

    A layout that carries a MID is valid only if the ITU has allocated that MID; the AIS-SART,
    MOB, EPIRB-AIS and AMRD layouts carry a maker id (01-99) instead of a MID.

    Examples
    --------
    >>> classify_mmsi(247123456), classify_mmsi(2470003), classify_mmsi(992471234)
    (<MmsiKind.SHIP: 'ship'>, <MmsiKind.COAST_STATION: 'coast_station'>, <MmsiKind.ATON: 'aton'>)
    >>> classify_mmsi(123456789), classify_mmsi(972011234)
    (<MmsiKind.INVALID: 'invalid'>, <MmsiKind.SART_MOB_EPIRB: 'sart_mob_epirb'>)
    """
    return KIND_BY_CODE[_classify(mmsi)[0]]


def is_valid_ship_mmsi(mmsi: int) -> bool:
    """Return whether an MMSI is a ship station identity (``MIDXXXXXX``, MID allocated).

    Examples
    --------
    >>> is_valid_ship_mmsi(642123456), is_valid_ship_mmsi(217123456)
    (True, False)
    """
    return _classify(mmsi)[0] == _SHIP


def mid_of(mmsi: int) -> int | None:
    """Return the MID of a valid MMSI, read from the digits its layout puts it in.

    Digits 1-3 for ships, 2-4 for group calls and handheld sets, 3-5 for coast stations, AtoN and
    craft associated with a ship, 4-6 for SAR aircraft. None for invalid identities and for the
    device layouts (97x), which carry no MID.

    Examples
    --------
    >>> mid_of(215000001), mid_of(2150001), mid_of(111215101), mid_of(970011234)
    (215, 215, 215, None)
    """
    mid = _classify(mmsi)[1]
    return mid if mid >= 0 else None


def flag_of_mid(mid: int) -> Flag | None:
    """Return the flag of an allocated MID, or None."""
    return MID_TABLE.get(mid)


def flag_of(mmsi: int) -> Flag | None:
    """Return the flag state of a valid MMSI from its MID, or None if it has none.

    For a ship this is the flag state; for a coast station, AtoN or SAR aircraft it is the
    administration that assigned the identity.

    Examples
    --------
    >>> flag_of(636012345)
    Flag(mid=636, iso_alpha2='LR', country='Liberia')
    >>> flag_of(217123456) is None
    True
    """
    mid = _classify(mmsi)[1]
    return MID_TABLE[mid] if mid >= 0 else None


# --- vectorised forms -------------------------------------------------------------------------


def _as_int64(mmsi: npt.ArrayLike) -> npt.NDArray[np.int64]:
    arr = np.asarray(mmsi)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"MMSI array must have an integer dtype, not {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _layout_tables() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """Per-code MID divisors, and the layout of every nine-digit number by its first 3 digits."""
    by_top3 = np.array([_layout(t * 1_000_000)[0] for t in range(1000)], dtype=np.uint8)
    divisor = np.zeros(len(KIND_BY_CODE), dtype=np.int64)  # 0: the layout has no MID
    for code, div in ((_COAST, 10_000), (_GROUP, 100_000), (_SHIP, 1_000_000)):
        divisor[code] = div
    for code, div in ((_HANDHELD, 100_000), (_SAR, 1000), (_ATON, 10_000), (_CRAFT, 10_000)):
        divisor[code] = div
    by_top3.flags.writeable = False
    divisor.flags.writeable = False
    return by_top3, divisor


#: The scalar `_layout` evaluated once for each 3-digit prefix, so the batch form cannot drift.
_LAYOUT_BY_TOP3, _MID_DIVISOR = _layout_tables()


def _classify_array(
    mmsi: npt.ArrayLike,
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """Vectorised `_classify`: (codes, MID or -1), the same rules as the scalar form."""
    m = _as_int64(mmsi)
    nine = (m >= 100_000_000) & (m < 1_000_000_000)
    code = _LAYOUT_BY_TOP3[np.where(nine, m // 1_000_000, 0)]
    code = np.where(nine, code, _INVALID)
    code[(m >= 10_000_000) & (m < 100_000_000)] = _GROUP
    code[(m >= 1_000_000) & (m < 10_000_000)] = _COAST
    divisor = _MID_DIVISOR[code]
    has_mid = divisor > 0
    mid = np.where(has_mid, (m // np.where(has_mid, divisor, 1)) % 1000, -1)
    allocated = _ALLOCATED[np.where(has_mid, mid, 0)]
    device = (code == _DEVICE) | (code == _AMRD)
    bad = (has_mid & ~allocated) | (device & ((m // 10_000) % 100 == 0))
    code[bad] = _INVALID
    mid[bad] = -1
    return code.astype(np.uint8, copy=False), mid


def classify_mmsi_array(mmsi: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Classify a batch of MMSIs at once; codes as in `KIND_BY_CODE` (0 is invalid).

    Same rules as `classify_mmsi`, element for element.

    Examples
    --------
    >>> classify_mmsi_array(np.array([247123456, 2470003, 0, 111247101], dtype=np.int64))
    array([1, 3, 0, 4], dtype=uint8)
    """
    return _classify_array(mmsi)[0]


def mid_of_array(mmsi: npt.ArrayLike) -> npt.NDArray[np.int16]:
    """Return the MID of each MMSI as `mid_of` does, with -1 where it is None."""
    return _classify_array(mmsi)[1].astype(np.int16)


def flag_alpha2_array(mmsi: npt.ArrayLike) -> npt.NDArray[Any]:
    """Return the ISO 3166-1 alpha-2 flag of each MMSI (``<U2``), ``""`` where `flag_of` is None.

    Examples
    --------
    >>> flag_alpha2_array(np.array([642000001, 6720001, 123456789], dtype=np.int64))
    array(['LY', 'TN', ''], dtype='<U2')
    """
    mid = _classify_array(mmsi)[1]
    return np.where(mid >= 0, _ALPHA2[np.where(mid >= 0, mid, 0)], "")
