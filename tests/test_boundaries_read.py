"""Reading every format the bureaus send, and text encodings (GBK shapefiles without .cpg)."""
from __future__ import annotations


import shutil
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from boundaries import InputError, load_layers
from boundaries.encoding import looks_mis_decoded

from boundaries_fixtures import CRS, X0, Y0, two_estates_layers, write_layers

pytestmark = pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")


@pytest.fixture
def frames():
    return two_estates_layers()


def assert_sample_loaded(layers):
    assert layers.crs.to_epsg() == 4547
    assert sorted(layers.estates["name"]) == sorted(["金地花园", "碧桂园"])
    assert layers.population["population"].sum() == 755 + 7
    assert layers.communities["community_id"].tolist() == ["441900001"]


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp"])
def test_reads_vector_formats(tmp_path, frames, suffix):
    layers = load_layers(**write_layers(tmp_path, frames, suffix=suffix))
    assert_sample_loaded(layers)
    assert layers.sources["estates"]["sha256"] and len(layers.sources["estates"]["sha256"]) == 64
    assert layers.sources["population"]["features"] == 13


@pytest.mark.parametrize("suffix", [".geojson", ".shp"])
def test_reads_files_whose_folder_and_name_hold_an_exclamation_mark(tmp_path, frames, suffix):
    """GDAL would take ``!`` for an archive separator (``a.zip!b.shp``); a user's folder may well hold one."""
    plain = {role: Path(path) for role, path in write_layers(tmp_path, frames, suffix=suffix).items()}
    odd = tmp_path / "方案 一!"
    odd.mkdir()
    for path in plain.values():
        for sibling in path.parent.glob(path.stem + ".*"):
            shutil.copy(sibling, odd / f"!{sibling.name}")
    layers = load_layers(**{role: str(odd / f"!{path.name}") for role, path in plain.items()})
    assert_sample_loaded(layers)
    assert layers.sources["estates"]["path"] == str(odd / f"!estates{suffix}")


def test_reads_layers_from_one_geopackage_by_role_name_or_layername(tmp_path, frames):
    path = tmp_path / "city.gpkg"
    for role, frame in frames.items():
        pyogrio.write_dataframe(frame, path, layer=role, driver="GPKG")
    pyogrio.write_dataframe(frames["estates"], path, layer="小区2020", driver="GPKG")
    layers = load_layers(communities=str(path), estates=f"{path}|layername=小区2020", population=f"{path}::population",
                         roads=str(path))
    assert_sample_loaded(layers)
    assert layers.sources["estates"]["layer"] == "小区2020"


def test_names_the_layers_when_a_multi_layer_file_is_ambiguous(tmp_path, frames):
    path = tmp_path / "city.gpkg"
    pyogrio.write_dataframe(frames["estates"], path, layer="a", driver="GPKG")
    pyogrio.write_dataframe(frames["estates"], path, layer="b", driver="GPKG")
    with pytest.raises(InputError, match=r"several layers \(a, b\).*layername"):
        load_layers(communities=frames["communities"], estates=str(path), population=frames["population"])


def test_reads_file_geodatabase(tmp_path, frames):
    gdb = tmp_path / "city.gdb"
    for role in ("communities", "estates", "population"):
        frame = frames[role].copy()
        for column in ("households", "population"):
            if column in frame:
                frame[column] = frame[column].astype(float)  # FileGDB stores Integer64 as Float64 (and warns)
        pyogrio.write_dataframe(frame.drop(columns=["group"], errors="ignore"), gdb, layer=role,
                                driver="OpenFileGDB")
    layers = load_layers(communities=str(gdb), estates=str(gdb), population=str(gdb))
    assert_sample_loaded(layers)
    assert layers.sources["estates"]["driver"] == "OpenFileGDB"


def dxf_file(path, polygons, labels, *, codepage="ANSI_936", encoding="gbk"):
    """A minimal CAD drawing: closed LWPOLYLINEs and TEXT labels, in the code page a Chinese CAD writes."""
    lines = ["0", "SECTION", "2", "HEADER", "9", "$DWGCODEPAGE", "3", codepage, "0", "ENDSEC",
             "0", "SECTION", "2", "ENTITIES"]
    for polygon in polygons:
        coords = list(polygon.exterior.coords)[:-1]
        lines += ["0", "LWPOLYLINE", "8", "小区", "90", str(len(coords)), "70", "1"]
        for x, y in coords:
            lines += ["10", f"{x:.3f}", "20", f"{y:.3f}"]
    for point, text in labels:
        lines += ["0", "TEXT", "8", "小区注记", "10", f"{point.x:.3f}", "20", f"{point.y:.3f}", "30", "0",
                  "40", "3", "1", text]
    lines += ["0", "ENDSEC", "0", "EOF"]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def test_reads_dxf_closed_polylines_named_by_their_text(tmp_path, frames):
    estates = frames["estates"]
    path = dxf_file(tmp_path / "estates.dxf", estates.geometry,
                    [(g.centroid, n) for g, n in zip(estates.geometry, estates["name"])])
    layers = load_layers(communities=frames["communities"], estates=str(path), population=frames["population"],
                         source_crs={"estates": CRS})
    assert sorted(layers.estates["name"]) == ["碧桂园", "金地花园"]
    assert set(layers.estates.geom_type) == {"Polygon"}
    assert layers.estates.area.round().tolist() == [25600.0, 25600.0]


