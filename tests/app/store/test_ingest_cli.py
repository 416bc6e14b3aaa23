"""`mare ingest` stores what it decodes; a second ingest of the same capture adds nothing."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from ais_ingest.decoder import Decoder, capture_time_ms, chunked, read_lines
from ais_ingest.records import PositionColumns
from ais_ingest.sources import parse_source_url
from app.cli import cli, ingest_ahead
from app.cli import commands as _commands  # noqa: F401  (registers the commands)
from app.cli.ingest import batch_size_for
from app.settings import get_settings
from app.store import Store
from app.store.positions import prepare
from tests.app.processes import kill_child_mid_message
from tests.app.store.conftest import create_database, drop_database

TAGGED = "tests/data/ais/libais/tagblock.nmea"
UNTIMED = "tests/data/ais/pyais/nmea_data_sample.txt"
AISHUB = "tests/data/ais/aishub/aishub_2015_3min.nmea"
MARE = str(Path(sys.executable).with_name("mare"))


def _count(store: Store, table: str) -> int:
    t = store.tables[table]
    return int(store.read(lambda conn: conn.execute(select(func.count()).select_from(t)).scalar()))


def _writing(store: Store) -> bool:
    """Whether a writer holds the positions' advisory lock: a batch is being written."""
    held = text(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND d.datname = current_database()"
    )
    return bool(store.read(lambda conn: conn.execute(held).scalar()))


def _ingest(*captures: str) -> str:
    result = CliRunner().invoke(cli, ["ingest", *captures])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("capture", [TAGGED, UNTIMED])
def test_reingesting_a_capture_neither_loses_nor_duplicates(
    configured: Store, capture: str
) -> None:
    first = _ingest(capture)
    positions = _count(configured, "positions")
    assert positions > 0 and f"stored {positions:,} positions" in first
    second = _ingest(capture)
    assert "stored 0 positions" in second
    assert _count(configured, "positions") == positions
    assert _count(configured, "vessels") > 0


def test_no_store_stores_nothing(configured: Store) -> None:
    result = CliRunner().invoke(cli, ["ingest", "--no-store", UNTIMED])
    assert result.exit_code == 0
    assert _count(configured, "positions") == 0


def test_unreachable_database_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARE_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["ingest", UNTIMED])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "error:" in result.output
    assert "Traceback" not in result.output


def test_files_read_at_full_speed_get_the_file_batch_size() -> None:
    s = get_settings()
    assert s.file_batch_size > s.batch_size
    assert batch_size_for([parse_source_url(AISHUB)]) == s.file_batch_size
    assert batch_size_for([parse_source_url(f"file:{AISHUB}?speed=10")]) == s.batch_size
    both = [parse_source_url(AISHUB), parse_source_url("udp://127.0.0.1:10110")]
    assert batch_size_for(both) == s.batch_size


