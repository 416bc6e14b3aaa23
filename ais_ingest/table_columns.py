"""Which column of a decoded AIS table is which: the names data providers give them.

Much real AIS reaches an analyst already decoded, as a table of positions: MarineCadastre's US
extracts (``MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,...``), the Danish Maritime
Authority's (``# Timestamp,Type of mobile,MMSI,Latitude,Longitude,...``), Global Fishing Watch's
message tables (``ssvid,timestamp,lat,lon,speed,course,...``), satellite providers' CSV and
Mare's own ``mare decode`` output. Their headers differ in spelling only, so a column is known by
its name folded to lower-case letters and digits and looked up among the aliases below; the
first alias present wins (the order says which of two candidates is the better one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: Mare's field -> header aliases, folded (`fold`), best first.
ALIASES: dict[str, tuple[str, ...]] = {
    "mmsi": ("mmsi", "ssvid", "userid", "mmsinumber", "sourcemmsi"),
    "time": (
        "time", "timestamp", "basedatetime", "timestamputc", "datetimeutc", "datetime",
        "msgtime", "receivedat", "positiontime", "dt", "ts", "tsposition", "times", "timems",
        "timesec", "timeseconds", "epoch", "epochtime", "unixtime", "posixtime", "timestampms",
    ),
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "longitude", "long", "lng", "x"),
    "speed": ("speed", "sog", "speedoverground", "speedknots"),
    "course": ("course", "cog", "courseoverground"),
    "heading": ("heading", "trueheading", "hdg"),
    "status": ("status", "navstatus", "navigationalstatus", "navigationstatus"),
    "turn": ("turn", "rot", "rateofturn"),
    "msg_type": ("msgtype", "messagetype", "messageid", "msgid", "type"),
    "ais_class": ("aisclass", "transceiverclass", "typeofmobile", "class", "transponderclass"),
    # GFW's ``receiver_type`` (satellite or terrestrial) where no receiver is named: coverage
    # is learnt per source, and a satellite's sparse passes must not set a shore's rates
    "source": ("source", "station", "receiver", "receiverid", "receivertype"),
    "record": ("record",),
    # static and voyage data, carried on every row by most extracts
    "name": ("name", "vesselname", "shipname"),
    "callsign": ("callsign", "call"),
    "imo": ("imo", "imonumber"),
    "ship_type": ("shiptype", "vesseltype", "shipandcargotype", "shiptypecode"),
    "to_bow": ("tobow", "a", "dima"),
    "to_stern": ("tostern", "b", "dimb"),
    "to_port": ("toport", "c", "dimc"),
    "to_starboard": ("tostarboard", "d", "dimd"),
    "length": ("length", "lengthm", "shiplength"),
    "width": ("width", "beam", "widthm", "shipwidth"),
    "destination": ("destination",),
    "draught": ("draught", "draft"),
}  # fmt: skip

#: The columns a table must have for its rows to be positions.
REQUIRED = ("mmsi", "time", "lat", "lon")

#: Static fields, in `StaticReport`'s order; a change of any of them is a new static record.
STATIC_FIELDS = (
    "name", "callsign", "imo", "ship_type", "to_bow", "to_stern", "to_port", "to_starboard",
    "destination", "draught",
)  # fmt: skip

#: Ship types written as words (the Danish Maritime Authority's extracts) -> the ITU-R M.1371
#: code of the category (its first code where the category has several).
SHIP_TYPE_WORDS: dict[str, int] = {
    "wig": 20, "fishing": 30, "towing": 31, "towinglong": 32, "towinglongwide": 32,
    "dredging": 33, "diving": 34, "military": 35, "sailing": 36, "pleasure": 37, "hsc": 40,
    "pilot": 50, "sar": 51, "tug": 52, "porttender": 53, "antipollution": 54,
    "lawenforcement": 55, "spare1": 56, "spare2": 57, "medical": 58,
    "notpartiestoanarmedconflict": 59, "passenger": 60, "cargo": 70, "tanker": 80, "other": 90,
}  # fmt: skip


#: Navigational status written as words (the DMA's extracts, folded) -> ITU-R M.1371's code.
NAV_STATUS_WORDS: dict[str, int] = {
    "underwayusingengine": 0, "atanchor": 1, "notundercommand": 2,
    "restrictedmanoeuverability": 3, "restrictedmanoeuvrability": 3,
    "restrictedmaneuverability": 3, "constrainedbyherdraught": 4, "moored": 5, "aground": 6,
    "engagedinfishing": 7, "underwaysailing": 8, "reservedforfutureamendmenthsc": 9,
    "reservedforfutureamendmentwig": 10, "powerdrivenvesseltowingastern": 11,
    "powerdrivenvesselpushingaheadortowingalongside": 12, "reservedforfutureuse": 13,
    "aissart": 14, "aissartisactive": 14, "unknownvalue": 15, "unknown": 15, "notdefined": 15,
    "undefined": 15,
}  # fmt: skip


def fold(name: str) -> str:
    """Return a header as lower-case letters and digits: ``# Timestamp`` -> ``timestamp``."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def match_columns(
    headers: Iterable[str], fits: Callable[[str, str], bool] | None = None
) -> dict[str, str]:
    """Return Mare's field -> the table's header for every field the headers name.

    A header is used for one field only; fields are matched in `ALIASES` order, so ``type``
    (a message type in most tables) is not taken when a better ``msg_type`` column exists.
    ``fits(field, header)``, where the values are at hand, turns away a header whose values
    are not the field's: GFW's ``msgid`` is a message's UUID, its ``type`` the message type.
    """
    by_fold: dict[str, str] = {}
    for h in headers:
        by_fold.setdefault(fold(h), h)
    out: dict[str, str] = {}
    used: set[str] = set()
    for field, aliases in ALIASES.items():
        for alias in aliases:
            header = by_fold.get(alias)
            if header is None or header in used or (fits is not None and not fits(field, header)):
                continue
            out[field] = header
            used.add(header)
            break
    return out


