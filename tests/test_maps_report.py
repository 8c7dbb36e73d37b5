"""report.html: bilingual, printable, totals in = out stated, 四至, certificates, figures that never show
empty boxes, and every name escaped."""
import base64
import re
import warnings

import pytest

import maps_fixtures as fx

import maps
from maps.figure import Labeller, option_png
from maps.fonts import cjk_font_path, covers
from maps.options import build_views, local_context
from maps.report import render_report

PNG = b"\x89PNG\r\n\x1a\n"


def report(proposals=None, ctx=None, **options) -> str:
    ctx = ctx or fx.context()
    proposals = proposals or [fx.proposal(1), fx.proposal(2)]
    local = local_context(ctx, proposals)
    return render_report(build_views(proposals, local), local, **options)


@pytest.fixture(scope="module")
def page():
    return report()


def test_bilingual_headings_and_a4_print(page):
    for heading in ("拆分前后对比", "Before and after", "方案比选", "Options compared", "求解证书",
                    "Solver certificate", "数据来源与处理", "Provenance", "政策口径", "Policy profiles"):
        assert heading in page
    assert "@page { size: A4" in page
    assert '<html lang="zh-CN">' in page
    assert "break-before: page" in page


def test_before_after_and_totals_statement(page):
    assert "78,000" in page and "31,200" in page  # parent totals
    assert "33,000" in page and "45,000" in page  # option 1's new communities
    assert page.count("✓ 一致 totals match") == 3  # before/after + each option


def test_totals_mismatch_is_said_plainly():
    ctx = fx.context()
    ctx = maps.Context(**{**ctx.__dict__, "totals": {**ctx.totals, "population_in": 78_010.0}})
    text = report(ctx=ctx)
    assert "✗ 不一致 totals DO NOT match" in text
    assert "输入 in 78,010 / 输出 out 78,000" in text


def test_each_community_has_area_estates_sizhi_compactness_and_rules(page):
    assert "东至东城路，南至寒溪河，西至原测试社区边界，北至原测试社区边界。" in page
    assert "东至环城路，南至新社区一（方案2），西至原测试社区边界，北至原测试社区边界。" in page
    assert "0.960 km²" in page
    assert "0.754" in page  # Polsby-Popper of two stacked squares: 4π·0.96e6 / 4000²
    assert "翠湖花园" in page
    assert "社区工作者 community workers" in page and "✗ 不符合" in page
    assert "党群服务中心" in page


def test_solver_certificates_and_comparison(page):
    assert "最优（已证明） optimal (proven)" in page
    assert "可行，未证明最优 feasible, not proven optimal" in page
    assert "10.57%" in page  # option 2's gap
    assert "社区数已证明最少 count proven minimal" in page
    assert "新增边界长度 new boundary (m)" in page  # a caller metric, translated
    assert "需 required Σ 141" in page  # staff summed over option 1's communities


def test_provenance_and_profiles_are_tables(page):
    assert "<th>输入数据 inputs.estates.sha256</th><td>abc123</td>" in page
    assert "<th>户均人口 persons per household</th><td>2.86</td>" in page
    assert "<th>说明 note</th><td>说明（英文）— synthetic test data</td>" in page
    assert "≤ 30,000 人" in page and "EPSG:4547" in page


def test_one_png_per_option(page):
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 2
    assert all(base64.b64decode(i).startswith(PNG) for i in images)
    assert "http://" not in page and "https://" not in page


def test_names_are_escaped(page):
    assert fx.XSS_SCRIPT not in page and fx.XSS_IMG not in page
    assert "&lt;script&gt;window.__xss" in page


def test_same_inputs_give_the_same_report(page):
    assert report() == page


def test_figure_without_a_cjk_font_uses_english_labels():
    labeller = Labeller(None)
    assert labeller.pick("新社区一", "Community 1") == "Community 1"
    ctx = fx.context()
    proposals = [fx.proposal(1)]
    local = local_context(ctx, proposals)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph warns: it must not happen
        png = option_png(build_views(proposals, local)[0], local, font_path=None)
    assert png.startswith(PNG)
    assert report(proposals, ctx, font_path=None).count("data:image/png;base64,") == 1


def test_figure_with_the_installed_cjk_font_has_every_glyph():
    path = cjk_font_path()
    if path is None:
        # no CJK font on this machine: the English fallback is what runs, and it is tested above
        assert Labeller(None).pick("方案一", "Option 1") == "Option 1"
        return
    assert covers(path, "新社区一二方案人东南西北")
    labeller = Labeller(path)
    assert labeller.pick("新社区一", "Community 1") == "新社区一"
    assert labeller.pick("新社区\ue000", "Community 1") == "Community 1"  # a private-use char: no glyph


