"""Every table in full as CSV, and every run of the store (runs.csv)."""
from __future__ import annotations

import json
from pathlib import Path

from harness.reporting.report import Report
from harness.results.stats import (
    format_mib,
    format_spread,
)

# Spread columns that are not times: memory as MiB; accuracy and MSE have their numbers in columns already
NOT_TIMES = {"run_mem": format_mib, "above_setup": format_mib, "least_memory_above": format_mib,
             "accuracy": None, "mse": None}


def _cell_text(v) -> str:
    if hasattr(v, "median") and hasattr(v, "n"):       # a Spread: median, interval and n in CSV columns already
        return ""
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return v


def write_csv(report: Report, out: Path) -> Path:
    """Every table in full, and every run of the store (runs.csv)."""
    from harness.results.stats import Spread
    for name in ("summary", "advice", "flips", "scaling", "crossovers", "growth", "failures", "busy", "benchmarks", "spread"):
        table = getattr(report, name)
        if table.empty:
            continue
        table = table.copy()
        for col, fmt in NOT_TIMES.items():
            if col in table:
                table[col] = table[col].map(fmt) if fmt else None
                if fmt is None:
                    table = table.drop(columns=col)
        for col in list(table.columns):        # a Spread column becomes its text; its numbers have columns already
            if table[col].map(lambda v: isinstance(v, Spread)).any():
                table[col] = table[col].map(lambda v: format_spread(v) if isinstance(v, Spread) else v)
        table.to_csv(out / f"{name}.csv", index=False)
    runs = report.rows.drop(columns=["config", "family"], errors="ignore")
    runs = runs.map(_cell_text) if hasattr(runs, "map") else runs.applymap(_cell_text)
    runs.to_csv(out / "runs.csv", index=False)
    return out / "summary.csv"
