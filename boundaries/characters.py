"""Invisible characters in names: bidi controls and other control characters.

A U+202E (right-to-left override) in an estate name makes "evil" read as "live" in a table, an ESC
recolours a terminal, a tab or line break shifts a spreadsheet row. They are almost always typing or
conversion accidents, sometimes deliberate; either way the reviewer must hear of them, so ``inspect``
reports each one, naming the layer, the feature and the code point, instead of passing it on silently.
"""
from __future__ import annotations

import unicodedata

import pandas as pd

from boundaries.errors import Problem

# explicit bidi embeddings/overrides (U+202A–U+202E), isolates (U+2066–U+2069) and marks (LRM, RLM, ALM)
BIDI_CONTROLS = frozenset(map(chr, (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)))
_LINE_BREAKS = frozenset({"Zl", "Zp"})  # U+2028, U+2029
_PER_COLUMN = 10  # features named one by one per layer column; the rest are counted


def hidden_characters(text: str) -> list[str]:
    """The bidi and control characters in ``text``, each as "U+202E RIGHT-TO-LEFT OVERRIDE", in order."""
    found = []
    for char in text:
        category = unicodedata.category(char)
        if char in BIDI_CONTROLS or category == "Cc" or category in _LINE_BREAKS:
            name = unicodedata.name(char, "control character")
            label = f"U+{ord(char):04X} {name}"
            if label not in found:
                found.append(label)
    return found


def hidden_character_problems(layers) -> list[Problem]:
    """A warning for every name (any text column) and field name holding a bidi or control character."""
    out: list[Problem] = []
    for role in ("communities", "estates", "population", "roads", "facilities"):
        frame = getattr(layers, role)
        if frame is None:
            continue
        for column in frame.columns:
            if column == frame.geometry.name:
                continue
            if hidden_characters(str(column)):
                out.append(Problem("warning", role, None,
                                   f"field name {str(column)!r} contains {', '.join(hidden_characters(str(column)))}",
                                   "rename the field without control characters"))
            if not (pd.api.types.is_object_dtype(frame[column]) or pd.api.types.is_string_dtype(frame[column])):
                continue
            out += _column_problems(role, column, frame[column])
    return out


def _column_problems(role: str, column: str, values: pd.Series) -> list[Problem]:
    out: list[Problem] = []
    hits = 0
    for row, value in enumerate(values):
        if not isinstance(value, str):
            continue
        found = hidden_characters(value)
        if not found:
            continue
        hits += 1
        if hits <= _PER_COLUMN:
            # the feature is named as repr() would show it, so the report itself hides nothing
            out.append(Problem("warning", role, f"{value!r} (row {row + 1})",
                               f"{column} contains {', '.join(found)}: invisible, or it reorders or recolours "
                               "the text around it",
                               "retype the text without it; the outputs keep the text as given"))
    if hits > _PER_COLUMN:
        out.append(Problem("warning", role, None,
                           f"{hits - _PER_COLUMN} more features have bidi/control characters in {column}",
                           "see the features listed above; fix them in the source file"))
    return out
