"""Ship type words and families for the API: the one mapping lives in `geo.shiptypes`."""

from __future__ import annotations

from geo.shiptypes import FAMILIES, ship_family, ship_type_text

__all__ = ["FAMILIES", "ship_family", "ship_type_text"]
