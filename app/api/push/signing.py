"""Webhook signatures and the target allow-list.

The signature is HMAC-SHA256 over the raw body with the subscription's secret, sent as
``X-Mare-Signature: sha256=<hex>``. The body itself carries the delivery id and the Unix time it
was signed (also sent as ``X-Mare-Delivery`` and ``X-Mare-Timestamp``), so both are covered by
the signature: a receiver rejects a body older than a few minutes or a delivery id it has
already seen, and a captured request cannot be replayed later. (Signing the body alone, as
GitHub does, keeps receivers simple: one HMAC over the bytes they got.)
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

SIGNATURE_HEADER = "X-Mare-Signature"
TIMESTAMP_HEADER = "X-Mare-Timestamp"
DELIVERY_HEADER = "X-Mare-Delivery"
#: How old a signed body may be when checked (Stripe's default tolerance).
TOLERANCE_SECONDS = 300


def sign(secret: str, body: bytes) -> str:
    """Return the ``X-Mare-Signature`` value for ``body``."""
    mac = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def verify(secret: str, body: bytes, signature: str, now: float) -> bool:
    """Check a received body: right signature, and its ``timestamp`` within the tolerance.

    For receivers written in Python (and the tests); constant-time comparison.
    """
    if not hmac.compare_digest(sign(secret, body), signature):
        return False
    try:
        sent = float(json.loads(body)["timestamp"])
    except (ValueError, KeyError, TypeError):
        return False
    return abs(now - sent) <= TOLERANCE_SECONDS


def has_dot_segments(path: str) -> bool:
    """Return whether a URL path climbs or stays (``..``, ``.``), however it is encoded.

    Clients resolve dot segments before sending (RFC 3986, 5.2.4) and servers decode ``%2e``
    and backslashes, so ``/hooks/../latest/meta-data`` under an allowed ``/hooks`` lands on
    ``/latest/meta-data``. A webhook target never needs one: such a URL is refused, not
    resolved, so the URL stored is the URL compared is the URL requested.
    """
    decoded = unquote(path).replace("\\", "/")
    return any(seg in (".", "..") for seg in decoded.split("/"))


@dataclass(frozen=True, slots=True)
class _Prefix:
    scheme: str
    host: str
    port: int
    path: str


def _split(url: str) -> _Prefix | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    if has_dot_segments(parts.path):
        return None
    default = 443 if parts.scheme == "https" else 80
    return _Prefix(parts.scheme, parts.hostname.lower(), port or default, parts.path or "/")


class Allowlist:
    """Target prefixes an admin allows (``MARE_WEBHOOK_ALLOWLIST``, comma-separated).

    A target is allowed when scheme, host and port equal an entry's and its path starts with
    the entry's path at a segment boundary; a path with dot segments is never allowed. Hosts
    compare as written (no DNS): the admin lists the names receivers use. Redirects are never
    followed, so an allowed host cannot hand a delivery on to one that is not.
    """

    def __init__(self, entries: str | list[str]) -> None:
        items = entries.split(",") if isinstance(entries, str) else entries
        self.entries = [p for p in (_split(e) for e in items if e.strip()) if p is not None]

    def __bool__(self) -> bool:
        return bool(self.entries)

    def allows(self, url: str) -> bool:
        target = _split(url)
        if target is None:
            return False
        for e in self.entries:
            if (e.scheme, e.host, e.port) != (target.scheme, target.host, target.port):
                continue
            base = e.path.rstrip("/")
            if not base or target.path == base or target.path.startswith(base + "/"):
                return True
        return False
