"""The independent verifier catches every broken rule (hand-drawn graphs)."""
from __future__ import annotations

import pytest

from solver import Spec, verify
from solver_fixtures import path_graph


@pytest.fixture
def row():
    """a(10) — b(10) — c(10) — d(10)"""
    return path_graph([10, 10, 10, 10])


def test_valid_plan_has_no_problems(row):
    assert verify(row, Spec(max_population=20), {"a": 1, "b": 1, "c": 2, "d": 2}) == []


def test_missing_and_extra_units(row):
    problems = verify(row, Spec(max_population=40), {"a": 1, "b": 1, "c": 1, "zz": 1})
    assert any("not units of the graph: zz" in p for p in problems)
    assert any("have no district: d" in p for p in problems)


def test_numbering_must_be_one_to_k(row):
    problems = verify(row, Spec(max_population=40), {"a": 1, "b": 1, "c": 3, "d": 3})
    assert any("numbered 1..2" in p for p in problems)


def test_non_integer_district(row):
    problems = verify(row, Spec(max_population=40), {"a": 1, "b": 1, "c": 1, "d": "1"})
    assert any("not an integer" in p for p in problems)


def test_cap_and_floor(row):
    problems = verify(row, Spec(max_population=25, min_population=15), {"a": 1, "b": 1, "c": 1, "d": 2})
    assert any("district 1 has 30 population, above the cap 25" in p for p in problems)
    assert any("district 2 has 10 population, below the floor 15" in p for p in problems)


def test_contiguity(row):
    problems = verify(row, Spec(max_population=40), {"a": 1, "b": 2, "c": 2, "d": 1})
    assert any("district 1 is not contiguous" in p for p in problems)


def test_district_count_must_match_spec(row):
    problems = verify(row, Spec(max_population=40, districts=3), {"a": 1, "b": 1, "c": 2, "d": 2})
    assert any("asks for 3" in p for p in problems)


def test_groups_whole(row):
    row.nodes["b"]["group"] = "G1"
    row.nodes["c"]["group"] = "G1"
    problems = verify(row, Spec(max_population=40), {"a": 1, "b": 1, "c": 2, "d": 2})
    assert problems == ["group 'G1' is split between districts [1, 2]"]


def test_facility_required(row):
    row.nodes["a"]["facility"] = 1
    problems = verify(row, Spec(max_population=40, require_facility=True), {"a": 1, "b": 1, "c": 2, "d": 2})
    assert problems == ["district 2 has no service facility"]


def test_distinct_from_ignores_relabelling(row):
    old = {"a": 1, "b": 1, "c": 2, "d": 2}
    spec = Spec(max_population=40, distinct_from=(old,))
    assert any("exactly as earlier plan 1" in p for p in verify(row, spec, {"a": 2, "b": 2, "c": 1, "d": 1}))
    assert verify(row, spec, {"a": 1, "b": 2, "c": 2, "d": 2}) == []
