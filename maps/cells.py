"""Spreadsheet cells that cannot run as formulas (OWASP "CSV injection").

Excel, WPS and LibreOffice read a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula, so a name such as ``=HYPERLINK(…)`` from the user's data would run when a reviewer
opens the CSV. Such a *text* cell is written with a leading single quote, which the spreadsheet shows as
text. Numbers are not text: an int or float (``-5``) is written as the number it is.
"""
from __future__ import annotations

from numbers import Number
from typing import Any, Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> Any:
    """``value`` for a CSV writer: text that a spreadsheet would read as a formula gets a ``'`` prefix;
    numbers, booleans and None pass unchanged."""
    if value is None or isinstance(value, (Number, bool)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def spreadsheet_row(values: Iterable[Any]) -> list[Any]:
    return [spreadsheet_cell(v) for v in values]
