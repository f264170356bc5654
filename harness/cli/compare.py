"""`harness compare A B`: two results stores (or pytest-benchmark JSON files) side by side."""
from __future__ import annotations

import sys

from backends import UserError


def run(*, a, b, format="md", fail_if_slower=None, include_busy=False) -> int:
    """Exit status 0; 1 when ``fail_if_slower`` is given and some group of B is distinguishably slower
    than A by more than that ratio."""
    from harness.reporting.compare import FORMATS, compare, format_comparison, slower_than, totals

    if format not in FORMATS:
        raise UserError(f"unknown compare format '{format}'; valid: {', '.join(FORMATS)}")
    result = compare(a, b, include_busy=include_busy)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if format == "csv" and any(result.busy.values()):      # the table alone on stdout; busy rows change it
        for note in result.notes[:2]:
            print(f"note: {note}", file=sys.stderr)
    print(format_comparison(result, format), end="")
    print(totals(result), file=sys.stderr)
    if fail_if_slower is None:
        return 0
    failing = slower_than(result, fail_if_slower)
    for line in failing:
        print(f"slower: {line}", file=sys.stderr)
    if failing:
        print(f"compare: {len(failing)} figure{'s' if len(failing) > 1 else ''} of B slower than A by more than "
              f"{fail_if_slower:g}x (distinguishably)", file=sys.stderr)
        return 1
    return 0
