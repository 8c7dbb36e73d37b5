"""GeoJSON, GeoPackage, CSV and Shapefile outputs read back with the same districts and numbers."""
import csv
import json

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import shape

import maps_fixtures as fx

import maps
from maps.files import truncate_utf8


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("files")
    written = fx.write(folder, shapefile=True)
    return folder, written


def expected(option):
    units = fx.assigned(option)
    return units.groupby("district")[["population", "households"]].sum()


def test_written_keys_and_files(out):
    folder, written = out
    for key in ("geojson", "geojson_option2", "gpkg", "csv", "map", "report", "shapefile_fields"):
        assert written[key].exists(), key
    assert written["geojson"] == folder / "plan.geojson"
    assert written["geojson_option2"] == folder / "plan_option2.geojson"


@pytest.mark.parametrize("option", [1, 2])
def test_geojson_reads_back_with_same_districts_and_populations(out, option):
    folder, _ = out
    path = folder / ("plan.geojson" if option == 1 else f"plan_option{option}.geojson")
    frame = gpd.read_file(path)
    assert frame.crs.to_epsg() == 4326
    want = expected(option)
    assert sorted(frame["district"].astype(int)) == sorted(want.index)
    for row in frame.itertuples():
        assert row.population == want.loc[row.district, "population"]
        assert row.households == want.loc[row.district, "households"]
        assert row.option == option
    assert {"name", "estates", "area_km2", "sizhi"} <= set(frame.columns)
    assert frame["area_km2"].sum() == pytest.approx(12 * 0.16, rel=1e-3)


def test_geojson_is_rfc7946(out):
    folder, _ = out
    collection = json.loads((folder / "plan.geojson").read_text(encoding="utf-8"))
    assert "crs" not in collection  # RFC 7946 drops the crs member: WGS84 is implied
    assert [f["id"] for f in collection["features"]] == [1, 2]
    for feature in collection["features"]:
        geometry = shape(feature["geometry"])
        assert geometry.is_valid
        assert geometry.exterior.is_ccw  # right-hand rule: exterior rings counter-clockwise
        lon, lat = geometry.representative_point().coords[0]
        assert 113.6 < lon < 113.9 and 22.9 < lat < 23.2  # Dongguan, lon/lat order
    estates = collection["features"][0]["properties"]["estates"]
    assert "翠湖花园" in estates and "、" in estates


def test_geopackage_layers_open_with_the_projected_crs(out):
    folder, _ = out
    path = folder / "plan.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert {"communities", "units", "estates", "boundary", "roads", "facilities",
            "communities_option2", "units_option2", "estates_option2"} <= layers
    for layer in layers:
        assert gpd.read_file(path, layer=layer).crs.to_epsg() == 4547, layer
    units = gpd.read_file(path, layer="units")
    assert {"unit_id", "kind", "name", "estate_id", "population", "households", "district"} <= set(units.columns)
    assert sorted(units["unit_id"]) == sorted(fx.unit_frame()["unit_id"])
    assert units["population"].sum() == fx.unit_frame()["population"].sum()
    communities = gpd.read_file(path, layer="communities")
    assert communities.geometry.area.sum() == pytest.approx(12 * 400 * 400)
    estates = gpd.read_file(path, layer="estates_option2")
    assert estates.set_index("estate_id").loc["E1", "district"] == 1
    assert estates.set_index("estate_id").loc["E2", "district"] == 2


def test_assignment_csv_has_bom_and_every_unit_per_option(out):
    folder, _ = out
    raw = (folder / "assignment.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert list(rows[0]) == ["option", "unit_id", "kind", "name", "estate_id", "population", "households",
                             "district", "district_name"]
    assert len(rows) == 2 * 12
    by_option = {}
    for row in rows:
        by_option.setdefault(row["option"], {})[row["unit_id"]] = int(row["district"])
    assert by_option["1"] == dict(zip(fx.assigned(1)["unit_id"], fx.assigned(1)["district"]))
    assert by_option["2"] == dict(zip(fx.assigned(2)["unit_id"], fx.assigned(2)["district"]))
    assert any(row["name"] == "翠湖花园" and row["district_name"] == "新社区一（方案1）" for row in rows)
    # a block has no estate: an empty cell, never the text "nan"
    blocks = [row for row in rows if row["kind"] == "block"]
    assert blocks and all(row["estate_id"] == "" for row in blocks)
    assert {row["estate_id"] for row in rows if row["kind"] == "estate"} == {"E1", "E2", "E3"}


