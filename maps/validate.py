"""Check what the caller handed over before anything is written: every problem at once, each naming
the option (方案) and the column, with what to do."""
from __future__ import annotations

from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from maps.errors import OutputError
from maps.model import Context, Proposal

UNIT_COLUMNS = ("unit_id", "kind", "name", "estate_id", "population", "households", "district")
ESTATE_COLUMNS = ("estate_id", "name")


def check_inputs(proposals: Sequence[Proposal], context: Context) -> None:
    """Raise one ``OutputError`` listing every problem found, or return None."""
    problems: list[str] = []
    if not isinstance(context, Context):
        raise OutputError(f"context must be a maps.Context, got {type(context).__name__}")
    if isinstance(proposals, Proposal) or not isinstance(proposals, Sequence):
        raise OutputError("proposals must be a sequence of maps.Proposal (the recommended one first)")
    if len(proposals) == 0:
        raise OutputError("no proposal to write: pass at least one maps.Proposal")
    problems += _check_crs(context)
    problems += _check_frame(context.boundary, "context.boundary", ())
    problems += _check_frame(context.estates, "context.estates", ESTATE_COLUMNS, allow_empty=True)
    if context.roads is not None:
        problems += _check_frame(context.roads, "context.roads", (), allow_empty=True)
    if context.facilities is not None:
        problems += _check_frame(context.facilities, "context.facilities", (), allow_empty=True)
    for number, proposal in enumerate(proposals, start=1):
        where = f"proposal {number} ({getattr(proposal, 'label', '?')})"
        if not isinstance(proposal, Proposal):
            problems.append(f"{where}: expected maps.Proposal, got {type(proposal).__name__}")
            continue
        problems += _check_units(proposal, where)
    if problems:
        raise OutputError("cannot write the outputs:\n" + "\n".join(f"  - {p}" for p in problems))


def _check_crs(context: Context) -> list[str]:
    try:
        crs = pyproj.CRS.from_user_input(context.crs)
    except (pyproj.exceptions.CRSError, TypeError) as error:
        return [f"context.crs {context.crs!r} is not a CRS ({error}); pass the projected CRS, e.g. EPSG:4547"]
    if not crs.is_projected:
        return [f"context.crs {crs.to_string()} is not projected: areas and 四至 need metres; "
                "pass the run's projected CRS (e.g. EPSG:4547)"]
    return []


def _check_frame(frame: object, where: str, columns: Sequence[str], *, allow_empty: bool = False) -> list[str]:
    if not isinstance(frame, gpd.GeoDataFrame):
        return [f"{where} must be a GeoDataFrame, got {type(frame).__name__}"]
    problems = []
    if frame.crs is None:
        problems.append(f"{where} has no CRS: set it (frame.set_crs(...)) to the run's projected CRS")
    if not allow_empty and frame.empty:
        problems.append(f"{where} is empty")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        problems.append(f"{where} lacks column(s) {', '.join(missing)}")
    return problems


def _check_units(proposal: Proposal, where: str) -> list[str]:
    units = proposal.units
    problems = _check_frame(units, f"{where}: units", UNIT_COLUMNS)
    if problems and not isinstance(units, gpd.GeoDataFrame):
        return problems
    if "unit_id" in units.columns:
        duplicated = units["unit_id"][units["unit_id"].duplicated()].astype(str).unique()
        if len(duplicated):
            problems.append(f"{where}: unit_id repeated: {', '.join(sorted(duplicated)[:10])}")
    if "district" in units.columns:
        district = pd.to_numeric(units["district"], errors="coerce")
        bad = units.loc[district.isna() | (district < 1) | (district != np.floor(district)), "unit_id"
                        if "unit_id" in units.columns else "district"]
        if len(bad):
            problems.append(f"{where}: district must be an integer >= 1 on every unit; not so for "
                            f"{', '.join(map(str, bad.astype(str).tolist()[:10]))}")
    for column in ("population", "households"):
        if column in units.columns:
            values = pd.to_numeric(units[column], errors="coerce")
            if values.isna().any() or (values < 0).any():
                problems.append(f"{where}: units.{column} must be numbers >= 0 (fill missing values with 0)")
    empty = units.geometry.isna() | units.geometry.is_empty
    if empty.any():
        ids = units.loc[empty, "unit_id"].astype(str).tolist() if "unit_id" in units.columns else []
        problems.append(f"{where}: unit(s) without geometry: {', '.join(ids[:10])}")
    return problems
