"""The report's first line: which commit measured the rows, and whether its working tree was clean.

A row records ``git_commit`` as the short hash of HEAD, with ``+dirty`` when tracked files had uncommitted
changes (harness/results/provenance.py), and ``code_version``, a digest of the measuring code as it was on
disk. The row cannot say what the uncommitted change was, but the store can say whether it touched the
measuring code: a dirty row whose code version is also that of clean rows ran committed measuring code (the
change was elsewhere: docs, tests, the report); one whose code version no clean row shares may have measured
code that was never committed.
"""
from __future__ import annotations

import pandas as pd

DIRTY = "+dirty"


def _column(rows: pd.DataFrame, name: str) -> pd.Series:
    if name not in rows:
        return pd.Series([None] * len(rows), index=rows.index, dtype=object)
    return rows[name].astype(object).where(rows[name].notna(), None)


def provenance(rows: pd.DataFrame) -> str:
    """One sentence, e.g. "Measured from a clean commit: 99a42b1a643c (all 443 rows)." or, for a mix,
    each commit with its share of the rows and, for uncommitted changes, what the code version tells."""
    total = len(rows)
    if not total:
        return "No rows, so no provenance."
    commits, codes = _column(rows, "git_commit"), _column(rows, "code_version")
    clean_codes: dict[str, str] = {}          # code version -> a clean commit that measured with it
    for commit, code in zip(commits, codes):
        if commit and not str(commit).endswith(DIRTY) and code:
            clean_codes.setdefault(code, commit)
    counts = commits.fillna("").value_counts(sort=False)
    order = sorted(counts.index, key=lambda c: (-counts[c], c))
    if len(order) == 1 and order[0] and not order[0].endswith(DIRTY):
        return f"Measured from a clean commit: {order[0]} (all {total} rows)."
    parts = []
    for commit in order:
        n = counts[commit]
        share = f"{n} of {total} rows" if len(order) > 1 else f"all {total} rows"
        if not commit:
            parts.append(f"from an unknown commit ({share}: no git_commit recorded)")
        elif not commit.endswith(DIRTY):
            parts.append(f"from commit {commit} (clean, {share})")
        else:
            base = commit[: -len(DIRTY)]
            mine = sorted({c for c, k in zip(codes, commits) if k == commit and c})
            parts.append(f"from {base} with uncommitted changes ({share}; {_what_changed(mine, clean_codes)})")
    return "Measured " + "; ".join(parts) + "."


def _what_changed(codes: list[str], clean_codes: dict[str, str]) -> str:
    if not codes:
        return "no code version recorded, so whether the change touched the measuring code is unknown"
    known = [c for c in codes if c in clean_codes]
    if len(known) == len(codes):
        return ("measuring code version " + ", ".join(f"{c}, as in the clean rows of {clean_codes[c]}" for c in codes)
                + ": the change left the measuring code as committed")
    unknown = [c for c in codes if c not in clean_codes]
    return (f"measuring code version {', '.join(unknown)}, which no clean row shares: the change may have "
            f"touched what was measured")
