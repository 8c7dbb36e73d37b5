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
EXIT_SOME_FAILED = 6     # batch: some communities failed, the others are done


class Interrupted(KeyboardInterrupt):
    """A signal (SIGTERM) arrived: raised so that every ``finally`` and cleanup runs, as for Ctrl-C."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"signal {signum}")


#: Signals received during this command, in order (recorded by ``redistrict.cli``). A solver library may
#: catch the exception a signal raises and carry on (highspy, when it arrives inside a callback of its
#: MIP): an output is only committed while this is empty (``raise_if_signalled``).
RECEIVED_SIGNALS: list[int] = []


def raise_if_signalled() -> None:
    """Raise ``Interrupted`` for the first signal received, even if the code it arrived in swallowed it."""
    if RECEIVED_SIGNALS:
        raise Interrupted(RECEIVED_SIGNALS[0])


class NoSplitNeeded(Exception):
    """The community already meets the size rule, or has nobody in it: nothing to split, nothing written.

    Not an error: the command exits 0 and says so."""

    def __init__(self, community: str, size: float, cap: float, attr: str):
        self.community, self.size, self.cap, self.attr = community, size, cap, attr
        what = "residents" if attr == "population" else attr
        if size <= 0:
            text = f"no split needed: {community} has no {what}"
        else:
            text = f"no split needed: {community} holds {size:,.0f} ≤ {cap:,.0f} {what}"
        super().__init__(text)
