"""CSV files that people open in a spreadsheet: no cell is run as a formula (an attendee
registered as "=HYPERLINK(...)" stays text), and exports meant for Excel start with the
byte-order mark it needs to read UTF-8."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

BOM = "\ufeff"
# What makes a spreadsheet read a cell as a formula (OWASP's list, and a leading newline).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: object) -> object:
    """Text that starts like a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class CsvLines:
    """Formats one CSV row at a time (the csv module's quoting, UTF-8), every cell safe."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")

    def text(self, values: Sequence[object]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow([safe_cell(value) for value in values])
        return self._buffer.getvalue()

    def line(self, values: Sequence[object]) -> bytes:
        return self.text(values).encode("utf-8")
