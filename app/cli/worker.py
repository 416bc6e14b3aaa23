"""``mare worker ingest|engine|store``: the pipeline's stages as processes over NATS JetStream.

Each reads ``MARE_BUS_URL`` (required here) and the deployment's layout (``MARE_BUS_PREFIX``,
``MARE_BUS_PARTITIONS``); SIGTERM or Ctrl-C stops it cleanly (an engine worker snapshots its
partitions first), and SIGKILL loses nothing either (docs/scaling.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli import cli
from app.cli.console import err, fail
from app.cli.decoder_config import decoder_from_settings

worker = typer.Typer(
    help="Stages of the pipeline as processes over NATS JetStream (MARE_BUS_URL).",
    no_args_is_help=True,
)
cli.add_typer(worker, name="worker")

if TYPE_CHECKING:
    from app.bus.subjects import Layout
    from app.settings import ServiceSettings


def _settings() -> tuple[ServiceSettings, str, Layout]:
    """Return the settings, the bus URL and the layout; one clear line if the bus is unset."""
    from app.bus.subjects import Layout
    from app.settings import ServiceSettings

    settings = ServiceSettings()
    if not settings.bus_url:
        raise fail("MARE_BUS_URL is not set (e.g. MARE_BUS_URL=nats://127.0.0.1:4222)")
    return settings, settings.bus_url, Layout(settings.bus_prefix, settings.bus_partitions)


def _run(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run ``main(stop)`` until it returns; SIGINT and SIGTERM set ``stop``."""
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await main(stop)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(runner())


@worker.command("ingest")
def ingest_worker(
    sources: Annotated[
        list[str], typer.Argument(help="Sources as for `mare ingest` (udp://, tcp://, file:...).")
    ],
    flush: Annotated[
        bool, typer.Option("--flush", help="When the sources end, close every episode.")
    ] = False,
    tick: Annotated[
        float, typer.Option("--tick", min=0, help="Seconds between live-clock ticks (0: none).")
    ] = 1.0,
) -> None:
    """Decode and deduplicate the sources once; publish batches by MMSI partition."""
    from app.bus.connect import connect, ensure_layout
    from app.bus.ingest_worker import BusPublisher, run_ingest

    settings, url, layout = _settings()

    async def main(stop: asyncio.Event) -> None:
        nc = await connect(url, name="mare-ingest")
        js = nc.jetstream()
        await ensure_layout(js, layout)
        publisher = BusPublisher(js, layout)
        job = asyncio.create_task(
            run_ingest(
                publisher,
                sources,
                decoder_from_settings(),
                batch_size=settings.batch_size,
                batch_seconds=settings.batch_seconds,
                tick_seconds=tick or None,
                flush_at_end=flush,
            )  # fmt: skip
        )
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({job, stopper}, return_when=asyncio.FIRST_COMPLETED)
        job.cancel()
        stopper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await job
        s = publisher.stats
        err.print(f"ingest: {s.records:,} records in {s.messages:,} messages ({s.ticks} ticks)")
        await nc.close()

    _run(main)


@worker.command("engine")
def engine_worker(
    partitions: Annotated[
        str,
        typer.Option("--partitions", help="Partitions owned: all, 0,3,5 or k/W (k-th of W)."),
    ] = "all",
    stats_file: Annotated[
        Path | None,
        typer.Option("--stats", help="At exit, write what each partition did (JSON), with lag."),
    ] = None,
) -> None:
    """Run the engines of the owned partitions (resuming from their snapshots)."""
    from app.bus.connect import connect, ensure_layout
    from app.bus.engine_worker import run_engines
    from app.bus.setup import engine_factory

    settings, url, layout = _settings()
    try:
        owned = layout.partitions_of(partitions)
    except ValueError as exc:
        raise fail(f"--partitions {partitions}: {exc}") from None
    factory = engine_factory(settings)

    async def main(stop: asyncio.Event) -> None:
        nc = await connect(url, name=f"mare-engine-{partitions}")
        js = nc.jetstream()
        kv = await ensure_layout(js, layout)
        err.print(f"engine worker: partitions {owned} of {layout.partitions}", markup=False)
        cpu0 = time.process_time()  # the work, not the imports and the start
        workers = await run_engines(js, kv, layout, owned, factory, stop,
                                    snapshot_seconds=settings.bus_snapshot_seconds)  # fmt: skip
        for w in workers:
            s = w.stats
            err.print(f"partition {w.partition}: {s.messages:,} messages, {s.events:,} events,"
                      f" resumed after {s.resumed_from}", markup=False)  # fmt: skip
        if stats_file is not None:
            took_in = [w.stats for w in workers if w.stats.first_at]
            stats_file.write_text(json.dumps({
                "cpu_s": time.process_time() - cpu0,
                # from the first record message taken in to the last, snapshot forks included
                "span_cpu_s": max((s.cpu_last for s in took_in), default=0.0)
                - min((s.cpu_first for s in took_in), default=0.0),
                "records": sum(w.stats.records for w in workers),
                "messages": sum(w.stats.messages for w in workers),
                "lag_ms": [v for w in workers for v in w.stats.lag_ms],
                "first_at": min((w.stats.first_at for w in workers if w.stats.first_at),
                                default=0.0),
                "last_at": max((w.stats.last_at for w in workers), default=0.0),
            }))  # fmt: skip
        await nc.close()

    _run(main)


@worker.command("store")
def store_worker() -> None:
    """Write positions and events from the bus into the store; tell API nodes the news."""
    from app.bus.connect import connect, ensure_layout
    from app.bus.store_worker import StoreWorker
    from app.store.repo import Repo

    settings, url, layout = _settings()
    repo = Repo.open(settings.resolved_database_url)

    async def main(stop: asyncio.Event) -> None:
        nc = await connect(url, name="mare-store")
        js = nc.jetstream()
        await ensure_layout(js, layout)
        err.print("store worker: consuming records and events", markup=False)
        w = StoreWorker(nc, js, layout, repo)
        try:
            await w.run(stop)
        finally:
            s = w.stats
            err.print(f"store: {s.positions_inserted:,} positions, {s.events:,} events",
                      markup=False)  # fmt: skip
            await nc.close()
            repo.close()

    _run(main)