def test_single_option_csv_has_no_option_column(tmp_path):
    fx.write(tmp_path, [fx.proposal(1)])
    header = (tmp_path / "assignment.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == "unit_id,kind,name,estate_id,population,households,district,district_name"
    assert not (tmp_path / "plan_option2.geojson").exists()


def test_shapefile_has_ascii_field_names_and_reads_back_chinese(out):
    folder, written = out
    for key, path in written.items():
        if key.startswith("shapefile_") and path.suffix == ".shp":
            frame = gpd.read_file(path)
            for column in frame.columns:
                assert column.isascii() and len(column) <= 10, (path.name, column)
            assert frame.crs.to_epsg() == 4547
    communities = gpd.read_file(folder / "shapefile" / "communities.shp")
    assert sorted(communities["name"]) == ["新社区一（方案1）", "新社区二（方案1）"]
    assert communities["pop"].sum() == fx.unit_frame()["population"].sum()
    table = (folder / "shapefile" / "fields.csv").read_bytes()
    assert table.startswith(b"\xef\xbb\xbf")
    assert "communities,pop,population,人口" in table.decode("utf-8-sig")


def test_write_shapefile_alone(tmp_path):
    written = maps.write_shapefile(tmp_path, [fx.proposal(1)], fx.context())
    assert (tmp_path / "shapefile" / "units.shp").exists()
    assert "shapefile_units_option2" not in written


def test_long_text_is_cut_at_a_character_boundary():
    text = "楼盘名称" * 40  # 480 bytes in UTF-8
    cut = truncate_utf8(text)
    assert len(cut.encode("utf-8")) <= 254
    assert cut.endswith("…") and text.startswith(cut[:-1])
    assert truncate_utf8("短名") == "短名"


def test_long_estate_lists_are_cut_and_noted_in_the_field_table(tmp_path):
    units = fx.assigned(1)
    units.loc[units["kind"] == "estate", "name"] = [f"很长很长的楼盘名称第{i}期" * 6 for i in range(3)]
    ctx = fx.context()
    estates = ctx.estates.copy()
    estates["name"] = [f"很长很长的楼盘名称第{i}期" * 6 for i in range(3)]
    ctx = maps.Context(**{**ctx.__dict__, "estates": estates})
    proposal = maps.Proposal(**{**fx.proposal(1).__dict__, "units": units})
    maps.write_shapefile(tmp_path, [proposal], ctx)
    communities = gpd.read_file(tmp_path / "shapefile" / "communities.shp")
    assert max(len(v.encode("utf-8")) for v in communities["estates"].dropna()) <= 254
    assert "text cut at 254 bytes" in (tmp_path / "shapefile" / "fields.csv").read_text(encoding="utf-8-sig")


def test_layers_with_another_geometry_column_name(tmp_path):
    ctx = fx.context()
    roads = ctx.roads.rename_geometry("geom")
    facilities = ctx.facilities.rename_geometry("shape")
    ctx = maps.Context(**{**ctx.__dict__, "roads": roads, "facilities": facilities})
    written = fx.write(tmp_path, [fx.proposal(1)], ctx)
    assert len(gpd.read_file(written["gpkg"], layer="roads")) == 5
    assert "东城路" in gpd.read_file(written["geojson"]).loc[0, "sizhi"]


def test_gis_files_carry_a_fixed_date_so_reruns_are_byte_identical(out, tmp_path):
    """GDAL stamps GeoPackage layers and DBF headers with the clock; ours carry 2000-01-01 and repeat exactly."""
    import sqlite3
    from contextlib import closing

    folder, _ = out
    with closing(sqlite3.connect(folder / "plan.gpkg")) as db:
        stamps = {row[0] for row in db.execute("select last_change from gpkg_contents")}
    assert stamps == {"2000-01-01T00:00:00.000Z"}
    for dbf in (folder / "shapefile").glob("*.dbf"):
        assert tuple(dbf.read_bytes()[1:4]) == (100, 1, 1), dbf.name  # years since 1900, month, day
    again = tmp_path / "again"
    fx.write(again, shapefile=True)
    for name in ("plan.gpkg", "shapefile/units.dbf", "map.html", "report.html", "assignment.csv", "plan.geojson"):
        assert (again / name).read_bytes() == (folder / name).read_bytes(), name
