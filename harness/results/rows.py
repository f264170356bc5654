"""A row made ready to store: non-finite numbers as null (and named), and small enough for every reader."""
from __future__ import annotations

import json
import math

from harness.results.fields import BULKY

# the one limit of a row, for the writer (``fit``) and every reader: longer lines are not read into memory
MAX_LINE_BYTES = 16 * 2 ** 20


def clean(row: dict) -> dict:
    """The row with every non-finite float as None and those fields listed in ``nonfinite``."""
    bad: list[str] = []

    def walk(value, name):
        if isinstance(value, float) and not math.isfinite(value):
            bad.append(name)
            return None
        if isinstance(value, dict):
            return {k: walk(v, f"{name}.{k}" if name else str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            # one name per list, not per item: a diverged test set of 10^5 points must not make a huge row
            return [walk(v, f"{name}[]") for v in value]
        return value

    out = walk(row, "")
    if bad:
        out["nonfinite"] = sorted(set(out.get("nonfinite") or []) | set(bad))
    return out


def encode(row: dict) -> bytes:
    # allow_nan=False: after clean() a non-finite number here is a bug, not a row to store
    return (json.dumps(clean(row), allow_nan=False, default=str) + "\n").encode()


def fit(row: dict) -> dict:
    """The row, small enough for every reader (``MAX_LINE_BYTES``): when it is not, its bulky per-point
    lists (``fields.BULKY``) go, largest first, and are named in ``trimmed``; the figures stay."""
    if len(encode(row)) <= MAX_LINE_BYTES:
        return row
    row = dict(row)
    sizes = sorted(((len(json.dumps(row[f], default=str)), f) for f in BULKY if f in row), reverse=True)
    for _, name in sizes:
        row.pop(name)
        row["trimmed"] = sorted(set(row.get("trimmed") or []) | {name})
        if len(encode(row)) <= MAX_LINE_BYTES:
            return row
    raise ValueError(f"a row of {len(encode(row)):,} bytes even without {', '.join(BULKY)}")   # a bug
