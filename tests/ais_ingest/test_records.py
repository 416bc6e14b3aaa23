import numpy as np

from ais_ingest.records import Batch, PositionColumns, PositionReport, StaticReport, iso_utc


def _pos(t: int, mmsi: int, lat: float | None = 35.5) -> PositionReport:
    return PositionReport(
        time_ms=t,
        mmsi=mmsi,
        msg_type=1,
        lat=lat,
        lon=12.6,
        speed=None,
        course=90.0,
        heading=None,
        status=0,
        turn=-2.0,
        accuracy=True,
        second=None,
        source="s1",
    )


def test_columns_round_trip_keeps_none_as_unavailable() -> None:
    reports = [_pos(1000, 247000001), _pos(2000, 247000002, lat=None)]
    cols = PositionColumns.from_reports(reports)
    assert np.isnan(cols.lat[1]) and np.isnan(cols.speed[0]) and cols.heading[0] == -1
    assert list(cols) == reports


def test_batch_records_are_ordered_by_event_time() -> None:
    static = StaticReport(time_ms=1500, mmsi=247000001, msg_type=5, name="ALFA")
    batch = Batch.from_records([_pos(2000, 1), static, _pos(1000, 2)])
    assert [r.time_ms for r in batch.records()] == [1000, 1500, 2000]
    assert len(batch) == 3


def test_iso_utc_uses_z_and_keeps_milliseconds() -> None:
    assert iso_utc(0) == "1970-01-01T00:00:00Z"
    assert iso_utc(1418169601250) == "2014-12-10T00:00:01.250Z"
