"""Cutting a byte stream into text lines, whatever the reads look like.

Network reads and file chunks end anywhere: in the middle of a sentence, between the CR and the
LF of a CRLF. Feeds also carry garbage (a serial line at the wrong baud rate sends bytes and no
newline for ever), so a line is capped: past ``max_line`` characters the rest of it is dropped
until the next line ending, which keeps memory bounded on any input.
"""

from __future__ import annotations

#: An NMEA 0183 sentence is at most 82 characters; with a tag block, USCG metadata and a
#: leading timestamp real lines stay under 300. 4 KiB leaves room for anything sane and makes
#: the worst case per connection small.
MAX_LINE = 4096


class LineSplitter:
    """Incremental splitter: bytes in, complete lines (without endings) out.

    Line endings are LF, CRLF or a lone CR (bytes.splitlines' set, minus nothing). Bytes are
    ASCII; anything else becomes U+FFFD, since a sentence with such bytes is garbage anyway and
    must still be counted downstream rather than raise here. Empty lines are kept, so a file
    yields as many lines as ``wc -l`` (plus an unterminated last one) would say.
    """

    __slots__ = ("_pending", "_skip_lf", "_discarding", "max_line", "truncated")

    def __init__(self, max_line: int = MAX_LINE) -> None:
        if max_line < 1:
            raise ValueError("max_line must be positive")
        self.max_line = max_line
        self._pending = ""
        self._skip_lf = False
        self._discarding = False
        #: How many lines were cut to ``max_line``.
        self.truncated = 0

    def feed(self, data: bytes) -> list[str]:
        """Return the lines completed by ``data``; keep the unterminated rest for later."""
        if not data:
            return []
        text = data.decode("ascii", "replace")
        if self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
                if not text:
                    return []
        # A CR at the end may be the first half of a CRLF whose LF is in the next read.
        self._skip_lf = text[-1] == "\r"
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        parts = text.split("\n")
        rest = parts.pop()
        if parts:
            first = parts[0]
            if self._discarding:
                # The head of this read ends a line that was already emitted, truncated.
                parts.pop(0)
                self._discarding = False
            elif self._pending:
                parts[0] = self._pending + first
            self._pending = ""
            cap = self.max_line
            for i, line in enumerate(parts):
                if len(line) > cap:
                    parts[i] = line[:cap]
                    self.truncated += 1
        if self._discarding:
            return parts
        pending = self._pending + rest
        if len(pending) > self.max_line:
            # Over-long with no ending in sight: emit the head once, drop the rest up to the
            # next line ending.
            parts.append(pending[: self.max_line])
            self.truncated += 1
            self._pending = ""
            self._discarding = True
        else:
            self._pending = pending
        return parts

    def flush(self) -> list[str]:
        """Return the unterminated last line, if any (end of file or of connection)."""
        pending, self._pending = self._pending, ""
        self._skip_lf = False
        self._discarding = False
        return [pending] if pending else []


def split_datagram(data: bytes, max_line: int = MAX_LINE) -> list[str]:
    """Return the lines of one datagram; the last one needs no line ending.

    Senders (AIS-catcher, rtl-ais, OpenCPN) put whole sentences in each datagram, one or
    several, with or without a final CRLF; a datagram never continues the previous one.
    """
    splitter = LineSplitter(max_line)
    lines = splitter.feed(data)
    lines.extend(splitter.flush())
    return lines
