"""A restart resumes the engine from its snapshot: an open loitering candidate is not forgotten."""

from __future__ import annotations

import json
from pathlib import Path

from app.api.services import services_of
from geo.events import format_time
from tests.app.api.conftest import T0, Service, make_settings, start
from tests.app.api.nmea import position

MMSI = 636_000_123  # Liberia: a tanker idling south of Lampedusa
MINUTES_BEFORE = 40  # under the 60 min loitering threshold: only a candidate at shutdown
MINUTES_AFTER = 35


def _drift(minute: int) -> str:
    # 0.5 kn, drifting a few hundred metres: slow at sea, never a jump.
    return position(MMSI, 12.3 + 0.0001 * minute, 35.3, T0 + 60 * minute, speed=0.5, course=10.0)


def _seen(svc: Service, minute: int) -> bool:
    v = services_of(svc.app).live.get(MMSI)
    return v is not None and v["last_seen_ms"] == (T0 + 60 * minute) * 1000


def test_restart_keeps_an_open_loitering_candidate(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'mare.sqlite'}")
    run = start(settings)
    svc = next(run)
    svc.send([_drift(m) for m in range(MINUTES_BEFORE)])
    svc.wait_for(lambda: _seen(svc, MINUTES_BEFORE - 1))
    state = services_of(svc.app).engine.vessel_state(MMSI)
    assert state is not None and state.loitering_since_ms == T0 * 1000
    assert svc.get(f"/api/v1/alerts?mmsi={MMSI}").json()["items"] == []
    for _ in run:  # stop: the pipeline drains and writes the snapshot
        pass
    assert settings.snapshot_path.is_file()

    run = start(settings)
    svc = next(run)
    try:
        assert services_of(svc.app).engine_restored
        restored = services_of(svc.app).engine.vessel_state(MMSI)
        assert restored is not None and restored.loitering_since_ms == T0 * 1000
        # The map is not empty after the restart either.
        assert svc.get(f"/api/v1/vessels/{MMSI}").json()["speed"] == 0.5
        total = MINUTES_BEFORE + MINUTES_AFTER
        svc.send([_drift(m) for m in range(MINUTES_BEFORE, total)])

        def loitering() -> list[dict[str, object]]:
            items = svc.get(f"/api/v1/alerts?kind=loitering&mmsi={MMSI}").json()["items"]
            return list(items)

        (alert,) = svc.wait_for(loitering)
        # The episode starts at the first slow fix, before the restart.
        assert alert["start"] == format_time(T0 * 1000)
    finally:
        for _ in run:
            pass


def _heard_at(svc: Service, mmsi: int, time_s: int) -> bool:
    v = services_of(svc.app).live.get(mmsi)
    return v is not None and v["last_seen_ms"] == time_s * 1000


def test_a_start_without_its_snapshot_keeps_the_coverage_it_learnt(tmp_path: Path) -> None:
    """Coverage is written beside the snapshot, so a start without one is not blind for a day."""
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'mare.sqlite'}")
    ships = [247_100_000 + k for k in range(5)]
    run = start(settings)
    svc = next(run)
    svc.send(
        [
            position(m, 12.0 + 0.002 * t, 35.0 + 0.02 * k, T0 + 60 * t)
            for t in range(90)
            for k, m in enumerate(ships)
        ]  # fmt: skip
    )
    svc.wait_for(lambda: _heard_at(svc, ships[-1], T0 + 60 * 89))
    for _ in run:  # stop: the snapshot and the coverage beside it
        pass
    learnt = json.loads(settings.coverage_path.read_text())
    assert learnt["format"] == "mare-coverage-hours" and learnt["stations"] == ["test"]
    assert sum(sum(h["heard"]) for h in learnt["hours"].values()) >= 5 * 60  # an hour or more
    settings.snapshot_path.unlink()  # an upgrade that reads it no more, one deleted, ...
    # and a map of a fuller feed, as `mare detect --coverage` takes one
    fuller = tmp_path / "fuller.json"
    fuller.write_text(json.dumps({"format": "mare-coverage-map", "version": 1, "cell_deg": 0.1,
                                  "cells": [[7, 2, 4000]]}))  # fmt: skip
    run = start(make_settings(tmp_path, f"sqlite:///{tmp_path / 'mare.sqlite'}",
                              coverage_file=fuller))  # fmt: skip
    svc = next(run)
    try:
        services = services_of(svc.app)
        assert not services.engine_restored
        assert services.engine.coverage.hours_document() == learnt
        prior = services.engine.coverage.prior
        assert prior is not None and prior.keys.tolist() == [7]
    finally:
        for _ in run:
            pass
