"""Zones the service kept as contract Features (``svc_zones``) move into ``zones``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

Data only: ``zones`` already holds every attribute of the zone contract. Each Feature is parsed
with the contract's own parser (``geo.zones``) and stored as ``app.store.zones.save_zones``
stores it (MultiPolygon WKB or PostGIS geometry, bounding box), then ``svc_zones`` is dropped.
A zone id the store already has is kept as the store has it.
"""

from __future__ import annotations

import json

import shapely
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Move ``svc_zones`` if the service had one."""
    from geo.zones import parse_zones

    bind = op.get_bind()
    if not sa.inspect(bind).has_table("svc_zones"):
        return
    pg = bind.dialect.name == "postgresql"
    taken = {r[0] for r in bind.execute(sa.text("SELECT id FROM zones"))}
    rows = bind.execute(sa.text("SELECT id, feature, updated_ms FROM svc_zones")).all()
    for zone_id, feature, updated_ms in rows:
        if zone_id in taken:
            continue
        feat = json.loads(feature) if isinstance(feature, str) else feature
        (z,) = parse_zones({"type": "FeatureCollection", "features": [feat]})
        x0, y0, x1, y1 = z.geometry.bounds
        params = {
            "id": z.id,
            "name": z.name,
            "kind": z.kind.value,
            "alerts": json.dumps(sorted(a.value for a in z.alerts)),
            "dwell": z.dwell_minutes,
            "severity": z.severity.value,
            "note": z.note or "",
            "country": z.country,
            "wkb": shapely.to_wkb(z.geometry),
            "minx": x0, "miny": y0, "maxx": x1, "maxy": y1,
            "ms": int(updated_ms),
        }  # fmt: skip
        if pg:
            geom, alerts, at = (
                "ST_GeomFromWKB(:wkb, 4326)",
                "CAST(:alerts AS jsonb)",
                ("to_timestamp(:ms / 1000.0)"),
            )
        else:
            geom, alerts, at = ":wkb", ":alerts", ":ms"
        bind.execute(
            sa.text(
                "INSERT INTO zones (id, name, kind, alerts, dwell_minutes, severity, note, "
                "country, geom, minx, miny, maxx, maxy, updated_at) VALUES (:id, :name, :kind, "
                f"{alerts}, :dwell, :severity, :note, :country, {geom}, :minx, :miny, :maxx, "
                f":maxy, {at})"
            ),
            params,
        )
    op.drop_table("svc_zones")


def downgrade() -> None:
    """Nothing to undo: the zones stay in ``zones``."""
