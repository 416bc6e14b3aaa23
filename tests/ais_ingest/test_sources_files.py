"""File and stdin sources: real captures, compression, several files, real-time replay."""

from __future__ import annotations

import asyncio
import bz2
import gzip
import json
import lzma
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ais_ingest.errors import SourceError
from ais_ingest.sources import SourceSpec, open_source

POS = "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A"
MAIN = Path(__file__).resolve().parents[2]


async def read_all(source: str | SourceSpec, timeout: float = 10.0) -> list[tuple[float, str]]:
    async with asyncio.timeout(timeout), open_source(source) as lines:
        return [item async for item in lines]


def text_lines(path: Path) -> list[str]:
    return [line.decode("ascii", "replace") for line in path.read_bytes().splitlines()]


async def test_crlf_capture_without_final_newline_gives_every_line(src_data_dir: Path) -> None:
    path = src_data_dir / "pyais" / "nmea_data_sample.txt"
    raw = path.read_bytes()
    assert raw.count(b"\r\n") == 897 and not raw.endswith(b"\n")
    got = await read_all(str(path))
    assert len(got) == 898
    assert [line for _, line in got] == text_lines(path)
    assert not any("\r" in line for _, line in got)
    assert all(t > 1.6e9 for t, _ in got)


async def test_gzip_bzip2_and_xz_are_read_like_plain_files(
    src_data_dir: Path, tmp_path: Path
) -> None:
    plain = src_data_dir / "gpsd" / "sample.aivdm"
    expected = text_lines(plain)
    data = plain.read_bytes()
    for name, packed in [
        ("s.nmea.gz", gzip.compress(data)),
        ("s.bz2", bz2.compress(data)),
        ("s.xz", lzma.compress(data)),
        ("no-extension", gzip.compress(data)),  # told by content, not name
    ]:
        (tmp_path / name).write_bytes(packed)
        assert [line for _, line in await read_all(f"file:{tmp_path / name}")] == expected


async def test_several_files_are_read_in_the_order_given(tmp_path: Path) -> None:
    (tmp_path / "b.nmea").write_bytes(b"b1\nb2\n")
    (tmp_path / "a.nmea.gz").write_bytes(gzip.compress(b"a1\r\na2"))  # no final newline
    spec = SourceSpec(kind="file", paths=(str(tmp_path / "b.nmea"), str(tmp_path / "a.nmea.gz")))
    assert [line for _, line in await read_all(spec)] == ["b1", "b2", "a1", "a2"]


async def test_a_glob_means_its_matches_in_sorted_order(tmp_path: Path) -> None:
    for name, body in [("cap-2.nmea", b"2\n"), ("cap-1.nmea.gz", gzip.compress(b"1\n"))]:
        (tmp_path / name).write_bytes(body)
    (tmp_path / "cap-3.nmea").write_bytes(b"3\n")
    got = await read_all(f"file:{tmp_path}/cap-*")
    assert [line for _, line in got] == ["1", "2", "3"]


async def test_missing_file_is_a_source_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"cannot read .*nope\.nmea: No such file"):
        await read_all(str(tmp_path / "nope.nmea"))
    with pytest.raises(SourceError, match="no file matches"):
        await read_all(f"file:{tmp_path}/*.nmea")
    with pytest.raises(SourceError, match=r"options need the file: form"):
        await read_all(f"{tmp_path}/x.nmea?speed=2")
    with pytest.raises(SourceError, match="Is a directory"):
        await read_all(str(tmp_path))


