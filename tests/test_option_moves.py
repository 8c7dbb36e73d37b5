"""`--options 2` on the sample: the options differ in the community of at least --option-difference of
the residents (checked here by trying every relabelling), and the report says what moves."""
from __future__ import annotations

import itertools
import json

import pandas as pd

from redistrict.pipeline import run_split


def test_options_differ_by_the_share_and_the_report_says_what_moves(sample_config, tmp_path):
    config = sample_config.with_overrides(out=str(tmp_path / "out"), options=2, time_limit_s=4.0,
                                          option_difference=0.15)
    result = run_split(config)
    assert len(result.options) == 2
    table = pd.read_csv(result.out_dir / "assignment.csv", encoding="utf-8-sig", dtype={"unit_id": str})
    first, second = (table[table["option"] == n].set_index("unit_id") for n in (1, 2))
    people = first["population"].astype(float)
    total = people.sum()
    labels = sorted(second["district"].unique())
    kept = max(people[second.loc[people.index, "district"].map(dict(zip(labels, perm))) == first["district"]].sum()
               for perm in itertools.permutations(sorted(first["district"].unique())))
    moved = total - kept
    assert moved >= 0.15 * total
    metrics = result.options[1].metrics
    assert metrics["residents_moved"] == round(moved)
    assert metrics["estates_moved"] > 0 and metrics["estates_moved_names"]
    report = (result.out_dir / "report.html").read_text(encoding="utf-8")
    assert "residents moved vs option 1" in report and f"{round(moved):,}" in report
    page = (result.out_dir / "map.html").read_text(encoding="utf-8")
    shown = page[page.index('data-testid="moves-2"'):]
    assert f"vs option 1: {round(moved):,} residents, {metrics['estates_moved']} estates moved" in shown[:2000]
    assert 'data-testid="moves-1"' not in page
    run = json.loads((result.out_dir / "run.json").read_text(encoding="utf-8"))
    assert run["scenario"]["run"]["option_difference"] == 0.15