def test_a_file_in_many_batches_is_stored_whole_and_counted_once(
    configured: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches written while the next decodes: every one committed and counted, in order.
    monkeypatch.setenv("MARE_FILE_BATCH_SIZE", "6000")
    get_settings.cache_clear()
    dec = Decoder()
    rx = capture_time_ms(AISHUB)
    batches = [dec.decode(c, rx, "x") for c in chunked(read_lines(AISHUB), 6000)]
    storable = len(prepare(PositionColumns.concat(b.positions for b in batches)))
    first = _ingest(AISHUB)
    assert f"stored {storable:,} positions" in first and storable > 50_000
    assert _count(configured, "positions") == storable
    assert "stored 0 positions" in _ingest(AISHUB)


def test_a_capture_without_times_gets_one_warning_naming_the_fallback(configured: Store) -> None:
    """Issue 12: ingest gave pyais's sample the file's mtime for every line, saying nothing."""
    untimed = CliRunner().invoke(cli, ["ingest", "--no-store", UNTIMED])
    assert untimed.exit_code == 0, untimed.output
    warnings = [x for x in untimed.output.splitlines() if x.startswith("warning:")]
    assert len(warnings) == 1, untimed.output
    text = " ".join(untimed.output.split())
    assert "carry no time of their own" in text and "modification time" in text
    assert "nmea_data_sample.txt" in text and "--assume-time" in text
    tagged = CliRunner().invoke(cli, ["ingest", "--no-store", TAGGED])
    assert tagged.exit_code == 0 and "warning:" not in tagged.output


@pytest.mark.parametrize("store", ["postgis"], indirect=True)  # SQLite writes through the tables
def test_ingest_into_postgis_imports_neither_alembic_nor_geoalchemy(configured: Store) -> None:
    """Their imports were a third of the command's start-up; its writes are raw SQL and COPY."""
    assert configured.postgis
    code = (
        "import sys\n"
        f"sys.argv = ['mare', 'ingest', {TAGGED!r}]\n"
        "from app.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print(sorted(m for m in ('alembic', 'geoalchemy2') if m in sys.modules))\n"
    )
    env = {**os.environ, "MARE_DATABASE_URL": configured.engine.url.render_as_string(False)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


_SETTINGS_PROBE = """
import sys
sys.argv = ['mare', 'ingest', sys.argv[1]]
from app.cli import main
try:
    main()
except SystemExit as exc:
    print('exit', exc.code)
print('pydantic' in sys.modules)
"""


def test_ingest_into_the_database_url_alone_builds_no_settings(configured: Store) -> None:
    """The URL is all `Settings` would hold; pydantic's import was ~0.1 s before the first write.

    Any other setting in the environment is read and validated by `Settings`, as before.
    """
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("MARE_")}
    env["MARE_DATABASE_URL"] = configured.engine.url.render_as_string(False)
    run = [sys.executable, "-c", _SETTINGS_PROBE, TAGGED]
    out = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"
    assert _count(configured, "positions") > 0
    env["MARE_RETENTION_DAYS"] = "0"
    out = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "retention_days" in out.stderr and "greater than or equal to 1" in out.stderr


_AHEAD = """
import sys
from app.cli import ingest_ahead
ingest_ahead.AHEAD_MIN_BYTES = 0
sys.argv = ['mare', 'ingest', sys.argv[1]]
from app.cli import main
main()
"""


def test_a_database_behind_its_schema_fails_a_capture_decoded_ahead_at_once() -> None:
    """The decoding child ignores SIGTERM: the parent's cleanup waited on it for ever."""
    url = create_database("mare_ingest")
    try:
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith("MARE_")}
        env["MARE_DATABASE_URL"] = url
        run = [sys.executable, "-c", _AHEAD, AISHUB]
        out = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
    finally:
        drop_database(url)
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().endswith("run `mare db upgrade`")


_FORK_PROBE = """
import sys
from app.cli import ingest_ahead
ingest_ahead.AHEAD_MIN_BYTES = 0
forked = ingest_ahead.AheadDecoding.__init__
seen = []
def probe(self, *args, **kwargs):
    seen.extend(m for m in ('pydantic_settings', 'geo.engine', 'sqlalchemy') if m in sys.modules)
    seen.append(kwargs['batch_size'])
    forked(self, *args, **kwargs)
ingest_ahead.AheadDecoding.__init__ = probe
sys.argv = ['mare', 'ingest', sys.argv[1]]
from app.cli import main
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
print(seen)
"""


@pytest.mark.parametrize("store", ["postgis"], indirect=True)
def test_a_capture_s_decoding_child_is_forked_before_settings_and_the_store_load(
    configured: Store,
) -> None:
    """pydantic-settings and the engine took 0.2 s of CPU before the fork, on the wall."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("MARE_")}
    env["MARE_DATABASE_URL"] = configured.engine.url.render_as_string(False)
    run = [sys.executable, "-c", _FORK_PROBE, AISHUB]
    out = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == f"[{get_settings().file_batch_size}]"
    env["MARE_FILE_BATCH_SIZE"] = "6000"  # a batch knob set: Settings reads it, first
    out = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "['pydantic_settings', 6000]"


def test_a_capture_decoded_ahead_is_stored_and_counted_as_in_process(
    configured: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A forked child decodes, this process writes: the same rows, counters and summary."""
    monkeypatch.setattr(ingest_ahead, "AHEAD_MIN_BYTES", 0)
    monkeypatch.setenv("MARE_FILE_BATCH_SIZE", "6000")  # several batches, one write in flight
    get_settings.cache_clear()
    assert ingest_ahead.worth_ahead([parse_source_url(AISHUB)])
    dec = Decoder()
    rx = capture_time_ms(AISHUB)
    batches = [dec.decode(c, rx, "x") for c in chunked(read_lines(AISHUB), 6000)]
    storable = len(prepare(PositionColumns.concat(b.positions for b in batches)))
    here, there = tmp_path / "here.json", tmp_path / "there.json"
    _ingest(AISHUB, "--no-store", "--stats", str(here))  # --no-store decodes in process
    first = _ingest(AISHUB, "--stats", str(there))
    assert json.loads(there.read_text()) == json.loads(here.read_text())
    assert f"stored {storable:,} positions" in first and storable > 50_000
    assert _count(configured, "positions") == storable
    assert "stored 0 positions" in _ingest(AISHUB)


