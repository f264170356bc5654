"""`harness report`: tables, crossovers, advice and plots from a results store."""
from __future__ import annotations

import sys
from pathlib import Path


def run(*, results="results", format="md", out=None, reference="torch", benchmarks=None,
        include_busy=False, self_contained=False) -> int:
    from backends import UserError
    from harness.inputs.validate import check_report
    from harness.reporting.render import FORMATS, SELF_CONTAINED_HTML_ONLY, write
    from harness.reporting.report import build_report

    if not isinstance(self_contained, bool):
        raise UserError(f"self_contained must be True or False, not {self_contained!r}")
    if self_contained and format in FORMATS and format != "html":      # before any folder is made
        raise UserError(SELF_CONTAINED_HTML_ONLY.format(fmt=format))
    check_report(results, format, reference, out, benchmarks, FORMATS, include_busy)
    bench = benchmarks if benchmarks is not None else sorted(
        str(p) for p in (Path(results) / "benchmarks").rglob("*.json"))
    report = build_report(results, reference=reference, benchmark_files=bench, include_busy=include_busy)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    path = write(report, out or Path(results) / "report", format, self_contained=self_contained)
    print(f"report written to {path}")
    return 0
