"""What Alembic autogenerate compares: our tables, not partitions nor PostGIS's own tables."""

from __future__ import annotations

import re
from typing import Any

from geoalchemy2 import alembic_helpers

_PARTITION = re.compile(r"^positions_p\d{8}$")
_FOREIGN = {"spatial_ref_sys", "geography_columns", "geometry_columns", "raster_columns"}


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Skip partitions (made at run time) and PostGIS's tables, then GeoAlchemy2's own rules."""
    if type_ == "table" and name and (_PARTITION.match(name) or name in _FOREIGN):
        return False
    return bool(alembic_helpers.include_object(obj, name, type_, reflected, compare_to))  # type: ignore[no-untyped-call]