def test_live_and_paced_sources_and_small_captures_decode_in_process() -> None:
    assert not ingest_ahead.worth_ahead([parse_source_url(f"file:{AISHUB}?speed=10")])
    assert not ingest_ahead.worth_ahead([parse_source_url("udp://127.0.0.1:10110")])
    assert not ingest_ahead.worth_ahead([parse_source_url(TAGGED)])  # under AHEAD_MIN_BYTES


@pytest.mark.parametrize("store", ["postgis"], indirect=True)
def test_sigterm_while_decoding_ahead_stores_what_it_counts(
    configured: Store, tmp_path: Path
) -> None:
    """A stop at any point: exit 0, and the summary's positions are exactly those stored."""
    big = tmp_path / "big.nmea"
    big.write_bytes(Path(AISHUB).read_bytes() * 3)  # over AHEAD_MIN_BYTES: decoded ahead
    assert ingest_ahead.worth_ahead([parse_source_url(str(big))])
    env = {
        **os.environ,
        "MARE_DATABASE_URL": configured.engine.url.render_as_string(False),
        "MARE_FILE_BATCH_SIZE": "2048",  # many batches: the stop lands while some are left
    }
    proc = subprocess.Popen([MARE, "ingest", str(big)], env=env, stderr=subprocess.PIPE, text=True)
    while proc.poll() is None and not _writing(configured):
        time.sleep(0.01)  # until a first batch is being written (or the command is done)
    proc.send_signal(signal.SIGTERM)
    _, errors = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "stopping: storing what was read" in errors, errors
    said = re.search(r"stored ([\d,]+) positions", errors)
    assert said is not None, errors
    assert int(said[1].replace(",", "")) == _count(configured, "positions")


@pytest.mark.parametrize("store", ["postgis"], indirect=True)
def test_a_decoding_child_killed_mid_batch_stores_whole_batches_and_says_so(
    configured: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parent held the queue's write end too: no end of file came, it waited for ever.

    Now one clear error, and what was stored is whole batches, counted: a second ingest adds
    the rest, nothing lost and nothing twice.
    """
    big = tmp_path / "big.nmea"
    big.write_bytes(Path(AISHUB).read_bytes() * 3)  # over AHEAD_MIN_BYTES: decoded ahead
    env = {
        **os.environ,
        "MARE_DATABASE_URL": configured.engine.url.render_as_string(False),
        "MARE_FILE_BATCH_SIZE": "20000",  # batches of ~1 MB: more than a pipe holds
    }
    ended = kill_child_mid_message(
        [MARE, "ingest", str(big)], env, ready=lambda: _writing(configured)
    )
    assert ended.returncode == 2, ended.stderr
    said = " ".join(ended.stderr.split())
    assert "error: the decoding process was killed by SIGKILL" in said, said
    assert "Traceback" not in said
    first = re.search(r"stored ([\d,]+) positions", said)
    assert first is not None, said
    assert int(first[1].replace(",", "")) == _count(configured, "positions")
    dec = Decoder()
    rx = capture_time_ms(str(big))
    batches = [dec.decode(c, rx, "x") for c in chunked(read_lines(str(big)), 20000)]
    storable = len(prepare(PositionColumns.concat(b.positions for b in batches)))
    monkeypatch.setenv("MARE_FILE_BATCH_SIZE", "20000")
    get_settings.cache_clear()
    second = _ingest(str(big))
    rest = re.search(r"stored ([\d,]+) positions", second)
    assert rest is not None, second
    stored_first = int(first[1].replace(",", ""))
    assert 0 < stored_first < storable  # whole batches were stored before the kill, not all
    assert stored_first + int(rest[1].replace(",", "")) == storable
    assert _count(configured, "positions") == storable
