"""Exceptions of the store; the API and CLI turn each into one clear line."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error the store raises on purpose."""


class StoreURLError(StoreError):
    """A database URL that is neither ``postgresql://...`` nor ``sqlite:///...``."""


class StoreUnavailable(StoreError):
    """The database cannot be reached (down at start, or lost and not back after the retries).

    Raised only after the retries are spent; whatever the failed call was writing is not stored
    (its transaction never committed), so the caller may retry the same batch later.
    """


class SchemaOutOfDate(StoreError):
    """The PostGIS schema is behind this version of Mare: run ``mare db upgrade``."""


class ZoneInvalid(StoreError):
    """A zone refused before anything was written, with its id and the reason."""

    def __init__(self, zone_id: str, reason: str) -> None:
        super().__init__(f"zone {zone_id!r} is invalid: {reason}")
        self.zone_id = zone_id
        self.reason = reason


class NotFound(StoreError):
    """A row asked for by id that does not exist."""


class AlreadyExists(StoreError):
    """A row whose natural key is taken (a username, say): the caller's conflict, not a bug."""


class InvalidTransition(StoreError):
    """An alert state change the lifecycle does not allow (resolved is final)."""


class LastAdmin(InvalidTransition):
    """A change that would leave no enabled admin (nobody could manage users any more)."""
