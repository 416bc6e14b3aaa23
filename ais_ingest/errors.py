"""Exceptions of the ingest package; the API and CLI map them to clear messages."""


class IngestError(Exception):
    """Base of every error the ingest package raises on purpose."""


class SourceURLError(IngestError):
    """A source URL that cannot be understood (scheme, host, port or option)."""


class SourceError(IngestError):
    """A source that cannot be opened or read (file missing, port in use, ...)."""


class TableError(IngestError):
    """A decoded table (CSV, JSON lines) that cannot be read as positions: a column is missing."""
