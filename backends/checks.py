"""The checks of a value that more than one place must make, with one message each.

The harness's validation boundary (``harness.inputs.validate``) and the public
builders (``make_circuit``, ``build_layer``, the dataset loaders) call these, so
a mistake reads the same whether it is typed on the command line or passed in
Python: what was wrong, and what is accepted.
"""
from __future__ import annotations

import math
import numbers
import re

from backends.errors import UserError

MAX_QUBITS = 30
# label -> (minimum, maximum) for the whole numbers the layers themselves take. The bounds are far
# above any sensible run and low enough that no library overflows: seeds go to numpy and torch,
# shots to Aer's counters.
RANGES: dict[str, tuple[int, int]] = {
    "seed": (0, 2 ** 32 - 1),
    "qubits": (1, MAX_QUBITS),
    "layers": (1, 1000),
    "threads": (1, 1024),
    "shots": (1, 10 ** 9),
}
_WHOLE = re.compile(r"[+-]?[0-9]{1,30}")


def shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def whole(label: str, value, lo: int, hi: int) -> int:
    """A whole number from ``lo`` to ``hi``, from an int or the text typed."""
    bad = UserError(f"{label} must be a whole number from {lo} to {hi}; received {shown(value)}")
    if isinstance(value, str):
        text = value.strip()
        # int() refuses more than 4300 digits with its own error; the range says it better
        if not _WHOLE.fullmatch(text):
            raise bad
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not lo <= value <= hi:
        raise bad
    return int(value)


def ranged(label: str, value) -> int:
    """A whole number within ``RANGES[label]``."""
    return whole(label, value, *RANGES[label])


def real(label: str, value, lo: float, hi: float, closed: bool = True) -> float:
    """A finite real number from ``lo`` (or above it, when not ``closed``) to ``hi``."""
    accepted = f"{'from' if closed else 'above'} {lo:g} {'to' if closed else 'and at most'} {hi:g}"
    bad = UserError(f"{label} must be a finite number {accepted}; received {shown(value)}")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise bad from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise bad
    value = float(value)
    if not math.isfinite(value) or value > hi or value < lo or (value == lo and not closed):
        raise bad
    return value


def digit_pair(value) -> tuple[int, int]:
    """Two different digits 0-9, from a pair or the text typed ("3,7")."""
    bad = UserError(f"digits must be two different digits 0-9 such as 3,7; received {shown(value)}")
    if isinstance(value, str):
        parts = [t.strip() for t in value.split(",")]
        if not all(p.isdigit() and len(p) == 1 for p in parts):
            raise bad
        value = tuple(int(p) for p in parts)
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise bad
    if any(isinstance(d, bool) or not isinstance(d, numbers.Integral) or not 0 <= d <= 9 for d in value):
        raise bad
    if value[0] == value[1]:
        raise bad
    return int(value[0]), int(value[1])


def shots(value) -> int | None:
    """None (or omitted, "exact") means exact; otherwise a whole number of shots in range."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in ("", "none", "exact"):
        return None
    return ranged("shots", value)
