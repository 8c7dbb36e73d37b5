"""Small synthetic inputs for the maps tests: 400 m squares in EPSG:4547 near Dongguan (113.75°E, 23.02°N).

    row 2   B20  E3*  B22  B23        E1 = 翠湖花园 (estate)
    row 1   B10  E2*  B12  B13        E2, E3 = estates with hostile names (escaping tests)
    row 0   E1   B01  B02  B03
            col0 col1 col2 col3
    寒溪河 (river) runs along the south edge, 东城路 along x = 800 m (between col 1 and col 2),
    环城路 along the east edge, 横穿路 crosses col 0 from south to north (perpendicular to the south and
    north sides: it must not be named there). No road on the north and west edges.

Option 1 (recommended): cols 0-1 -> district 1, cols 2-3 -> district 2 (split along 东城路).
Option 2: row 0 -> district 1, rows 1-2 -> district 2 (split where no road runs).
"""
from __future__ import annotations

import geopandas as gpd
from shapely.geometry import LineString, Point, box

import maps

CRS = "EPSG:4547"
X0, Y0 = 474_000.0, 2_546_500.0
SIZE_M = 400.0
XSS_SCRIPT = "<script>window.__xss = 'script';</script>"
XSS_IMG = "<img src=x onerror=\"window.__xss = 'img'\">"
ESTATES = {(0, 0): ("E1", "翠湖花园"), (1, 1): ("E2", XSS_SCRIPT), (2, 1): ("E3", XSS_IMG)}


def square(col: int, row: int):
    return box(X0 + col * SIZE_M, Y0 + row * SIZE_M, X0 + (col + 1) * SIZE_M, Y0 + (row + 1) * SIZE_M)


def unit_frame() -> gpd.GeoDataFrame:
    rows = []
    for row in range(3):
        for col in range(4):
            estate = ESTATES.get((row, col))
            population = 1000.0 * (1 + row * 4 + col)
            rows.append({
                "unit_id": estate[0] if estate else f"B{row}{col}",
                "kind": "estate" if estate else "block",
                "name": estate[1] if estate else f"第{row}{col}片区",
                "estate_id": estate[0] if estate else None,
                "population": population,
                "households": round(population / 2.5),
                "group": None, "facility": 0, "community": "C1",
                "col": col, "row": row,
                "geometry": square(col, row),
            })
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def assigned(option: int) -> gpd.GeoDataFrame:
    units = unit_frame()
    if option == 1:
        units["district"] = [1 if c <= 1 else 2 for c in units["col"]]
    else:
        units["district"] = [1 if r == 0 else 2 for r in units["row"]]
    return units.drop(columns=["col", "row"])


def proposal(option: int, *, district_names: dict[int, str] | None = None) -> maps.Proposal:
    units = assigned(option)
    names = district_names or {1: f"新社区一（方案{option}）", 2: f"新社区二（方案{option}）"}
    compliance = []
    for district, part in units.groupby("district"):
        population = float(part["population"].sum())
        households = float(part["households"].sum())
        compliance += [
            {"district": int(district), "profile": "dongguan-2023", "rule": "居民人数上限 max residents",
             "required": "≤ 30,000", "present": round(population), "ok": population <= 30000, "note": ""},
            {"district": int(district), "profile": "dongguan-2023", "rule": "社区工作者 community workers",
             "required": max(-(-households // 400), -(-population * 18 // 10000)), "present": None, "ok": None,
             "note": "required headcount"},
            {"district": int(district), "profile": "dongguan-2023", "rule": "服务设施面积 facility area (m²)",
             "required": round(households * 0.32, 1), "present": 0.0, "ok": False, "note": ""},
        ]
    certificate = {"status": "optimal" if option == 1 else "feasible", "districts": 2,
                   "objective_name": "hess", "objective": 123.0, "bound": 123.0 if option == 1 else 110.0,
                   "gap": 0.0 if option == 1 else 0.1057, "runtime_s": 0.42, "backend": "highs",
                   "solver_version": "1.16", "minimum_proven": True, "reasons": [], "assignment": None}
    return maps.Proposal(label=f"方案{'一二'[option - 1]}", units=units, district_names=names,
                         certificate=certificate, compliance=compliance,
                         metrics={"cut_edges": 3 if option == 1 else 4, "new_boundary_m": 1200.0})


def roads() -> gpd.GeoDataFrame:
    x1, y1 = X0 + 4 * SIZE_M, Y0 + 3 * SIZE_M
    return gpd.GeoDataFrame(
        {"name": ["寒溪河", "东城路", "环城路", "横穿路", None],
         "kind": ["river", "road", "road", "road", "road"]},
        geometry=[LineString([(X0 - 100, Y0), (x1 + 100, Y0)]),
                  LineString([(X0 + 2 * SIZE_M, Y0 - 100), (X0 + 2 * SIZE_M, y1 + 100)]),
                  LineString([(x1, Y0 - 100), (x1, y1 + 100)]),
                  LineString([(X0 + 100, Y0 - 100), (X0 + 100, y1 + 100)]),
                  LineString([(X0 + 1000, Y0 + 600), (X0 + 1100, Y0 + 700)])],
        crs=CRS)


def context(*, community_name: str = "测试社区") -> maps.Context:
    units = unit_frame()
    boundary = gpd.GeoDataFrame({"name": [community_name]}, geometry=[units.union_all()], crs=CRS)
    estates = units[units["kind"] == "estate"][["estate_id", "name", "population", "households", "geometry"]]
    facilities = gpd.GeoDataFrame({"name": ["党群服务中心", "社区服务站"], "area_m2": [800.0, 350.0]},
                                  geometry=[Point(X0 + 300, Y0 + 320), Point(X0 + 1400, Y0 + 1000)], crs=CRS)
    population = float(units["population"].sum())
    households = float(units["households"].sum())
    return maps.Context(
        community_name=community_name, boundary=boundary, estates=estates.reset_index(drop=True),
        roads=roads(), facilities=facilities, crs=CRS,
        totals={"population_in": population, "households_in": households,
                "population_out": population, "households_out": households},
        provenance={"crs": CRS, "persons per household": 2.86,
                    "inputs": {"estates": {"path": "estates.gpkg", "sha256": "abc123"}},
                    "note": "synthetic test data"},
        profiles=[{"name": "dongguan-2023", "title": "东莞2023提案", "source": "东莞市政协提案第20230071号",
                   "population_basis": "resident", "persons_per_household": 2.86, "split_attr": "population",
                   "max_population": 30000, "staff": {"households_per_worker": 400},
                   "facility": {"m2_per_100_households": 32}}],
    )


def write(out_dir, proposals=None, ctx=None, **options):
    """write_outputs on the fixture (both options by default)."""
    return maps.write_outputs(out_dir, proposals if proposals is not None else [proposal(1), proposal(2)],
                              ctx if ctx is not None else context(), **options)


# ---- headless browser (Debian's chromium through Playwright) -------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


class OfflinePage:
    """A page where every request that is not file:// or data: is aborted and recorded in ``blocked``;
    ``requests`` records every URL asked for, ``errors`` every script error."""

    def __init__(self, browser, path, *, viewport=(1280, 900)):
        self.blocked: list[str] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(path.as_uri())

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def wait_for_map(self):
        self.page.wait_for_function("window.RedistrictMap && window.RedistrictMap.ready === true", timeout=10_000)
        return self

    def close(self):
        self.context.close()
