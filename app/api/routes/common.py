"""Query helpers shared by the routes: times, bounding boxes, opaque cursors, list pages."""

from __future__ import annotations

import base64
import binascii
import math
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel

from app.api.errors import bad_request
from app.store.ids import MAX_ID
from geo.bbox import make_bbox
from geo.events import parse_time as parse_time_text

MAX_LIMIT = 10_000

IdPath = Annotated[int, Path(ge=0, le=MAX_ID)]
MmsiPath = Annotated[int, Path(ge=0, le=999_999_999)]
DEFAULT_LIMIT = 100


class Page(BaseModel):
    """A page of a list: ``items`` and the cursor of the next page (None at the end)."""

    items: list[dict[str, Any]]
    next_cursor: str | None = None


def parse_time(value: str | None, name: str) -> int | None:
    """Return epoch milliseconds for an ISO 8601 time or epoch seconds (docs/api.md)."""
    if value is None or value == "":
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds) or abs(seconds) > 1e11:
            raise bad_request(f"{name}: {value!r} is not a time")
        return int(round(seconds * 1000))
    try:
        return parse_time_text(text)
    except ValueError:
        raise bad_request(f"{name}: {value!r} is neither ISO 8601 nor epoch seconds") from None


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """Return ``(min_lon, min_lat, max_lon, max_lat)`` from ``"a,b,c,d"``, or a 422."""
    if value is None or value == "":
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise bad_request("bbox must be minLon,minLat,maxLon,maxLat")
    try:
        a, b, c, d = (float(p) for p in parts)
    except ValueError:
        raise bad_request("bbox must be four numbers") from None
    try:
        return make_bbox(a, b, c, d)
    except ValueError as exc:
        raise bad_request(str(exc)) from None


def encode_cursor(value: int) -> str:
    """Return an opaque cursor for a position in a list."""
    return base64.urlsafe_b64encode(f"m1:{value}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """Return the position a cursor stands for; a 422 if it was not made by `encode_cursor`."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        tag, _, number = text.partition(":")
        value = int(number)
        if tag != "m1" or not 0 <= value <= 2**62:
            raise ValueError(tag)
        return value
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_request("cursor is not one this service gave out") from None


def csv_list(value: str | None) -> list[str]:
    """Return the non-empty items of a comma list."""
    if not value:
        return []
    return [v.strip() for v in value.split(",") if v.strip()]