def test_dxf_text_in_the_wrong_code_page_is_refused_then_read_with_the_stated_encoding(tmp_path, frames):
    estates = frames["estates"]
    path = dxf_file(tmp_path / "estates.dxf", estates.geometry,
                    [(g.centroid, n) for g, n in zip(estates.geometry, estates["name"])], codepage="ANSI_1252")
    with pytest.raises(InputError, match=r"estates: text was decoded with the wrong encoding.*金地花园|碧桂园"):
        load_layers(communities=frames["communities"], estates=str(path), population=frames["population"],
                    source_crs={"estates": CRS})
    layers = load_layers(communities=frames["communities"], estates=str(path), population=frames["population"],
                         source_crs={"estates": CRS}, encoding={"estates": "CP936"})
    assert sorted(layers.estates["name"]) == ["碧桂园", "金地花园"]


def gbk_shapefile(tmp_path, frame, *, keep_cpg=False, cpg_text=None):
    path = tmp_path / "estates.shp"
    pyogrio.write_dataframe(frame.rename(columns={"name": "名称", "households": "户数", "population": "常住人口"}),
                            path, encoding="GBK")
    cpg = path.with_suffix(".cpg")
    if cpg.exists() and not keep_cpg:
        cpg.unlink()
    if cpg_text is not None:
        cpg.write_text(cpg_text)
    return path


def test_gbk_shapefile_without_cpg_is_detected_and_decoded(tmp_path, frames):
    path = gbk_shapefile(tmp_path, frames["estates"])
    assert not path.with_suffix(".cpg").exists()
    raw = path.with_suffix(".dbf").read_bytes()
    assert "金地花园".encode("gbk") in raw  # really GBK on disk
    layers = load_layers(communities=frames["communities"], estates=str(path), population=frames["population"])
    assert sorted(layers.estates["name"]) == ["碧桂园", "金地花园"]
    assert layers.estates["households"].tolist() == [120, 100]
    assert layers.sources["estates"]["encoding"] == "GB18030"
    assert layers.sources["estates"]["population_field"] == "常住人口"
    assert any("常住" in note for note in layers.notes)
    assert any("GBK/GB18030" in p.message and p.severity == "warning" for p in layers.problems)


def test_explicit_encoding_overrides_detection(tmp_path, frames):
    path = gbk_shapefile(tmp_path, frames["estates"])
    layers = load_layers(communities=frames["communities"], estates=str(path), population=frames["population"],
                         encoding="GBK")
    assert sorted(layers.estates["name"]) == ["碧桂园", "金地花园"]
    assert layers.sources["estates"]["encoding_how"] == "stated"


def test_latin1_mis_decode_from_a_wrong_cpg_is_refused(tmp_path, frames):
    path = gbk_shapefile(tmp_path, frames["estates"], cpg_text="ISO-8859-1")
    with pytest.raises(InputError, match=r"decoded with the wrong encoding.*probably '(名称|金地花园|碧桂园)'.*GB18030"):
        load_layers(communities=frames["communities"], estates=str(path), population=frames["population"])


def test_undecodable_dbf_asks_for_the_encoding(tmp_path, frames):
    estates = frames["estates"].copy()
    estates["name"] = ["Zurich", "Geneve"]
    path = tmp_path / "estates.shp"
    pyogrio.write_dataframe(estates, path)
    path.with_suffix(".cpg").unlink(missing_ok=True)
    dbf = path.with_suffix(".dbf")
    raw = dbf.read_bytes().replace(b"Zurich", "Zürich".encode("cp1252")).replace(b"Geneve", "Genève".encode("cp1252"))
    dbf.write_bytes(raw)  # a Western code page: decodes as GBK by accident, but not as Chinese text
    with pytest.raises(InputError, match=r"estates.dbf: cannot tell the text encoding.*encoding="):
        load_layers(communities=frames["communities"], estates=str(path), population=frames["population"])


def test_mis_decoded_text_is_recognised():
    assert looks_mis_decoded("名称".encode("gbk").decode("latin-1")) == "名称"
    assert looks_mis_decoded("金地花园".encode("utf-8").decode("cp1252", errors="replace")) in (None, "金地花园")
    assert looks_mis_decoded("Genève") is None
    assert looks_mis_decoded("金地花园") is None


