"""What write_outputs refuses, all problems at once, naming the option and the column."""

import pytest

import maps_fixtures as fx

import maps


def with_units(units, option=1):
    return maps.Proposal(**{**fx.proposal(option).__dict__, "units": units})


def test_no_proposal(tmp_path):
    with pytest.raises(maps.OutputError, match="no proposal to write"):
        maps.write_outputs(tmp_path, [], fx.context())


def test_a_single_proposal_not_in_a_list(tmp_path):
    with pytest.raises(maps.OutputError, match="sequence of maps.Proposal"):
        maps.write_outputs(tmp_path, fx.proposal(1), fx.context())


def test_geographic_crs_is_refused(tmp_path):
    ctx = maps.Context(**{**fx.context().__dict__, "crs": "EPSG:4326"})
    with pytest.raises(maps.OutputError, match="not projected: areas and 四至 need metres"):
        maps.write_outputs(tmp_path, [fx.proposal(1)], ctx)


def test_every_problem_is_listed_at_once(tmp_path):
    units = fx.assigned(1).drop(columns=["households"])
    units.loc[0, "district"] = 0
    second = fx.assigned(2)
    second.loc[3, "unit_id"] = second.loc[2, "unit_id"]
    with pytest.raises(maps.OutputError) as caught:
        maps.write_outputs(tmp_path, [with_units(units), with_units(second, 2)], fx.context())
    message = str(caught.value)
    assert "proposal 1 (方案一): units lacks column(s) households" in message
    assert "district must be an integer >= 1" in message and "E1" in message
    assert "proposal 2 (方案二): unit_id repeated: B02" in message
    assert not (tmp_path / "plan.geojson").exists()  # nothing written


def test_negative_population_is_refused(tmp_path):
    units = fx.assigned(1)
    units.loc[1, "population"] = -5
    with pytest.raises(maps.OutputError, match="units.population must be numbers >= 0"):
        maps.write_outputs(tmp_path, [with_units(units)], fx.context())


def test_bad_base_map_fails_before_writing(tmp_path):
    with pytest.raises(maps.OutputError, match="unknown basemap"):
        maps.write_outputs(tmp_path, [fx.proposal(1)], fx.context(), basemap="baidu")
    assert list(tmp_path.iterdir()) == []


def test_output_error_is_a_value_error():
    assert issubclass(maps.OutputError, ValueError)


def test_missing_district_name_falls_back_to_a_number(tmp_path):
    proposal = fx.proposal(1, district_names={1: "东片"})
    written = maps.write_outputs(tmp_path, [proposal], fx.context())
    text = written["geojson"].read_text(encoding="utf-8")
    assert '"name":"东片"' in text and '"name":"新社区2"' in text
