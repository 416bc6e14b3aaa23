"""``mare zones import`` and ``mare zones export``: the database's zones as a zone file.

The file is DESIGN.md's zone contract both ways, read by `geo.zones.load_zone_file` as every
other zone file is and written by `geo.zones.zones_to_geojson`, so an export imported again
gives the same zones. An import is all or nothing: the whole file is validated before the one
transaction that writes it, and a running service on PostGIS picks the change up through the
store's zone notification.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli import cli
from app.cli.console import (
    ActorOpt,
    DatabaseUrlOpt,
    actor_name,
    err,
    fail,
    out,
    warn_legacy_database,
)
from app.settings import get_settings
from app.store.errors import StoreError
from app.store.repo import Repo
from app.store.zones import save_zones
from app.wallclock import now_ms
from geo.errors import GeoError
from geo.zones import load_zone_file, zones_to_geojson

zones_cli = typer.Typer(
    help="Zones in the database: import a zone file, export them as one.", no_args_is_help=True
)
cli.add_typer(zones_cli, name="zones")


@zones_cli.callback()
def _zones_group() -> None:
    warn_legacy_database(get_settings())


def _open(url: str | None) -> Repo:
    try:
        return Repo.open(url or get_settings().resolved_database_url)
    except StoreError as exc:
        raise fail(str(exc)) from None


@zones_cli.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="Zone file: a GeoJSON FeatureCollection.")],
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="The database keeps exactly the file's zones (others are deleted)."
        ),
    ] = False,
    url: DatabaseUrlOpt = None,
    actor: ActorOpt = None,
) -> None:
    """Add the zones of a file, replacing those with the same id (all or nothing)."""
    try:
        zones = load_zone_file(file)
    except GeoError as exc:
        raise fail(str(exc)) from None
    repo = _open(url)
    try:
        before = {z.id for z in repo.list_zones()}
        ids = [z.id for z in zones]
        save_zones(repo.store, zones, now_ms=now_ms(), replace=replace)
        removed = sorted(before - set(ids)) if replace else []
        repo.audit(
            actor_name(actor),
            "zone.import",
            target="zones",
            detail={
                "ids": ids,
                "replace": replace,
                "removed": removed,
                "file": str(file.resolve()),
            },
        )
        where = repo.store.where
    except StoreError as exc:
        raise fail(str(exc)) from None
    finally:
        repo.close()
    added = len(set(ids) - before)
    parts = [f"{added} new", f"{len(ids) - added} updated"]
    if replace:
        parts.append(f"{len(removed)} removed")
    out.print(f"imported {len(ids)} zones into {where} ({', '.join(parts)})", markup=False)


def _feature_per_line(collection: dict[str, Any]) -> str:
    """Return the collection as JSON with one feature a line: small, and a diff shows a zone."""
    head = {k: v for k, v in collection.items() if k != "features"}
    lines = [
        json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]
    ]
    opening = json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ['
    return opening + "\n" + ",\n".join(lines) + ("\n" if lines else "") + "]}\n"


@zones_cli.command("export")
def export_cmd(
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the zone file here, not stdout.")
    ] = None,
    url: DatabaseUrlOpt = None,
) -> None:
    """Write the database's zones as a zone file that `mare zones import` reads back."""
    repo = _open(url)
    try:
        zones = repo.list_zones()
        where = repo.store.where
    except StoreError as exc:
        raise fail(str(exc)) from None
    finally:
        repo.close()
    text = _feature_per_line(zones_to_geojson(zones))
    if out_file is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        try:
            out_file.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot write {out_file}: {exc.strerror or exc}") from None
    err.print(
        f"exported {len(zones)} zones from {where}"
        + (f" to {out_file}" if out_file is not None else ""),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