def test_figure_never_draws_missing_glyphs_for_odd_names():
    names = {1: "新社区\ue000", 2: "🏠 新社区"}
    proposals = [fx.proposal(1, district_names=names)]
    ctx = fx.context()
    local = local_context(ctx, proposals)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = option_png(build_views(proposals, local)[0], local)
    assert png.startswith(PNG)


# ---- issue 12: what a reviewer signs -----------------------------------------------------------------------

def test_says_which_population_each_rule_counts_and_what_the_data_hold():
    from dataclasses import replace

    ctx = replace(fx.context(), population_kind="registered (户籍)")
    text = report(proposals=[fx.proposal(1)], ctx=ctx)
    basis = text[text.index('id="basis"'):text.index("</section>", text.index('id="basis"'))]
    assert "常住人口 resident population" in basis  # dongguan-2023 counts residents
    assert "户籍人口 registered population" in basis  # what the data hold
    assert "口径不同" in basis and 'class="statement bad"' in basis
    same = report(proposals=[fx.proposal(1)], ctx=replace(fx.context(), population_kind="resident (常住)"))
    assert "与规则口径一致" in same and "口径不同" not in same
    unstated = report(proposals=[fx.proposal(1)], ctx=replace(fx.context(), population_kind="unspecified"))
    assert "数据未注明人口口径" in unstated


def test_carries_the_given_date_and_the_approval_path():
    from dataclasses import replace

    text = report(proposals=[fx.proposal(1)], ctx=replace(fx.context(), report_date="2026-11-25"))
    assert '<strong class="report-date">2026-11-25</strong>' in text
    approval = text[text.index('id="approval"'):]
    for words in ("街道办事处", "镇人民政府", "市人民政府", "approves"):
        assert words in approval
    assert report(proposals=[fx.proposal(1)], ctx=replace(fx.context(), report_date="2026-11-25")) == text  # no clock in the page


def test_missing_staff_data_is_said_not_counted_as_passing(page):
    assert "现有人员数据缺失" in page
    # staff rows have no present value: never summarised as "failed 0"
    staff = [line for line in page.splitlines() if "社区工作者 community workers" in line]
    assert staff and not any("fail" in line or "meet it" in line for line in staff)
    assert "2 个社区不符合 of 2 fail" in page  # the facility rule was judged (and failed) in both communities
    assert "failed 0" not in page and "不符合 failed" not in page


def test_solver_log_stays_out_of_the_printed_report():
    proposals = [fx.proposal(1)]
    attempts = [{"districts": 2, "stage": "mip", "status": "optimal", "iterations": 812, "time_s": 0.4}]
    proposals[0] = type(proposals[0])(**{**proposals[0].__dict__,
                                         "certificate": {**proposals[0].certificate, "attempts": attempts,
                                                         "runtime_s": 7.3125},
                                         "metrics": {**proposals[0].metrics, "runtime_s": 7.3125}})
    text = re.sub(r"base64,[A-Za-z0-9+/=]+", "base64,", report(proposals=proposals))  # not the figures' bytes
    assert "iterations" not in text and "812" not in text
    assert "7.31" not in text and "runtime" not in text  # timings differ run to run: run.json keeps them
    assert "run.json" in text


def test_notes_carry_their_gist_in_chinese():
    from maps.wording import note_text

    assert note_text("estates: population from column '常住人口' (resident (常住) population)").startswith(
        "人口取自该字段 — estates:")
    assert note_text("3 sliver(s) under 200 m² merged into the neighbour sharing most boundary").startswith(
        "细碎图斑已并入相邻单元 — 3 sliver(s)")
    assert note_text("something new").startswith("说明（英文）— something new")


def test_the_cap_stated_is_the_one_the_split_used_not_the_profiles():
    # A --cap over the profile's 30,000 drove the split: map and report say 1,800, and not as the profile's.
    ctx = fx.context()
    ctx = maps.Context(**{**ctx.__dict__, "size_rule": {"attr": "population", "max": 1_800.0, "min": None}})
    text = report(ctx=ctx)
    assert "人口上限 Cap: ≤ 1,800 人 residents（指定 given）" in text
    assert "Cap: ≤ 30,000" not in text   # the profile's own number stays in its policy table only
    same = maps.Context(**{**ctx.__dict__, "size_rule": {"attr": "population", "max": 30_000.0, "min": None}})
    assert "人口上限 Cap: ≤ 30,000 人 residents（dongguan-2023）" in report(ctx=same)
