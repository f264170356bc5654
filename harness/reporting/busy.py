"""Runs timed on a busy machine: kept apart from every figure and claim unless asked for.

Each ok row says whether the rest of the machine took the run's cores while it
trained (``busy``, decided in the child by the rule of
``harness/measuring/load.py``). Rows stored before that was measured have no
``busy``, nor do runs that trained too briefly for /proc/stat's ticks to tell:
unknown, read as quiet, and said so once.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from backends import UserError
from harness.reporting.groups import configurations, latest
from harness.results.words import plural, verb


def busy_mask(rows: pd.DataFrame) -> pd.Series:
    """Ok rows marked busy (True only: a missing or empty figure is unknown, not busy)."""
    if "busy" not in rows:
        return pd.Series(False, index=rows.index)
    marked = rows["busy"].astype(object).map(lambda v: isinstance(v, (bool, np.bool_)) and bool(v))
    return (rows["status"] == "ok") & marked


def split_busy(rows: pd.DataFrame, source="") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the busy ok rows, every other row); a UserError when nothing but busy rows is left."""
    mask = busy_mask(rows)
    if mask.all():
        raise UserError(f"every run in {source or 'the store'} ({plural(len(latest(rows[mask])), 'run')}) was timed on a "
                        f"busy machine, so there is nothing quiet to report; --include-busy counts them")
    return rows[mask], rows[~mask]


def unknown_count(rows: pd.DataFrame) -> tuple[int, int]:
    """(ok rows without a busy figure, ok rows)."""
    ok = rows[rows["status"] == "ok"]
    if "busy" not in ok:
        return len(ok), len(ok)
    return int(ok["busy"].astype(object).map(lambda v: not isinstance(v, (bool, np.bool_))).sum()), len(ok)


def _cores(v) -> str:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return "-"
    return "-" if v != v else f"{v:.2f}"


def busy_table(rows: pd.DataFrame, busy_rows: pd.DataFrame, include_busy: bool) -> pd.DataFrame:
    """One line per busy run (the newest per configuration, backend and seed): its training time, the
    others' cores and the steal, and whether the report counts it."""
    columns = ["configuration", "backend", "seed", "training s", "others' cores", "steal cores", "counted"]
    if busy_rows.empty:
        return pd.DataFrame(columns=columns)
    labels = dict(zip(*(configurations(latest(rows))[c] for c in ("config", "label"))))
    busy = latest(busy_rows)
    key = lambda df: df["config"] + "|" + df["backend"] + "|" + df["seed"]      # noqa: E731
    others = rows[~busy_mask(rows) & (rows["status"] == "ok")]
    quiet_keys = set(key(others)) if len(others) else set()
    counted = ["yes (--include-busy)" if include_busy else
               "no: a quiet run of it is counted" if k in quiet_keys else "no" for k in key(busy)]
    return pd.DataFrame({
        "configuration": busy["config"].map(labels).values, "backend": busy["backend"].values,
        "seed": busy["seed"].values, "training s": [_cores(v) for v in busy.get("train_s", [])],
        "others' cores": [_cores(v) for v in busy["train_other_busy_cores"]],
        "steal cores": [_cores(v) for v in busy["train_steal_cores"]], "counted": counted}, columns=columns)


def busy_warnings(rows: pd.DataFrame, busy_rows: pd.DataFrame, include_busy: bool, where: str) -> list[str]:
    """What the reader must know: how many runs were busy and what happened to them; how many are unknown."""
    out = []
    n = len(latest(busy_rows)) if len(busy_rows) else 0
    if n and include_busy:
        out.append(f"{plural(n, 'run')} {verb(n, 'was', 'were')} timed on a busy machine and {verb(n, 'is', 'are')} counted (--include-busy): their timings are "
                   f"disturbed (see {where})")
    elif n:
        out.append(f"{plural(n, 'run')} {verb(n, 'was', 'were')} timed on a busy machine and {verb(n, 'is', 'are')} left out of every figure, claim, crossover "
                   f"and advice (see {where}); --include-busy counts them")
    unknown, ok = unknown_count(rows)
    if unknown:
        out.append(f"{unknown} of {ok} ok runs do not say whether the machine was quiet (stored before its load "
                   f"was measured, or trained too briefly to tell): they are counted as quiet")
    return out
