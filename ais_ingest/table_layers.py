"""Point layers of GIS files (GeoPackage, GeoJSON, Shapefile, FlatGeobuf) as decoded tables.

GIS users keep AIS fixes as point layers: MovingPandas' AIS sample is a GeoPackage of the Danish
Maritime Authority's data, and QGIS or GeoPandas exports are GeoJSON. Such a layer is a table
whose latitude and longitude are its geometry: read through pyogrio (GDAL), reprojected to
WGS 84 when it has another CRS, and handed on with ``lat`` and ``lon`` columns, so the rest of
the reading is a CSV's. A layer of lines or polygons (a track drawn as a line has no times) is
refused naming its geometry type; a point layer's rows without a point are counted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ais_ingest.errors import TableError
from ais_ingest.packed import zipped_layer


def read_layer(path: Path) -> tuple[pd.DataFrame, int]:
    """Return a layer's attributes with ``lat`` and ``lon`` columns, and rows without a point."""
    import pyogrio  # GDAL: loaded only for a layer

    # A zipped layer (how Shapefiles are handed round) is read inside the zip, whatever its name.
    source = zipped_layer(path) or path
    try:
        gdf = pyogrio.read_dataframe(source)
    except Exception as exc:  # noqa: BLE001 - GDAL's errors are many; each is one message here
        raise TableError(f"{path}: not a readable GIS layer: {exc}") from None
    geoms = gdf.geometry
    kinds = set(geoms.geom_type.dropna().unique().tolist())
    if kinds - {"Point"}:
        if "Point" not in kinds:
            raise TableError(
                f"{path}: a layer of {', '.join(sorted(kinds))} features; Mare needs one point "
                "per fix (with its time and MMSI)"
            )
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        geoms = geoms.to_crs("EPSG:4326")
    points = (geoms.geom_type == "Point").to_numpy()
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    lat = np.full(len(frame), np.nan)
    lon = np.full(len(frame), np.nan)
    lon[points] = geoms[points].x.to_numpy()
    lat[points] = geoms[points].y.to_numpy()
    frame = frame.loc[points].assign(_lat=lat[points], _lon=lon[points])
    return frame, int((~points).sum())
