"""Source URLs: what ``mare ingest`` accepts, parsed once into a :class:`SourceSpec`.

Forms (DESIGN.md, CLI):

- ``udp://HOST:PORT`` listen for datagrams (what AIS-catcher, rtl-ais and OpenCPN send);
  HOST defaults to ``0.0.0.0`` and PORT to 10110, the port IEC 61162-450 and most
  plotters use for NMEA over IP.
- ``tcp://HOST:PORT`` connect to a raw feed (AISHub style) and keep reconnecting.
- ``tcp-listen://HOST:PORT`` accept connections from receivers that push (HOST defaults to
  ``0.0.0.0``, PORT to 10110). A distinct scheme, because ``tcp://0.0.0.0:PORT`` read as "listen"
  would make a typo in a feed's host silently turn a client into a server.
- ``gpsd://HOST:PORT`` gpsd's NMEA watch (HOST defaults to ``localhost``, PORT to 2947).
- ``file:PATH``, ``file:///ABS/PATH`` or a bare path: captures, plain, gzip, bzip2 or xz
  (told by their first bytes); a glob (``captures/*.nmea.gz``) means the matching files in
  sorted order. ``?speed=F`` replays in real time scaled by F from the lines' own timestamps.
- ``-`` standard input.

Options in the query string: ``name`` (every kind: how the source is named in logs and in
multipart keys), ``speed`` (files), ``backoff_max`` seconds (``tcp``, ``gpsd``; default 30),
``idle_timeout`` seconds (``tcp``, ``gpsd``, ``tcp-listen``: drop a connection silent that
long; default none). Unknown options are errors, so that a typo does not pass silently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, cast
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from ais_ingest.errors import SourceURLError

SourceKind = Literal["udp", "tcp", "tcp-listen", "gpsd", "file", "stdin"]

#: NMEA over IP (IEC 61162-450 and common practice in plotters and AIS-catcher).
DEFAULT_NMEA_PORT = 10110
#: gpsd's registered port.
DEFAULT_GPSD_PORT = 2947

_NETWORK = ("udp", "tcp", "tcp-listen", "gpsd")
_OPTIONS: dict[str, frozenset[str]] = {
    "udp": frozenset({"name"}),
    "tcp": frozenset({"name", "backoff_max", "idle_timeout"}),
    "tcp-listen": frozenset({"name", "idle_timeout"}),
    "gpsd": frozenset({"name", "backoff_max", "idle_timeout"}),
    "file": frozenset({"name", "speed"}),
    "stdin": frozenset({"name"}),
}
_POSITIVE = ("speed", "backoff_max", "idle_timeout")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_FORMS = (
    "udp://HOST:PORT, tcp://HOST:PORT, tcp-listen://HOST:PORT, gpsd://HOST:PORT, file:PATH,"
    " a path or -"
)


@dataclass(frozen=True)
class SourceSpec:
    """A parsed source: what to open and how; no I/O has happened yet.

    ``host`` and ``port`` are set for network kinds, ``paths`` for files (each a path or a glob),
    ``speed`` only for files replayed in real time. ``options`` holds the other validated query
    options as text (``name``, ``backoff_max``, ``idle_timeout``).
    """

    kind: SourceKind
    host: str | None = None
    port: int | None = None
    paths: tuple[str, ...] = ()
    speed: float | None = None
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    @property
    def name(self) -> str:
        """The ``name`` option, else the canonical URL: how logs and multipart keys know it."""
        given = self.options.get("name")
        if given:
            return given
        if self.kind == "stdin":
            return "-"
        if self.kind == "file":
            return "file:" + ",".join(self.paths)
        host = f"[{self.host}]" if self.host and ":" in self.host else self.host
        return f"{self.kind}://{host}:{self.port}"

    def option_float(self, key: str, default: float | None = None) -> float | None:
        """Return a numeric option (validated positive and finite at parse time)."""
        text = self.options.get(key)
        return default if text is None else float(text)


def _fail(url: str, why: str) -> SourceURLError:
    return SourceURLError(f"bad source {url!r}: {why}")


def _options(url: str, kind: str, query: str) -> tuple[dict[str, str], float | None]:
    allowed = _OPTIONS[kind]
    options: dict[str, str] = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise _fail(url, f"cannot read the options {query!r} (expected key=value&...)") from None
    for key, value in pairs:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise _fail(url, f"unknown option {key!r} for a {kind} source (known: {known})")
        if key in options:
            raise _fail(url, f"option {key!r} given twice")
        if key in _POSITIVE:
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not (math.isfinite(number) and number > 0):
                raise _fail(url, f"{key} must be a positive number, not {value!r}")
        elif not value:
            raise _fail(url, f"option {key!r} needs a value")
        options[key] = value
    speed = options.pop("speed", None)
    return options, (float(speed) if speed is not None else None)


def _network(url: str, kind: str, parts: SplitResult) -> tuple[str, int]:
    if not url.lower().startswith(f"{kind}://"):
        raise _fail(url, f"expected {kind}://HOST:PORT")
    if parts.path not in ("", "/"):
        raise _fail(url, f"unexpected path {parts.path!r} after the address")
    if parts.fragment:
        raise _fail(url, f"unexpected fragment #{parts.fragment}")
    if parts.username is not None or parts.password is not None:
        raise _fail(url, "user names and passwords are not supported in source URLs")
    try:
        port = parts.port
    except ValueError:
        raise _fail(url, "the port must be a number from 0 to 65535") from None
    host = parts.hostname or ""
    listening = kind in ("udp", "tcp-listen")
    if not host:
        if kind == "tcp":
            raise _fail(url, "tcp:// needs the host to connect to (tcp://HOST:PORT)")
        host = "0.0.0.0" if listening else "localhost"
    elif kind == "tcp" and host in ("0.0.0.0", "::"):
        raise _fail(url, f"cannot connect to {host}; to accept pushes use tcp-listen://{host}:PORT")
    if port is None:
        if kind == "tcp":
            raise _fail(url, "tcp:// needs a port (tcp://HOST:PORT)")
        port = DEFAULT_GPSD_PORT if kind == "gpsd" else DEFAULT_NMEA_PORT
    if port == 0 and not listening:
        raise _fail(url, "cannot connect to port 0")
    return host, port


def _file_path(url: str, parts: SplitResult) -> str:
    if parts.netloc not in ("", "localhost"):
        raise _fail(url, f"file URLs name local files; host {parts.netloc!r} is not supported")
    if parts.fragment:
        raise _fail(url, f"unexpected fragment #{parts.fragment}")
    path = unquote(parts.path)
    if not path:
        raise _fail(url, "no file named (file:PATH)")
    return path


def parse_source_url(url: str) -> SourceSpec:
    """Parse a source URL or path; raise :class:`SourceURLError` naming what is wrong.

    Only the text is checked: whether a file exists or a port is free is known when the source
    is opened (``SourceError`` then).

    Examples
    --------
    >>> spec = parse_source_url("udp://:10110")
    >>> spec.kind, spec.host, spec.port
    ('udp', '0.0.0.0', 10110)
    >>> parse_source_url("file:capture.nmea.gz?speed=10").speed
    10.0
    """
    text = url.strip()
    if not text:
        raise _fail(url, f"empty; expected one of {_FORMS}")
    if text == "-":
        return SourceSpec(kind="stdin")
    match = _SCHEME.match(text)
    scheme = match.group(1).lower() if match else ""
    if scheme in ("stdin",):
        parts = urlsplit(text)
        options, _ = _options(url, "stdin", parts.query)
        return SourceSpec(kind="stdin", options=MappingProxyType(options))
    if scheme in _NETWORK:
        parts = urlsplit(text)
        options, _ = _options(url, scheme, parts.query)
        host, port = _network(url, scheme, parts)
        kind = cast(SourceKind, scheme)
        return SourceSpec(kind=kind, host=host, port=port, options=MappingProxyType(options))
    if scheme == "file":
        parts = urlsplit(text)
        options, speed = _options(url, "file", parts.query)
        return SourceSpec(
            kind="file",
            paths=(_file_path(url, parts),),
            speed=speed,
            options=MappingProxyType(options),
        )
    if "://" in text:
        raise _fail(url, f"unknown scheme {text.split('://', 1)[0]!r}; expected one of {_FORMS}")
    # A bare path, taken literally: '?' is a file name character (and a glob one) there.
    return SourceSpec(kind="file", paths=(text,))
