"""The tables, built per backend: PostGIS gets geometry columns, SQLite plain lon/lat and WKB.

SQLite here has no SpatiaLite, so spatial work there is a bounding-box prefilter in SQL refined by
shapely; PostGIS stores real geometries with GiST indexes. Both carry the same columns otherwise
and the same answers come out of `app.store.queries`.

Times are `EpochMs` on the Python side (integer milliseconds, as in the record contract); on
PostGIS they are ``timestamptz`` (daily partitions, readable in psql), on SQLite integers.

Index design of ``positions`` on PostGIS (measured with bench/store.py and server CPU per row):
BRIN on (time, mmsi) on the table, and a GiST on geom per day partition built once the day is
over (`partitions.index_closed`), no btree. Inserting 50k-row batches into a 1M-row partition
cost ~1.6 us of server CPU per row with BRIN alone, ~7.4 with BRIN and GiST, ~4.4 with BRIN and
a unique btree on (mmsi, time, lat, lon). The GiST is most of a row's cost, so the day being
written goes without, and a sorted GiST build of a closed day costs a fraction of the inserts.
Every time-bounded query (replay, tracks, the geofence over hours) runs off BRIN and needs no
GiST on the day being written; a geofence over weeks gets the closed days' GiSTs. The natural
key (mmsi, time, lat, lon) is kept unique by the writer instead of by that btree: see
`app.store.positions`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, REAL
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class EpochMs(TypeDecorator[int]):
    """Integer epoch milliseconds in Python; ``timestamptz`` on PostgreSQL, integer on SQLite."""

    impl = BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(DateTime(timezone=True))
        return dialect.type_descriptor(BigInteger())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name != "postgresql":
            return None if value is None else int(value)
        return datetime.fromtimestamp(int(value) // 1000, tz=UTC).replace(
            microsecond=(int(value) % 1000) * 1000
        )

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            delta = value - EPOCH
            return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
        return int(value)


Real = Float().with_variant(REAL(), "postgresql")
Json = JSON().with_variant(JSONB(), "postgresql")
POINT_EXPR = "ST_SetSRID(ST_MakePoint(lon, lat), 4326)"


def _position_columns(postgis: bool) -> list[Any]:
    cols: list[Any] = [
        Column("time", EpochMs(), nullable=False),
        Column("mmsi", Integer, nullable=False),
        Column("lat", Float, nullable=False),
        Column("lon", Float, nullable=False),
        Column("sog", Real),
        Column("cog", Real),
        Column("heading", SmallInteger),
        Column("status", SmallInteger),
        Column("turn", Real),
        Column("accuracy", Boolean),
        Column("msg_type", SmallInteger, nullable=False),
        Column("second", SmallInteger),
        Column("source", Text),
    ]
    if postgis:
        cols.append(
            Column(
                "geom",
                Geometry("POINT", srid=4326, spatial_index=False),
                Computed(POINT_EXPR, persisted=True),
            )
        )
    return cols


@cache
def make_metadata(postgis: bool) -> MetaData:
    """Return the tables for PostGIS (``postgis=True``) or SQLite; the migrations match these."""
    md = MetaData()
    pos = Table(
        "positions",
        md,
        *_position_columns(postgis),
        postgresql_partition_by="RANGE (time)",
    )
    if postgis:
        Index(
            "ix_positions_time_mmsi",
            pos.c.time,
            pos.c.mmsi,
            postgresql_using="brin",
            postgresql_with={"pages_per_range": 16},
        )
        # GiST on geom: per partition, built once its day is over (`partitions.index_closed`).
    else:
        Index("ux_positions_key", pos.c.mmsi, pos.c.time, pos.c.lat, pos.c.lon, unique=True)
        Index("ix_positions_time", pos.c.time)

    vessel_cols: list[Any] = [
        Column("mmsi", Integer, primary_key=True, autoincrement=False),
        Column("first_seen", EpochMs(), nullable=False),
        Column("last_seen", EpochMs(), nullable=False),
        Column("time", EpochMs()),  # time of the latest fix with a position
        Column("lat", Float),
        Column("lon", Float),
        Column("sog", Real),
        Column("cog", Real),
        Column("heading", SmallInteger),
        Column("status", SmallInteger),
        Column("msg_type", SmallInteger),
        Column("static_time", EpochMs()),
        Column("name", String(32)),
        Column("callsign", String(16)),
        Column("imo", Integer),
        Column("ship_type", SmallInteger),
        Column("to_bow", SmallInteger),
        Column("to_stern", SmallInteger),
        Column("to_port", SmallInteger),
        Column("to_starboard", SmallInteger),
        Column("destination", String(32)),
        Column("eta", String(16)),
        Column("draught", Real),
        Column("flag", String(2)),
        Column("risk", Real),
    ]
    if postgis:
        vessel_cols.append(
            Column(
                "geom",
                Geometry("POINT", srid=4326, spatial_index=False),
                Computed(POINT_EXPR, persisted=True),
            )
        )
    # No index beyond the key: a batch rewrites thousands of vessel rows, and without indexed
    # columns changing those updates are HOT; a box query over ~10k rows is a fast scan anyway.
    Table("vessels", md, *vessel_cols)

    Table(  # the live picture's Vessel object, apart from the narrow hot ``vessels`` (0007)
        "vessel_states",
        md,
        Column("mmsi", Integer, primary_key=True, autoincrement=False),
        Column("name", String(40)),
        Column("last_seen", EpochMs()),
        Column("data", Json, nullable=False),
    )

    ident = Table(
        "vessel_identities",
        md,
        Column("id", Integer, primary_key=True),
        Column("mmsi", Integer, nullable=False),
        Column("time", EpochMs(), nullable=False),
        Column("name", String(32)),
        Column("callsign", String(16)),
        Column("imo", Integer),
        Column("ship_type", SmallInteger),
    )
    Index("ix_vessel_identities_mmsi_time", ident.c.mmsi, ident.c.time)

    zones = Table(
        "zones",
        md,
        Column("id", String(64), primary_key=True),
        Column("name", Text, nullable=False),
        Column("kind", String(32), nullable=False),
        Column("alerts", Json, nullable=False),
        Column("dwell_minutes", Float),
        Column("severity", String(16), nullable=False),
        Column("note", Text, nullable=False),
        Column("country", String(8)),
        Column(
            "geom",
            Geometry("MULTIPOLYGON", srid=4326, spatial_index=False) if postgis else LargeBinary,
            nullable=False,
        ),
        Column("minx", Float, nullable=False),
        Column("miny", Float, nullable=False),
        Column("maxx", Float, nullable=False),
        Column("maxy", Float, nullable=False),
        Column("updated_at", EpochMs(), nullable=False),
    )
    if postgis:
        Index("ix_zones_geom", zones.c.geom, postgresql_using="gist")
    Table(
        "store_meta",
        md,
        Column("key", String(64), primary_key=True),
        Column("value", BigInteger, nullable=False),
    )

    ev = Table(
        "events",
        md,
        Column("id", Integer, primary_key=True),
        Column("key", String(200), nullable=False, unique=True),
        Column("kind", String(32), nullable=False),
        Column("mmsi", Integer, nullable=False),
        Column("other_mmsi", Integer),
        Column("zone", String(64)),
        Column("start_time", EpochMs(), nullable=False),
        Column("end_time", EpochMs()),
        Column("lat", Float),
        Column("lon", Float),
        Column("severity", String(16), nullable=False),
        Column("details", Json, nullable=False),
        # The alert lifecycle: new -> acknowledged -> resolved (or new -> resolved), who and when.
        Column("state", String(16), nullable=False),
        Column("acknowledged_by", String(64)),
        Column("acknowledged_at", EpochMs()),
        Column("resolved_by", String(64)),
        Column("resolved_at", EpochMs()),
        Column("created_at", EpochMs(), nullable=False),
        Column("updated_at", EpochMs(), nullable=False),
        Column("assignee", String(64)),  # who is on it (0006)
        Column("comments", Json, nullable=False, server_default=text("'[]'")),  # [{user,time,text}]
        # The live hub's sequence id (the SSE event id) of the row's latest published version;
        # NULL until published (0010). Alert streams resume from the store by it.
        Column("stream_seq", BigInteger),
        # Alert rules (0012): whether the episode is an alert a person handles (else an event,
        # recorded on its vessel), the rule that decided, the situation it belongs to (a zone
        # visit: entry, dwell and exit are one alert) and the situation's other events folded
        # into this alert ([{kind, start, end, severity, summary}]).
        Column("alert", Boolean, nullable=False, server_default=text("true")),
        Column("rule", String(64)),
        Column("situation", String(200)),
        Column("related", Json, nullable=False, server_default=text("'[]'")),
    )
    Index("ix_events_start_time", ev.c.start_time)
    Index("ix_events_stream_seq", ev.c.stream_seq)
    Index("ix_events_mmsi", ev.c.mmsi)
    Index("ix_events_zone", ev.c.zone)
    Index("ix_events_state", ev.c.state)
    Index("ix_events_situation", ev.c.situation)
    Index("ix_events_alert", ev.c.alert)
    Table(  # the alert rules in force, one row (0012): the file an admin last saved
        "alert_rules",
        md,
        Column("id", Integer, primary_key=True),
        Column("document", Json, nullable=False),
        Column("updated_at", EpochMs(), nullable=False),
        Column("updated_by", String(64), nullable=False),
    )

    Table(
        "watchlist",
        md,
        Column("id", Integer, primary_key=True),
        Column("mmsi", Integer),
        Column("imo", Integer),
        Column("name", String(120)),  # the API's limits (migration 0002)
        Column("callsign", String(20)),
        Column("note", Text, nullable=False),
        Column("created_at", EpochMs(), nullable=False),
    )
    Table(
        "users",
        md,
        Column("id", Integer, primary_key=True),
        Column("username", String(64), nullable=False, unique=True),
        Column("password_hash", Text, nullable=False),
        Column("role", String(16), nullable=False),
        Column("disabled", Boolean, nullable=False),
        Column("created_at", EpochMs(), nullable=False),
        Column("zones", Json),  # zone ids a liaison may see; NULL for other roles (0003)
    )
    Table(
        "api_tokens",
        md,
        Column("id", Integer, primary_key=True),
        Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        Column("name", String(100), nullable=False),
        Column("token_hash", String(64), nullable=False, unique=True),
        Column("prefix", String(16)),  # NULL where only the hash was ever seen (the service)
        Column("created_at", EpochMs(), nullable=False),
        Column("expires_at", EpochMs()),
        Column("last_used_at", EpochMs()),
        Column("revoked_at", EpochMs()),
        Column("kind", String(8), nullable=False, server_default="api"),  # login | api (0003)
        Column("role", String(16)),  # an API token's narrower role, NULL: its owner's (0003)
    )
    Table(
        "assets",  # own patrol vessels/aircraft: on their AIS (mmsi) or at a fixed lat/lon (0004)
        md,
        Column("id", Integer, primary_key=True),
        Column("name", String(100), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("mmsi", Integer),
        Column("lat", Float),
        Column("lon", Float),
        Column("max_speed_kn", Float, nullable=False),
        Column("updated_at", EpochMs(), nullable=False),
    )
    _contacts_table(md, postgis)
    _case_tables(md)
    Table(  # the daily situation reports kept by the service (0014), one per day and scope
        "reports",
        md,
        Column("id", Integer, primary_key=True),
        Column("day", String(10), nullable=False),
        Column("scope", String(2000), nullable=False),
        Column("zones", Json),
        Column("narrow", Json, nullable=False),
        Column("pdf", LargeBinary, nullable=False),
        Column("html", LargeBinary, nullable=False),
        Column("pdf_size", Integer, nullable=False),
        Column("html_size", Integer, nullable=False),
        Column("pdf_sha256", String(64), nullable=False),
        Column("html_sha256", String(64), nullable=False),
        Column("created_at", EpochMs(), nullable=False),
        Column("created_by", String(64), nullable=False),
        UniqueConstraint("day", "scope", name="ux_reports_day_scope"),
    )
    Table(  # stored POSTs of contacts: idempotency key, outbox of an API node (0015)
        "contact_posts",
        md,
        Column("id", Integer, primary_key=True),
        Column("key", String(64)),
        Column("digest", String(64), nullable=False),
        Column("ids", Json, nullable=False),
        Column("created_at", EpochMs(), nullable=False),
        Column("created_by", String(64), nullable=False),
        Column("sent_at", EpochMs()),
        UniqueConstraint("key", name="ux_contact_posts_key"),
    )
    audit = Table(
        "audit_log",
        md,
        Column("id", Integer, primary_key=True),
        Column("time", EpochMs(), nullable=False),
        Column("actor", String(64), nullable=False),
        Column("action", String(64), nullable=False),
        Column("target", String(200), nullable=False),
        Column("details", Json, nullable=False),
    )
    Index("ix_audit_log_time", audit.c.time)
    _webhook_tables(md)
    return md


def _webhook_tables(md: MetaData) -> None:
    """Webhook subscriptions and their bounded delivery log (0008), written by `app.api.push`.

    Times are integer epoch milliseconds and the filters plain JSON on both backends: the
    tables were first made by the service itself, and 0008 adopts those as they are.
    """
    Table(
        "webhook_subscriptions",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", String(200), nullable=False),
        Column("url", String(2000), nullable=False),
        Column("secret", String(200), nullable=False),
        Column("owner", String(200), nullable=False),
        Column("zones", JSON),
        Column("kinds", JSON),
        Column("min_severity", String(20)),
        Column("active", Boolean, nullable=False, default=True),
        Column("created_ms", BigInteger, nullable=False),
    )
    deliveries = Table(
        "webhook_deliveries",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("subscription_id", Integer, nullable=False),
        Column("delivery", String(64), nullable=False),
        Column("alert_id", BigInteger),
        Column("attempt", Integer, nullable=False),
        Column("ok", Boolean, nullable=False),
        Column("status_code", Integer),
        Column("error", String(500)),
        Column("duration_ms", Float, nullable=False),
        Column("time_ms", BigInteger, nullable=False),
    )
    Index("ix_webhook_deliveries_subscription_id", deliveries.c.subscription_id)


def _contacts_table(md: MetaData, postgis: bool) -> None:
    """Contacts: boats seen without AIS (0011), `geo.contacts.Contact` with who entered them.

    ``mmsi`` is the AIS vessel the engine attached the contact to, ``target`` the dark target
    number it started or continued; both NULL until fused (and both NULL if never fused).
    """
    cols: list[Any] = [
        Column("id", Integer, primary_key=True),
        Column("time", EpochMs(), nullable=False),
        Column("lat", Float, nullable=False),
        Column("lon", Float, nullable=False),
        Column("radius_m", Float),
        Column("kind", String(16), nullable=False),
        Column("source", String(100), nullable=False),
        Column("course", Float),
        Column("speed_kn", Float),
        Column("length_m", Float),
        Column("people", Integer),
        Column("confidence", Float),
        Column("note", Text, nullable=False),
        Column("ref", String(100)),
        Column("mmsi", Integer),
        Column("target", BigInteger),
        Column("created_at", EpochMs(), nullable=False),
        Column("created_by", String(64), nullable=False),
    ]
    if postgis:
        cols.append(
            Column(
                "geom",
                Geometry("POINT", srid=4326, spatial_index=False),
                Computed(POINT_EXPR, persisted=True),
            )
        )
    t = Table("contacts", md, *cols)
    Index("ix_contacts_time", t.c.time)
    if postgis:
        Index("ix_contacts_geom", t.c.geom, postgresql_using="gist")


def _case_tables(md: MetaData) -> None:
    """Suspect cases (0013): the case, its notes, attachments and field changes (`app.store.cases`).

    Notes are append-only: an edit keeps the earlier texts in ``revisions``. ``case_links``
    holds linked vessels (``ref`` an MMSI), contacts and events (``ref`` their id), one row each.
    """
    cases = Table(
        "cases",
        md,
        Column("id", Integer, primary_key=True),
        Column("mmsi", Integer, nullable=False),
        Column("title", String(200), nullable=False),
        Column("status", String(16), nullable=False),
        Column("assignee", String(64)),
        Column("watch_entry", Integer),  # the watchlist entry the case put on, if any
        Column("created_by", String(64), nullable=False),
        Column("created_at", EpochMs(), nullable=False),
        Column("updated_at", EpochMs(), nullable=False),
    )
    Index("ix_cases_mmsi", cases.c.mmsi)
    owner = ForeignKey("cases.id", ondelete="CASCADE")
    notes = Table(
        "case_notes",
        md,
        Column("id", Integer, primary_key=True),
        Column("case_id", Integer, owner, nullable=False),
        Column("author", String(64), nullable=False),
        Column("time", EpochMs(), nullable=False),
        Column("text", Text, nullable=False),
        Column("edited_by", String(64)),
        Column("edited_at", EpochMs()),
        Column("revisions", Json, nullable=False, server_default=text("'[]'")),
    )
    Index("ix_case_notes_case_id", notes.c.case_id)
    Table(
        "case_links",
        md,
        Column("id", Integer, primary_key=True),
        Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("ref", BigInteger, nullable=False),
        Column("reason", Text, nullable=False),
        Column("added_by", String(64), nullable=False),
        Column("added_at", EpochMs(), nullable=False),
        UniqueConstraint("case_id", "kind", "ref", name="uq_case_links_case_kind_ref"),
    )
    changes = Table(
        "case_changes",
        md,
        Column("id", Integer, primary_key=True),
        Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        Column("time", EpochMs(), nullable=False),
        Column("actor", String(64), nullable=False),
        Column("field", String(16), nullable=False),
        Column("old", String(200)),
        Column("new", String(200)),
        Column("note", Text, nullable=False),
    )
    Index("ix_case_changes_case_id", changes.c.case_id)


def tables(postgis: bool) -> dict[str, Table]:
    """Return the tables by name for one backend."""
    return dict(make_metadata(postgis).tables)
