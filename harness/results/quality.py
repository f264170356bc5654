"""How well a run learned, in words: accuracy for classifiers, mean squared error for regressions.

A regression row has ``train_mse``/``test_mse`` and no accuracy (None); the
run summary and the sweep's progress lines say whichever the row has.
"""
from __future__ import annotations


def is_regression(row: dict) -> bool:
    return row.get("test_mse") is not None and row.get("test_accuracy") is None


def quality_line(row: dict) -> str:
    """One phrase for the run summary."""
    if is_regression(row):
        return f"mean squared error train {row['train_mse']:.4f}, test {row['test_mse']:.4f}"
    if row.get("train_accuracy") is None:          # a task that scores only its test set (scaling)
        return f"accuracy test {100 * row['test_accuracy']:.1f}%"
    return f"accuracy train {100 * row['train_accuracy']:.1f}%, test {100 * row['test_accuracy']:.1f}%"


def short_quality(row: dict) -> str:
    """A few characters for a progress line."""
    if is_regression(row):
        return f"test MSE {row['test_mse']:.3g}"
    return f"test acc {100 * row['test_accuracy']:.0f}%"
