"""Text for CSV files that managers open in a spreadsheet: typed text must never run as a formula there."""

from __future__ import annotations

#: What makes a spreadsheet read a cell as a formula (or a command) rather than text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: str | None) -> str:
    """Text as a cell that a spreadsheet shows and never runs (a note like "=HYPERLINK(...)" stays text).

    Only for text people typed or names: amounts are written as plain numbers and may start with "-"."""
    value = value or ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
