"""``mare contacts import|export``: contacts (boats seen without AIS) in and out of the database.

An import takes whole files: every file is parsed first, and one bad row anywhere refuses the
lot (each problem named by file, row and field) before anything is stored; the files that pass
are stored in one transaction with one audit entry naming who ran the command.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from app.cli import cli
from app.cli.console import ActorOpt, DatabaseUrlOpt, actor_name, err, fail
from app.settings import get_settings
from app.store.errors import StoreError
from geo.contact_files import ContactFileError, parse_text, to_csv, to_geojson
from geo.contacts import Contact

contacts_cli = typer.Typer(
    help="Contacts (sightings, radar, satellite detections, hotline calls).", no_args_is_help=True
)
cli.add_typer(contacts_cli, name="contacts")


def read_contact_files(paths: list[Path]) -> list[Contact]:
    """Parse contact files (CSV or GeoJSON, by content), all or nothing; exit 2 on any fault."""
    out: list[Contact] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(f"cannot read {path}: {exc}") from None
        try:
            out += parse_text(text, str(path))
        except ContactFileError as exc:
            for p in exc.problems:
                err.print(f"{path}: {p}", soft_wrap=True, markup=False)
            raise fail(str(exc)) from None
    return out


@contacts_cli.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="CSV or GeoJSON contact files.")],
    url: DatabaseUrlOpt = None,
    actor: ActorOpt = None,
) -> None:
    """Import contacts; nothing is stored unless every row of every file is valid."""
    from app.store import open_store
    from app.store.contacts import add_contacts

    contacts = read_contact_files(files)
    who = actor_name(actor)
    via = ",".join(p.name for p in files)[:200]
    try:
        store = open_store(url or get_settings().database_url)
        try:
            stored = add_contacts(
                store, contacts, actor=who, via=via, now_ms=int(time.time() * 1000)
            )
        finally:
            store.close()
    except StoreError as exc:
        raise fail(str(exc)) from None
    span = f" (ids {stored[0].id}-{stored[-1].id})" if stored else ""
    typer.echo(f"imported {len(stored)} contacts{span}")
    settings = get_settings()
    if settings.bus_url and stored:
        send_to_bus(settings.bus_url, settings.bus_prefix, settings.bus_partitions, stored)
        typer.echo(f"sent {len(stored)} contacts to the engine workers ({settings.bus_url})")


def send_to_bus(url: str, prefix: str, partitions: int, contacts: list[Contact]) -> None:
    """Hand stored contacts to the engine workers on the bus (`app.bus.contacts`).

    A running single process takes imported contacts at its next start (they are stored and
    not fused yet); engine workers never read the store, so they get them here.
    """
    import asyncio

    from app.bus.connect import connect, ensure_layout
    from app.bus.contacts import publish_contacts
    from app.bus.subjects import Layout

    async def send() -> None:
        nc = await connect(url, name="mare-contacts")
        try:
            js = nc.jetstream()
            layout = Layout(prefix, partitions)
            await ensure_layout(js, layout)
            await asyncio.wait_for(publish_contacts(js, layout, contacts), 60)
        finally:
            await nc.close()

    try:
        asyncio.run(send())
    except (OSError, TimeoutError) as exc:
        raise fail(f"contacts stored, but not sent to the bus ({url}): {exc}") from None


@contacts_cli.command("export")
def export_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help=".csv or .geojson (- : CSV on stdout).")],
    url: DatabaseUrlOpt = None,
) -> None:
    """Write every stored contact as CSV (the import format) or GeoJSON."""
    from app.store import open_store
    from app.store.contacts import list_contacts

    try:
        store = open_store(url or get_settings().database_url)
        try:
            rows = list_contacts(store, limit=10_000_000)
        finally:
            store.close()
    except StoreError as exc:
        raise fail(str(exc)) from None
    contacts = [r.contact for r in rows]
    if out.suffix.lower() in (".geojson", ".json"):
        body = json.dumps(to_geojson(contacts))
    else:
        body = to_csv(contacts)
    if str(out) == "-":
        typer.echo(body, nl=False)
        return
    try:
        out.write_text(body, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc}") from None
    typer.echo(f"wrote {len(contacts)} contacts to {out}")
