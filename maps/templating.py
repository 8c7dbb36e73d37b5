"""The jinja2 environment for this package's HTML templates, and the one way data enters a page.

Names, fields and values from the user's files are *values* given to fixed templates, never template
source: the environment is sandboxed and autoescapes, so ``{{7*7}}`` or ``<script>`` in a name is shown
as text. Data for a page's scripts goes through ``script_json``, safe inside ``<script>``.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

# characters that could end or confuse a <script> element ("</script>", "<!--<script>"), or a JS string
# in older engines (U+2028/U+2029 line separators); escaped as \uXXXX, which JSON.parse and JS read back
_SCRIPT_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027",
                                 "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_json(value: Any) -> Markup:
    """``value`` as JSON text that can sit inside an HTML ``<script>`` element as a JS expression."""
    return Markup(json.dumps(value, ensure_ascii=False).translate(_SCRIPT_ESCAPES))


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = SandboxedEnvironment(
        loader=jinja2.PackageLoader("maps", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["script_json"] = script_json
    return env


def render(template: str, **values: object) -> str:
    return environment().get_template(template).render(**values)
