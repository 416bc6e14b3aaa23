"""Password hashing with argon2id (RFC 9106), the OWASP-recommended password hash.

argon2-cffi's defaults (time cost 3, 64 MiB, 4 lanes) are its RFC 9106 "low memory" profile;
tests may lower them through `hasher_for_tests` to keep the suite fast, never production.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()

#: Minimum length of a password set through the API or CLI (NIST SP 800-63B asks for 8).
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    """Return the argon2id hash string (parameters and salt included)."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches; a malformed stored hash is a mismatch, never an error."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def use_fast_hasher() -> None:
    """Switch to minimal argon2 costs: for test suites only, where hashing time is pure waste."""
    global _hasher
    _hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