async def test_truncated_gzip_gives_its_lines_then_a_source_error(tmp_path: Path) -> None:
    body = b"".join(f"{POS},{i}\n".encode() for i in range(5000))
    packed = gzip.compress(body)
    path = tmp_path / "cut.nmea.gz"
    path.write_bytes(packed[: len(packed) // 2])
    got: list[str] = []
    with pytest.raises(SourceError, match=r"cut\.nmea\.gz.*after line \d+"):
        async with open_source(str(path)) as source:
            async for _, line in source:
                got.append(line)
    assert 0 < len(got) < 5000
    assert got == [f"{POS},{i}" for i in range(len(got))]


def _timed_capture(path: Path, seconds: int, *, ms: bool = False) -> list[str]:
    """One line per second of event time, every other second followed by an untimed line."""
    lines = []
    for i in range(seconds + 1):
        stamp = 1_700_000_000 + i
        c = f"c:{stamp * 1000}" if ms else f"c:{stamp}"
        lines.append(f"\\s:test,{c}*00\\{POS}")
        if i % 2:
            lines.append(f"{POS},untimed{i}")
    path.write_text("\n".join(lines) + "\n")
    return lines


@pytest.mark.parametrize("ms", [False, True])
async def test_replay_follows_event_time_scaled_by_speed(tmp_path: Path, ms: bool) -> None:
    path = tmp_path / "timed.nmea"
    expected = _timed_capture(path, 20, ms=ms)  # 20 s of event time
    start = time.monotonic()
    got = await read_all(f"file:{path}?speed=100")
    elapsed = time.monotonic() - start
    assert [line for _, line in got] == expected
    assert elapsed >= 0.15  # 20 s / 100, less rounding; never an upper bound
    received = [t for t, _ in got]
    assert received == sorted(received)
    # The line heard 10 s in comes about halfway through the replay, not at its start.
    tenth = expected.index(f"\\s:test,c:{(1_700_000_010 * (1000 if ms else 1))}*00\\{POS}")
    assert received[tenth] - received[0] >= 0.07


async def test_leading_timestamps_pace_a_replay_too(tmp_path: Path) -> None:
    path = tmp_path / "stamped.nmea"
    path.write_text(f"2024-05-01T10:00:00Z {POS}\n{POS},untimed\n2024-05-01T10:00:20.000Z {POS}\n")
    start = time.monotonic()
    got = await read_all(f"file:{path}?speed=100")
    assert len(got) == 3
    assert time.monotonic() - start >= 0.15
    assert got[2][0] - got[1][0] >= 0.15  # the untimed line kept pace with the first


async def test_without_speed_an_hour_of_capture_goes_as_fast_as_possible(tmp_path: Path) -> None:
    path = tmp_path / "hour.nmea"
    _timed_capture(path, 3600)
    got = await read_all(f"file:{path}", timeout=5.0)  # paced, this would take an hour
    assert len(got) == 3601 + 1800


# --- stdin (a real child process reading its standard input) -----------------------------

CHILD = """
import asyncio, json, sys
from ais_ingest.sources import open_source

async def main() -> None:
    async with open_source("-") as lines:
        async for _, line in lines:
            sys.stdout.write(json.dumps(line) + "\\n")
            sys.stdout.flush()

asyncio.run(main())
"""


def _child() -> list[str]:
    return [sys.executable, "-c", CHILD]


def _decode(stdout: bytes) -> list[str]:
    return [json.loads(line) for line in stdout.decode().splitlines()]


def test_stdin_pipe_with_lines_split_across_writes() -> None:
    with subprocess.Popen(
        _child(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=MAIN
    ) as child:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(f"{POS}\r\n{POS[:20]}".encode())
        child.stdin.flush()
        assert json.loads(child.stdout.readline()) == POS  # streamed, not read to the end
        time.sleep(0.05)
        child.stdin.write(f"{POS[20:]}\r\n\xff-last".encode("latin-1"))
        child.stdin.close()
        rest = _decode(child.stdout.read())
        assert child.wait(timeout=10) == 0
    assert rest == [POS, "\ufffd-last"]


def test_stdin_redirected_from_a_file(src_data_dir: Path) -> None:
    path = src_data_dir / "pyais" / "nmea_data_sample.txt"
    with path.open("rb") as stdin:
        done = subprocess.run(_child(), stdin=stdin, capture_output=True, cwd=MAIN, timeout=20)
    assert done.returncode == 0, done.stderr.decode()
    assert _decode(done.stdout) == text_lines(path)


def test_stdin_from_dev_null_is_empty() -> None:
    done = subprocess.run(
        _child(), stdin=subprocess.DEVNULL, capture_output=True, cwd=MAIN, timeout=20
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b""


async def test_reading_by_chunks_after_some_lines_loses_and_repeats_nothing(
    src_data_dir: Path,
) -> None:
    path = src_data_dir / "aishub" / "aishub_2015_3min.nmea"
    expected = text_lines(path)
    async with asyncio.timeout(20), open_source(str(path)) as source:
        first = [line for _, line in [await anext(source), await anext(source)]]
        rest = [line async for chunk in source.chunks() for line in chunk.lines]
        assert source.stats.lines == len(expected)
    assert first + rest == expected
