"""A CJK font for matplotlib, if the machine has one; otherwise figures use English labels.

matplotlib keeps its font list in a cache built on first use; a CJK font installed afterwards (apt-get
install fonts-noto-cjk) is not in it, so font files with CJK-looking names are registered from disk first.
Every label is checked glyph by glyph against the chosen font, so nothing is ever drawn as empty boxes.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

log = logging.getLogger(__name__)

PREFERRED_FAMILIES = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Microsoft YaHei", "PingFang SC", "SimHei", "Heiti SC", "Noto Serif CJK SC", "Source Han Serif SC",
    "AR PL UMing CN", "Droid Sans Fallback",
)
_CJK_FILE = re.compile(r"cjk|wqy|wenquanyi|sourcehan|simhei|simsun|msyh|yahei|pingfang|droidsansfallback|"
                       r"uming|ukai|notosanssc|notoserifsc|heiti", re.IGNORECASE)
_SAMPLE = "方案社区人口户数东南西北新"


@lru_cache(maxsize=1)
def _register_system_cjk_files() -> None:
    known = {Path(entry.fname) for entry in font_manager.fontManager.ttflist}
    for path in sorted(font_manager.findSystemFonts()):
        if _CJK_FILE.search(Path(path).name) and Path(path) not in known:
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError) as error:  # a broken font file must not stop a run
                log.debug("skipping font %s: %s", path, error)


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """The file of the first preferred CJK family installed that covers common Chinese characters."""
    _register_system_cjk_files()
    by_family: dict[str, list[str]] = {}
    for entry in font_manager.fontManager.ttflist:
        by_family.setdefault(entry.name, []).append(entry.fname)
    for family in PREFERRED_FAMILIES:
        for path in sorted(by_family.get(family, [])):
            if covers(path, _SAMPLE):
                log.debug("CJK font for figures: %s (%s)", family, path)
                return path
    log.info("no CJK font installed: figures use English labels (install fonts-noto-cjk for Chinese)")
    return None


@lru_cache(maxsize=8)
def _charmap(path: str) -> frozenset[int]:
    return frozenset(FT2Font(path).get_charmap())


def covers(path: str, text: str) -> bool:
    """True when the font file has a glyph for every non-space character of ``text``."""
    codes = _charmap(path)
    return all(ord(ch) in codes for ch in text if not ch.isspace())
