"""Shore transmitters a raw receiver feed carries beside vessels: base stations and aids.

A real feed is not all vessels. In the AISHub capture `bench.ingest` builds (341k lines),
5.0 % of the single-sentence lines are base station reports (type 4), 0.5 % aids to
navigation (type 21) and 1.7 % binary messages (types 6 and 8); among class A position
reports, 12 % are type 3 and 3 % type 2 (`simulate.reporting.class_a_types`). Mare's engine
takes none of the shore messages (the decoder counts them ``unsupported_type`` and goes on),
but the decoder, the dedupe and every line count meet them on every real feed, so the
simulator's raw feeds carry them too:

- base stations (`BASE_STATIONS`) at the coastguard sites of the network report their
  position and UTC every 10 s (ITU-R M.1371's default rate for a base station);
- aids to navigation (`AIDS`) at harbours and at the Bouri oil field report every 3 min
  (the default rate of an AtoN station);

each heard by the network like any transmitter of a mast's height. Archive-like feeds
(a ``sampling`` other than ``all``) keep vessels only, as MarineCadastre's and GFW's do.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from pyais import encode_dict

from simulate.nmea import latlon_raw, pack, sentence_parts

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]

BASE_INTERVAL_MS = 10_000
AID_INTERVAL_MS = 180_000
#: A shore mast's range relative to a station's nominal class A range (high and powerful).
BASE_REACH = 1.2
#: An aid's: a light's low antenna, 12.5 W like a class A.
AID_REACH = 0.8


@dataclass(frozen=True, slots=True)
class BaseStation:
    """A base station at a receiving site of `simulate.reporting.STATIONS`."""

    mmsi: int  # 00 + MID + 4 digits (M.585)
    site: str


@dataclass(frozen=True, slots=True)
class Aid:
    """An aid to navigation: a harbour light or an offshore structure."""

    mmsi: int  # 99 + MID + 4 digits (M.585)
    name: str
    aid_type: int  # M.1371 table 74: 3 fixed offshore structure, 5 light without sectors
    lon: float
    lat: float


#: The coastguards' sites; the others of the network only receive.
BASE_STATIONS: tuple[BaseStation, ...] = (
    BaseStation(2470101, "lampedusa"),
    BaseStation(2470102, "pantelleria"),
    BaseStation(2470103, "mazara"),
    BaseStation(2150101, "malta"),
    BaseStation(6720101, "kelibia"),
    BaseStation(6720102, "sfax"),
    BaseStation(6420101, "tripoli"),
)
#: Harbour lights (positions of the breakwater heads, approximate) and the Bouri platform.
AIDS: tuple[Aid, ...] = (
    Aid(992471001, "LAMPEDUSA PORTO", 5, 12.6094, 35.4955),
    Aid(992471002, "PORTO EMPEDOCLE", 5, 13.5250, 37.2830),
    Aid(992471003, "POZZALLO PORTO", 5, 14.8490, 36.7190),
    Aid(992151001, "GRAND HARBOUR BRKW", 5, 14.5245, 35.9030),
    Aid(996721001, "SFAX CHENAL", 5, 10.7900, 34.7050),
    Aid(996421001, "TRIPOLI HARBOUR", 5, 13.1950, 32.9060),
    Aid(996421002, "BOURI DP4", 3, 12.6500, 33.9000),
)


def schedule(start: int, end: int, interval_ms: int, phase_ms: int) -> I64:
    """Report times in [start, end) of a transmitter with a fixed rate and phase."""
    first = start + (phase_ms - start) % interval_ms
    return np.arange(first, end, interval_ms, dtype=np.int64)


def encode_type4(mmsi: I64, t_ms: I64, lon: F64, lat: F64) -> U8:
    """Encode base station reports (type 4), 168 bits each, UTC from ``t_ms`` (epoch ms)."""
    n = len(mmsi)
    z = np.zeros(n, np.int64)
    sec = np.asarray(t_ms, np.int64) // 1000
    day = sec // 86_400
    ymd = np.asarray(day, "datetime64[D]")
    year = ymd.astype("datetime64[Y]").astype(np.int64) + 1970
    month = ymd.astype("datetime64[M]").astype(np.int64) % 12 + 1
    mday = (ymd - ymd.astype("datetime64[M]")).astype(np.int64) + 1
    tod = sec % 86_400
    return pack(
        [
            (z + 4, 6),
            (z, 2),
            (mmsi, 30),
            (year, 14),
            (month, 4),
            (mday, 5),
            (tod // 3600, 5),
            (tod // 60 % 60, 6),
            (tod % 60, 6),
            (z + 1, 1),  # accuracy: surveyed, better than 10 m
            (latlon_raw(lon), 28),
            (latlon_raw(lat), 27),
            (z + 7, 4),  # EPFD: surveyed
            (z, 10),  # spare
            (z, 1),  # RAIM
            ((mmsi * 11 + sec) % 0x7FFFF, 19),  # SOTDMA communication state stand-in
        ]
    )


@lru_cache(maxsize=4096)
def aid_payload(aid: Aid, second: int) -> tuple[str, str]:
    """Payload and fill bits of an aid's report (type 21, one sentence) at a UTC second."""
    sentence = encode_dict(
        {
            "type": 21,
            "mmsi": aid.mmsi,
            "aid_type": aid.aid_type,
            "name": aid.name,
            "accuracy": 1,
            "lon": aid.lon,
            "lat": aid.lat,
            "epfd": 7,
            "second": second,
            "off_position": 0,
            "raim": 0,
            "virtual_aid": 0,
            "assigned": 0,
        }
    )[0]
    return sentence_parts(sentence)
