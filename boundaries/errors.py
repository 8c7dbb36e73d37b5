"""Errors of the boundaries package: each names the layer, the feature and what to do."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Problem:
    """One problem found in the input. ``feature`` is the feature's name (or row number)."""

    severity: Literal["error", "warning"]
    layer: str
    feature: str | None
    message: str
    hint: str = ""
    repair: str | None = None       # the --repair rule (boundaries.repair.RepairRule value) that fixes it
    area_m2: float | None = None    # the area that repair would change

    def __str__(self) -> str:
        where = self.layer if self.feature is None else f"{self.layer} «{self.feature}»"
        text = f"{self.severity}: {where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def to_dict(self) -> dict[str, str | None]:
        out = {"severity": self.severity, "layer": self.layer, "feature": self.feature,
               "message": self.message, "hint": self.hint}
        if self.repair is not None:
            out["repair"] = self.repair
        return out


class InputError(ValueError):
    """The user's data cannot be used; ``problems`` lists every reason at once."""

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("error", "input", None, problems)]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
