"""How a count reads in what the harness prints: "1 step", "2 steps", never "1 steps".

It sits with the results because both sides print counts: the running side
(``run``, ``sweep``) and the reading side (``report``, ``compare``).
"""
from __future__ import annotations

_IRREGULAR = {"process": "processes", "child process": "child processes", "was": "were", "is": "are",
              "comes": "come", "does": "do", "has": "have", "CPU": "CPUs"}


def plural(n, noun: str, many: str | None = None) -> str:
    """``n`` and ``noun``, the noun made plural unless ``n`` is exactly 1 (``many``: an irregular plural)."""
    return f"{n} {noun if n == 1 else many or _IRREGULAR.get(noun) or noun + 's'}"


def verb(n, one: str, many: str) -> str:
    """The verb that agrees with ``n``: ``verb(1, "was", "were")``."""
    return one if n == 1 else many


def did_you_mean(value, valid) -> str:
    """`` (did you mean X?)`` for the valid name closest to a mistyped one, or nothing when none is close."""
    import difflib
    close = difflib.get_close_matches(str(value), [str(v) for v in valid], n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""
