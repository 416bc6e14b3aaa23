"""Query parameters of OGC API - Features items (``bbox``, ``datetime``) and link building.

Invalid values answer 400, as OGC API - Features Part 1 requires (not the 422 of the REST
API): generic clients such as GDAL expect the standard's status codes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from app.api.errors import ApiError
from geo.bbox import Bbox, make_bbox
from geo.events import parse_time

#: WGS84 longitude/latitude axis order, the default CRS of OGC API - Features.
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GEOJSON = "application/geo+json"
JSON = "application/json"


def invalid(message: str) -> ApiError:
    """Return the 400 the standard requires for an invalid parameter value."""
    return ApiError(400, "invalid_request", message)


def parse_bbox(value: str | None) -> Bbox | None:
    """Return ``(min_lon, min_lat, max_lon, max_lat)`` from 4 numbers (or 6, heights dropped)."""
    if value is None or value.strip() == "":
        return None
    parts = value.split(",")
    if len(parts) not in (4, 6):
        raise invalid("bbox must be minLon,minLat,maxLon,maxLat (or six numbers with heights)")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise invalid("bbox must be numbers") from None
    a, b, c, d = (nums[0], nums[1], nums[3], nums[4]) if len(nums) == 6 else nums
    try:
        return make_bbox(a, b, c, d)
    except ValueError as exc:
        raise invalid(str(exc)) from None


def _instant(text: str) -> int | None:
    text = text.strip()
    if text in ("", ".."):
        return None
    try:
        return parse_time(text)
    except ValueError:
        raise invalid(f"datetime: {text!r} is not RFC 3339") from None


def parse_datetime(value: str | None) -> tuple[int | None, int | None] | None:
    """Return the ``datetime`` filter as epoch-ms ``(start, end)`` (None for an open end).

    An instant is the interval from itself to itself; ``..`` or an empty side is open.
    """
    if value is None or value.strip() == "":
        return None
    if "/" in value:
        left, _, right = value.partition("/")
        start, end = _instant(left), _instant(right)
        if start is not None and end is not None and start > end:
            raise invalid("datetime: the interval ends before it starts")
        return start, end
    t = _instant(value)
    if t is None:
        raise invalid("datetime: an instant or an interval start/end")
    return t, t


def overlaps(t0: int | None, t1: int | None, window: tuple[int | None, int | None]) -> bool:
    """Return whether the feature's time span ``[t0, t1]`` (None: open) meets the window."""
    w0, w1 = window
    if t0 is None and t1 is None:
        return False
    lo = t0 if t0 is not None else t1
    hi = t1 if t1 is not None else None
    assert lo is not None
    if w1 is not None and lo > w1:
        return False
    return not (w0 is not None and hi is not None and hi < w0)


def base_url(request: Request) -> str:
    """Return the absolute URL of ``/ogc`` as the client reached it."""
    return str(request.base_url).rstrip("/") + "/ogc"


def link(href: str, rel: str, type_: str, title: str | None = None) -> dict[str, Any]:
    """Return one link object."""
    out = {"href": href, "rel": rel, "type": type_}
    if title is not None:
        out["title"] = title
    return out


def page_url(request: Request, offset: int, limit: int) -> str:
    """Return this items request's URL with another page (other parameters kept)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "limit")]
    query += [("limit", str(limit)), ("offset", str(offset))]
    path = str(request.url.replace(query=None, fragment=None))
    return f"{path}?{urlencode(query)}"
