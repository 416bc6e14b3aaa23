"""``mare decode``: captures to records (JSON lines or CSV), every line counted once."""

from __future__ import annotations

import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from app.cli import cli
from app.cli.batch_gc import quiet_gc
from app.cli.child_pipe import ChildEnded, worth_ahead
from app.cli.console import (
    StatsOpt,
    err,
    fail,
    file_progress,
    lines_summary,
    warn_line,
    write_stats,
)
from app.cli.decoder_config import decoder_from_settings
from app.cli.frame_ahead import framed_chunks
from app.cli.output import RecordWriter
from app.cli.timing import CaptureClock, mostly_untimed, untimed, untimed_message


@cli.command()
def decode(
    captures: Annotated[
        list[Path],
        typer.Argument(help="Capture files: plain, gzip, bzip2, xz, zstd or a zip of one."),
    ],
    fmt: Annotated[str, typer.Option("--format", help="jsonl, csv or none.")] = "jsonl",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write records here, not stdout (- is stdout)."),
    ] = None,
    stats_file: StatsOpt = None,
) -> None:
    """Decode AIS captures into records; every line is counted once in the summary."""
    for path in captures:
        if not path.is_file():
            raise fail(f"no such capture: {path}")
    dec = decoder_from_settings()
    to_file = out is not None and str(out) != "-"  # "-": stdout, as `mare detect -o -`
    sink = out.open("w", newline="") if out is not None and to_file else sys.stdout
    try:
        writer = RecordWriter(sink, fmt)
    except ValueError as exc:
        raise fail(str(exc)) from None
    total = sum(p.stat().st_size for p in captures)
    untimed_captures: list[str] = []
    started = time.perf_counter()
    progress = file_progress()
    clocks = [CaptureClock(path) for path in captures]
    received = [clock.end_ms for clock in clocks]
    quiet_gc()  # before the fork: the child's too
    try:
        with progress if progress is not None else nullcontext():
            task = progress.add_task("decoding", total=total) if progress is not None else None
            current, before = -1, dict(dec.stats.times)
            chunks = framed_chunks(captures, received, dec, ahead=worth_ahead(captures))
            for i, chunk, framed in chunks:
                if i != current:
                    current = i
                    if progress is not None and task is not None:
                        progress.update(task, description=f"decoding {captures[i].name}")
                if chunk is None:  # the capture's end
                    if mostly_untimed(untimed(before, dec.stats)):
                        counts = untimed(before, dec.stats)
                        untimed_captures.append(untimed_message(clocks[i], counts))
                    before = dict(dec.stats.times)
                    continue
                batch = dec.decode_framed(chunk, framed, received[i], captures[i].name)
                writer.write_batch(batch)
                if progress is not None and task is not None:
                    progress.advance(task, chunk.nbytes)
            dec.flush()
    except BrokenPipeError:  # `mare decode x | head`: the reader has all it wants
        sys.stderr.close()
        raise typer.Exit(0) from None
    except ChildEnded as exc:  # the decoding child, killed
        raise fail(str(exc)) from None
    except (OSError, EOFError) as exc:
        raise fail(f"cannot read capture: {exc}") from None
    finally:
        if to_file:
            sink.close()
    for line in untimed_captures:
        warn_line(line)
    err.print(lines_summary(dec.stats, time.perf_counter() - started))
    write_stats(stats_file, dec.stats)
