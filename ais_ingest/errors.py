"""Exceptions of the ingest package; the API and CLI map them to clear messages."""


class IngestError(Exception):
    """Base of every error the ingest package raises on purpose."""


class SourceURLError(IngestError):
    """A source URL that cannot be understood (scheme, host, port or option)."""


class SourceError(IngestError):
    """A source that cannot be opened or read (file missing, port in use, ...)."""


class TableError(IngestError):
    """A decoded table (CSV, JSON lines) that cannot be read as positions: a column is missing."""


class PackingError(SourceError, OSError):
    """A packed file that cannot be unpacked as one capture (a zip of several files, damaged).

    An `OSError` too, as a file that cannot be opened is: every reader that says "cannot read"
    for one says it for this (the forked decoding children send their OSErrors to the parent).
    """
