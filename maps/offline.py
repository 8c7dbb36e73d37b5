"""Everything the web map needs, inlined: Leaflet's JS and CSS (from the installed ``js_lib_leaflet``
package, with its images as data: URIs) and this package's own script and style, so ``map.html`` opens on
an intranet with no network at all."""
from __future__ import annotations

import base64
import re
from functools import lru_cache
from importlib import resources

_LEAFLET_PACKAGE = "js_lib_leaflet"
_CSS_URL = re.compile(r"url\((['\"]?)images/([A-Za-z0-9_.-]+\.png)\1\)")


def _leaflet_dir() -> resources.abc.Traversable:
    return resources.files(_LEAFLET_PACKAGE) / "static" / "js_lib_leaflet"


@lru_cache(maxsize=1)
def leaflet_js() -> str:
    return _safe_in_tag((_leaflet_dir() / "leaflet.js").read_text(encoding="utf-8"), "script")


@lru_cache(maxsize=1)
def leaflet_css() -> str:
    """Leaflet's stylesheet with ``url(images/…png)`` replaced by data: URIs (no file fetched either)."""
    images = _leaflet_dir() / "images"

    def inline(match: re.Match[str]) -> str:
        data = base64.b64encode((images / match.group(2)).read_bytes()).decode("ascii")
        return f'url("data:image/png;base64,{data}")'

    return _safe_in_tag(_CSS_URL.sub(inline, (_leaflet_dir() / "leaflet.css").read_text(encoding="utf-8")), "style")


@lru_cache(maxsize=None)
def package_static(name: str) -> str:
    """A file from ``maps/static`` (the map's own script and style)."""
    kind = "script" if name.endswith(".js") else "style"
    return _safe_in_tag((resources.files("maps") / "static" / name).read_text(encoding="utf-8"), kind)


def _safe_in_tag(text: str, tag: str) -> str:
    """Inlined code must not close its own <script>/<style> element early."""
    return re.sub(rf"</({tag})", r"<\\/\1", text, flags=re.IGNORECASE)
