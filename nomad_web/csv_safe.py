"""CSV files the product writes, with no cell a spreadsheet would run as a formula.

A prospect named ``=HYPERLINK(…)`` or ``+1+1`` would reach Excel as a formula. As OWASP
advises, a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is written with a single quote in front, which the spreadsheet shows as plain text.
Every CSV the product writes goes through ``csv_writer``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """``value`` as the text of one cell, quoted with ``'`` when it could be a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class SafeCsvWriter:
    """``csv.writer`` whose rows are neutralised cell by cell; ``writerow`` returns as it does."""

    def __init__(self, file: Any, **options: Any) -> None:
        self._writer = csv.writer(file, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_cell(value) for value in row])


def csv_writer(file: Any, **options: Any) -> SafeCsvWriter:
    return SafeCsvWriter(file, **options)