#: A message type as tables write it: ``1``, ``18.0``, ``AIS.27`` (GFW), ``Type 5``.
MESSAGE_TYPE = r"^\s*(?:[A-Za-z][A-Za-z .:_-]*?)?(\d{1,2})(?:\.0+)?\s*$"


def message_types(column: pd.Series) -> pd.Series | None:
    """Return a column's AIS message types (NaN where a row has none), or None if not one.

    A column so named may hold something else: ship types (20-99, often headed ``type``) or
    message identifiers (GFW's ``msgid``). Nine in ten of the values given must read as a
    type from 1 to 27.
    """
    import pandas as pd  # only to read a table (`ais_ingest.table_sniff` must not load it)

    text = column.astype("string")
    given = pd.to_numeric(text.str.extract(MESSAGE_TYPE)[0], errors="coerce")
    ok = (given >= 1) & (given <= 27)
    present = int(text.notna().sum())
    if present == 0 or int(ok.sum()) * 10 < present * 9:
        return None
    return given.where(ok)


def missing_required(columns: dict[str, str]) -> list[str]:
    """Return the required fields a table's columns lack, in `REQUIRED` order."""
    return [f for f in REQUIRED if f not in columns]


def coded(column: pd.Series, words: dict[str, int]) -> pd.Series:
    """Return a column of codes written as numbers or as words (``words``: folded -> code)."""
    import numpy as np  # only to read a table, as pandas
    import pandas as pd

    numbers = numeric(column)
    out = numbers.to_numpy(dtype="float64", na_value=float("nan"), copy=True)
    words_at = np.flatnonzero(np.isnan(out) & column.notna().to_numpy())
    if len(words_at):  # each distinct word looked up once
        text = column.iloc[words_at].astype(str)
        codes = {w: words.get(fold(w)) for w in text.unique()}
        out[words_at] = [np.nan if (c := codes[w]) is None else c for w in text.tolist()]
    return pd.Series(out, index=column.index)


def numeric(column: pd.Series) -> pd.Series:
    """Return a column as numbers (NaN where not one), decimal commas read as points.

    A European spreadsheet exports ``40,5`` with ``;`` between fields; a column that is text
    and reads as numbers only with its commas as points is read so.
    """
    import pandas as pd  # only to read a table (`ais_ingest.table_sniff` must not load it)

    numbers = pd.to_numeric(column, errors="coerce")
    if column.dtype.kind in "biuf":
        return numbers
    text = column.astype("string")
    failed = numbers.isna() & text.notna()
    if failed.sum() * 2 <= text.notna().sum():
        return numbers
    return pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
