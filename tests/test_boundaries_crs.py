"""CRS rules: missing CRS, metric target, swapped axes, zone prefixes, Xian80/Beijing54, GCJ-02/BD-09."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS as ProjCRS
from pyproj import Geod

from boundaries import InputError, inspect_layers, load_layers
from boundaries.datum import wgs84_to_bd09, wgs84_to_gcj02

from boundaries_fixtures import two_estates_layers


@pytest.fixture
def frames():
    return two_estates_layers()


def swap_xy(frame):
    out = frame.copy()
    out["geometry"] = shapely.transform(out.geometry.values, lambda xy: xy[:, ::-1])
    return out


def shift_lonlat(frame, forward):
    """The frame in lon/lat as a web map would publish it (GCJ-02 / BD-09)."""
    lonlat = frame.to_crs(4326)

    def move(xy):
        lon, lat = forward(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    lonlat["geometry"] = shapely.transform(lonlat.geometry.values, move)
    return lonlat


def test_layer_without_crs_is_an_error_with_a_gauss_kruger_hint(frames):
    estates = frames["estates"].set_crs(None, allow_override=True)
    with pytest.raises(InputError, match=r"estates.*no coordinate reference system.*EPSG:4547"):
        load_layers(communities=frames["communities"], estates=estates, population=frames["population"])
    layers = load_layers(communities=frames["communities"], estates=estates, population=frames["population"],
                         source_crs={"estates": "EPSG:4547"})
    assert layers.estates.crs.to_epsg() == 4547


def test_lonlat_without_crs_gets_a_lonlat_hint(frames):
    estates = frames["estates"].to_crs(4326).set_crs(None, allow_override=True)
    with pytest.raises(InputError, match=r"longitude/latitude.*EPSG:4490"):
        load_layers(communities=frames["communities"], estates=estates, population=frames["population"])


def test_geographic_layers_in_dongguan_go_to_gauss_krueger_zone_38(frames):
    lonlat = {role: frame.to_crs(4490 if role == "estates" else 4326) for role, frame in frames.items()}
    layers = load_layers(**lonlat)
    assert layers.crs.to_epsg() == 4547
    for role in ("communities", "estates", "population"):
        moved = getattr(layers, role).geometry.values
        assert shapely.hausdorff_distance(moved, frames[role].geometry.values).max() < 0.01
    assert any("zone 38" in note for note in layers.notes)


def test_geographic_layers_elsewhere_go_to_their_utm_zone(frames):
    # the same layout moved to Chengdu (104°E): outside GK zone 38
    lonlat = {role: frame.to_crs(4326) for role, frame in frames.items()}
    moved = {}
    for role, frame in lonlat.items():
        copy = frame.copy()
        copy["geometry"] = shapely.transform(copy.geometry.values, lambda xy: xy + np.array([-9.8, 7.6]))
        moved[role] = copy
    layers = load_layers(**moved)
    assert layers.crs.to_epsg() == 32648
    geod = Geod(ellps="WGS84")
    true_area = [abs(geod.geometry_area_perimeter(g)[0]) for g in moved["estates"].geometry]
    assert layers.estates.area.to_numpy() == pytest.approx(true_area, rel=1e-3)  # metres (UTM scale < 0.1%)


def test_web_mercator_is_reprojected_with_a_note(frames):
    mercator = {role: frame.to_crs(3857) for role, frame in frames.items()}
    layers = load_layers(**mercator)
    assert layers.crs.to_epsg() == 4547
    assert layers.estates.area.round().tolist() == [25600.0, 25600.0]
    assert any("Mercator" in note for note in layers.notes)


def test_stated_target_crs_must_be_metric_and_area_true(frames):
    with pytest.raises(InputError, match=r"target_crs .*3857.* not a metric projected CRS"):
        load_layers(**frames, target_crs="EPSG:3857")
    layers = load_layers(**frames, target_crs="EPSG:32649")
    assert layers.crs.to_epsg() == 32649 and layers.population.crs.to_epsg() == 32649


def test_swapped_northing_easting_is_detected_and_fixed(frames):
    estates = swap_xy(frames["estates"])
    layers = load_layers(communities=frames["communities"], estates=estates, population=frames["population"])
    assert shapely.equals(layers.estates.geometry.values, frames["estates"].geometry.values).all()
    swapped = [p for p in layers.problems if "swapped" in p.message]
    assert swapped and swapped[0].layer == "estates" and swapped[0].severity == "warning"


def test_swapped_longitude_latitude_columns_are_detected(tmp_path, frames):
    points = frames["population"].to_crs(4326)
    table = pd.DataFrame({"经度": points.geometry.y, "纬度": points.geometry.x, "人口": points["population"]})
    path = tmp_path / "points.csv"
    table.to_csv(path, index=False)
    layers = load_layers(communities=frames["communities"], estates=frames["estates"], population=str(path))
    assert (layers.population.geometry.distance(frames["population"].geometry) < 0.01).all()
    assert any("swapped" in p.message for p in layers.problems)


def test_zone_prefixed_eastings_are_named(frames):
    prefixed = frames["estates"].copy()
    prefixed["geometry"] = shapely.transform(prefixed.geometry.values, lambda xy: xy + np.array([38_000_000, 0]))
    with pytest.raises(InputError, match=r"zone number 38.*EPSG:4526"):
        load_layers(communities=frames["communities"], estates=prefixed, population=frames["population"])
    layers = load_layers(communities=frames["communities"], estates=prefixed.set_crs(4526, allow_override=True),
                         population=frames["population"])
    assert shapely.equals_exact(layers.estates.geometry.values, frames["estates"].geometry.values, 0.01).all()


def test_coordinates_far_outside_the_crs_area_are_an_error(frames):
    wrong = frames["estates"].copy()  # northings in kilometres: a unit mix-up
    wrong["geometry"] = shapely.transform(wrong.geometry.values, lambda xy: xy * np.array([1, 0.001]))
    with pytest.raises(InputError, match=r"estates: coordinates .* lie outside the area of EPSG:4547"):
        load_layers(communities=frames["communities"], estates=wrong, population=frames["population"])


@pytest.mark.parametrize("code, label", [(2383, "Xian 1980"), (2435, "Beijing 1954"), (4610, "Xian 1980")])
def test_xian80_and_beijing54_are_refused_with_an_explanation(frames, code, label):
    estates = frames["estates"].set_crs(code, allow_override=True)
    if ProjCRS.from_epsg(code).is_geographic:
        estates = frames["estates"].to_crs(4326).set_crs(code, allow_override=True)
    with pytest.raises(InputError, match=rf"{label}.*not converted silently.*CGCS2000"):
        load_layers(communities=frames["communities"], estates=estates, population=frames["population"])


def test_xian80_from_an_esri_prj_is_refused(tmp_path, frames):
    import pyogrio

    path = tmp_path / "estates.shp"
    pyogrio.write_dataframe(frames["estates"], path)
    path.with_suffix(".prj").write_text(ProjCRS.from_epsg(2383).to_wkt("WKT1_ESRI"))
    with pytest.raises(InputError, match=r"Xian 1980 \(西安80\)"):
        load_layers(communities=frames["communities"], estates=str(path), population=frames["population"])


@pytest.mark.parametrize("datum, forward", [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_declared_web_map_datum_is_converted_back_to_true_positions(frames, datum, forward):
    points = shift_lonlat(frames["population"], forward)
    offset = points.to_crs(4547).geometry.distance(frames["population"].geometry)
    assert offset.min() > 400  # really displaced before conversion
    layers = load_layers(communities=frames["communities"], estates=frames["estates"], population=points,
                         datum={"population": datum})
    assert layers.population.geometry.distance(frames["population"].geometry).max() < 0.01
    assert layers.sources["population"]["datum"] == f"{datum} -> wgs84"
    assert any("converted to WGS84" in note for note in layers.notes)
    assert inspect_layers(layers).ok


def test_undeclared_gcj02_points_are_detected_by_inspect(frames):
    layers = load_layers(communities=frames["communities"], estates=frames["estates"],
                         population=shift_lonlat(frames["population"], wgs84_to_gcj02))
    report = inspect_layers(layers)
    offset = [p for p in report.errors if "look offset" in p.message]
    assert offset and "GCJ-02" in offset[0].message and "--datum population=gcj02" in offset[0].hint


def test_datum_option_on_a_projected_layer_is_an_error(frames):
    with pytest.raises(InputError, match=r"datum 'gcj02' applies to longitude/latitude"):
        load_layers(**frames, datum={"estates": "GCJ-02"})


def test_unknown_layer_names_and_datums_in_options_are_errors(frames):
    with pytest.raises(InputError) as caught:
        load_layers(**frames, datum={"estate": "gcj02", "population": "mars"})
    text = str(caught.value)
    assert "unknown layer name 'estate'" in text and "unknown datum 'mars'" in text


def test_wrong_prj_is_named_with_a_hint_and_a_stated_crs_overrides_it(frames):
    mislabelled = frames["estates"].set_crs(4326, allow_override=True)  # metres labelled as degrees
    with pytest.raises(InputError, match=r"outside the area of EPSG:4326.*look like Gauss-Krüger metres.*EPSG:4547"):
        load_layers(communities=frames["communities"], estates=mislabelled, population=frames["population"])
    layers = load_layers(communities=frames["communities"], estates=mislabelled, population=frames["population"],
                         source_crs={"estates": "EPSG:4547"})
    assert layers.estates.area.tolist() == [25600.0, 25600.0]
    assert any("stated as EPSG:4547" in note and "over the file's EPSG:4326" in note for note in layers.notes)


@pytest.mark.parametrize("code, label", [(32650, "UTM zone 50N, Dongguan lies just west of it"),
                                         (4546, "CGCS2000 GK zone 37 (CM 111°E), used 1.25° east of its edge")])
def test_a_declared_crs_is_honoured_just_outside_its_area_of_use(frames, code, label):
    moved = {role: frame.to_crs(code) for role, frame in frames.items()}
    layers = load_layers(**moved)
    warned = [p for p in layers.problems if "nominal area of use" in p.message]
    assert {p.layer for p in warned} == set(frames), label
    assert all(p.severity == "warning" and f"EPSG:{code}" in p.message for p in warned)
    # the geometry is the same place: areas kept to the projections' scale error
    assert layers.estates.area.sum() == pytest.approx(2 * 25600.0, rel=0.01)
    assert inspect_layers(layers).ok


def test_coordinates_the_declared_crs_cannot_hold_are_still_refused(frames):
    degrees_as_metres = frames["estates"].to_crs(4326).set_crs(4547, allow_override=True)
    with pytest.raises(InputError, match=r"estates.*outside the area of EPSG:4547"):
        load_layers(communities=frames["communities"], estates=degrees_as_metres, population=frames["population"])
    beyond_the_pole = frames["estates"].to_crs(4326)
    beyond_the_pole["geometry"] = beyond_the_pole.translate(yoff=80.0)
    with pytest.raises(InputError, match=r"estates.*outside the area of EPSG:4326"):
        load_layers(communities=frames["communities"], estates=beyond_the_pole, population=frames["population"])
