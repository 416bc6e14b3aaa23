"""UDP, TCP client and TCP server sources over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ais_ingest.errors import SourceError
from ais_ingest.sources import (
    LineChunk,
    LineSource,
    TaggedLine,
    merge_chunks,
    merge_sources,
    open_source,
)
from ais_ingest.sources.tcp import backoff_delay
from ais_ingest.sources.udp import UdpSource

# A type 5 in two fragments and single-sentence position reports (gpsd's sample.aivdm).
FRAG1 = "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C"
FRAG2 = "!AIVDM,2,2,1,A,88888888880,2*25"
POS = [
    "!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A",
    "!AIVDM,1,1,,A,16SteH0P00Jt63hHaa6SagvJ087r,0*42",
    "!AIVDM,1,1,,B,25Cjtd0Oj;Jp7ilG7=UkKBoB0<06,0*60",
    "!AIVDM,1,1,,A,38Id705000rRVJhE7cl9n;160000,0*40",
]
TIMEOUT = 5.0


async def take(source: AsyncIterator[tuple[float, str]], n: int) -> list[tuple[float, str]]:
    out: list[tuple[float, str]] = []
    async with asyncio.timeout(TIMEOUT):
        async for item in source:
            out.append(item)
            if len(out) == n:
                break
    return out


async def take_tagged(source: AsyncIterator[TaggedLine], n: int) -> list[TaggedLine]:
    out: list[TaggedLine] = []
    async with asyncio.timeout(TIMEOUT):
        async for item in source:
            out.append(item)
            if len(out) == n:
                break
    return out


def listening_port(source: LineSource) -> int:
    address = source.address
    assert address is not None
    return address[1]


# --- UDP ---------------------------------------------------------------------------------


async def test_udp_several_lines_per_datagram_and_fragments_across_datagrams() -> None:
    async with open_source("udp://127.0.0.1:0") as source:
        port = listening_port(source)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(f"{POS[0]}\r\n{POS[1]}\r\n".encode(), ("127.0.0.1", port))
            sender.sendto(f"{FRAG1}\r\n".encode(), ("127.0.0.1", port))
            sender.sendto(FRAG2.encode(), ("127.0.0.1", port))  # no line ending
            sender.sendto(f"{POS[2]}\n{POS[3]}".encode(), ("127.0.0.1", port))
            items = await take(source, 6)
    assert [line for _, line in items] == [POS[0], POS[1], FRAG1, FRAG2, POS[2], POS[3]]
    times = [t for t, _ in items]
    assert times == sorted(times) and all(t > 1.6e9 for t in times)


async def test_udp_datagrams_read_together_are_one_chunk_split_per_datagram() -> None:
    async with open_source("udp://127.0.0.1:0") as source:
        port = listening_port(source)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for text in (POS[0], POS[1], FRAG1):  # no line endings: a datagram ends a line
                sender.sendto(text.encode(), ("127.0.0.1", port))
            chunk = await anext(source.chunks())
            assert chunk.source.endswith(f"#127.0.0.1:{sender.getsockname()[1]}")
    assert chunk.lines == [POS[0], POS[1], FRAG1]


async def test_udp_lines_are_tagged_with_their_sender() -> None:
    async with open_source("udp://127.0.0.1:0?name=shore") as source:
        port = listening_port(source)
        with (
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a,
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b,
        ):
            a.sendto(f"{FRAG1}\r\n".encode(), ("127.0.0.1", port))
            b.sendto(f"{FRAG1}\r\n".encode(), ("127.0.0.1", port))
            a.sendto(f"{FRAG2}\r\n".encode(), ("127.0.0.1", port))
            items = await take_tagged(source.tagged(), 3)
            a_name = f"shore#127.0.0.1:{a.getsockname()[1]}"
            b_name = f"shore#127.0.0.1:{b.getsockname()[1]}"
    assert [(i.line, i.source) for i in items] == [
        (FRAG1, a_name),
        (FRAG1, b_name),
        (FRAG2, a_name),
    ]


async def test_udp_port_in_use_is_a_source_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with pytest.raises(SourceError, match="address already in use"):
            async with open_source(f"udp://127.0.0.1:{port}"):
                pass


async def test_udp_socket_is_released_when_the_consumer_is_cancelled() -> None:
    source = open_source("udp://127.0.0.1:0")
    await source.start()
    port = listening_port(source)
    task = asyncio.create_task(take(source, 1))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await source.aclose()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind(("127.0.0.1", port))  # would fail if the source still held it


# --- TCP client --------------------------------------------------------------------------


async def test_tcp_client_rejoins_split_lines_and_reconnects_after_the_feed_drops() -> None:
    sessions = 0
    served_second = asyncio.Event()
    release = asyncio.Event()

    async def first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sessions
        sessions += 1
        data = f"{POS[0]}\r\n{FRAG1}\r\n{FRAG2}\r\n".encode()
        try:
            for cut in (7, 40, 41, 90, len(data)):  # lines and a CRLF split across writes
                writer.write(data[:cut])
                data = data[cut:]
                await writer.drain()
                await asyncio.sleep(0.02)
        finally:
            writer.close()

    async def second(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sessions
        sessions += 1
        try:
            writer.write(f"{POS[1]}\r\n{POS[2]}".encode())
            await writer.drain()
            await asyncio.sleep(0.02)
            writer.write(b"\r\n")
            served_second.set()
            await release.wait()
        finally:
            writer.close()

    server = await asyncio.start_server(first, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    source = open_source(f"tcp://127.0.0.1:{port}?backoff_max=0.2")
    try:
        got = await take(source, 3)
        # The feed goes away entirely (connection refused for a while), then comes back.
        server.close()
        await server.wait_closed()
        await asyncio.sleep(0.3)
        server = await asyncio.start_server(second, "127.0.0.1", port)
        got += await take(source, 2)
        assert served_second.is_set()
    finally:
        release.set()
        await source.aclose()
        server.close()
        await server.wait_closed()
    assert [line for _, line in got] == [POS[0], FRAG1, FRAG2, POS[1], POS[2]]
    assert sessions == 2
    assert source.stats.connects == 2 and source.stats.disconnects >= 1


async def test_tcp_client_keeps_trying_while_nobody_listens(src_free_tcp_port: int) -> None:
    port = src_free_tcp_port
    source = open_source(f"tcp://127.0.0.1:{port}?backoff_max=0.1")
    task = asyncio.create_task(take(source, 1))
    await asyncio.sleep(0.3)
    assert not task.done()
    assert "connect" in source.stats.last_error

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(f"{POS[3]}\n".encode())
            await writer.drain()
            await reader.read()  # until the client goes
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", port)
    try:
        assert [line for _, line in await task] == [POS[3]]
    finally:
        await source.aclose()
        server.close()
        await server.wait_closed()


async def test_tcp_client_cancellation_closes_the_connection() -> None:
    connected = asyncio.Event()
    peer_saw_eof = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            connected.set()
            writer.write(f"{POS[0]}\n".encode())
            await writer.drain()
            if await reader.read() == b"":
                peer_saw_eof.set()
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    source = open_source(f"tcp://127.0.0.1:{port}")

    async def consume() -> None:
        async for _ in source:
            pass

    task = asyncio.create_task(consume())
    try:
        async with asyncio.timeout(TIMEOUT):
            await connected.wait()
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await peer_saw_eof.wait()
    finally:
        await source.aclose()
        server.close()
        await server.wait_closed()


async def test_tcp_over_long_garbage_is_cut_and_the_feed_goes_on() -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for _ in range(50):  # 500 kB without a newline
                writer.write(b"\x00garbage!" * 1000)
                await writer.drain()
            writer.write(f"\r\n{POS[0]}\r\n".encode())
            await writer.drain()
            await reader.read()
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with open_source(f"tcp://127.0.0.1:{port}") as source:
        got = await take(source, 2)
        assert source.stats.truncated == 1
    server.close()
    await server.wait_closed()
    assert len(got[0][1]) == 4096 and got[0][1].startswith("\x00garbage!")
    assert got[1][1] == POS[0]


async def test_tcp_client_drops_a_silent_connection_after_idle_timeout() -> None:
    sessions: list[int] = []
    release = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sessions.append(len(sessions))
        try:
            writer.write(f"{POS[len(sessions) - 1]}\n".encode())
            await writer.drain()
            await release.wait()  # then silence, connection open: a half-dead feed
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with open_source(f"tcp://127.0.0.1:{port}?idle_timeout=0.2&backoff_max=0.1") as src:
            got = await take(src, 2)
            assert src.stats.disconnects >= 1 and src.stats.last_error == "timed out"
    finally:
        release.set()
        server.close()
        await server.wait_closed()
    assert [line for _, line in got] == [POS[0], POS[1]]
    assert len(sessions) >= 2


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    rng = random.Random(7)
    for attempt in range(40):
        delay = backoff_delay(attempt, cap=30.0, rng=rng)
        full = min(30.0, 0.5 * 2**attempt)
        assert full / 2 <= delay <= full
    delays = {round(backoff_delay(3, cap=30.0, rng=rng), 6) for _ in range(20)}
    assert len(delays) > 1  # jittered, so clients spread out


# --- TCP server --------------------------------------------------------------------------


async def test_tcp_server_keeps_two_interleaved_peers_apart() -> None:
    async with open_source("tcp-listen://127.0.0.1:0") as source:
        port = listening_port(source)
        lines = source.tagged()
        _, a = await asyncio.open_connection("127.0.0.1", port)
        _, b = await asyncio.open_connection("127.0.0.1", port)
        try:
            # Fragment 1 from A is cut in the middle; B sends a whole line and half of another
            # in between; then both finish their lines.
            a.write(FRAG1[:30].encode())
            await a.drain()
            await asyncio.sleep(0.05)
            b.write(f"{POS[0]}\r\n{POS[1][:20]}".encode())
            await b.drain()
            await asyncio.sleep(0.05)
            a.write(f"{FRAG1[30:]}\r\n{FRAG2}\r\n".encode())
            await a.drain()
            await asyncio.sleep(0.05)
            b.write(f"{POS[1][20:]}\r\n".encode())
            await b.drain()
            got = await take_tagged(lines, 4)
            a_peer = a.get_extra_info("sockname")[1]
            b_peer = b.get_extra_info("sockname")[1]
        finally:
            a.close()
            b.close()
    by_peer: dict[str, list[str]] = {}
    for item in got:
        by_peer.setdefault(item.source, []).append(item.line)
    name = f"tcp-listen://127.0.0.1:{port}"
    assert by_peer == {
        f"{name}#127.0.0.1:{a_peer}": [FRAG1, FRAG2],
        f"{name}#127.0.0.1:{b_peer}": [POS[0], POS[1]],
    }


async def test_tcp_server_port_in_use_is_a_source_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SourceError, match=f"tcp-listen://127.0.0.1:{port}.*in use"):
            await open_source(f"tcp-listen://127.0.0.1:{port}").start()


async def test_tcp_server_close_drops_peers_and_stops_listening() -> None:
    source = open_source("tcp-listen://127.0.0.1:0")
    await source.start()
    port = listening_port(source)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{POS[0]}\n".encode())
    assert [line for _, line in await take(source, 1)] == [POS[0]]
    await source.aclose()
    async with asyncio.timeout(TIMEOUT):
        assert await reader.read() == b""  # the server closed our connection
    writer.close()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


# --- merge -------------------------------------------------------------------------------


async def test_merge_runs_sources_concurrently_and_names_them(tmp_path: Path) -> None:
    capture = tmp_path / "c.nmea"
    capture.write_text(f"{POS[2]}\n{POS[3]}\n")
    udp = open_source("udp://127.0.0.1:0?name=udp-in")
    tcp = open_source("tcp-listen://127.0.0.1:0?name=tcp-in")
    merged = merge_sources([udp, tcp, f"file:{capture}"])
    async with contextlib.aclosing(merged):
        first = await anext(merged)  # starts every source; the file's lines come first
        udp_port, tcp_port = listening_port(udp), listening_port(tcp)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(f"{POS[0]}\r\n".encode(), ("127.0.0.1", udp_port))
        _, writer = await asyncio.open_connection("127.0.0.1", tcp_port)
        writer.write(f"{POS[1]}\r\n".encode())
        rest = await take_tagged(merged, 3)
        writer.close()
    got = {(item.line, item.source.split("#")[0]) for item in [first, *rest]}
    assert got == {
        (POS[0], "udp-in"),
        (POS[1], "tcp-in"),
        (POS[2], f"file:{capture}"),
        (POS[3], f"file:{capture}"),
    }
    assert udp.address is None and tcp.address is None  # closed with the merge


async def test_merge_reports_a_missing_file_before_streaming(tmp_path: Path) -> None:
    udp = open_source("udp://127.0.0.1:0")
    merged = merge_sources([udp, f"{tmp_path}/missing.nmea"])
    with pytest.raises(SourceError, match="missing.nmea"):
        await anext(merged)
    assert udp.address is None


async def test_merge_chunks_hands_over_whole_reads_with_their_source(tmp_path: Path) -> None:
    capture = tmp_path / "c.nmea"
    capture.write_text("".join(f"{POS[i % 4]}\n" for i in range(10_000)))
    udp = open_source("udp://127.0.0.1:0?name=udp-in")
    chunks = merge_chunks([udp, str(capture)])
    async with contextlib.aclosing(chunks):
        got: list[LineChunk] = []
        async with asyncio.timeout(TIMEOUT):
            while sum(len(c.lines) for c in got) < 10_000:
                got.append(await anext(chunks))
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.sendto(
                    f"{POS[0]}\r\n{POS[1]}\r\n".encode(), ("127.0.0.1", listening_port(udp))
                )
            datagram = await anext(chunks)
    assert all(c.source == f"file:{capture}" for c in got) and len(got) < 100
    assert [line for c in got for line in c.lines] == [POS[i % 4] for i in range(10_000)]
    assert datagram.lines == [POS[0], POS[1]] and datagram.source.startswith("udp-in#127.0.0.1:")


async def test_a_stop_ends_the_merge_with_every_datagram_the_kernel_took() -> None:
    """Ctrl-C: UDP hands out what its socket holds; an idle TCP listener just stops; merge ends."""
    udp = open_source("udp://127.0.0.1:0")
    tcp = open_source("tcp-listen://127.0.0.1:0")
    stop = asyncio.Event()
    chunks = merge_chunks([udp, tcp], stop=stop)
    async with contextlib.aclosing(chunks):
        first = asyncio.ensure_future(anext(chunks))  # starts both sources
        await asyncio.sleep(0)
        while udp.address is None or tcp.address is None:
            await asyncio.sleep(0.01)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for i in range(500):  # queued in the kernel: the loop does not run in between
                sender.sendto(f"{POS[i % 4]}\r\n".encode(), ("127.0.0.1", listening_port(udp)))
        stop.set()
        got: list[str] = []
        async with asyncio.timeout(TIMEOUT):
            got.extend((await first).lines)
            async for chunk in chunks:
                got.extend(chunk.lines)
    assert got == [POS[i % 4] for i in range(500)]
    assert udp.address is None and tcp.address is None  # both closed


# --- gpsd protocol (a real TCP server speaking gpsd's protocol; the real gpsd is in
# test_sources_gpsd.py) ---------------------------------------------------------------------


async def test_gpsd_source_sends_the_watch_and_drops_gpsd_json() -> None:
    commands: list[bytes] = []

    async def gpsd(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(b'{"class":"VERSION","release":"3.22","proto_major":3}\r\n')
            commands.append(await reader.readline())
            writer.write(b'{"class":"DEVICES","devices":[]}\r\n{"class":"WATCH","nmea":true}\r\n')
            writer.write(f"{POS[0]}\r\n".encode())
            writer.write(b'{"class":"ERROR","message":"Unrecognized request"}\r\n')
            writer.write(f"{FRAG1}\r\n{FRAG2}\r\n".encode())
            await writer.drain()
            await reader.read()
        finally:
            writer.close()

    server = await asyncio.start_server(gpsd, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with open_source(f"gpsd://127.0.0.1:{port}") as source:
        got = await take(source, 3)
        assert source.stats.last_error == "gpsd: Unrecognized request"
    server.close()
    await server.wait_closed()
    assert commands == [b'?WATCH={"enable":true,"nmea":true}\n']
    assert [line for _, line in got] == [POS[0], FRAG1, FRAG2]


async def test_udp_every_datagram_is_read_or_counted_as_dropped_by_the_kernel_or_the_source() -> (
    None
):
    sent = 30_000
    async with open_source("udp://127.0.0.1:0") as source:
        assert isinstance(source, UdpSource)
        port = listening_port(source)
        assert source.kernel_drops() == 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            # the event loop is blocked meanwhile: the socket's buffer fills and overflows
            for i in range(sent):
                sender.sendto(f"x{i:05d}".encode(), ("127.0.0.1", port))
        kernel = source.kernel_drops()
        assert kernel is not None and kernel > 0
        # every datagram the kernel kept is read: the rest is counted (a hang here fails)
        expected = sent - kernel
        async with asyncio.timeout(60):
            lines = [line for _, line in await take(source, expected - source.stats.dropped)]
        assert len(set(lines)) == len(lines) == expected - source.stats.dropped
        assert source.kernel_drops() == kernel
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"END", ("127.0.0.1", port))
        assert [line for _, line in await take(source, 1)] == ["END"]  # nothing left unread
