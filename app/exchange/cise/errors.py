"""Exceptions of the CISE exchange; the CLI and the API turn each into one clear message."""

from __future__ import annotations


class CiseError(Exception):
    """Base of every error the CISE exchange raises on purpose."""


class CiseSchemaError(CiseError):
    """A document the CISE schemas refuse (or XML that does not parse), with where and why.

    ``path`` is the element's path in the document (``/Vessel/IMONumber``) when known; the
    message names it and the schema's reason, so a partner can fix its sender.
    """

    def __init__(self, reason: str, path: str | None = None) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.reason = reason
        self.path = path
