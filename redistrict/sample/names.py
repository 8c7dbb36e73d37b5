"""Chinese names for synthetic places: estates, roads, villages, communities.

The pools imitate how places are named in Dongguan (developer-style estate names, numbered minor roads,
former village names for 村改居 land). Every name is drawn through a seeded ``numpy`` generator, so the
same seed always gives the same names; :class:`NamePicker` keeps names unique across one generated data set.
"""
from __future__ import annotations

import numpy as np

# Estate names: a developer-style stem plus a suffix (翠湖 + 花园 -> 翠湖花园).
ESTATE_STEMS = (
    "翠湖", "御景", "锦绣", "星河", "金域", "君临", "东湖", "峰景", "帝庭", "江南", "天骄", "君豪",
    "海德", "鸿福", "世纪", "丽景", "盈峰", "翡翠", "半岛", "金地", "华凯", "愉景", "光大", "富盈",
    "新城", "南峰", "碧水", "景湖", "骏景", "怡景", "宏远", "汇景", "泰和", "嘉华", "信立", "丰泰",
    "金月", "紫荆", "雍华", "铂悦", "云山", "天鹅", "凯旋", "东方", "水岸", "龙湾", "朗晴", "尚书",
    "桃源", "碧云", "玉兰", "雅园", "花城", "榕景", "荔景", "松湖", "旗峰", "黄旗", "同沙", "樟村",
    "温塘", "鸿禧", "润园", "万象", "锦华", "明珠", "银丰", "恒丰", "金色", "蓝山", "绿地", "山水",
    "博雅", "棕榈", "香榭", "时代", "逸翠", "御峰", "鼎峰", "誉峰", "兰亭", "静安", "聚福", "长城",
)
ESTATE_SUFFIXES = (
    "花园", "华府", "名苑", "豪庭", "雅苑", "公馆", "山庄", "嘉园", "御府", "新村", "名门", "天地",
    "雅居", "悦府", "尚城", "华庭", "春天", "湾", "城", "壹号", "广场", "苑", "居", "府", "庭", "轩",
    "郡", "国际", "家园", "花苑",
)
# Multi-phase developments (万科城一期 / 二期 ...): the stem is the keep-together ``group``.
PHASED_STEMS = (
    "万科城", "碧桂园", "中海花城", "星河丹堤", "金地格林小镇", "保利花园", "华润城", "华发新城", "万达华府",
    "龙湖春江", "招商雍景湾", "越秀星汇", "富力新城", "合生君景", "雅居乐花园", "金地名京",
)
PHASE_ORDINALS = ("一期", "二期", "三期", "四期")

# Arterial roads and rivers of Dongguan (used for the synthetic network's names only).
ARTERIAL_NAMES = (
    "东城大道", "莞樟路", "旗峰路", "东纵大道", "莞太路", "莞龙路", "东莞大道", "鸿福路", "元美路",
    "石龙路", "环城路", "松山湖大道", "新城大道", "八一路", "光明大道", "学院路", "莞长路", "寮步大道",
    "东泰路", "运河路", "万江路", "南城大道", "宏图路", "体育路", "三元路", "新基路", "莞穗路", "东源路",
    "金鳌路", "沿河路", "峡口路", "科技大道",
)
RIVER_NAMES = ("东引运河", "寒溪河", "黄沙河", "石马河", "同沙河")

MINOR_ROAD_SUFFIXES = (
    "一路", "二路", "三路", "四路", "五路", "北路", "南路", "中路", "东路", "西路", "大街", "横路",
    "北街", "南街", "新路", "前路", "后街", "一巷", "二巷",
)

# Community and village names: a place-like first character plus a landform character (上围, 樟村, 新塘).
PLACE_FIRST = (
    "上", "下", "新", "大", "小", "石", "桥", "竹", "樟", "榕", "凤", "龙", "虎", "鳌", "牛", "鹤",
    "雁", "金", "峰", "湖", "沙", "岭", "东", "西", "南", "北", "白", "黄", "柏", "梨", "桑", "荔",
    "莲", "鸿", "翠", "温", "周", "陈", "林", "罗",
)
PLACE_SECOND = (
    "围", "塘", "湖", "坑", "园", "桥", "村", "涌", "岭", "洲", "坊", "埔", "沥", "边", "屋", "美",
    "丰", "兴", "华", "安", "和", "景", "岗", "田", "头", "溪", "山", "光", "庄", "基",
)


class NamePicker:
    """Draws unique names from the pools with one seeded generator.

    One picker serves one generated data set, so that no two estates (or communities) share a name.
    When a pool runs out the name gets a place qualifier (``榕湖翠湖花园``), as real duplicates do.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def _unique(self, candidates: list[str], qualifier: str) -> str:
        order = self._rng.permutation(len(candidates))
        for index in order:
            name = candidates[int(index)]
            if name not in self._used:
                self._used.add(name)
                return name
        for index in order:
            name = qualifier + candidates[int(index)]
            if name not in self._used:
                self._used.add(name)
                return name
        number = 2
        while True:
            name = f"{qualifier}{candidates[int(order[0])]}{number}"
            if name not in self._used:
                self._used.add(name)
                return name
            number += 1

    def estate(self, *, qualifier: str) -> str:
        """A developer-style estate name such as 翠湖花园."""
        # Draw the stem first so that names spread over the whole pool instead of filling stems in order.
        stem = ESTATE_STEMS[int(self._rng.integers(len(ESTATE_STEMS)))]
        return self._unique([stem + suffix for suffix in ESTATE_SUFFIXES], qualifier)

    def phased(self, *, qualifier: str) -> str:
        """The stem of a multi-phase development (万科城), unique in the data set."""
        return self._unique(list(PHASED_STEMS), qualifier)

    def place(self, *, suffix: str) -> str:
        """A two-character place name plus ``suffix`` (上围 + 社区, 樟村 + 村)."""
        candidates = [a + b + suffix for a in PLACE_FIRST for b in PLACE_SECOND if a != b]
        return self._unique(candidates, "新")

    def arterial(self) -> str:
        return self._unique(list(ARTERIAL_NAMES), "新")

    def river(self) -> str:
        return self._unique(list(RIVER_NAMES), "新")

    def minor_road(self, *, root: str) -> str:
        """A minor road named after its community (翠峰一路, 翠峰北街)."""
        return self._unique([root + suffix for suffix in MINOR_ROAD_SUFFIXES], root)
