from __future__ import annotations

import json
import zlib

from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import Frame, Opcode

from app.api.push.deflate import SharedDeflate, shared

#: uvicorn's settings for its permessage-deflate factory.
UVICORN = {
    "server_max_window_bits": 12,
    "client_max_window_bits": 12,
    "compress_settings": {"memLevel": 5},
}


def negotiate() -> SharedDeflate:
    factory = shared(ServerPerMessageDeflateFactory(**UVICORN))  # type: ignore[arg-type]
    response, ext = factory.process_request_params([], [])
    # the handshake answer is websockets' own: no promise to drop context takeover
    assert "server_no_context_takeover" not in dict(response)
    assert isinstance(ext, SharedDeflate)
    return ext


def text(n: int, seed: int) -> bytes:
    rows = [{"mmsi": 247000000 + i, "lon": 12 + i * 1e-4 * seed, "lat": 35.0} for i in range(n)]
    return json.dumps(rows).encode()


def test_equal_messages_to_two_clients_are_the_same_bytes() -> None:
    a, b = negotiate(), negotiate()
    msg = text(500, 1)
    fa, fb = a.encode(Frame(Opcode.TEXT, msg)), b.encode(Frame(Opcode.TEXT, msg))
    assert fa.rsv1 and fb.rsv1
    assert bytes(fa.data) == bytes(fb.data)
    assert len(fa.data) < len(msg) / 3


def test_a_client_decoder_with_context_takeover_reads_every_message() -> None:
    ext = negotiate()
    decoder = zlib.decompressobj(wbits=-12)  # one window for the whole connection, as a browser
    messages = [text(300, 1), b'{"type":"alert"}', text(300, 2), text(300, 1), b"x" * 10]
    for msg in messages:
        frame = ext.encode(Frame(Opcode.TEXT, msg))
        assert decoder.decompress(bytes(frame.data) + b"\x00\x00\xff\xff") == msg
    control = ext.encode(Frame(Opcode.PING, b"p"))
    assert control.data == b"p" and not control.rsv1
