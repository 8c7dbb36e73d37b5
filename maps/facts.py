"""The caller's per-community facts (``Proposal.community_facts``) as text for the report and the map."""
from __future__ import annotations

from typing import Any, Mapping

from maps.wording import count

#: (key in ``facts_text``, label) in the order the map's tooltip shows them.
FACT_LABELS = (("service_site", "服务站点 Service site"), ("headroom", "余量 Headroom"))


def facts_text(facts: Mapping[str, Any]) -> dict[str, str]:
    """{service_site, headroom}: one line each ('' when the caller gave none)."""
    site = facts.get("service_site") or {}
    kind = str(site.get("kind", ""))
    if not site:
        site_text = ""
    elif kind == "existing facility":
        site_text = f"{site.get('name', '')}（现有设施 existing facility）"
    else:
        site_text = f"拟设 {kind}"
    rows = []
    for row in facts.get("headroom") or ():
        room = float(row.get("headroom", 0.0))
        state = f"余 {count(room)} to spare" if room >= 0 else f"超出 {count(-room)} over"
        rows.append(f"{row.get('rule', '')} {count(row.get('limit'))}：{state}")
    return {"service_site": site_text, "headroom": "；".join(rows)}
