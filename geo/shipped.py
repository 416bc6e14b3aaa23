"""The data files Mare ships inside the `geo` package, found in one place.

Coastline, countries, SAR regions, places and the central-Mediterranean zone set are the
engine's reference geography; the sample watchlist and own assets feed `mare demo`. They live
in ``geo/data/`` so that an installed wheel carries them and every module finds them the same
way, whether the package runs from a checkout or from site-packages. Sources and licences are
in ``geo/data/README.md``.
"""

from __future__ import annotations

from pathlib import Path

#: The folder of shipped data (``geo/data``).
DATA_DIR = Path(__file__).resolve().with_name("data")
#: The central-Mediterranean zone set (territorial seas, contiguous zones, SAR regions, ...).
ZONE_FILE = DATA_DIR / "zones" / "central_med.geojson"
#: Land for reachable areas (GSHHG "h", about 200 m).
LAND_FILE = DATA_DIR / "coast" / "land_gshhg_h.geojson"
#: The dashboard's basemap: Natural Earth 10m land and borders of the whole Mediterranean and
#: its approaches (the GSHHG files stop at the central-Mediterranean box, a rectangle zoomed out).
BASEMAP_FILE = DATA_DIR / "coast" / "basemap_med.geojson"
#: Full-resolution land (GSHHG "f"), for building the zone set.
LAND_FULL_FILE = DATA_DIR / "coast" / "land_gshhg_f.geojson"
#: Country outlines (Natural Earth 1:10m).
COUNTRIES_FILE = DATA_DIR / "coast" / "countries_ne10m.geojson"
#: Places (ports, departure towns) for wording such as "38 nm N of Zuwara".
PLACES_FILE = DATA_DIR / "places.csv"
#: SAR region outlines.
SAR_FILE = DATA_DIR / "sar" / "sar_regions_unverified.geojson"
#: The alert rules shipped for that zone set (which events are alerts a person handles).
ALERT_RULES_FILE = DATA_DIR / "alert_rules.json"
#: The sample watchlist `mare demo` and the simulator use.
WATCHLIST_SAMPLE = DATA_DIR / "watchlist_sample.csv"
#: The sample own assets `mare demo` loads.
ASSETS_SAMPLE = DATA_DIR / "assets_sample.csv"
