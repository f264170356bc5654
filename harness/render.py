"""Rendering a ``Report``: markdown with PNG plots, CSV tables, or one HTML page."""
from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from backends import UserError

from .report import Report

FORMATS = ("md", "csv", "html")

SUMMARY_COLUMNS = [
    ("backend", "backend", str), ("seeds", "seeds", str),
    ("train_s", "train s (median)", "{:.2f}"), ("train_range", "min-max s", str),
    ("steady_step_ms", "steady step ms", "{:.2f}"), ("quantum_share", "quantum share", "{:.0%}"),
    ("run_peak_rss_mib", "run peak MiB", "{:.0f}"), ("train_effective_cores", "train cores", "{:.2f}"),
    ("run_peak_threads", "run peak threads", str), ("test_accuracy", "test acc", "{:.1%}"),
    ("x_reference", "x torch", "{:.1f}"), ("x_classical", "x classical", "{:.1f}"),
]


def _fmt(value, fmt) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return fmt(value) if callable(fmt) else fmt.format(value)


def md_table(df: pd.DataFrame, columns) -> str:
    """columns: (column, header, format) triples; format is a str.format pattern or a callable."""
    head = "| " + " | ".join(h for _, h, _ in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(_fmt(row.get(c), f) for c, _, f in columns) + " |" for row in df.to_dict("records")]
    return "\n".join([head, rule, *body])


def _plain(df: pd.DataFrame) -> list:
    return [(c, c, lambda v: f"{v:.3g}" if isinstance(v, float) else str(v)) for c in df.columns]


def _config_title(key: dict) -> str:
    parts = [key["task"], f"circuit {key['circuit']}"]
    if key.get("qubits"):
        parts.append(f"{key['qubits']} qubits, {key['layers']} layers")
    parts.append(f"batch {key['batch_size']}")
    parts.append("exact" if not key.get("shots") else f"{key['shots']} shots")
    return ", ".join(parts)


# --- plots ------------------------------------------------------------------

def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _panels(plt, n: int, width_in: float = 5.0):
    fig, axes = plt.subplots(1, n, figsize=(width_in * n, 4), squeeze=False)
    return fig, axes[0]


