"""The typeface of every PDF Mare writes: DejaVu Sans, embedded.

The PDF standard fonts (Helvetica and friends) cover Latin-1 only, so a Libyan vessel's
Arabic name, a Greek call sign or a note in Maltese printed as black boxes. DejaVu Sans is the
TrueType font matplotlib ships (a dependency already, nothing to find on the system) and covers
those scripts; reportlab embeds the subset used, and in ``invariant`` mode the bytes stay the
same from run to run.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import matplotlib
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"


@cache
def register() -> None:
    """Make FONT and BOLD known to reportlab (once a process; before any drawing)."""
    base = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(base / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(base / "DejaVuSans-Bold.ttf")))
