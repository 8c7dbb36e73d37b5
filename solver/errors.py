"""Errors of the solver package; they are also builtins so ``except ValueError`` keeps working."""


class SolverError(RuntimeError):
    """The backend failed in a way that is not the user's input (missing solver, crash)."""


class SpecError(ValueError):
    """The spec or the graph cannot be solved as given (bad attribute, bad number)."""
