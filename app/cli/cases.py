"""``mare case export ID --out dossier.pdf|.html``: a case's dossier without the service.

The same dossier as ``GET /api/v1/cases/{id}/dossier`` (an admin's view: the command runs on
the database itself), with the same audit entry naming who ran it (``--actor``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli import cli
from app.cli.console import ActorOpt, DatabaseUrlOpt, actor_name, fail
from app.settings import ServiceSettings, get_settings
from app.store.errors import StoreError

case_cli = typer.Typer(help="Suspect cases: export a case's dossier.", no_args_is_help=True)
cli.add_typer(case_cli, name="case")


@case_cli.command("export")
def export_cmd(
    case_id: Annotated[int, typer.Argument(help="The case number.", min=1, max=2**31 - 1)],
    out: Annotated[Path, typer.Option("--out", "-o", help="dossier.pdf or dossier.html")],
    url: DatabaseUrlOpt = None,
    actor: ActorOpt = None,
) -> None:
    """Write a case's dossier (identity, summary, map, timeline, notes, links) to ``--out``."""
    from app.api.case_view import load_case
    from app.auth.scope import Scope
    from app.dossier import export
    from app.store import open_store
    from app.store.repo import Repo
    from geo.land import load_land

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "html"):
        raise fail(f"{out}: the dossier is written as .pdf or .html")
    who = actor_name(actor)
    land_file = ServiceSettings().land_file  # MARE_LAND_FILE, as the service draws it
    land = load_land(land_file) if land_file.is_file() else None
    try:
        repo = Repo(open_store(url or get_settings().database_url))
        try:
            view = load_case(repo, Scope(None), case_id)
            done = export(view, fmt=fmt, prepared_by=who, land=land)
            out.write_bytes(done.body)
            repo.record_export(case_id, actor=who, contents=done.contents)
        finally:
            repo.close()
    except StoreError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc}") from None
    c = done.contents
    typer.echo(
        f"case {case_id}: {out} ({c['bytes']} bytes, {c['positions']} positions, "
        f"{len(c['event_ids'])} events, {len(c['note_ids'])} notes)"
    )