def _save(plt, fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_time_per_backend(report: Report, path: Path) -> Path | None:
    s = report.summary
    s = s[s["circuit"] != "entangler"] if not s.empty else s
    if s.empty:
        return None
    plt = _plt()
    groups = list(s.groupby(["task", "circuit", "shots"], sort=False))
    fig, axes = _panels(plt, len(groups))
    for ax, ((task, circuit, shots), g) in zip(axes, groups):
        g = g.sort_values("train_s")
        err = [g["train_s"] - g["train_s_min"], g["train_s_max"] - g["train_s"]]
        ax.barh(g["backend"], g["train_s"], xerr=err, color="tab:blue", alpha=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("training time, s (median, min-max over seeds)")
        ax.set_title(f"{task} ({circuit}{', ' + str(shots) + ' shots' if shots else ''})")
    return _save(plt, fig, path)


def plot_scaling(report: Report, out: Path) -> list[Path]:
    if report.scaling.empty:
        return []
    plt = _plt()
    paths = []
    for (layers, batch), g in report.scaling.groupby(["layers", "batch_size"]):
        fig, (ax1, ax2) = _panels(plt, 2, width_in=5.5)
        for backend, b in g.groupby("backend"):
            b = b.sort_values("qubits")
            ax1.plot(b["qubits"], b["steady_step_ms"], marker="o", label=backend)
            ax2.plot(b["qubits"], b["run_peak_rss_mib"], marker="o", label=backend)
        cross = report.crossovers
        if not cross.empty:
            mine = cross[(cross["layers"] == layers) & (cross["batch_size"] == batch)]
            for r in mine.itertuples():
                if r.a == "lightning-adjoint" and r.b == "default-backprop" and r.a_overtakes_b_from:
                    ax1.axvline(r.a_overtakes_b_from, color="grey", ls="--")
                    ax1.annotate("lightning-adjoint overtakes\ndefault-backprop", (r.a_overtakes_b_from, 0.95),
                                 xycoords=("data", "axes fraction"), fontsize=7, va="top")
                if r.a == "default-backprop" and r.b == "lightning-adjoint" and r.a_beats_b_up_to:
                    ax1.axvline(r.a_beats_b_up_to, color="tab:red", ls=":")
        ax1.set_yscale("log")
        ax1.set_xlabel("qubits")
        ax1.set_ylabel("steady step, ms (forward + backward + optimiser)")
        ax1.set_title(f"entangler, {layers} layers, batch {batch}: step time")
        ax2.set_yscale("log")
        ax2.set_xlabel("qubits")
        ax2.set_ylabel("peak resident memory, MiB")
        ax2.set_title("peak memory of the run")
        ax1.legend(fontsize=7)
        paths.append(_save(plt, fig, out / f"scaling_L{layers}_b{batch}.png"))
    return paths


def plot_loss_curves(report: Report, path: Path) -> Path | None:
    runs = report.runs
    runs = runs[runs["circuit"] != "entangler"] if not runs.empty else runs
    if runs.empty:
        return None
    plt = _plt()
    groups = list(runs.groupby(["task", "circuit"], sort=False))
    fig, axes = _panels(plt, len(groups))
    for ax, ((task, circuit), g) in zip(axes, groups):
        for backend, b in g.groupby("backend", sort=False):
            curves = [c for c in b["loss_per_epoch"] if isinstance(c, list) and c]
            if not curves:
                continue
            width = min(len(c) for c in curves)
            # a loss that was not finite is stored as null: it is a gap in the curve, not a point
            values = np.array([c[:width] for c in curves], dtype=float)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)      # an epoch where every seed has a gap
                median = np.nanmedian(values, axis=0)
            ax.plot(range(1, width + 1), median, marker=".", label=backend)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (median over seeds)")
        ax.set_title(f"{task} ({circuit})")
        ax.legend(fontsize=7)
    return _save(plt, fig, path)


def plot_time_vs_accuracy(report: Report, path: Path) -> Path | None:
    s = report.summary
    s = s[s["circuit"] != "entangler"] if not s.empty else s
    if s.empty:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    markers = dict(zip(s["task"].unique(), "osD^v<>"))
    colors = {b: f"C{i}" for i, b in enumerate(s["backend"].unique())}
    for r in s.itertuples():
        ax.scatter(r.train_s, r.test_accuracy, marker=markers[r.task], color=colors[r.backend])
    for b, c in colors.items():
        ax.scatter([], [], color=c, label=b)
    for t, m in markers.items():
        ax.scatter([], [], marker=m, color="grey", label=t)
    ax.set_xscale("log")
    ax.set_xlabel("training time, s (median)")
    ax.set_ylabel("test accuracy (median)")
    ax.legend(fontsize=7, ncol=2)
    return _save(plt, fig, path)


# --- documents ----------------------------------------------------------------

def _quality_columns(g: pd.DataFrame) -> list:
    """The summary's columns, with test MSE in place of accuracy for a regression task."""
    if g["test_accuracy"].notna().any() or "test_mse" not in g or g["test_mse"].isna().all():
        return SUMMARY_COLUMNS
    return [("test_mse", "test MSE", "{:.4f}") if c == "test_accuracy" else (c, h, f)
            for c, h, f in SUMMARY_COLUMNS]


def _summary_sections(report: Report) -> list[str]:
    s = report.summary.copy()
    s["train_range"] = [f"{a:.2f}-{b:.2f}" for a, b in zip(s["train_s_min"], s["train_s_max"])]
    out = []
    for key, g in s.groupby(["task", "circuit", "qubits", "layers", "batch_size", "shots"], sort=False):
        title = _config_title(dict(zip(["task", "circuit", "qubits", "layers", "batch_size", "shots"], key)))
        out += [f"### {title}", "", md_table(g.sort_values("train_s"), _quality_columns(g)), ""]
    return out


def write_markdown(report: Report, out: Path) -> Path:
    lines = ["# hybrid-harness report", ""]
    lines.append("Machine: " + ("; ".join(report.machines) or "unknown") + ".")
    lines += ["", "Times are medians over seeds of the training wall time in a fresh process (setup excluded); "
              "`x torch` and `x classical` divide by the torch statevector and the classical twin on the same "
              "configuration; quantum share is the time inside the quantum layer's forward and backward passes; "
              "cores are CPU seconds / wall seconds while training; run peak MiB is the whole child process's VmHWM (setup and evaluation included).", ""]
    if report.warnings:
        lines += ["## Warnings", ""] + [f"- {w}" for w in report.warnings] + [""]
    if not report.advice.empty:
        adv = report.advice.copy()
        adv["config"] = [_config_title(r) for r in adv.to_dict("records")]
        lines += ["## Which should I pick?", "",
                  md_table(adv, [("config", "configuration", str), ("fastest", "fastest", str),
                                 ("fastest_s", "s", "{:.2f}"), ("least_memory", "least memory", str),
                                 ("least_memory_mib", "MiB", "{:.0f}"), ("best_balance", "best balance", str),
                                 ("slowest", "slowest", str), ("slowest_s", "s", "{:.2f}")]), ""]
    plots = []
    for maker, name in ((plot_time_per_backend, "time_per_backend.png"), (plot_loss_curves, "loss_curves.png"),
                        (plot_time_vs_accuracy, "time_vs_accuracy.png")):
        p = maker(report, out / name)
        if p:
            plots.append(p)
    from .plots_tutorial import plot_predictions
    plots += plot_predictions(report.runs, out)
    if not report.summary.empty:
        lines += ["## Per task and backend", ""] + _summary_sections(report)
    if not report.crossovers.empty:
        lines += ["## Scaling: crossovers", "",
                  "`a beats b up to` is the largest size up to which a is faster at every size measured; "
                  "`a overtakes b from` the first size from which a stays faster.", "",
                  md_table(report.crossovers, [("layers", "layers", str), ("batch_size", "batch", str),
                                               ("a", "a", str), ("b", "b", str), ("sizes", "qubits run", str),
                                               ("a_faster_at", "a faster at", str),
                                               ("a_beats_b_up_to", "a beats b up to", "{:.0f}"),
                                               ("a_overtakes_b_from", "a overtakes b from", "{:.0f}")]), ""]
    if not report.growth.empty:
        lines += ["## Scaling: growth per added qubit", "",
                  md_table(report.growth, [("layers", "layers", str), ("batch_size", "batch", str),
                                           ("backend", "backend", str), ("qubits", "qubits", str),
                                           ("step_time_x_per_qubit", "step time x/qubit", "{:.2f}"),
                                           ("memory_above_base_x_per_qubit", "memory above base x/qubit", "{:.2f}"),
                                           ("step_ms_at_max", "step ms at max", "{:.1f}"),
                                           ("run_peak_rss_mib_at_max", "MiB at max", "{:.0f}")]), ""]
    if not report.scaling.empty:
        for p in plot_scaling(report, out):
            plots.append(p)
        wide = report.scaling.pivot_table(index=["layers", "batch_size", "qubits"], columns="backend",
                                          values="steady_step_ms").reset_index()
        lines += ["## Scaling: steady step, ms", "", md_table(wide, _plain(wide)), ""]
    if plots:
        lines += ["## Plots", ""] + [f"![{p.stem}]({p.name})" for p in plots] + [""]
    if not report.benchmarks.empty:
        cols = [c for c in ("group", "name", "stats.median", "stats.stddev", "stats.rounds",
                            "extra_info.effective_cores", "extra_info.threads") if c in report.benchmarks]
        lines += ["## pytest-benchmark results", "", md_table(report.benchmarks[cols], _plain(report.benchmarks[cols])), ""]
    if not report.failures.empty:
        lines += ["## Runs that did not finish", "", md_table(report.failures, _plain(report.failures)), ""]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path


def write_csv(report: Report, out: Path) -> Path:
    for name in ("summary", "advice", "scaling", "crossovers", "growth", "failures", "benchmarks"):
        table = getattr(report, name)
        if not table.empty:
            table.to_csv(out / f"{name}.csv", index=False)
    return out / "summary.csv"


def write_html(report: Report, out: Path) -> Path:
    md = write_markdown(report, out)          # also draws the plots
    parts = ["<html><head><meta charset='utf-8'><title>hybrid-harness report</title></head><body>",
             "<h1>hybrid-harness report</h1>"]
    parts += [f"<p>{w}</p>" for w in report.warnings]
    for name in ("advice", "summary", "crossovers", "growth", "failures"):
        table = getattr(report, name)
        if not table.empty:
            parts += [f"<h2>{name}</h2>", table.to_html(index=False, float_format=lambda v: f"{v:.4g}")]
    parts += [f"<img src='{p.name}'>" for p in sorted(out.glob("*.png"))]
    parts.append(f"<p>Markdown version: <a href='{md.name}'>{md.name}</a></p></body></html>")
    path = out / "report.html"
    path.write_text("\n".join(parts))
    return path


def write(report: Report, out_dir, fmt: str = "md") -> Path:
    if fmt not in FORMATS:
        raise UserError(f"unknown report format '{fmt}'; valid: {', '.join(FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return {"md": write_markdown, "csv": write_csv, "html": write_html}[fmt](report, out)
