"""The wheel is Mare whole: data, dashboard and simulator inside, nothing read from the checkout.

Builds the wheel with hatchling (offline, no build isolation), checks that it holds every file
git tracks in the packages, then installs it with ``--no-deps`` into a fresh venv that sees the
project venv's third-party packages but not the checkout (a plain path in a ``.pth`` file adds
that folder only; the editable install's own ``.pth`` is not processed), and runs ``mare
detect`` there from a folder outside the checkout: the same events as the checkout's, zones
and places taken from the wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pyais
import pytest

from ais_ingest.timestamps import nmea_checksum

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "ais_ingest", "geo", "simulate")
#: What the issue names; the git check below covers the rest.
MUST_HAVE = (
    "geo/data/zones/central_med.geojson",
    "geo/data/zones/central_med.wkb",
    "geo/data/coast/land_gshhg_f.geojson",
    "geo/data/coast/land_gshhg_h.geojson",
    "geo/data/coast/land_gshhg_i.geojson",
    "geo/data/coast/basemap_med.geojson",
    "geo/data/coast/countries_ne10m.geojson",
    "geo/data/places.csv",
    "geo/shipped.py",
    "app/frontend/index.html",
    "app/frontend/css/mare.css",
    "app/frontend/js/main.js",
    "app/store/migrations/script.py.mako",
    "simulate/__init__.py",
)
CAPTURE = ROOT / "tests/data/ais/pyais/nmea_data_sample.txt"
T0 = 1_780_000_000  # seconds


def run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # a guard against a hang, not a measurement
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def tracked_package_files() -> set[str]:
    out = run(["git", "ls-files", "-z", "--", *PACKAGES], ROOT)
    return {p for p in out.split("\0") if p}


def lampedusa_approach(path: Path) -> None:
    """A boat northbound at 12 kn from open sea into the shipped arrival area off Lampedusa."""
    lines = []
    for k in range(150):  # one fix a minute
        msg: dict[str, str | int | float | bytes | bool] = {
            "type": 1,
            "mmsi": 642000001,
            "lat": 35.0 + k * 12 / 60 / 60,
            "lon": 12.6,
            "speed": 12.0,
            "course": 0.0,
        }
        tag = f"s:test,c:{T0 + k * 60}"
        sentence = pyais.encode_dict(msg, talker_id="AI")[0]
        lines.append(f"\\{tag}*{nmea_checksum(tag):02X}\\{sentence}")
    path.write_text("\n".join(lines) + "\n", encoding="ascii")


@pytest.mark.slow
def test_installed_wheel_carries_data_and_frontend_and_runs_detect(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-q", "-w", dist, ROOT],
        tmp_path,
    )  # fmt: skip
    (wheel,) = dist.glob("mare-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert not [p for p in MUST_HAVE if p not in names]
    assert not sorted(tracked_package_files() - names)  # every tracked file of the packages
    assert any(n.startswith("app/frontend/js/") for n in names)

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], tmp_path)
    python = venv / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    tmp_path).strip())  # fmt: skip
    # third-party packages from the project's venv, as a plain path: not a site dir, so its
    # editable-install .pth (which points at the checkout) stays unread
    (site / "project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
         "-q", wheel],
        tmp_path,
    )  # fmt: skip

    work = tmp_path / "work"  # outside the checkout: nothing found through the cwd
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARE_")}
    env.pop("PYTHONPATH", None)
    env["MARE_VAR_DIR"] = str(work / "var")
    where = run(
        [python, "-c", "import sys, app, ais_ingest, geo, simulate, geo.shipped as s; "
         "print(*[m.__file__ for m in (app, ais_ingest, geo, simulate)], s.ZONE_FILE, "
         "*sys.path, sep='\\n')"],
        work,
        env,
    ).splitlines()  # fmt: skip
    assert all(Path(p).is_relative_to(site) for p in where[:5]), where
    assert str(ROOT) not in where

    capture = work / CAPTURE.name
    shutil.copy2(CAPTURE, capture)  # with its mtime: the receive time of untagged lines
    approach = work / "approach.nmea"
    lampedusa_approach(approach)
    installed = venv / "bin" / "mare"
    # the pyais sample has no time stamps: spread over 3 min, as mare detect asks for them
    detect: list[str | Path] = ["detect", capture, approach, "--assume-time", "3m", "--out"]
    run([installed, *detect, work / "wheel.jsonl"], work, env)
    checkout = Path(sys.executable).with_name("mare")
    run([checkout, *detect, work / "checkout.jsonl"], work, env)
    events = (work / "wheel.jsonl").read_text(encoding="utf-8")
    assert events == (work / "checkout.jsonl").read_text(encoding="utf-8")
    found = {(e["kind"], e["zone"]) for e in map(json.loads, events.splitlines())}
    assert ("invalid_mmsi", None) in found  # from the real capture
    assert ("zone_entry", "arrival-lampedusa") in found  # a zone of the wheel's zone file

    # the schema migrations ship too: a fresh SQLite database is created from the wheel's
    exported = run([installed, "zones", "export"], work, env)
    assert exported.startswith('{"type": "FeatureCollection"')
    assert (work / "var" / "mare.sqlite").is_file()
