"""Ingest throughput: Mare's full path (lines -> records) beside bare pyais and aiscat.

The capture is the real AISHub feed (85k lines: mixed types, multipart, duplicates), given
NMEA 4.10 tag blocks (station, time) and replayed twice three minutes apart, with 0.5 % of lines
corrupted: ~170k lines. Every decoder gets the same bytes in memory, so the figures compare
decoding, not disks. Each is run ``repeats`` times and the best run counts (noise only slows).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import aiscat
import pyais
from pyais.stream import IterMessages

from ais_ingest.decoder import Decoder, chunked
from ais_ingest.timestamps import nmea_checksum
from bench.timing import best_of

AISHUB = Path(__file__).parents[1] / "tests/data/ais/aishub/aishub_2015_3min.nmea"
OUT = Path(__file__).parent / "out"


def build_capture(copies: int = 2, corrupt: float = 0.005, seed: int = 0) -> bytes:
    """Return the benchmark capture (deterministic)."""
    rng = random.Random(seed)
    src = AISHUB.read_text().splitlines()
    out: list[str] = []
    for copy in range(copies):
        for i, line in enumerate(src):
            t = 1_700_000_000 + copy * 180 + i * 180 // len(src)
            tag = f"s:r{(i // 1000) % 7},c:{t}"
            if rng.random() < corrupt:
                k = rng.randrange(15, max(16, len(line) - 5))
                line = line[:k] + chr(rng.randrange(48, 120)) + line[k + 1 :]
            out.append(f"\\{tag}*{nmea_checksum(tag):02X}\\{line}")
    return ("\n".join(out) + "\n").encode("ascii")


def _mare(data: bytes) -> int:
    dec = Decoder()
    n = 0
    for chunk in chunked(data.decode("ascii", "replace").splitlines(), 8192):
        n += len(dec.decode(chunk, 0, "bench"))
    dec.flush()
    assert dec.stats.accounted == dec.stats.lines
    return n


def _pyais_decode(lines: list[str]) -> int:
    n = 0
    for line in lines:
        try:
            pyais.decode(line)
            n += 1
        except Exception:  # noqa: BLE001 - a fragment or a corrupt line: pyais raises, we count
            pass
    return n


def _pyais_stream(data: bytes) -> int:
    n = 0
    for msg in IterMessages(data.splitlines()):
        try:
            msg.decode()
            n += 1
        except Exception:  # noqa: BLE001
            pass
    return n


def _aiscat(data: bytes) -> int:
    dec = aiscat.Decoder()
    dec.feed(data)
    n = 0
    while dec.next() is not None:
        n += 1
    return n


def run(repeats: int = 3) -> dict[str, Any]:
    """Measure and return the figures (lines/s) and ratios."""
    data = build_capture()
    lines = data.decode("ascii").splitlines()
    n = len(lines)
    results: dict[str, Any] = {"capture_lines": n}
    for name, fn in (
        ("mare_full_path", lambda: _mare(data)),
        ("pyais_decode", lambda: _pyais_decode(lines)),
        ("pyais_stream", lambda: _pyais_stream(data)),
        ("aiscat", lambda: _aiscat(data)),
    ):
        seconds, _, count = best_of(fn, repeats)
        results[name] = {"lines_per_s": round(n / seconds), "outputs": count, "seconds": seconds}
    mare = results["mare_full_path"]["lines_per_s"]
    results["ratio_vs_pyais_decode"] = round(mare / results["pyais_decode"]["lines_per_s"], 2)
    results["ratio_vs_pyais_stream"] = round(mare / results["pyais_stream"]["lines_per_s"], 2)
    results["ratio_vs_aiscat"] = round(mare / results["aiscat"]["lines_per_s"], 2)
    return results
