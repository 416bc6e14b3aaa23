"""OGC API - Features (Part 1 core + GeoJSON) under ``/ogc``, so GDAL and QGIS read Mare."""
