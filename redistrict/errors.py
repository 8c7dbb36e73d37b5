"""Errors and exit codes of the command line (documented in the README)."""
from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_NO_SOLUTION = 4
EXIT_RULES_BROKEN = 5   # `check`: the proposed plan breaks at least one rule (its folder is written)


class UsageError(ValueError):
    """A flag, scenario file or profile the user gave cannot be used."""


class InfeasibleError(RuntimeError):
    """No plan can satisfy the rules: the reasons are in the message."""


class NoSolutionError(RuntimeError):
    """The solver found no plan within the time limit (none was proven impossible either)."""
