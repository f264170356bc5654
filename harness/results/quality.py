"""How well a run learned, in words: accuracy for classifiers, mean squared error for regressions.

A regression row has ``train_mse``/``test_mse`` and no accuracy (None); the
run summary and the sweep's progress lines say whichever the row has. A run
whose loss went to NaN or infinity is still a result: its row is stored with
those figures as null and named in ``nonfinite``, and every reader says
"diverged" instead of a figure.
"""
from __future__ import annotations

QUALITY = ("final_loss", "loss_per_epoch", "train_accuracy", "test_accuracy", "train_mse", "test_mse",
           "function_eval_losses")


def diverged(row: dict) -> list[str]:
    """The quality figures of ``row`` that were not finite (its loss diverged); [] when none."""
    bad = row.get("nonfinite")
    if not isinstance(bad, list):
        return []
    return sorted({name.split("[")[0].split(".")[0] for name in bad} & set(QUALITY))


def is_regression(row: dict) -> bool:
    return "test_mse" in row and row.get("test_accuracy") is None


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _num(value, fmt=".4f") -> str:
    return "-" if value is None else format(value, fmt)


def quality_line(row: dict) -> str:
    """One phrase for the run summary."""
    bad = diverged(row)
    if bad:
        return f"diverged: {', '.join(bad)} not finite (stored as null)"
    if is_regression(row):
        return f"mean squared error train {_num(row.get('train_mse'))}, test {_num(row.get('test_mse'))}"
    if row.get("train_accuracy") is None:          # a task that scores only its test set (scaling)
        return f"accuracy test {_pct(row.get('test_accuracy'))}"
    return f"accuracy train {_pct(row.get('train_accuracy'))}, test {_pct(row.get('test_accuracy'))}"


def short_quality(row: dict) -> str:
    """A few characters for a progress line."""
    if diverged(row):
        return "diverged"
    if is_regression(row):
        return f"test MSE {_num(row.get('test_mse'), '.3g')}"
    test = row.get("test_accuracy")
    return "test acc -" if test is None else f"test acc {100 * test:.0f}%"
