"""``mare demo``: simulated central-Med traffic through the real pipeline, live on the map.

The feed is `simulate` traffic sent in real time (times a speed factor) as UDP datagrams to
127.0.0.1, into the service's own UDP source: the same path a receiver on the LAN would take,
not a shortcut into the engine. It runs in its own thread because planning a run and packing
each 15-minute window are CPU work that must not hold up the event loop serving the API.

Boats without AIS come the way an operation centre gets them: the simulator's patrol-aircraft
sightings, hotline calls and SAR detections (`simulate.dark_boats`) are handed, each once its
report would reach the room (`REPORT_LAG_S`: a sighting minutes after it is made, a SAR scene
about an hour after the pass), to a ``post`` function, which `mare demo` points at the service's
own ``POST /api/v1/contacts``: the path an operator's import takes, audited.

The picture is full from the first seconds: the feeder starts planning while the service is
still starting (`UdpFeeder.start` before `UdpFeeder.aim`), the simulator streams (the first
window needs one slice of planning, not the day's), and the run begins ``lead`` simulated
seconds before the wall clock, so those minutes of traffic (every vessel, even ships at anchor
reporting every 3 minutes) arrive at once, the way a feed that was already running would have
left them, and the rest in real time.
"""

from __future__ import annotations

import heapq
import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from geo.contacts import Contact
    from simulate.scenario import Simulation

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
#: How long after it is made a contact reaches the room, by kind, simulated seconds: an
#: aircraft radios a sighting at once and it is typed in minutes later; a hotline relays a
#: call within minutes; Sentinel-1 near-real-time vessel detections arrive about an hour after
#: the pass (under the engine's two hours, after which a contact is counted late).
REPORT_LAG_S = {"aircraft": 180.0, "vessel": 180.0, "hotline": 300.0, "sar": 3600.0}
DEFAULT_LAG_S = 600.0

PostContacts = Callable[[list["Contact"]], None]


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
        start_ms: int | None = None,
    ) -> None:
        # start_ms: the event time the feed runs from (the wall clock when None); what the
        # simulation holds depends on the time of day (SAR passes are at fixed UTC times)
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
        self.start_ms = start_ms
        self.lines_sent = 0
        self.datagrams_sent = 0
        self.contacts_sent = 0
        self._post: PostContacts | None = None
        self._sim: Simulation | None = None
        self._given = 0  # contacts of the simulation already queued
        self._due: list[tuple[int, int, Contact]] = []  # (due ms, order, contact)
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

    def post_contacts(self, post: PostContacts) -> None:
        """Hand the simulation's contacts to ``post`` as they reach the room (from now on)."""
        self._post = post

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._aimed.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _lines(self, start_ms: int) -> Iterator[tuple[int, str]]:
        from simulate.scenario import demo_simulation

        self._sim = demo_simulation(
            self.hours, self.seed, start_ms, vessels=self.vessels, scenario=self.scenario
        )
        return self._sim.lines()

    def _contacts_due(self, due_ms: int) -> list[Contact]:
        """Return the contacts whose report reaches the room by ``due_ms``, in time order."""
        made = self._sim.contacts if self._sim is not None else []
        for c in made[self._given :]:
            lag = REPORT_LAG_S.get(c.kind.value, DEFAULT_LAG_S)
            heapq.heappush(self._due, (c.time_ms + int(lag * 1000), self._given, c))
            self._given += 1
        out: list[Contact] = []
        while self._due and self._due[0][0] <= due_ms:
            out.append(heapq.heappop(self._due)[2])
        return sorted(out, key=lambda c: c.order_key())

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
        now_ms = self.start_ms if self.start_ms is not None else int(time.time() * 1000)
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
                if self._post is not None:
                    self._report(due)
                self._stop.wait(PACE_SECONDS)
        finally:
            sock.close()

    def _report(self, due_ms: int) -> None:
        contacts = self._contacts_due(due_ms)
        if not contacts or self._post is None:
            return
        try:
            self._post(contacts)
        except Exception as exc:  # noqa: BLE001 - the service is stopping or refused: say so
            log.warning("demo contacts not posted (%d): %s", len(contacts), exc)
            return
        self.contacts_sent += len(contacts)

    def _send(self, sock: socket.socket, address: tuple[str, int], lines: list[str]) -> None:
        data = ("\r\n".join(lines) + "\r\n").encode("ascii", "replace")
        try:
            sock.sendto(data, address)
        except OSError as exc:  # the service is stopping; the next wake sees the stop flag
            log.debug("demo datagram not sent: %s", exc)
            return
        self.lines_sent += len(lines)
        self.datagrams_sent += 1


class ContactPoster:
    """``POST /api/v1/contacts?via=demo`` with a token: how `mare demo` hands in its contacts."""

    def __init__(self, base_url: str, token: str) -> None:
        import httpx

        self._client = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0
        )

    def __call__(self, contacts: list[Contact]) -> None:
        from geo.contacts import CONTACT_FIELDS

        rows = [{k: v for k, v in c.to_dict().items() if k in CONTACT_FIELDS} for c in contacts]
        r = self._client.post("/api/v1/contacts", params={"via": "demo"}, json=rows)
        if r.status_code != 201:
            raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")

    def close(self) -> None:
        self._client.close()
