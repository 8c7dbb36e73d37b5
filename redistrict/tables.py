"""Tables a planner edits by hand (an assignment, a lock list): read whatever Excel saved, and turn each
row's name into a unit of the community.

Excel saves CSV as UTF-8 with a BOM, or in the system code page (GBK on Chinese Windows); both are read
(``boundaries.encoding`` decides, never Latin-1). A row names a unit by its ``unit_id`` or by its name
(an estate's or block's name as ``assignment.csv`` shows it); a name that is no unit, or that two units
share, stops the run naming the file and the row, as a spreadsheet user counts rows (header = row 1).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd
import pyogrio

from boundaries.encoding import EncodingUnknown, detect_text_file
from redistrict.errors import UsageError

TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
SHEET_SUFFIXES = {".xlsx", ".xls", ".ods"}


def _norm(column: object) -> str:
    return re.sub(r"[\s_\-()（）]", "", str(column)).lower()


def read_table(path: Path, *, flag: str, encoding: str | None = None) -> pd.DataFrame:
    """All cells as stripped text ('' for blanks); the header row is row 1."""
    if not path.is_file():
        raise UsageError(f"{flag} {path}: file not found")
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        try:
            detected = detect_text_file(path, stated=encoding)
        except EncodingUnknown as exc:
            raise UsageError(f"{flag} {path}: {exc}") from None
        try:
            text = path.read_bytes().decode(detected.encoding or "utf-8")
        except (UnicodeDecodeError, LookupError) as exc:
            raise UsageError(f"{flag} {path}: cannot be read as {detected.encoding} ({exc}); "
                             "give the file's encoding with --encoding") from None
        try:
            delimiter = csv.Sniffer().sniff(text[:20000], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = "\t" if suffix == ".tsv" else ","
        try:
            table = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise UsageError(f"{flag} {path}: not a readable table ({exc})") from None
    elif suffix in SHEET_SUFFIXES:
        try:
            # the first row is the header even when every cell is text (GDAL's guess would miss it)
            table = pd.DataFrame(pyogrio.read_dataframe(path, read_geometry=False, HEADERS="FORCE"))
        except Exception as exc:
            raise UsageError(f"{flag} {path}: cannot open the spreadsheet ({exc}); save it as CSV") from None
    else:
        raise UsageError(f"{flag} {path}: expected a CSV or XLSX table")
    table.columns = [str(c).strip() for c in table.columns]
    return table.map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v).strip())


def find_column(table: pd.DataFrame, aliases: Sequence[str]) -> str | None:
    """The first column whose normalised name is one of ``aliases`` (in the aliases' order)."""
    by_norm: dict[str, str] = {}
    for column in table.columns:
        by_norm.setdefault(_norm(column), column)
    for alias in aliases:
        if _norm(alias) in by_norm:
            return by_norm[_norm(alias)]
    return None


@dataclass(frozen=True)
class UnitNames:
    """Resolve a cell to a unit id: a unit id first, else a unit's name (estate or block)."""

    ids: frozenset[str]
    by_name: Mapping[str, tuple[str, ...]]

    @classmethod
    def of(cls, units: pd.DataFrame) -> "UnitNames":
        by_name: dict[str, list[str]] = {}
        for uid, name in zip(units["unit_id"].astype(str), units["name"].astype(str)):
            by_name.setdefault(name.strip(), []).append(uid)
        return cls(frozenset(units["unit_id"].astype(str)), {k: tuple(sorted(v)) for k, v in by_name.items()})

    def resolve(self, text: str, *, where: str) -> str:
        if text in self.ids:
            return text
        found = self.by_name.get(text, ())
        if len(found) == 1:
            return found[0]
        if not text:
            raise UsageError(f"{where}: the name is empty")
        if found:
            raise UsageError(f"{where}: {text!r} names {len(found)} units ({', '.join(found[:5])}); "
                             "give the unit_id instead")
        raise UsageError(f"{where}: {text!r} is neither a unit_id nor the name of an estate or block of this "
                         "community (names as in assignment.csv)")
