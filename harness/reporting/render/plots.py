"""The report's plots: time per backend and time against accuracy here; loss curves (plots_loss), scaling
and readouts (plots_scaling), what the tiny tasks learned (plots_tutorial). Every plot draws a backend in
its fixed style (styles.STYLES) and fits the page's width (plotting.PAGE_WIDTH_IN)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.reporting.render.common import (
    OWN_PLOTS,
    _backends,
    _is_missing,
    _lookup,
)
from harness.reporting.render.plotting import _grid, _legend_outside, _plt, _save
from harness.reporting.render.styles import style
from harness.reporting.report import Report


def plot_time_per_backend(report: Report, path: Path) -> tuple[Path, str] | None:
    configs = [c for c in report.configs.to_dict("records") if not c["sizable"]]
    if not configs:
        return None
    plt = _plt()
    look = _lookup(report)
    everyone = _backends(report)
    fig, axes = _grid(plt, len(configs), height_in=0.2 * len(everyone) + 1.1)
    for ax, c in zip(axes, configs):
        rows = [look[(c["config"], b)] for b in everyone if (c["config"], b) in look]
        done = sorted([r for r in rows if r["runs"]], key=lambda r: r["train_s"])
        out = [r for r in rows if not r["runs"] and r["timeouts"]]
        names = [f"{r['backend']} (n={r['runs']})" for r in done] + [f"{r['backend']} (timed out)" for r in out]
        y = np.arange(len(names))
        med = np.array([r["train_s"] for r in done])
        err = [med - np.array([r["train_low_s"] for r in done]), np.array([r["train_high_s"] for r in done]) - med]
        ax.barh(y[:len(done)], med, xerr=err, color=[style(r["backend"]).color for r in done], alpha=0.9,
                capsize=2, error_kw={"lw": 1}, label="median training time; whisker: min-max over runs")
        if out:
            longest = float(med.max()) if len(med) else 1.0      # a timeout not recorded: drawn as long as the longest
            limit = np.array([longest if _is_missing(r["timeout_s"]) else r["timeout_s"] for r in out])
            ax.barh(y[len(done):], limit, color="white", edgecolor="tab:red", hatch="//",
                    label="timed out: longer than the timeout shown")
        ax.set_yticks(y, names, fontsize=8)
        ax.set_ylim(len(everyone) - 0.5, -0.5)     # same bar thickness in every panel, fastest on top
        ax.set_xlim(0, None)             # linear from zero: the bar's length is the message
        ax.set_xlabel("training time, s")
        ax.set_title(c["label"])
        ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    _legend_outside(fig, below=True)
    return _save(plt, fig, path), ("Training time per backend and task configuration (fresh process, setup excluded): "
                                   "median over runs, the whisker spans the runs' min-max, n runs in the label; "
                                   "linear axis from zero, so bar lengths compare directly. Each backend has "
                                   "its colour on every plot (a family shares a hue).")


def plot_time_vs_accuracy(report: Report, path: Path) -> tuple[Path, str] | None:
    s = report.summary
    s = s[(s["qubits"] == "") & (s["runs"] > 0) & s["test_accuracy"].notna()]
    if s.empty:
        return None
    plt = _plt()
    labels = dict(zip(report.configs["config"], report.configs["label"]))
    fig, ax = plt.subplots(figsize=(8.5, 5))
    configs = list(s["config"].unique())
    markers = dict(zip(configs, "osD^v<>pP*"))
    for r in s.itertuples():
        ax.scatter(r.train_s, r.test_accuracy, marker=markers.get(r.config, "o"), color=style(r.backend).color,
                   s=40, alpha=0.85)
    for b in [b for b in _backends(report) if b in set(s["backend"])]:
        ax.scatter([], [], color=style(b).color, label=b)
    for c, m in markers.items():
        ax.scatter([], [], marker=m, color="grey", label=labels[c])
    ax.set_xscale("log")
    ax.set_xlabel("training time, s (median over runs; log scale)")
    ax.set_ylabel("test accuracy (median over runs)")
    ax.grid(alpha=0.3)
    _legend_outside(fig)
    return _save(plt, fig, path), ("Test accuracy against training time, one point per backend (colour) and task "
                                   "configuration (marker); the best choices sit top left.")


def _plots(report: Report, out: Path) -> dict[str, list[tuple[Path, str]]]:
    from harness.reporting.render.plots_loss import plot_loss_curves
    from harness.reporting.render.plots_scaling import plot_readouts, plot_scaling
    from harness.reporting.render.plots_tutorial import plot_predictions
    for pattern in OWN_PLOTS:          # only this report's plots stay in the folder
        for stale in out.glob(pattern):
            stale.unlink()
    made = {"time": [], "quality": [], "scaling": []}
    for key, maker, name in (("time", plot_time_per_backend, "time_per_backend.png"),
                             ("quality", plot_time_vs_accuracy, "time_vs_accuracy.png"),
                             ("quality", plot_loss_curves, "loss_curves.png")):
        p = maker(report, out / name)
        if p:
            made[key].append(p)
    made["quality"] += plot_predictions(report.runs, out)
    made["scaling"] = plot_scaling(report, out) + plot_readouts(report, out)
    return made
