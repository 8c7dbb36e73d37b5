"""Estates whose outlines were derived from points (``approximate``) are drawn dashed on the map, named
in its notes, counted per new community in the report and exported with the flag."""
from __future__ import annotations

import pyogrio

import maps
import maps_fixtures as fx


def approximate_context() -> maps.Context:
    ctx = fx.context()
    estates = ctx.estates.copy()
    estates["approximate"] = [i % 2 == 0 for i in range(len(estates))]
    estates["geometry_source"] = ["derived from point: test" if a else "drawn" for a in estates["approximate"]]
    return maps.Context(**{**ctx.__dict__, "estates": estates})


def test_approximate_estates_are_dashed_noted_counted_and_exported(tmp_path):
    ctx = approximate_context()
    flagged = int(ctx.estates["approximate"].sum())
    assert 0 < flagged < len(ctx.estates)
    fx.write(tmp_path, proposals=[fx.proposal(1)], ctx=ctx)
    page = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert page.count('"dashArray": "4 3"') == flagged
    assert "Dashed estates: outlines derived from points (approximate)" in page
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "estates with outlines derived from points (approximate)" in report
    estates = pyogrio.read_dataframe(tmp_path / "plan.gpkg", layer="estates")
    assert int(estates["approximate"].sum()) == flagged
    assert set(estates["geometry_source"]) == {"derived from point: test", "drawn"}


def test_no_mark_without_the_column(tmp_path):
    fx.write(tmp_path, proposals=[fx.proposal(1)])
    assert '"dashArray": "4 3"' not in (tmp_path / "map.html").read_text(encoding="utf-8")
    assert "derived from points" not in (tmp_path / "report.html").read_text(encoding="utf-8")
