from __future__ import annotations

import asyncio
import socket

from app.live.relay import NmeaRelay, relay_sentence

TAGGED = "\\s:r1,c:1700000000*5C\\!AIVDM,1,1,,A,15MgK45P3@G?fl0E`JbR0OwT0@MS,0*4E"
SENTENCE = "!AIVDM,1,1,,A,15MgK45P3@G?fl0E`JbR0OwT0@MS,0*4E"  # TAGGED without its tag block
BARE = "!AIVDM,1,1,,B,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24"


def test_relay_sentence_cuts_tag_blocks_logger_timestamps_and_receiver_metadata() -> None:
    sentence = SENTENCE
    assert relay_sentence(BARE) == BARE
    for line in (
        TAGGED + "\r\n",
        "2026-06-01T03:10:00Z " + sentence,
        "1780283400.123 " + TAGGED,
        sentence + ",s22,d-105,T45.1,x1,r003669945,1780283400",
    ):
        assert relay_sentence(line) == sentence
    assert relay_sentence(TAGGED, keep_tag_block=True) == TAGGED
    assert relay_sentence(BARE, keep_tag_block=True) == BARE


async def _wait_clients(relay: NmeaRelay, n: int) -> None:
    while relay.clients < n:
        await asyncio.sleep(0.01)


async def test_every_client_gets_the_sentences_with_crlf_and_no_tag_block() -> None:
    counts: list[int] = []
    relay = NmeaRelay(port=0, on_clients=counts.append)
    await relay.start()
    try:
        addr = relay.address
        assert addr is not None
        conns = [await asyncio.open_connection(*addr) for _ in range(2)]
        await _wait_clients(relay, 2)
        relay.feed([TAGGED, BARE + "\n"])
        for reader, _ in conns:
            got = [await reader.readuntil(b"\r\n") for _ in range(2)]
            assert got == [SENTENCE.encode() + b"\r\n", BARE.encode() + b"\r\n"]
        for _, writer in conns:
            writer.close()
        while relay.clients:
            await asyncio.sleep(0.01)
        relay.feed([BARE])
        assert relay.lines_sent == 4
        assert counts == [1, 2, 1, 0]
    finally:
        await relay.stop()


async def test_tag_blocks_kept_on_request_and_feed_from_another_thread() -> None:
    relay = NmeaRelay(port=0, keep_tag_blocks=True)
    await relay.start()
    try:
        addr = relay.address
        assert addr is not None
        reader, writer = await asyncio.open_connection(*addr)
        await _wait_clients(relay, 1)
        await asyncio.to_thread(relay.feed, [TAGGED])
        assert await reader.readuntil(b"\r\n") == TAGGED.encode() + b"\r\n"
        writer.close()
    finally:
        await relay.stop()


async def test_a_client_that_never_reads_loses_lines_the_others_get_all() -> None:
    relay = NmeaRelay(port=0, max_buffer_bytes=64 * 1024)
    await relay.start()
    try:
        addr = relay.address
        assert addr is not None
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(addr)
        reader, writer = await asyncio.open_connection(*addr)
        await _wait_clients(relay, 2)
        line = BARE.encode() + b"\r\n"
        sent = 0
        for _ in range(400):
            relay.feed([BARE] * 1000)
            sent += 1000
            got = await reader.readexactly(len(line) * 1000)
            assert got == line * 1000
            if relay.lines_dropped:
                break
        assert relay.lines_dropped > 0
        assert relay.lines_sent + relay.lines_dropped == 2 * sent
        writer.close()
        slow.close()
    finally:
        await relay.stop()
