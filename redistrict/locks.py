"""``--lock FILE``: a planner's local knowledge as a table of ``name`` (estate name or unit id) and
``community`` (a label). Units with one label must end in one new community, units with different labels
in different ones; the labels are the planner's words and only group the rows.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from redistrict.errors import UsageError
from redistrict.tables import UnitNames, find_column, read_table

FLAG = "--lock"
NAME_COLUMNS = ("name", "unit_id", "名称", "小区", "小区名称", "estate")
LABEL_COLUMNS = ("community", "label", "lock", "district", "新社区", "社区", "锁定")


def read_locks(path: str | Path, units: pd.DataFrame, *, encoding: str | None = None) -> dict[str, str]:
    """{unit id: label}; UsageError naming the row for an unknown or ambiguous name, a blank label, or a
    unit given two labels."""
    path = Path(path)
    table = read_table(path, flag=FLAG, encoding=encoding)
    name_col, label_col = find_column(table, NAME_COLUMNS), find_column(table, LABEL_COLUMNS)
    if name_col is None or label_col is None:
        raise UsageError(f"{FLAG} {path}: needs the columns name (estate name or unit_id) and community "
                         f"(a label); found {', '.join(map(repr, table.columns)) or 'no columns'}")
    lookup = UnitNames.of(units)
    locks: dict[str, str] = {}
    row_of: dict[str, int] = {}
    for i in table.index:
        row = i + 2  # the header is row 1, as a spreadsheet counts
        name, label = table.at[i, name_col], table.at[i, label_col]
        if not name and not label:
            continue
        where = f"{FLAG} {path.name} row {row}"
        uid = lookup.resolve(name, where=where)
        if not label:
            raise UsageError(f"{where}: {name!r} has no community label")
        if uid in locks and locks[uid] != label:
            raise UsageError(f"{where}: {name!r} is locked to {label!r}, but row {row_of[uid]} locks it to "
                             f"{locks[uid]!r}")
        locks[uid] = label
        row_of.setdefault(uid, row)
    if not locks:
        raise UsageError(f"{FLAG} {path}: holds no rows")
    return locks