def lonlat_table(frames) -> pd.DataFrame:
    points = frames["population"].to_crs(4326)
    return pd.DataFrame({"楼栋": points["building"], "经度": points.geometry.x, "纬度": points.geometry.y,
                         "人口": points["population"], "户数": points["households"]})


def test_reads_gbk_csv_with_chinese_lon_lat_headers(tmp_path, frames):
    path = tmp_path / "人口.csv"
    lonlat_table(frames).to_csv(path, index=False, encoding="gbk")
    layers = load_layers(communities=frames["communities"], estates=frames["estates"], population=str(path))
    assert layers.population["population"].sum() == 762
    assert layers.sources["population"]["encoding"] == "GB18030"
    assert layers.sources["population"]["coordinates"] == "经度/纬度"
    original = frames["population"].geometry
    assert (layers.population.geometry.distance(original) < 0.01).all()
    assert any("lon/lat columns taken as EPSG:4326" in note for note in layers.notes)


def test_reads_xlsx_points(tmp_path, frames):
    path = tmp_path / "人口.xlsx"
    pyogrio.write_dataframe(lonlat_table(frames), path, driver="XLSX")
    layers = load_layers(communities=frames["communities"], estates=frames["estates"], population=str(path))
    assert layers.population["population"].sum() == 762
    assert (layers.population.geometry.distance(frames["population"].geometry) < 0.01).all()


def test_xy_table_without_crs_is_an_error_with_a_hint(tmp_path, frames):
    points = frames["population"]
    table = pd.DataFrame({"X": points.geometry.x, "Y": points.geometry.y, "人口": points["population"]})
    path = tmp_path / "points.csv"
    table.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"population.*no coordinate reference system.*EPSG:4547"):
        load_layers(communities=frames["communities"], estates=frames["estates"], population=str(path))
    layers = load_layers(communities=frames["communities"], estates=frames["estates"], population=str(path),
                         source_crs={"population": "EPSG:4547"})
    assert layers.population["population"].sum() == 762


def test_table_rows_with_bad_coordinates_are_named_by_spreadsheet_row(tmp_path, frames):
    table = lonlat_table(frames)
    table["经度"] = table["经度"].astype(object)
    table.loc[2, "经度"] = "不详"
    path = tmp_path / "points.csv"
    table.to_csv(path, index=False, encoding="utf-8-sig")
    layers = load_layers(communities=frames["communities"], estates=frames["estates"], population=str(path))
    bad = [p for p in layers.problems if p.feature == "row 4"]
    assert bad and "不详" in bad[0].message and bad[0].severity == "error"
    assert len(layers.population) == 12


def test_table_without_coordinate_columns_lists_its_columns(tmp_path, frames):
    path = tmp_path / "points.csv"
    pd.DataFrame({"名称": ["a"], "人口": [3]}).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"no coordinate columns \(columns: 名称, 人口\).*经度/纬度"):
        load_layers(communities=frames["communities"], estates=frames["estates"], population=str(path))


def test_missing_files_and_missing_fields_are_all_reported_at_once(tmp_path, frames):
    estates = frames["estates"].rename(columns={"name": "XMMC"})
    with pytest.raises(InputError) as caught:
        load_layers(communities=str(tmp_path / "nope.geojson"), estates=estates, population=frames["population"],
                    roads=str(tmp_path / "roads.dwg"))
    text = str(caught.value)
    assert "file not found" in text and "nope.geojson" in text
    assert "no 'name' field (columns: XMMC" in text
    assert len(caught.value.problems) == 3
    layers = load_layers(communities=frames["communities"], estates=estates, population=frames["population"],
                         fields={"estates": {"XMMC": "name"}})
    assert sorted(layers.estates["name"]) == ["碧桂园", "金地花园"]


def test_two_population_columns_must_be_chosen_explicitly(frames):
    points = frames["population"].rename(columns={"population": "常住人口"})
    points["户籍人口"] = 1
    with pytest.raises(InputError, match=r"several population columns \(常住人口, 户籍人口\)"):
        load_layers(communities=frames["communities"], estates=frames["estates"], population=points)
    layers = load_layers(communities=frames["communities"], estates=frames["estates"], population=points,
                         fields={"population": {"户籍人口": "population"}})
    assert layers.population["population"].sum() == 13
    assert layers.sources["population"]["population_kind"] == "registered (户籍)"
    assert any("registered (户籍)" in note for note in layers.notes)


def test_points_given_as_building_polygons_become_points(frames):
    points = frames["population"].copy()
    points["geometry"] = points.geometry.buffer(3)
    layers = load_layers(communities=frames["communities"], estates=frames["estates"], population=points)
    assert set(layers.population.geom_type) == {"Point"}
    assert any("polygons taken as a point" in p.message for p in layers.problems)
    assert Point(X0 + 50, Y0 + 300).distance(layers.population.geometry.iloc[0]) < 3.01
