"""What every test run shares: the processes tests start run this checkout's code.

The ``mare`` console script of an editable install imports Mare from the checkout it was
installed from, so a worktree's tests that start ``mare`` (the CLI, the bus workers, the
servers) ran the main checkout's code, not the change under test. PYTHONPATH puts this
checkout first for every child process; an installed wheel's test clears it.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
)
