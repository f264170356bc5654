"""Statistics in one place: the step distribution a run records, and the spread rules.

A run keeps the summary of its steady steps (every step after the first), so
later analysis can state a spread without the raw times. The report and
``compare`` use the same summary and the same rule for "distinguishable".
"""
from __future__ import annotations

import math
import statistics


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
