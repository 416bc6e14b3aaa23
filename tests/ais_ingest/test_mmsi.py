"""MMSI classification (ITU-R M.585-9) and flag state from the ITU MID table."""

from __future__ import annotations

import csv
import doctest
import io
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ais_ingest import mmsi as mmsi_module
from ais_ingest.mmsi import (
    KIND_BY_CODE,
    MID_TABLE,
    Flag,
    MmsiKind,
    classify_mmsi,
    classify_mmsi_array,
    flag_alpha2_array,
    flag_of,
    flag_of_mid,
    is_valid_ship_mmsi,
    kind_code,
    kinds_of_codes,
    mid_of,
    mid_of_array,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "ais"

# --- the table ---------------------------------------------------------------------------------


def test_mid_table_is_package_data_readable_through_importlib_resources() -> None:
    resource = resources.files("ais_ingest").joinpath("mid_table.csv")
    assert resource.is_file()
    rows = list(csv.DictReader(io.StringIO(resource.read_text(encoding="utf-8"))))
    assert [r["mid"] for r in rows] == [str(m) for m in MID_TABLE]
    assert rows[0] == {"mid": "201", "iso_alpha2": "AL", "country": "Albania"}


def test_mid_table_holds_the_full_itu_list() -> None:
    mids = sorted(MID_TABLE)
    assert len(mids) == 292
    assert mids[0] == 201 and mids[-1] == 775
    # every region block of the ITU table is present, and nothing outside 2xx-7xx
    assert {m // 100 for m in mids} == {2, 3, 4, 5, 6, 7}
    # spot checks across the blocks, from the ITU list
    assert flag_of_mid(273) == Flag(273, "RU", "Russian Federation")
    assert flag_of_mid(412) == Flag(412, "CN", "China")
    assert flag_of_mid(477) == Flag(477, "HK", "Hong Kong (China)")
    assert flag_of_mid(563) == Flag(563, "SG", "Singapore")
    assert flag_of_mid(775) == Flag(775, "VE", "Venezuela")
    assert flag_of_mid(334) is not None and flag_of_mid(334).iso_alpha2 == "HN"  # type: ignore[union-attr]
    # holes in the table are real holes in the ITU allocation
    for unallocated in (200, 217, 221, 260, 280, 300, 335, 400, 479, 500, 600, 680, 700, 776):
        assert flag_of_mid(unallocated) is None


CENTRAL_MED_AND_CONVENIENCE_FLAGS = [
    (247, "IT"),
    (215, "MT"),
    (229, "MT"),
    (248, "MT"),
    (249, "MT"),
    (256, "MT"),
    (642, "LY"),
    (672, "TN"),
    (605, "DZ"),
    (622, "EG"),
    (237, "GR"),
    (239, "GR"),
    (240, "GR"),
    (241, "GR"),
    (271, "TR"),
    (209, "CY"),
    (210, "CY"),
    (212, "CY"),
    (242, "MA"),
    (224, "ES"),
    (225, "ES"),
    (226, "FR"),
    (227, "FR"),
    (228, "FR"),
    (238, "HR"),
    (262, "ME"),
    (201, "AL"),
    (450, "LB"),
    (468, "SY"),
    (428, "IL"),
    *[(m, "PA") for m in (351, 352, 353, 354, 355, 356, 357, 370, 371, 372, 373, 374)],
    (636, "LR"),
    (637, "LR"),
    (538, "MH"),
    (671, "TG"),
    (616, "KM"),
    (620, "KM"),
    (667, "SL"),
    (613, "CM"),
    (511, "PW"),
    (674, "TZ"),
    (677, "TZ"),
    (214, "MD"),
    (341, "KN"),
    (375, "VC"),
    (376, "VC"),
    (377, "VC"),
    (312, "BZ"),
    (514, "KH"),
    (515, "KH"),
    (308, "BS"),
    (309, "BS"),
    (311, "BS"),
    (576, "VU"),
    (577, "VU"),
    (457, "MN"),
    (518, "CK"),
]


@pytest.mark.parametrize(("mid", "alpha2"), CENTRAL_MED_AND_CONVENIENCE_FLAGS)
def test_central_med_and_convenience_flags_come_from_the_mid(mid: int, alpha2: str) -> None:
    ship = mid * 1_000_000 + 123_456
    assert classify_mmsi(ship) is MmsiKind.SHIP
    assert is_valid_ship_mmsi(ship)
    flag = flag_of(ship)
    assert flag is not None and flag.mid == mid and flag.iso_alpha2 == alpha2
    assert flag_alpha2_array(np.array([ship], dtype=np.int64)).tolist() == [alpha2]


def test_flag_country_names_for_the_central_med() -> None:
    names = {m: MID_TABLE[m].country for m in (247, 215, 642, 672, 605, 622, 237, 271)}
    assert names == {
        247: "Italy",
        215: "Malta",
        642: "Libya",
        672: "Tunisia",
        605: "Algeria",
        622: "Egypt",
        237: "Greece",
        271: "Türkiye",
    }


# --- hand-worked cases, one or more per kind ----------------------------------------------------

# (mmsi as AIS carries it, kind, MID, flag); worked by hand from the layouts of M.585-9.
CASES: list[tuple[int, MmsiKind, int | None, str]] = [
    # ship MIDXXXXXX: MID in digits 1-3
    (247123456, MmsiKind.SHIP, 247, "IT"),
    (215000000, MmsiKind.SHIP, 215, "MT"),  # trailing zeros are allowed (Inmarsat-compatible)
    (642167000, MmsiKind.SHIP, 642, "LY"),
    (775999999, MmsiKind.SHIP, 775, "VE"),
    (201000001, MmsiKind.SHIP, 201, "AL"),
    # group 0MIDXXXXX: 8 digits as an integer, MID in digits 2-4
    (24712345, MmsiKind.GROUP, 247, "IT"),  # 024712345
    (63600000, MmsiKind.GROUP, 636, "LR"),  # 063600000
    # coast station 00MIDXXXX: 7 digits as an integer, MID in digits 3-5 (AIS base stations)
    (2470003, MmsiKind.COAST_STATION, 247, "IT"),  # 002470003
    (2150001, MmsiKind.COAST_STATION, 215, "MT"),  # 002150001
    (6724001, MmsiKind.COAST_STATION, 672, "TN"),  # 006724001 (00MID4XXX: AIS repeater)
    (2053501, MmsiKind.COAST_STATION, 205, "BE"),  # from gpsd's sample.aivdm
    # SAR aircraft 111MIDXXX: MID in digits 4-6
    (111247101, MmsiKind.SAR_AIRCRAFT, 247, "IT"),
    (111215501, MmsiKind.SAR_AIRCRAFT, 215, "MT"),  # 111MID5XX: helicopter
    (111232511, MmsiKind.SAR_AIRCRAFT, 232, "GB"),  # from gpsd's sample.aivdm
    # AIS aid to navigation 99MIDXXXX: MID in digits 3-5
    (992471001, MmsiKind.ATON, 247, "IT"),  # 99MID1XXX: physical AtoN
    (992156001, MmsiKind.ATON, 215, "MT"),  # 99MID6XXX: virtual AtoN
    (992509976, MmsiKind.ATON, 250, "IE"),  # from gpsd's sample.aivdm
    # craft associated with a parent ship 98MIDXXXX: MID in digits 3-5
    (982471234, MmsiKind.CRAFT_ASSOCIATED, 247, "IT"),
    (986420001, MmsiKind.CRAFT_ASSOCIATED, 642, "LY"),
    # handheld VHF with DSC and GNSS (and diver radios) 8MIDXXXXX: MID in digits 2-4
    (824712345, MmsiKind.HANDHELD_VHF, 247, "IT"),
    (850300001, MmsiKind.HANDHELD_VHF, 503, "AU"),
    # free-form devices 97NXXYYYY: maker XX 01-99, serial YYYY; no MID, no flag
    (970011234, MmsiKind.SART_MOB_EPIRB, None, ""),  # AIS-SART
    (972158237, MmsiKind.SART_MOB_EPIRB, None, ""),  # MOB, from gpsd's sample.aivdm
    (974990000, MmsiKind.SART_MOB_EPIRB, None, ""),  # EPIRB-AIS
    (979010001, MmsiKind.AMRD, None, ""),  # autonomous maritime radio device, group A
]

INVALID_CASES: list[tuple[int, str]] = [
    (0, "000000000"),
    (111111111, "SAR layout with MID 111"),
    (123456789, "MID 123 in the reserved 1 block"),
    (999999999, "AtoN layout with MID 999"),
    (100000000, "1 block, not 111"),
    (137920605, "1 block, not 111 (gpsd sample)"),
    (217123456, "MID 217 not allocated"),
    (335000001, "MID 335 not allocated (Honduras is 334)"),
    (439952844, "MID 439 not allocated (gpsd sample)"),
    (537411077, "MID 537 not allocated (gpsd sample)"),
    (776000001, "MID 776 above the table"),
    (875794037, "handheld layout with MID 757, not allocated (gpsd sample)"),
    (804870766, "handheld layout with MID 048"),
    (111999101, "SAR layout with MID 999"),
    (991234567, "AtoN layout with MID 123"),
    (981004567, "craft layout with MID 100"),
    (16777280, "group layout with MID 167 (gpsd sample)"),
    (84148325, "group layout with MID 841 (gpsd sample)"),
    (4000003, "coast layout with MID 400 (gpsd sample)"),
    (1999999, "coast layout with MID 199"),
    (999999, "six digits: too short for any layout"),
    (12345, "five digits"),
    (970001234, "AIS-SART with maker 00"),
    (972000000, "MOB with maker 00"),
    (979001234, "AMRD with maker 00"),
    (971011234, "97x prefix that M.585 does not define"),
    (975011234, "97x prefix that M.585 does not define"),
    (900000000, "9 block other than 97x/98/99"),
    (961234567, "9 block other than 97x/98/99"),
    (1_000_000_000, "ten digits"),
    (1_073_741_823, "largest 30-bit value: ten digits"),
    (-247123456, "negative"),
]


@pytest.mark.parametrize(("mmsi", "kind", "mid", "alpha2"), CASES)
def test_each_layout_is_classified_with_its_mid_and_flag(
    mmsi: int, kind: MmsiKind, mid: int | None, alpha2: str
) -> None:
    assert classify_mmsi(mmsi) is kind
    assert mid_of(mmsi) == mid
    flag = flag_of(mmsi)
    assert (flag.iso_alpha2 if flag else "") == alpha2
    assert is_valid_ship_mmsi(mmsi) == (kind is MmsiKind.SHIP)
    arr = np.array([mmsi], dtype=np.int64)
    assert kinds_of_codes(classify_mmsi_array(arr)) == [kind]
    assert mid_of_array(arr).tolist() == [-1 if mid is None else mid]
    assert flag_alpha2_array(arr).tolist() == [alpha2]


@pytest.mark.parametrize(("mmsi", "why"), INVALID_CASES)
def test_malformed_or_unallocated_identities_are_invalid(mmsi: int, why: str) -> None:
    assert classify_mmsi(mmsi) is MmsiKind.INVALID, why
    assert mid_of(mmsi) is None
    assert flag_of(mmsi) is None
    assert not is_valid_ship_mmsi(mmsi)
    arr = np.array([mmsi], dtype=np.int64)
    assert classify_mmsi_array(arr).tolist() == [0]
    assert mid_of_array(arr).tolist() == [-1]
    assert flag_alpha2_array(arr).tolist() == [""]


def test_every_kind_has_a_hand_worked_case() -> None:
    covered = {kind for _, kind, _, _ in CASES} | {MmsiKind.INVALID}
    assert covered == set(MmsiKind)


def test_diver_radio_is_the_handheld_layout() -> None:
    assert MmsiKind["DIVER"] is MmsiKind.HANDHELD_VHF
    assert classify_mmsi(824700001) is MmsiKind.DIVER


def test_unknown_mid_is_invalid_for_every_mid_layout_and_has_no_flag() -> None:
    for mid in range(1000):
        allocated = mid in MID_TABLE
        forms = [
            mid * 1_000_000 + 123_456,  # ship (only 2xx-7xx are ship layouts)
            mid * 100_000 + 12_345,  # group
            mid * 10_000 + 1_234,  # coast station
            111_000_000 + mid * 1000 + 101,  # SAR aircraft
            990_000_000 + mid * 10_000 + 1_001,  # AtoN
            980_000_000 + mid * 10_000 + 1_001,  # craft associated
            800_000_000 + mid * 100_000 + 12_345,  # handheld
        ]
        # below 100 the 7- and 8-digit layouts would be read with another MID: skip them there
        for value in forms[1:] if mid >= 100 else forms[3:]:
            assert (classify_mmsi(value) is not MmsiKind.INVALID) == allocated, (mid, value)
            assert (flag_of(value) is not None) == allocated
        if mid >= 100:
            assert is_valid_ship_mmsi(forms[0]) == allocated


def test_kind_codes_round_trip_and_are_stable() -> None:
    assert [kind_code(k) for k in KIND_BY_CODE] == list(range(10))
    assert kind_code(MmsiKind.INVALID) == 0
    assert kind_code(MmsiKind.SHIP) == 1
    assert kind_code(MmsiKind.AMRD) == 9


# --- vectorised == scalar ----------------------------------------------------------------------


def _assert_array_matches_scalar(values: list[int]) -> None:
    arr = np.array(values, dtype=np.int64)
    codes = classify_mmsi_array(arr)
    mids = mid_of_array(arr)
    flags = flag_alpha2_array(arr)
    assert codes.dtype == np.uint8 and codes.shape == arr.shape
    assert flags.dtype.kind == "U"
    for value, code, mid, alpha2 in zip(values, codes, mids, flags, strict=True):
        assert KIND_BY_CODE[code] is classify_mmsi(value), value
        assert (None if mid < 0 else int(mid)) == mid_of(value), value
        flag = flag_of(value)
        assert str(alpha2) == (flag.iso_alpha2 if flag else ""), value


_PREFIXED = st.one_of(
    st.integers(0, 999).map(lambda mid: mid * 1_000_000),
    st.integers(0, 999).map(lambda mid: mid * 100_000),
    st.integers(0, 999).map(lambda mid: mid * 10_000),
    st.integers(0, 999).map(lambda mid: 111_000_000 + mid * 1000),
    st.integers(0, 999).map(lambda mid: 990_000_000 + mid * 10_000),
    st.integers(0, 999).map(lambda mid: 980_000_000 + mid * 10_000),
    st.integers(0, 999).map(lambda mid: 800_000_000 + mid * 100_000),
    st.sampled_from([970, 971, 972, 974, 979]).map(lambda p: p * 1_000_000),
)
_MMSI_LIKE = st.one_of(
    st.integers(min_value=-(2**40), max_value=2**40),
    st.integers(min_value=0, max_value=2**30 - 1),
    st.tuples(_PREFIXED, st.integers(0, 9999)).map(lambda t: t[0] + t[1]),
    st.tuples(_PREFIXED, st.integers(0, 999)).map(lambda t: t[0] + t[1]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_MMSI_LIKE, max_size=50))
def test_vectorised_forms_equal_the_scalar_ones(values: list[int]) -> None:
    _assert_array_matches_scalar(values)


def test_vectorised_forms_equal_the_scalar_ones_on_the_gpsd_sample() -> None:
    path = DATA / "expected" / "gpsd_sample.expected.jsonl"
    values = [json.loads(line)["mmsi"] for line in path.read_text().splitlines() if line]
    assert len(values) > 90
    _assert_array_matches_scalar(values)
    # the sample's odd identities, classified by hand
    kinds = {v: classify_mmsi(v) for v in values}
    assert kinds[2053501] is MmsiKind.COAST_STATION
    assert kinds[111265591] is MmsiKind.SAR_AIRCRAFT
    assert kinds[992611190] is MmsiKind.ATON
    assert kinds[972158237] is MmsiKind.SART_MOB_EPIRB
    assert kinds[123456789] is MmsiKind.INVALID
    assert kinds[999999999] is MmsiKind.INVALID
    assert kinds[371798000] is MmsiKind.SHIP


def test_vectorised_forms_cover_every_mid_in_every_layout() -> None:
    values = [
        base + mid * scale + tail
        for mid in range(1000)
        for base, scale, tail in (
            (0, 1_000_000, 123_456),
            (0, 100_000, 12_345),
            (0, 10_000, 1_234),
            (111_000_000, 1000, 101),
            (990_000_000, 10_000, 1_001),
            (980_000_000, 10_000, 1_001),
            (800_000_000, 100_000, 12_345),
        )
    ]
    _assert_array_matches_scalar(values)


def test_vectorised_forms_keep_shape_and_take_any_integer_dtype() -> None:
    grid = np.array([[247123456, 2470003], [0, 972011234]], dtype=np.uint32)
    assert classify_mmsi_array(grid).tolist() == [[1, 3], [0, 8]]
    assert flag_alpha2_array(grid).tolist() == [["IT", "IT"], ["", ""]]
    empty = np.array([], dtype=np.int64)
    assert classify_mmsi_array(empty).shape == (0,)
    assert flag_alpha2_array(empty).shape == (0,)


def test_vectorised_forms_refuse_float_arrays() -> None:
    with pytest.raises(TypeError):
        classify_mmsi_array(np.array([247123456.0]))


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(mmsi_module)
    assert result.attempted > 0 and result.failed == 0
