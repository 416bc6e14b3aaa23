"""A batch command's exit without the interpreter's teardown.

A batch command (``mare decode``, ``detect``, ``ingest``) has written and closed its outputs
when it returns; what was left of its run was the interpreter's teardown: a last collection of
the reference cycles its run left (33k objects after ``mare detect`` of bench.cli's real
capture), then every module and object freed one by one, memory the kernel takes back at once
when the process ends. That was 0.02-0.04 s of ``mare detect`` on bench.cli's captures, 2-3 %
of the run. `exit_now` ends the process as the interpreter's own exit would, without it: the
exit handlers run (`atexit`: logging's flush, multiprocessing's wait for its children), stdout
and stderr are flushed, and the exit status is `sys.exit`'s (120 when stdout could not be
flushed, as CPython's).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

#: CPython's exit status when flushing stdout or stderr at exit failed (`Py_RunMain`).
FLUSH_FAILED = 120


def exit_status(code: object) -> int:
    """Return the status `sys.exit` gives ``code``; a message (not an int) is printed first.

    Examples
    --------
    >>> exit_status(None), exit_status(3), exit_status(True)
    (0, 3, 1)
    """
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def exit_now(code: object = None) -> NoReturn:
    """End the process now with `sys.exit`'s status for ``code`` (module docstring).

    With a thread of the program's still running, the interpreter's exit is kept: it waits
    for that thread, which `os._exit` would cut short.
    """
    if any(
        t.is_alive() and not t.daemon
        for t in threading.enumerate()
        if t is not threading.main_thread()
    ):
        raise SystemExit(code)
    status = exit_status(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None or getattr(stream, "closed", True):
            continue
        try:
            stream.flush()
        except (OSError, ValueError):
            status = FLUSH_FAILED
    os._exit(status)
