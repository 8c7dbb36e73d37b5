"""Errors of the maps package; they are also builtins so ``except ValueError`` keeps working."""


class OutputError(ValueError):
    """What the caller handed to ``write_outputs`` cannot be written as given (missing column, bad CRS,
    unknown base map). The message lists every problem found, each naming the option and the column."""
