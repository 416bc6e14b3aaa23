"""``/api/v1/vessels``: the live list, search, detail, track, reachable area and intercepts."""

from __future__ import annotations

import re
import time
from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from app.api.deps import CurrentUser, EngineDep, LiveDep, RepoDep, allow
from app.api.errors import ApiError, bad_request, not_found
from app.api.routes.common import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MmsiPath,
    csv_list,
    decode_cursor,
    encode_cursor,
    parse_bbox,
    parse_time,
)
from app.api.services import services_of
from app.auth.scope import Scope
from app.identity import ALL_ROLES
from app.live.intercepts import intercept_picture
from app.live.picture import public
from app.live.shiptypes import FAMILIES, ship_family
from app.live.tracks import simplify_track
from app.store.ids import is_digits
from geo.bbox import contains
from geo.events import EventKind, format_time
from geo.names import name_key
from geo.reach import reachable_area
from geo.vessel_speeds import max_speed_kn
from geo.watchlist import normalise_text

router = APIRouter(prefix="/api/v1/vessels", tags=["vessels"], dependencies=[allow(*ALL_ROLES)])

MMSI = Annotated[int, Query(ge=0, le=999_999_999)]
SEARCH_MAX = 50


def _type_matcher(value: str | None) -> Any:
    items = csv_list(value)
    if not items:
        return None
    codes: set[int] = set()
    fams: set[str] = set()
    for it in items:
        if is_digits(it):
            codes.add(int(it))
        elif it.lower() in FAMILIES:
            fams.add(it.lower())
        else:
            raise bad_request(f"ship_type {it!r}: a code or one of {', '.join(FAMILIES)}")

    def match(code: int | None) -> bool:
        return (code in codes) or (ship_family(code) in fams)

    return match


