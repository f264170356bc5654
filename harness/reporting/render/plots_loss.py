"""Training loss per task configuration: per epoch, or per function evaluation where a task trains one step.

The tutorial's tasks train one LBFGS step: their loss per epoch is a single number, a dot that says nothing
about the training. Those rows record the loss at each of the step's function evaluations
(``function_eval_losses``), which is the curve LBFGS followed, so that is drawn instead; a one-step
configuration whose rows lack it gets no panel, and the caption says so.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.reporting.render.common import _backends
from harness.reporting.render.plotting import _grid, _plt, _save
from harness.reporting.render.styles import line_kw
from harness.reporting.report import Report


def _coinciding(curves: dict[str, np.ndarray]) -> list[list[str]]:
    """Backends whose loss curves agree within 0.1% (drawn once), grouped."""
    groups: list[list[str]] = []
    for name, curve in curves.items():
        for g in groups:
            ref = curves[g[0]]
            if len(ref) == len(curve) and np.allclose(curve, ref, rtol=1e-3, atol=1e-6):
                g.append(name)
                break
        else:
            groups.append([name])
    return groups


def _median_curve(values) -> np.ndarray | None:
    cs = [x for x in values if isinstance(x, list) and x]
    if not cs:
        return None
    width = min(len(x) for x in cs)          # runs may differ in length (LBFGS stops early): the common part
    return np.median(np.array([x[:width] for x in cs], dtype=float), axis=0)


def _curves(g, order: list[str]) -> tuple[dict[str, np.ndarray], str] | None:
    """The configuration's median curve per backend and what its x axis counts, or None: nothing to draw."""
    per_epoch = {b: _median_curve(r["loss_per_epoch"]) for b, r in g.groupby("backend", sort=False)}
    per_epoch = {b: per_epoch[b] for b in order if per_epoch.get(b) is not None}
    if any(len(c) > 1 for c in per_epoch.values()):
        return per_epoch, "epoch"
    if "function_eval_losses" not in g:
        return None
    evals = {b: _median_curve(r["function_eval_losses"]) for b, r in g.groupby("backend", sort=False)}
    evals = {b: evals[b] for b in order if evals.get(b) is not None}
    return (evals, "function evaluation of the one LBFGS step") if evals else None


def plot_loss_curves(report: Report, path: Path) -> tuple[Path, str] | None:
    runs = report.runs
    configs = [c for c in report.configs.to_dict("records") if not c["sizable"]]
    if runs.empty or not configs or "loss_per_epoch" not in runs:
        return None
    order = _backends(report)
    drawn, skipped = [], []
    for c in configs:
        found = _curves(runs[runs["config"] == c["config"]], order)
        if found:
            drawn.append((c, *found))
        else:
            skipped.append(c["label"])
    if not drawn:
        return None
    plt = _plt()
    fig, axes = _grid(plt, len(drawn), height_in=3.6)
    said, by_eval = [], []
    for ax, (c, curves, axis) in zip(axes, drawn):
        for group in _coinciding(curves):
            curve = curves[group[0]]
            kw = line_kw(group[0], ms=3.5)
            kw["label"] = group[0] if len(group) == 1 else f"{group[0]} and {len(group) - 1} more"
            ax.plot(range(1, len(curve) + 1), curve, markevery=max(1, len(curve) // 12), **kw)
            if len(group) > 1:
                said.append(f"in {c['label']}, {', '.join(group)}")
        values = np.concatenate(list(curves.values()))
        if values.min() > 0 and values.max() / values.min() > 100:
            ax.set_yscale("log")          # LBFGS's losses fall by orders of magnitude
        if axis != "epoch":
            by_eval.append(c["label"])
        ax.set_xlabel(axis)
        ax.set_ylabel("training loss (median over runs)")
        ax.set_title(c["label"])
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=7.5, framealpha=0.85)
    fig.tight_layout()
    caption = "Training loss per epoch, median over runs, per task configuration."
    if by_eval:
        caption += (f" One-step tasks ({', '.join(by_eval)}) are drawn per function evaluation of their single "
                    f"LBFGS step, since one epoch is one point.")
    if skipped:
        caption += (f" Not drawn: {', '.join(skipped)} (one step and no per-evaluation losses recorded, so a "
                    f"single point).")
    if said:
        caption += " Coinciding curves, drawn once in the first one's style: " + "; ".join(said) + "."
    return _save(plt, fig, path), caption
