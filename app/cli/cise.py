"""``mare cise``: Mare's events and vessels in the EU's CISE data model (docs/cise.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app.cli import cli
from app.cli.console import DatabaseUrlOpt, err, fail
from app.exchange.cise import vocab
from app.exchange.cise.entities import Sender
from app.exchange.cise.errors import CiseError
from app.store.errors import StoreError
from geo.events import parse_time

cise = typer.Typer(help="Share with partner agencies in the EU's CISE model.", no_args_is_help=True)
cli.add_typer(cise, name="cise")

_RISK_TYPES = (
    "IllegalImmigration", "HumanTrafficking", "Smuggling", "DrugTrafficking",
    "WeaponsTrafficking", "IllegalFishing", "Pollution", "Other", "NonSpecified",
)  # fmt: skip


@cise.callback()
def _cise_group() -> None:
    """Share with partner agencies in the EU's CISE data model 1.5.3."""


def _time(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError:
        raise fail(f"{name} {value!r} is not an ISO 8601 time (2026-06-01T00:00:00Z)") from None


def _load_events_file(path: Path) -> tuple[list[dict[str, Any]], int]:
    from app.exchange.cise.export import ExportSummary, read_events

    counts = ExportSummary()
    try:
        if str(path) == "-":
            events = list(read_events(sys.stdin, counts))
        else:
            with path.open(encoding="utf-8") as fh:
                events = list(read_events(fh, counts))
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read events {path}: {exc}") from None
    return events, counts.skipped_lines


def _load_from_store(
    url: str | None, t0_ms: int | None, t1_ms: int | None, zones: list[str], kinds: list[str]
) -> tuple[list[dict[str, Any]], dict[int, Any]]:
    from app.exchange.cise.entities import involved_mmsis
    from app.exchange.cise.source import stored_events, stored_vessels
    from app.settings import get_settings
    from app.store import open_store

    try:
        store = open_store(url or get_settings().database_url)
        try:
            events = stored_events(store, t0_ms=t0_ms, t1_ms=t1_ms, zones=zones, kinds=kinds)
            vessels = stored_vessels(store, involved_mmsis(events))
        finally:
            store.close()
    except StoreError as exc:
        raise fail(str(exc)) from None
    return events, vessels


@cise.command("export")
def export_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the XML documents.")],
    events_file: Annotated[
        Path | None,
        typer.Option("--events", help="Events as JSON lines (mare detect --out); - for stdin."),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="From the store: episodes overlapping from...")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="...up to this time (excluded).")] = None,
    zone: Annotated[
        list[str] | None, typer.Option("--zone", help="Only events of this zone id (repeatable).")
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="Only this event kind (repeatable).")
    ] = None,
    url: DatabaseUrlOpt = None,
    authority: Annotated[
        str, typer.Option("--authority", help="The sending authority's name.")
    ] = "Mare",
    service_id: Annotated[
        str, typer.Option("--service-id", help="The sender's CISE service id (names UUIDs).")
    ] = "mare",
    risk_type: Annotated[
        str, typer.Option("--risk-type", help="CISE RiskType of Mare's suspect score.")
    ] = vocab.DEFAULT_RISK_TYPE,
) -> None:
    """Write one CISE XML document per event and per vessel, each valid against the XSDs.

    From an events file (--events), or from the store: episodes overlapping [--from, --to),
    optionally of some zones and kinds.
    """
    from app.exchange.cise.export import export

    if risk_type not in _RISK_TYPES:
        raise fail(f"--risk-type {risk_type!r}: one of {', '.join(_RISK_TYPES)}")
    t0_ms, t1_ms = _time(start, "--from"), _time(end, "--to")
    if t0_ms is not None and t1_ms is not None and t0_ms >= t1_ms:
        raise fail("--from must be before --to")
    zones = [z.strip() for arg in zone or [] for z in arg.split(",") if z.strip()]
    kinds = [k.strip() for arg in kind or [] for k in arg.split(",") if k.strip()]
    skipped = 0
    vessels: dict[int, Any] = {}
    if events_file is not None:
        if url is not None:
            raise fail("--events and --url: give one source")
        events, skipped = _load_events_file(events_file)
        events = [
            ev
            for ev in events
            if (not zones or ev.get("zone") in zones)
            and (not kinds or ev.get("kind") in kinds)
            and (t1_ms is None or parse_time(ev["start"]) < t1_ms)
            and (t0_ms is None or not ev.get("end") or parse_time(ev["end"]) >= t0_ms)
        ]
    else:
        events, vessels = _load_from_store(url, t0_ms, t1_ms, zones, kinds)
    try:
        summary = export(
            events,
            out,
            sender=Sender(authority=authority, service_id=service_id),
            vessels=vessels,
            risk_type=risk_type,
            as_of_ms=t1_ms,
        )
    except CiseError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write to {out}: {exc}") from None
    table = Table(title=f"CISE documents in {out}", show_header=True)
    table.add_column("entity")
    table.add_column("documents", justify="right")
    for root in ("Anomaly", "IrregularMigrationIncident", "Vessel"):
        table.add_row(root, f"{summary.written[root]:,}")
    table.caption = f"{len(events):,} events; all valid against CISE 1.5.3"
    err.print(table)
    if skipped:
        err.print(
            f"[yellow]warning:[/] {skipped:,} malformed lines skipped in {events_file}",
            soft_wrap=True,
            highlight=False,
        )
