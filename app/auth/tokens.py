"""Bearer tokens: 32 random bytes shown once, only their SHA-256 kept.

A token has 256 bits of entropy, so a fast hash is enough (no salt or argon2 needed: nothing
to brute-force); a stolen database gives no usable token. The prefix tells token kinds apart
in logs and secret scanners without revealing anything.
"""

from __future__ import annotations

import hashlib
import secrets

LOGIN_PREFIX = "mare_s_"
API_PREFIX = "mare_t_"


def new_token(prefix: str = LOGIN_PREFIX) -> str:
    """Return a fresh random token (URL-safe, 43 characters after the prefix)."""
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Return the form stored at rest: hex SHA-256 of the whole token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
