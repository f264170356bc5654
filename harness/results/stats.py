"""Statistics in one place: the step distribution a run records, and the spread rules.

A run keeps the summary of its steady steps (every step after the first), so
later analysis can state a spread without the raw times. The report and
``compare`` use the same summary and the same rule for "distinguishable".
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass


def quantiles(values: list[float]) -> tuple[float, float, float]:
    """First quartile, median, third quartile (the inclusive method: defined from n = 1)."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def summarize(values) -> dict | None:
    """n, median, quartiles, min and max of ``values`` (None for no values)."""
    values = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not values:
        return None
    q1, median, q3 = quantiles(values)
    return {"n": len(values), "median": median, "q1": q1, "q3": q3, "min": min(values), "max": max(values)}


# --- the rule for claims -------------------------------------------------------
# A figure is stated as the median of its runs with an interval; two figures are
# told apart only when their intervals do not overlap and each rests on enough
# evidence: at least MIN_RUNS independent processes and, for a step time,
# MIN_STEADY_STEPS steady steps in every run: one run's steps are not independent of each other, so n counts processes.
MIN_RUNS = 3
MIN_STEADY_STEPS = 20
# A figure with fewer runs may still be placed *behind* a well-measured one when even its lowest value lies more
# than FAR_APART times beyond the other's interval: the sweep's --drop-slow runs no more seeds of a backend that
# far behind after its first. 4 is above the largest ratio between the slowest and fastest of three runs of one
# configuration in the committed stores (3.86, once in 579: kokkos-shift training tutorial-regress; 99% are
# below 2.3). Never the other way round: one run is not evidence that something is ahead.
FAR_APART = 4.0
FASTER, SLOWER, NOT_DISTINGUISHABLE = "faster", "slower", "not distinguishable"


@dataclass(frozen=True)
class Spread:
    """A figure over ``n`` runs: the median of the runs' values and the interval it is stated with.

    ``low``-``high`` is the range of the runs' values, widened to the runs' own
    quartiles when each run is itself a distribution (steady steps), so a claim
    covers both the variation between processes and the variation within one.
    ``steps`` is the fewest steady steps of any run (None when not a step time).
    """
    median: float
    low: float
    high: float
    n: int
    steps: int | None = None

    def lacking(self) -> str | None:
        """Why this figure cannot support a claim, or None when it can."""
        if self.n < MIN_RUNS:
            return f"n={self.n} < {MIN_RUNS} runs"
        if self.steps is not None and self.steps < MIN_STEADY_STEPS:
            return f"{self.steps} < {MIN_STEADY_STEPS} steady steps per run"
        return None


def spread_of(values, quartiles=None, steps=None) -> Spread | None:
    """The ``Spread`` of per-run ``values``; ``quartiles`` are per-run (q1, q3) pairs, if known."""
    values = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not values:
        return None
    low, high = min(values), max(values)
    for q1, q3 in quartiles or ():
        if q1 is not None and math.isfinite(q1):
            low = min(low, float(q1))
        if q3 is not None and math.isfinite(q3):
            high = max(high, float(q3))
    return Spread(statistics.median(values), low, high, len(values), steps)


def verdict(a: Spread | None, b: Spread | None) -> tuple[str, str]:
    """(word, why): is ``a`` faster than ``b``, slower, or not distinguishable, and on what grounds.

    Lower is faster. A claim needs both figures to have enough evidence and
    their intervals not to overlap.
    """
    if a is None or b is None:
        return NOT_DISTINGUISHABLE, "no figure for one of the two"
    if _far_behind(a, b):
        return SLOWER, f"n={a.n}, every run beyond {FAR_APART:g}x the other's interval"
    if _far_behind(b, a):
        return FASTER, f"n={b.n}, every run beyond {FAR_APART:g}x the other's interval"
    for s in (a, b):
        if s.lacking():
            return NOT_DISTINGUISHABLE, s.lacking()
    if a.high < b.low:
        return FASTER, "intervals apart"
    if a.low > b.high:
        return SLOWER, "intervals apart"
    return NOT_DISTINGUISHABLE, "intervals overlap"


def _far_behind(few: Spread, full: Spread) -> bool:
    """``few`` lacks only runs, ``full`` lacks nothing, and ``few``'s lowest value is more than ``FAR_APART``
    times ``full``'s highest (both positive)."""
    return (few.n < MIN_RUNS and few.n >= 1 and not full.lacking() and full.high > 0
            and (few.steps is None or few.steps >= MIN_STEADY_STEPS)
            and few.low > FAR_APART * full.high)


def format_seconds(seconds: float, unit: str | None = None) -> str:
    """A time with three significant figures in s or ms (``unit`` forces one)."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    unit = unit or ("s" if abs(seconds) >= 1 else "ms")
    value = seconds * 1e3 if unit == "ms" else seconds
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}" if abs(value) >= 1 else f"{value:.3g}"


def format_spread(s: Spread | None, unit: str | None = None, with_unit: bool = True) -> str:
    """'12.3 ms (11.9-13.0, n=3)': the median, its interval and the number of runs."""
    if s is None:
        return "-"
    unit = unit or ("s" if abs(s.median) >= 1 else "ms")
    body = f"{format_seconds(s.median, unit)}{' ' + unit if with_unit else ''}"
    low, high = format_seconds(s.low, unit), format_seconds(s.high, unit)
    if low == high:                     # one run, or runs that agree to three figures: no interval to show
        return f"{body} (n={s.n})"
    return f"{body} ({low}-{high}, n={s.n})"


def format_mib(s: Spread | None) -> str:
    """'471 MiB (470-472, n=3)': a memory figure with its interval (one decimal under 10 MiB)."""
    if not isinstance(s, Spread):
        return "-"
    f = (lambda v: f"{v:.1f}") if abs(s.median) < 10 else (lambda v: f"{v:.0f}")
    low, high = f(s.low), f(s.high)
    return f"{f(s.median)} MiB (n={s.n})" if low == high else f"{f(s.median)} MiB ({low}-{high}, n={s.n})"
