"""``mare demo``: simulated central-Med traffic through the real pipeline, live on the map.

The feed is `simulate` traffic sent in real time (times a speed factor) as UDP datagrams to
127.0.0.1, into the service's own UDP source: the same path a receiver on the LAN would take,
not a shortcut into the engine. It runs in its own thread because planning a run and packing
each 15-minute window are CPU work that must not hold up the event loop serving the API.

The picture is full from the first seconds: the feeder starts planning while the service is
still starting (`UdpFeeder.start` before `UdpFeeder.aim`), the simulator streams (the first
window needs one slice of planning, not the day's), and the run begins ``lead`` simulated
seconds before the wall clock, so those minutes of traffic (every vessel, even ships at anchor
reporting every 3 minutes) arrive at once, the way a feed that was already running would have
left them, and the rest in real time.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from collections.abc import Iterator

log = logging.getLogger("app.cli.demo_feed")

#: A datagram stays under the Ethernet MTU, as AIS receivers' UDP output does.
DATAGRAM_BYTES = 1400
#: How often the feeder wakes to send what is due (seconds).
PACE_SECONDS = 0.05


def demo_password() -> str:
    """Return a fresh password for the demo's admin (printed, never stored in clear)."""
    return secrets.token_urlsafe(12)


#: Simulated seconds sent at once on start: more than the slowest reporting interval (3 min).
LEAD_SECONDS = 200.0


class UdpFeeder:
    """Sends a simulated capture to ``(host, port)`` over UDP at ``speed`` times real time.

    The simulation starts ``lead`` simulated seconds before `start` is called; from then on its
    event times (tag block ``c:``) track the wall clock at speed 1, so live "went dark" alerts
    fire when they would at sea. Lines are sent once an address is known (given here, or later
    to `aim`); what fell due before is sent at once.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        speed: float = 1.0,
        hours: float = 24.0,
        seed: int = 1,
        vessels: int | None = None,
        scenario: str = "default",
        lead: float = LEAD_SECONDS,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        if lead < 0:
            raise ValueError("lead must not be negative")
        self.address: tuple[str, int] | None = None if port is None else (host, port)
        self.speed = speed
        self.hours = hours
        self.seed = seed
        self.vessels = vessels
        self.scenario = scenario
        self.lead = lead
        self.lines_sent = 0
        self.datagrams_sent = 0
        self.ready = threading.Event()
        self.finished = threading.Event()
        self.error: BaseException | None = None
        self._aimed = threading.Event()
        if self.address is not None:
            self._aimed.set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo feeder", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def aim(self, host: str, port: int) -> None:
        """Send to ``(host, port)`` from now on (the feeder may already be planning)."""
        self.address = (host, port)
        self._aimed.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._aimed.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _lines(self, start_ms: int) -> Iterator[tuple[int, str]]:
        from simulate.scenario import iter_simulation

        return iter_simulation(
            self.hours, self.seed, start_ms, vessels=self.vessels, scenario=self.scenario
        )

    def _run(self) -> None:
        try:
            self._feed()
        except BaseException as exc:  # noqa: BLE001 - reported by the caller, thread must end
            self.error = exc
            log.exception("demo feed stopped")
        finally:
            self.finished.set()

    def _feed(self) -> None:
        t0 = time.monotonic()
        now_ms = int(time.time() * 1000)
        lines = self._lines(now_ms - int(self.lead * 1000))
        pending: tuple[int, str] | None = next(lines, None)
        self.ready.set()
        self._aimed.wait()
        if self.address is None:
            return
        address = self.address
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            while pending is not None and not self._stop.is_set():
                due = now_ms + int((time.monotonic() - t0) * 1000 * self.speed)
                buf: list[str] = []
                size = 0
                while pending is not None and pending[0] <= due:
                    line = pending[1]
                    if size + len(line) + 2 > DATAGRAM_BYTES and buf:
                        self._send(sock, address, buf)
                        buf, size = [], 0
                    buf.append(line)
                    size += len(line) + 2
                    pending = next(lines, None)
                if buf:
                    self._send(sock, address, buf)
                self._stop.wait(PACE_SECONDS)
        finally:
            sock.close()

    def _send(self, sock: socket.socket, address: tuple[str, int], lines: list[str]) -> None:
        data = ("\r\n".join(lines) + "\r\n").encode("ascii", "replace")
        try:
            sock.sendto(data, address)
        except OSError as exc:  # the service is stopping; the next wake sees the stop flag
            log.debug("demo datagram not sent: %s", exc)
            return
        self.lines_sent += len(lines)
        self.datagrams_sent += 1
