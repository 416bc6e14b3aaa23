"""Row ids as text arrives with them (a path, a header): which strings can name a row.

The tables' ids are 32-bit integers on PostgreSQL; a larger number names nothing and must not
reach the driver (it raised ``NumericValueOutOfRange``, a 500). ``str.isdigit`` is not the test:
it is true for ``"²"`` and other Unicode digits that ``int`` refuses.
"""

from __future__ import annotations

#: The largest id a table holds.
MAX_ID = 2**31 - 1


def is_digits(text: str) -> bool:
    """Return whether ``text`` is ASCII digits only (what ``int`` reads as a plain number)."""
    return text.isascii() and text.isdigit()


def row_id(text: str) -> int | None:
    """Return the row id ``text`` stands for, None if it cannot be one."""
    text = text.strip()
    if not is_digits(text) or len(text) > 10 or int(text) > MAX_ID:
        return None
    return int(text)
