"""Plots of what the tiny tasks learned: each regression's fit and each classifier's decisions.

The child records, for tasks small enough (the TorchConnector tutorial's),
the test points with the model's predictions (``test_points``) and, for a
regression, the fitted curve (``fit_curve``). One figure per task, one panel
per distinct result, from each backend's run with the lowest seed (exact backends learn the same model, so
backends whose predictions agree share a panel, named in its title and the caption): the regression's test points,
fitted curve and sin(x); the classifier's test points coloured by class with
wrong predictions circled in red and the true boundary x0 + x1 = 0, as the
tutorial draws them.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from harness.reporting.claims import CHOICES
from harness.reporting.render.plotting import _grid, _legend_outside, _plt, _save


def _runs_with_points(runs: pd.DataFrame) -> pd.DataFrame:
    if runs.empty or "test_points.prediction" not in runs:
        return pd.DataFrame()
    return runs[runs["test_points.prediction"].map(lambda v: isinstance(v, list))]


def _regression_panel(ax, row, name: str) -> None:
    x, y = np.array(row["test_points.x"]), np.array(row["test_points.target"])
    grid = np.linspace(-math.pi, math.pi, 200)
    ax.plot(row["fit_curve.x"], row["fit_curve.y"], "g-", lw=2.5, label="fit")
    ax.plot(grid, np.sin(grid), "r--", label="sin(x)")     # drawn over the fit, which follows it closely
    ax.plot(x, y, "bo", ms=4, label="test points")
    ax.set_xlabel("x")
    ax.set_title(f"{name} (seed {row['seed']}): test MSE {row['test_mse']:.4f}", fontsize=9)


def _classifier_panel(ax, row, name: str) -> None:
    x = np.array(row["test_points.x"])
    target, pred = np.array(row["test_points.target"]), np.array(row["test_points.prediction"])
    ax.scatter(x[target == 1, 0], x[target == 1, 1], c="tab:blue", s=18, label="class 1")
    ax.scatter(x[target == 0, 0], x[target == 0, 1], c="tab:green", s=18, label="class 0")
    wrong = pred != target
    ax.scatter(x[wrong, 0], x[wrong, 1], s=150, facecolors="none", edgecolors="r", linewidths=1.5,
               label="wrong")
    ax.plot([-1, 1], [1, -1], "--", color="black", lw=0.8, label="true boundary")
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_title(f"{name} (seed {row['seed']}): test acc {100 * (1 - wrong.mean()):.0f}%", fontsize=9)


def _same(a, b) -> bool:
    """Two runs learned the same thing: same seed, same predictions and, for a regression, the same curve."""
    if a["seed"] != b["seed"]:
        return False
    if isinstance(a.get("fit_curve.y"), list):
        return _close(a, b, "fit_curve.y") and _close(a, b, "test_points.prediction")
    return list(a["test_points.prediction"]) == list(b["test_points.prediction"])


def _close(a, b, column: str) -> bool:
    x, y = np.asarray(a[column], dtype=float), np.asarray(b[column], dtype=float)
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=1e-3, atol=1e-4))


def _distinct(first: pd.DataFrame) -> list[list[dict]]:
    """The runs grouped by what they learned, in the report's backend order."""
    rank = {b: i for i, b in enumerate(CHOICES + ("torch", "classical"))}
    rows = sorted(first.to_dict("records"), key=lambda r: (rank.get(r["backend"], len(rank)), r["backend"]))
    groups: list[list[dict]] = []
    for row in rows:
        for g in groups:
            if _same(g[0], row):
                g.append(row)
                break
        else:
            groups.append([row])
    return groups


def _named(group: list[dict]) -> str:
    names = [r["backend"] for r in group]
    return names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"


def plot_predictions(runs: pd.DataFrame, out: Path) -> list[tuple[Path, str]]:
    """One PNG per task with recorded test predictions, with its caption; [] when there are none."""
    runs = _runs_with_points(runs)
    if runs.empty:
        return []

    plt = _plt()
    made = []
    for task, g in runs.groupby("task", sort=False):
        first = g.sort_values("seed").groupby("backend", sort=False).head(1)
        groups = _distinct(first)
        columns = min(len(groups), 4)
        fig, axes = _grid(plt, len(groups), height_in=3.4, columns=columns, width_in=3.4 * columns)
        regression = False
        for ax, group in zip(axes, groups):
            row = group[0]
            regression = isinstance(row.get("fit_curve.x"), list)
            (_regression_panel if regression else _classifier_panel)(ax, row, _named(group))
        fig.tight_layout()
        _legend_outside(fig, below=True)
        what = ("the fitted curve (green) over sin(x) (red, dashed) and the test points (blue)" if regression else
                "the test points coloured by class, wrong predictions circled in red, and the true boundary "
                "x0 + x1 = 0 (dashed)")
        shared = "; ".join(f"{_named(grp)}: {', '.join(r['backend'] for r in grp)}" for grp in groups if len(grp) > 1)
        caption = (f"What each backend learned on {task}, from its run with the lowest seed: {what}. "
                   f"{len(first)} backends, {len(groups)} distinct result{'s' if len(groups) != 1 else ''}"
                   + (f"; one panel per result, shared by the backends that predict alike ({shared})." if shared
                      else "."))
        made.append((_save(plt, fig, out / f"predictions_{task}.png"), caption))
    return made