@router.get("")
def list_vessels(
    user: CurrentUser,
    repo: RepoDep,
    live: LiveDep,
    request: Request,
    bbox: str | None = None,
    ship_type: str | None = None,
    flag: str | None = None,
    min_risk: Annotated[int | None, Query(ge=0, le=100)] = None,
    ais_class: Annotated[str | None, Query(pattern="^[ABab]$")] = None,
    zone: str | None = None,
    updated_since: str | None = None,
    dark: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Return live vessels, filtered, in MMSI order, paginated."""
    box = parse_bbox(bbox)
    types = _type_matcher(ship_type)
    flags = {f.upper() for f in csv_list(flag)}
    since = parse_time(updated_since, "updated_since")
    after = decode_cursor(cursor)
    scope = Scope.of(user).mmsis(repo)
    rows = live.all()
    if zone:
        engine = services_of(request.app).engine
        z = next((z for z in engine.zones if z.id == zone), None)
        if z is None:
            raise not_found(f"zone {zone}")
        Scope.of(user).check_zone(zone)
        pts = [r for r in rows if r["lon"] is not None]
        inside = shapely.contains_xy(
            z.geometry,
            np.array([r["lon"] for r in pts], dtype=np.float64),
            np.array([r["lat"] for r in pts], dtype=np.float64),
        )
        rows = [r for r, ok in zip(pts, inside.tolist(), strict=True) if ok]
    out: list[dict[str, Any]] = []
    for v in sorted(rows, key=lambda r: r["mmsi"]):
        if after is not None and v["mmsi"] <= after:
            continue
        if scope is not None and v["mmsi"] not in scope:
            continue
        if box is not None and not contains(box, v["lon"], v["lat"]):
            continue
        if types is not None and not types(v["ship_type"]):
            continue
        if flags and (v["flag"] or "") not in flags:
            continue
        if min_risk is not None and (v["risk"] or 0) < min_risk:
            continue
        if ais_class is not None and v["ais_class"] != ais_class.upper():
            continue
        if since is not None and (v["last_seen_ms"] is None or v["last_seen_ms"] < since):
            continue
        if dark is not None and bool(v["dark"]) != dark:
            continue
        out.append(v)
        if len(out) > limit:
            break
    more = len(out) > limit
    items = [public(v) for v in out[:limit]]
    return {"items": items, "next_cursor": encode_cursor(items[-1]["mmsi"]) if more else None}


def _search_rank(v: dict[str, Any], q: str, qn: str | None, qk: str | None) -> int | None:
    """Rank of a vessel for a query (lower is better); None when it does not match.

    ``qn`` is the query as display text, ``qk`` its `name_key`: "sea star ii" finds SEA STAR 2 and
    "mingyang" finds MING YANG ZHOU 9, after the vessels whose text matches as typed.
    """
    digits = is_digits(q)
    if digits and v["mmsi"] == int(q):
        return 0
    if digits and v["imo"] is not None and v["imo"] == int(q):
        return 1
    if qn is not None and normalise_text(v["callsign"]) == qn:
        return 2
    name = normalise_text(v["name"])
    if qn is not None and name is not None:
        if name == qn:
            return 3
        if name.startswith(qn):
            return 4
    key = name_key(name) if qk is not None else None
    if key is not None and qk is not None and key.startswith(qk):
        return 5 if key == qk else 6
    if digits and str(v["mmsi"]).startswith(q):
        return 7
    return None


@router.get("/search")
def search_vessels(
    user: CurrentUser,
    repo: RepoDep,
    live: LiveDep,
    q: Annotated[str, Query(min_length=1, max_length=100)],
) -> dict[str, Any]:
    """Find vessels by name (case/space-insensitive prefix), MMSI, IMO or callsign; best first."""
    text = q.strip()
    if re.fullmatch(r"(?i)imo\s*\d+", text):
        text = re.sub(r"\D", "", text)
    qn = normalise_text(text)
    qk = name_key(text)
    scope = Scope.of(user).mmsis(repo)
    ranked: list[tuple[int, int, dict[str, Any]]] = []
    for v in live.all():
        if scope is not None and v["mmsi"] not in scope:
            continue
        rank = _search_rank(v, text, qn, qk)
        if rank is not None:
            ranked.append((rank, v["mmsi"], v))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return {"items": [public(v) for _, _, v in ranked[:SEARCH_MAX]], "next_cursor": None}


def _vessel_or_404(live: Any, mmsi: int) -> dict[str, Any]:
    v = live.get(mmsi)
    if v is None:
        raise not_found(f"vessel {mmsi}")
    return v  # type: ignore[no-any-return]


@router.get("/{mmsi:int}")
async def vessel_detail(
    mmsi: MmsiPath, user: CurrentUser, repo: RepoDep, live: LiveDep, engine: EngineDep
) -> dict[str, Any]:
    """Return a vessel's full picture: static data, identity history, risk, recent events."""
    await run_in_threadpool(Scope.of(user).check_vessel, repo, mmsi)
    v = _vessel_or_404(live, mmsi)
    # Engine state is read on the event loop, where the pipeline also runs it: no race.
    risk = engine.vessel_risk(mmsi)
    history: list[dict[str, Any]] = []
    for ev in engine.vessel_events(mmsi):
        if ev.kind is EventKind.IDENTITY_CHANGE and ev.mmsi == mmsi:
            for field, change in (ev.details.get("changes") or {}).items():
                history.append(
                    {
                        "time": format_time(ev.end_ms or ev.start_ms),
                        "field": field,
                        "old": change.get("from"),
                        "new": change.get("to"),
                    }
                )
    alerts = await run_in_threadpool(repo.alerts_for_vessel, mmsi, 20)
    return {
        **public(v),
        "static": {
            "name": v["name"],
            "callsign": v["callsign"],
            "imo": v["imo"],
            "ship_type": v["ship_type"],
            "ship_type_text": v["ship_type_text"],
            "length": v["length"],
            "beam": v["beam"],
            "destination": v.get("destination"),
        },
        "identity_history": history,
        "risk": {
            "score": risk.score,
            "contributions": [
                {
                    "points": c.points,
                    "text": c.text,
                    "kind": c.kind,
                    "time": format_time(c.time_ms),
                }
                for c in risk.contributions
            ],
        },
        "recent_events": [a for a in alerts if Scope.of(user).sees_alert(a)],
    }


@router.get("/{mmsi:int}/track")
def vessel_track(
    mmsi: MmsiPath,
    user: CurrentUser,
    repo: RepoDep,
    start: str | None = None,
    end: str | None = None,
    format: Annotated[str, Query(pattern="^(points|line)$")] = "points",
    tolerance_m: Annotated[float, Query(ge=0, le=100_000)] = 50.0,
) -> dict[str, Any]:
    """Return a vessel's positions in a window (default: the last 24 h) as points or a line."""
    Scope.of(user).check_vessel(repo, mmsi)
    end_ms = parse_time(end, "end")
    start_ms = parse_time(start, "start")
    if end_ms is None:
        end_ms = repo.last_position_ms(mmsi) or 0
    if start_ms is None:
        start_ms = end_ms - 24 * 3_600_000
    if start_ms > end_ms:
        raise bad_request("start is after end")
    cols = repo.track(mmsi, start_ms, end_ms)
    if format == "line":
        return simplify_track(mmsi, cols, tolerance_m)
    return {
        "mmsi": mmsi,
        "times": [format_time(t) for t in cols["time_ms"]],
        "lon": cols["lon"],
        "lat": cols["lat"],
        "speed": cols["speed"],
        "course": cols["course"],
    }


def _now_ms(request: Request) -> int:
    now: int | None = services_of(request.app).pipeline.clock.now_ms()
    if now is None:
        now = int(time.time() * 1000)
    return now


@router.get("/{mmsi:int}/reach")
async def vessel_reach(
    mmsi: MmsiPath, user: CurrentUser, repo: RepoDep, live: LiveDep, request: Request,
    at: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Return where a dark vessel could be now: reachable and likely areas, clipped by land."""
    await run_in_threadpool(Scope.of(user).check_vessel, repo, mmsi)
    v = _vessel_or_404(live, mmsi)
    if not v["dark"]:
        raise ApiError(409, "not_dark", f"vessel {mmsi} reports normally; it is not dark")
    if v["lat"] is None or v["last_seen_ms"] is None:
        raise ApiError(409, "no_position", f"vessel {mmsi} has no known position")
    now = parse_time(at, "at") or _now_ms(request)
    now = max(now, v["last_seen_ms"])
    area = await run_in_threadpool(
        lambda: reachable_area(
            v["lat"],
            v["lon"],
            v["last_seen_ms"],
            now,
            last_speed_kn=v["speed"],
            max_speed_kn=max_speed_kn(v["ship_type"]),
            land=services_of(request.app).land,
            course_deg=v["course"],
        )
    )
    return area.to_geojson()


@router.get("/{mmsi:int}/intercepts")
async def vessel_intercepts(
    mmsi: MmsiPath, user: CurrentUser, repo: RepoDep, live: LiveDep, request: Request
) -> dict[str, Any]:
    """Return which own asset meets the vessel first, and when it would enter territorial seas."""
    await run_in_threadpool(Scope.of(user).check_vessel, repo, mmsi)
    v = _vessel_or_404(live, mmsi)
    if v["lat"] is None:
        raise ApiError(409, "no_position", f"vessel {mmsi} has no known position")
    assets = await run_in_threadpool(repo.list_assets)
    zones = services_of(request.app).engine.zones
    now = _now_ms(request)
    return await run_in_threadpool(
        intercept_picture, v, assets, zones, live, services_of(request.app).land, now
    )
