"""Hints in the command's words. ``boundaries`` is a Python library and states fixes as its keyword
arguments (``source_crs='EPSG:4547'``, ``datum={'population': 'gcj02'}``); on the command line the same
fix is a flag (``--crs estates=EPSG:4547``, ``--datum population=gcj02``). This module rewrites the first
into the second when the CLI prints a problem."""
from __future__ import annotations

import ast
import re
from typing import Any

from redistrict.config import LAYERS

_KEYWORD = re.compile(r"\b(source_crs|encoding|datum|fields)=(?=[{'\"])")


def as_flags(text: str, *, layer: str | None = None) -> str:
    """``text`` with every ``keyword=<python literal>`` the library suggests written as the CLI flag(s)."""
    out, position = [], 0
    for match in _KEYWORD.finditer(text):
        if match.start() < position:
            continue
        literal, end = _literal_at(text, match.end())
        flags = _flags(match.group(1), literal, layer) if end else None
        if flags is None:
            continue
        out += [text[position:match.start()], flags]
        position = end
    return "".join(out) + text[position:]


def _literal_at(text: str, start: int) -> tuple[Any, int]:
    """The shortest Python literal starting at ``start`` (and where it ends), or (None, 0)."""
    for end in range(start + 1, min(len(text), start + 400) + 1):
        if text[end - 1] not in "}'\"":
            continue
        try:
            return ast.literal_eval(text[start:end]), end
        except (ValueError, SyntaxError):
            continue
    return None, 0


def _flags(keyword: str, value: Any, layer: str | None) -> str | None:
    if keyword == "encoding" and isinstance(value, str):
        return f"--encoding {value}"
    if keyword == "source_crs" and isinstance(value, str):
        return f"--crs {layer if layer in LAYERS else 'LAYER'}={value}"
    if keyword == "datum" and isinstance(value, dict):
        return " ".join(f"--datum {k}={v}" for k, v in value.items())
    if keyword == "fields" and isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
        return " ".join(f"--field {name}:{source}={target}" for name, mapping in value.items()
                        for source, target in mapping.items())
    return None
