from __future__ import annotations

from pathlib import Path

import pytest

from geo import shipped
from geo.detectors.base import PlaceIndex
from geo.errors import PlacesFileError
from geo.places import load_places


def test_the_shipped_places_load() -> None:
    places = load_places(shipped.PLACES_FILE)
    assert any(p.name == "Zuwara" for p in places)


def test_a_bad_row_is_refused_naming_the_row(tmp_path: Path) -> None:
    f = tmp_path / "places.csv"
    f.write_text("name,country,role,lon,lat\nA,LY,departure,12.0,33.0\nB,LY,departure,east,33\n")
    with pytest.raises(PlacesFileError, match="row 3"):
        load_places(f)
    f.write_text("name,country,role,lon,lat\nC,LY,departure,200,33\n")
    with pytest.raises(PlacesFileError, match="row 2"):
        load_places(f)


def test_a_missing_file_is_a_places_error(tmp_path: Path) -> None:
    with pytest.raises(PlacesFileError, match="nowhere.csv"):
        load_places(tmp_path / "nowhere.csv")


def test_a_place_half_a_world_away_names_nothing() -> None:
    index = PlaceIndex(load_places(shipped.PLACES_FILE))
    assert index.nearest(12.1, 33.0) is not None  # off Zuwara
    assert index.nearest(120.5, 24.3) is None  # off Taiwan: no central-Med place is "near"
