"""Road and river names placed once each, along the line, for the web map and the printed figure."""
import pytest
from matplotlib.figure import Figure

import maps_fixtures as fx

from maps.figure import Labeller, _road_names
from maps.fonts import cjk_font_path
from maps.roadnames import road_labels


def test_one_label_per_named_line_along_it():
    area = fx.unit_frame().union_all()
    labels = {label.name: label for label in road_labels(fx.roads(), area)}
    assert set(labels) == {"寒溪河", "东城路", "环城路", "横穿路"}  # the unnamed road gets none
    assert labels["寒溪河"].kind == "river" and labels["寒溪河"].angle_deg == pytest.approx(0)
    assert labels["东城路"].angle_deg == pytest.approx(90)  # north-south, never upside down
    assert labels["东城路"].x == pytest.approx(fx.X0 + 800)
    assert fx.Y0 <= labels["东城路"].y <= fx.Y0 + 1200  # within the community's stretch of it
    assert road_labels(None, area) == []


def test_figure_draws_the_names_only_with_a_cjk_font():
    path = cjk_font_path()
    if path is None:
        pytest.fail("no CJK font installed (apt-get install fonts-noto-cjk)")
    ctx = fx.context()
    ax = Figure().add_subplot()
    _road_names(ax, ctx, Labeller(path), [])
    texts = {t.get_text().replace("\n", ""): t for t in ax.texts}
    assert set(texts) == {"寒溪河", "东城路", "环城路", "横穿路"}
    assert texts["东城路"].get_text() == "东\n城\n路"  # upright characters along a north-south road
    assert texts["寒溪河"].get_rotation() == pytest.approx(0)
    bare = Figure().add_subplot()
    _road_names(bare, ctx, Labeller(None), [])
    assert len(bare.texts) == 0  # no CJK font: no boxes, no names
