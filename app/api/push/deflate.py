"""WebSocket compression that compresses a message once for all the clients it goes to.

uvicorn negotiates permessage-deflate on every WebSocket and, with context takeover, gives each
connection its own compressor: a diff sent to 50 clients is compressed 50 times. In
``bench.service`` (2,000 msg/s, 50 clients at 10 Hz) that was ~40 % of the service's event loop,
the largest single cost. Here each message is compressed on its own (a fresh compressor per
message, as with ``server_no_context_takeover``), so equal messages give equal bytes and a small
cache keyed by the message makes every copy after the first free. A client's decoder accepts
such messages whether or not it agreed to context takeover (they never refer to earlier ones),
so the handshake is unchanged; small messages compress a little less well without the shared
window, which is 4 kB in uvicorn and so helps little for diffs.

Serve with ``uvicorn --ws app.api.push.deflate:SharedDeflateProtocol`` (as ``bench.service`` does).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import Frame, Opcode
from websockets.typing import ExtensionParameter

#: Recent messages (payload bytes, compressed bytes) per compression setting, newest first.
#: Copies of one message are sent within one event-loop pass, so a few entries suffice, and
#: they are found by comparing bytes (sizes first): hashing each client's copy of a 60 kB diff
#: would cost ~17 µs, comparing it ~1 µs.
CACHE_ENTRIES = 16
#: Larger messages (big snapshots) are compressed per client rather than held in the cache.
CACHE_MAX_BYTES = 4 * 1024 * 1024

_caches: dict[tuple[Any, ...], deque[tuple[bytes, bytes]]] = {}


class SharedDeflate(PerMessageDeflate):
    """permessage-deflate whose outgoing messages are compressed alone and shared."""

    def __init__(self, negotiated: PerMessageDeflate) -> None:
        super().__init__(
            negotiated.remote_no_context_takeover,
            True,  # never refer to an earlier message, whatever was negotiated
            negotiated.remote_max_window_bits,
            negotiated.local_max_window_bits,
            negotiated.compress_settings,
        )
        key = (self.local_max_window_bits, *sorted(self.compress_settings.items()))
        self._cache = _caches.setdefault(key, deque(maxlen=CACHE_ENTRIES))

    def encode(self, frame: Frame) -> Frame:
        data = frame.data
        if (
            frame.opcode not in (Opcode.TEXT, Opcode.BINARY)
            or not frame.fin
            or type(data) is not bytes
            or len(data) > CACHE_MAX_BYTES
        ):
            return super().encode(frame)
        size = len(data)
        packed = next((p for k, p in self._cache if len(k) == size and k == data), None)
        if packed is None:
            packed = bytes(super().encode(frame).data)
            self._cache.appendleft((data, packed))
        return Frame(frame.opcode, packed, True, True, frame.rsv2, frame.rsv3)


class SharedDeflateFactory(ServerPerMessageDeflateFactory):
    """Negotiates like websockets' factory; the extension it returns is `SharedDeflate`."""

    def process_request_params(
        self,
        params: Any,
        accepted_extensions: Any,
    ) -> tuple[list[ExtensionParameter], PerMessageDeflate]:
        response, negotiated = super().process_request_params(params, accepted_extensions)
        return response, SharedDeflate(negotiated)


def shared(factory: Any) -> Any:
    """Return ``factory`` as a `SharedDeflateFactory` if it is websockets' deflate factory."""
    if type(factory) is not ServerPerMessageDeflateFactory:
        return factory
    return SharedDeflateFactory(
        server_no_context_takeover=factory.server_no_context_takeover,
        client_no_context_takeover=factory.client_no_context_takeover,
        server_max_window_bits=factory.server_max_window_bits,
        client_max_window_bits=factory.client_max_window_bits,
        compress_settings=factory.compress_settings,
        require_client_max_window_bits=factory.require_client_max_window_bits,
    )


class SharedDeflateProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets protocol with `SharedDeflate` in place of its permessage-deflate."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn.available_extensions = [shared(f) for f in self.conn.available_extensions or []]
