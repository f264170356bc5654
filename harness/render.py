"""Rendering a ``Report``: markdown with PNG plots, CSV tables, or one HTML page.

Markdown and HTML are two renderings of one document (``document``): the same
sections, explanatory text, tables and captioned figures. Tables on the page
answer one question each, with a backend per row and a few configurations per
column; the full per-configuration tables (and every run) go to the CSV
export.
"""
from __future__ import annotations

import html
import json
import math
import warnings
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from backends import UserError

from .benchjson import round_spreads
from .report import CHOICES, Report, timed_out_text
from .stats import FASTER, MIN_RUNS, MIN_STEADY_STEPS, NOT_DISTINGUISHABLE, SLOWER, format_spread, verdict

FORMATS = ("md", "csv", "html")
# the report's own plot files: a stale one of these is removed so the folder holds only this report's
OWN_PLOTS = ("time_per_backend.png", "loss_curves.png", "time_vs_accuracy.png", "scaling_*.png",
             "predictions_*.png")


@dataclass
class Section:
    title: str
    text: list[str] = field(default_factory=list)                       # paragraphs; `name` marks code
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)  # (caption, table of display text)
    figures: list[tuple[Path, str]] = field(default_factory=list)        # (PNG, caption)


# --- display helpers -----------------------------------------------------------

def _fmt(value, fmt) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return fmt(value) if callable(fmt) else fmt.format(value)


def md_table(df: pd.DataFrame, columns=None) -> str:
    """A markdown table; columns: (column, header, format) triples (default: every column as text)."""
    columns = columns or [(c, c, str) for c in df.columns]
    head = "| " + " | ".join(h for _, h, _ in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(_fmt(row.get(c), f).replace("|", "/") for c, _, f in columns) + " |"
            for row in df.to_dict("records")]
    return "\n".join([head, rule, *body])


def _is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _gone(report: Report, c: dict, backend: str) -> str | None:
    """'timed out at 14 qubits' when the backend timed out at a smaller size of this scaling family."""
    q0 = report.timed_out.get((c["family"], backend))
    if c["sizable"] and q0 is not None and int(c["qubits"]) > q0:
        return f"timed out at {q0} qubits"
    return None


def _time_cell(r, figure: str) -> str:
    """A backend's time in one configuration, with spread and n; timed out and not run said so."""
    if r is None:
        return "-"
    if r["runs"] == 0:
        return timed_out_text(r["timeout_s"]) if r["timeouts"] else "failed"
    return format_spread(r[figure])


def _ratio_verdict(a, b, figure: str) -> str:
    """'faster, x0.62' etc.: a against b (lower is faster), by the report's one rule."""
    if a is None or b is None:
        return "-"
    if a["runs"] == 0 or b["runs"] == 0:
        if a["runs"] and b["timeouts"]:
            return "faster (other timed out)"
        if b["runs"] and a["timeouts"]:
            return "slower (timed out)"
        return "-"
    word, why = verdict(a[figure], b[figure])
    ratio = a[figure].median / b[figure].median
    return f"{word}, x{ratio:.2f}" + (f" ({why})" if word == NOT_DISTINGUISHABLE and "overlap" not in why else "")


def _figure(config_row) -> str:
    return "step" if config_row["sizable"] else "train"


def _lookup(report: Report) -> dict:
    return {(r["config"], r["backend"]): r for r in report.summary.to_dict("records")}


def _question_configs(report: Report) -> list[dict]:
    """The columns of a question table: every task configuration; of each scaling family, its smallest and largest size."""
    configs = report.configs
    chosen = [r for r in configs.to_dict("records") if not r["sizable"]]
    sized = configs[configs["sizable"]]
    for _, g in sized.groupby("family", sort=False):
        g = g.assign(q=g["qubits"].astype(int)).sort_values("q")
        chosen += [g.iloc[0].to_dict()] + ([g.iloc[-1].to_dict()] if len(g) > 1 else [])
    return chosen


def _backends(report: Report) -> list[str]:
    order = list(CHOICES) + ["torch", "classical"]
    present = set(report.summary["backend"])
    return [b for b in order if b in present] + sorted(present - set(order))


# one colour per backend, the same on every plot: matplotlib's 10-colour cycle would give the 11th and 12th
# backend the colours of the 1st and 2nd (classical drawn like qiskit-ml, torch like qiskit-shift)
PALETTE = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink",
           "tab:gray", "tab:olive", "tab:cyan", "black", "gold", "navy", "lime")


def _colors(report: Report) -> dict[str, str]:
    return {b: PALETTE[i % len(PALETTE)] for i, b in enumerate(_backends(report))}


def _by_backend(report: Report, cell, configs=None) -> pd.DataFrame:
    """Backends as rows, configurations as columns; cell(summary row or None, config row) -> text."""
    look = _lookup(report)
    configs = configs if configs is not None else _question_configs(report)
    rows = []
    for b in _backends(report):
        rec = {"backend": b}
        for c in configs:
            r = look.get((c["config"], b))
            rec[c["label"]] = (_gone(report, c, b) or "-") if r is None else cell(r, c)
        if any(v != "-" for k, v in rec.items() if k != "backend"):
            rows.append(rec)
    return pd.DataFrame(rows)


# --- plots ------------------------------------------------------------------

def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _panels(plt, n: int, width_in: float = 5.0, height_in: float = 4.0):
    fig, axes = plt.subplots(1, n, figsize=(width_in * n, height_in), squeeze=False)
    return fig, axes[0]


def _save(plt, fig, path: Path) -> Path:
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return path


def _legend_outside(fig, ax_or_handles=None, **kw):
    """One legend to the right of the panels, never over the data."""
    handles, labels = [], []
    for ax in fig.axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels and not lab.startswith("_"):
                handles.append(h)
                labels.append(lab)
    if handles:
        fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 0.95), fontsize=8, frameon=False, **kw)


def plot_time_per_backend(report: Report, path: Path) -> tuple[Path, str] | None:
    configs = [c for c in report.configs.to_dict("records") if not c["sizable"]]
    if not configs:
        return None
    plt = _plt()
    look = _lookup(report)
    fig, axes = _panels(plt, len(configs), width_in=4.6, height_in=0.35 * len(_backends(report)) + 1.2)
    for ax, c in zip(axes, configs):
        rows = [look[(c["config"], b)] for b in _backends(report) if (c["config"], b) in look]
        done = sorted([r for r in rows if r["runs"]], key=lambda r: r["train_s"])
        out = [r for r in rows if not r["runs"] and r["timeouts"]]
        names = [f"{r['backend']} (n={r['runs']})" for r in done] + [f"{r['backend']} (timed out)" for r in out]
        y = np.arange(len(names))
        med = np.array([r["train_s"] for r in done])
        err = [med - np.array([r["train_low_s"] for r in done]), np.array([r["train_high_s"] for r in done]) - med]
        ax.barh(y[:len(done)], med, xerr=err, color="tab:blue", alpha=0.8, capsize=2,
                label="median training time; bar: min-max over runs")
        if out:
            longest = float(med.max()) if len(med) else 1.0      # a timeout not recorded: drawn as long as the longest
            limit = np.array([longest if _is_missing(r["timeout_s"]) else r["timeout_s"] for r in out])
            ax.barh(y[len(done):], limit, color="white", edgecolor="tab:red", hatch="//",
                    label="timed out: longer than the timeout shown")
        ax.set_yticks(y, names, fontsize=8)
        ax.set_ylim(len(_backends(report)) - 0.5, -0.5)     # same bar thickness in every panel, first on top
        ax.set_xlim(0, None)             # linear from zero: the bar's length is the message
        ax.set_xlabel("training time, s")
        ax.set_title(c["label"], fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    _legend_outside(fig)
    fig.tight_layout()
    return _save(plt, fig, path), ("Training time per backend and task configuration (fresh process, setup excluded): "
                                   "median over runs, the whisker spans the runs' min-max, n runs in the label; "
                                   "linear axis from zero, so bar lengths compare directly.")


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


def plot_loss_curves(report: Report, path: Path) -> tuple[Path, str] | None:
    runs = report.runs
    configs = [c for c in report.configs.to_dict("records") if not c["sizable"]]
    if runs.empty or not configs or "loss_per_epoch" not in runs:
        return None
    plt = _plt()
    fig, axes = _panels(plt, len(configs), width_in=4.6)
    said = []
    for ax, c in zip(axes, configs):
        g = runs[runs["config"] == c["config"]]
        curves = {}
        for backend, b in g.groupby("backend", sort=False):
            cs = [x for x in b["loss_per_epoch"] if isinstance(x, list) and x]
            if cs:
                width = min(len(x) for x in cs)
                curves[backend] = np.median(np.array([x[:width] for x in cs], dtype=float), axis=0)
        for group in _coinciding(curves):
            curve = curves[group[0]]
            label = group[0] if len(group) == 1 else f"{len(group)} coinciding ({', '.join(group)})"
            ax.plot(range(1, len(curve) + 1), curve, marker=".", label=label if len(group) == 1 else
                    f"{group[0]} and {len(group) - 1} more (coincide)")
            if len(group) > 1:
                said.append(f"in {c['label']} the curves of {', '.join(group)} coincide and are drawn once")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (median over runs)")
        ax.set_title(c["label"], fontsize=10)
    _legend_outside(fig)
    fig.tight_layout()
    caption = "Training loss per epoch, median over runs, per task configuration."
    if said:
        caption += " Coinciding curves: " + "; ".join(said) + "."
    return _save(plt, fig, path), caption


def plot_time_vs_accuracy(report: Report, path: Path) -> tuple[Path, str] | None:
    s = report.summary
    s = s[(s["qubits"] == "") & (s["runs"] > 0) & s["test_accuracy"].notna()]
    if s.empty:
        return None
    plt = _plt()
    labels = dict(zip(report.configs["config"], report.configs["label"]))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    configs = list(s["config"].unique())
    markers = dict(zip(configs, "osD^v<>pP*"))
    colors = _colors(report)
    for r in s.itertuples():
        ax.scatter(r.train_s, r.test_accuracy, marker=markers.get(r.config, "o"), color=colors[r.backend], s=40)
    for b in s["backend"].unique():
        ax.scatter([], [], color=colors[b], label=b)
    for c, m in markers.items():
        ax.scatter([], [], marker=m, color="grey", label=labels[c])
    ax.set_xscale("log")
    ax.set_xlabel("training time, s (median over runs; log scale)")
    ax.set_ylabel("test accuracy (median over runs)")
    ax.grid(alpha=0.3)
    _legend_outside(fig)
    return _save(plt, fig, path), ("Test accuracy against training time, one point per backend (colour) and task "
                                   "configuration (marker); the best choices sit top left.")


def plot_scaling(report: Report, out: Path) -> list[tuple[Path, str]]:
    s = report.scaling
    if s.empty:
        return []
    plt = _plt()
    labels = dict(zip(report.configs["family"], report.configs["family_label"]))
    colors = _colors(report)
    made, names = [], set()
    for family, g in s.groupby("family", sort=False):
        fig, (ax1, ax2) = _panels(plt, 2, width_in=5.2)
        timeouts = []
        for backend, b in g.groupby("backend", sort=False):
            done = b[b["runs"] > 0].sort_values("q")
            if len(done):
                low, high, med = done["steady_step_low_s"] * 1e3, done["steady_step_high_s"] * 1e3, done["steady_step_s"] * 1e3
                ax1.errorbar(done["q"], med, yerr=[med - low, high - med], marker="o", ms=4, capsize=2,
                             color=colors[backend], label=backend)
                ax2.plot(done["q"], done["run_peak_rss_mib"], marker="o", ms=4, color=colors[backend], label=backend)
            out_q = b[(b["runs"] == 0) & (b["timeouts"] > 0)]["q"]
            if len(out_q):
                q0, t = int(out_q.min()), b["timeout_s"].max()
                timeouts.append(f"{backend} at {q0}")
                ax1.plot([q0], [1.0], marker="X", ms=11, color=colors[backend], transform=ax1.get_xaxis_transform(),
                         clip_on=False, ls="none")
                ax1.plot([], [], marker="X", ms=9, color="black", ls="none",
                         label=f"X at the top, in the backend's colour: {timed_out_text(t, ' at that size, ')}")
        cross = report.crossovers
        mine = cross[(cross["family"] == family) & cross["low"].notna()] if not cross.empty else cross
        for j, r in enumerate(mine.itertuples()):
            ax1.axvspan(r.low, r.high, color=f"C{(j + 5) % 10}", alpha=0.12,
                        label=f"{r.a} overtakes {r.b} between {int(r.low)} and {int(r.high)} qubits")
        ax1.set_yscale("log")
        ax1.set_xlabel("qubits")
        ax1.set_ylabel("steady step, ms (log)")
        ax1.set_title(f"{labels.get(family, family)}: step time", fontsize=10)
        ax2.set_xlabel("qubits")
        ax2.set_ylabel("peak resident memory of the run, MiB")
        ax2.set_title("peak memory", fontsize=10)
        for ax in (ax1, ax2):
            ax.set_xticks(sorted(g["q"].unique()))
            ax.grid(alpha=0.3)
        _legend_outside(fig)
        fig.tight_layout()
        layers, batch = g["layers"].iloc[0], g["batch_size"].iloc[0]
        name = f"scaling_L{layers}_b{batch}"
        name += "" if name not in names else f"_{len(names)}"       # families differing in other settings
        names.add(name)
        path = _save(plt, fig, out / f"{name}.png")
        caption = (f"{labels.get(family, family)}: steady step time (median of the runs' medians; whiskers: the "
                   f"stated interval) and the run's peak memory against qubits.")
        caption += (f" X marks where a backend timed out ({', '.join(timeouts)} qubits); larger sizes were not run."
                    if timeouts else " No backend timed out.")
        caption += (" Shaded: claimed crossovers." if len(mine) else
                    " No crossover is shaded: none is claimed where the spreads overlap or runs are too few.")
        made.append((path, caption))
    return made


def _plots(report: Report, out: Path) -> dict[str, list[tuple[Path, str]]]:
    from .plots_tutorial import plot_predictions
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
    made["scaling"] = plot_scaling(report, out)
    return made


# --- the document ------------------------------------------------------------------

def _intro(report: Report) -> Section:
    rows = report.rows
    def distinct(column: str) -> str:
        return ", ".join(sorted(rows[column].dropna().astype(str).unique())) if column in rows else ""

    # the code version says which measuring code made the rows; git commits also change with docs and tests
    text = [f"Store: `{report.source}`, {len(rows)} rows, {len(report.configs)} configurations, "
            f"machine: {'; '.join(report.machines) or 'unknown'}; measuring code version: "
            f"{distinct('code_version') or 'unknown'} (git commits {distinct('git_commit') or 'unknown'}).",
            "A configuration is every setting that changes what is measured (task, circuit, sizes, shots, "
            "threads, thread environment, epochs, batch size, learning rate, data sizes); only the seed varies "
            "within it, so its n runs are repeats. Settings shared by all configurations of a task are listed "
            "under Configurations; labels name only what differs.",
            "Every time is the median over runs with an interval and n: \"12.3 ms (11.9-13.0, n=3)\". The "
            "interval is the range of the runs' values; for the steady step (a training step after the first) "
            "each run contributes its median, and the interval is widened to the runs' own quartiles, so it "
            "covers variation between and within processes. Task configurations are compared by training time "
            "(fresh process, setup excluded); the scaling grid, which trains a few steps, by steady step time.",
            f"Rule for every claim (faster, slower, crossover, compare): two figures are told apart only when "
            f"their intervals do not overlap, each rests on at least {MIN_RUNS} runs and, for step times, each "
            f"run has at least {MIN_STEADY_STEPS} steady steps; otherwise they are \"not distinguishable\". "
            f"A backend that timed out counts as slower than any that finished. `x0.62` is a ratio of medians "
            f"(row over column)."]
    return Section("How to read this report", text)


def _pick(report: Report, figures) -> Section:
    sec = Section("Which should I pick?")
    sec.text = ["Per configuration, among the framework backends (torch and classical are references, not "
                "choices): the fastest with its time, whether it is distinguishable from the runner-up, the "
                "one with the least peak memory, the best balance and the slowest (timed-out backends first).",
                "Best balance: the lowest geometric mean of time/fastest time and peak memory/least peak memory, "
                "among backends whose test accuracy is within 5 points of the best (regression: test MSE at most "
                "1.5 times the best); the scaling grid trains too few steps to judge quality, so there all count."]
    adv = report.advice
    if adv.empty:
        return sec
    table = pd.DataFrame({
        "configuration": adv["label"], "ranked by": adv["ranked_by"], "fastest": adv["fastest"],
        "its time": [format_spread(t) for t in adv["fastest_time"]], "against the runner-up": adv["fastest_vs_next"],
        "least memory": [f"{b} ({m:.0f} MiB)" for b, m in zip(adv["least_memory"], adv["least_memory_mib"])],
        "best balance": adv["best_balance"],
        "slowest": [s if _is_missing(t) else f"{s}: {format_spread(t)}" for s, t in zip(adv["slowest"], adv["slowest_time"])],
    })
    sec.tables.append(("Choice per configuration", table))
    if not report.flips.empty:
        f = report.flips
        sec.text.append("Sizes where the choice flips (scaling grid, fastest by steady step): " + "; ".join(
            f"{_family_label(report, r.family)}: {r.fastest_by_qubits} qubits"
            f"{'' if r.choice_flips_between == 'never' else ', flips between ' + r.choice_flips_between}"
            f"{'' if r.every_winner_distinguishable else ' (not every winner is distinguishable from its runner-up)'}"
            for r in f.itertuples()) + ".")
    table = _by_backend(report, lambda r, c: _time_cell(r, _figure(c)))
    sec.tables.append(("Time per backend: training time for tasks, steady step for the scaling grid "
                       "(its smallest and largest size; every size in summary.csv)", table))
    ref = report.reference
    look = _lookup(report)

    def relative(r, c):
        base = look.get((c["config"], ref))
        fig = _figure(c)
        if r is not None and not r["runs"] and r["timeouts"]:
            return "timed out"
        if r is None or base is None or not r["runs"] or not base["runs"]:
            return "-"
        ratio = r[fig].median / base[fig].median
        return f"x{ratio:.2f}" if ratio >= 0.1 else f"x{ratio:.2g}"
    sec.tables.append((f"x {ref}: each backend's median time over {ref}'s on the same configuration "
                       f"(training time for tasks, steady step for the scaling grid)", _by_backend(report, relative)))
    sec.figures += figures.get("time", [])
    return sec


def _family_label(report: Report, family: str) -> str:
    return dict(zip(report.configs["family"], report.configs["family_label"])).get(family, family)


ADJOINT = ("default-backprop", "default-adjoint", "default-adjoint-vjp", "lightning-adjoint", "lightning-adjoint-vjp")


def _adjoint(report: Report) -> Section:
    sec = Section("Adjoint or backprop? Does device_vjp change the answer?")
    look = _lookup(report)
    present = [b for b in ADJOINT if b in set(report.summary["backend"])]
    if "default-backprop" not in present or len(present) < 2:
        sec.text.append("Not measured here: this needs default-backprop and at least one adjoint backend.")
        return sec
    sec.text = ["Adjoint backends with PennyLane's defaults compute the whole Jacobian inside the forward call; "
                "with `device_vjp` (the -vjp backends) the gradient is a vector-Jacobian product in the backward "
                "call. Verdict columns compare the row's two backends by the rule above, with the ratio of "
                "medians."]
    if not any(b.endswith("-vjp") for b in present):
        sec.text.append("No -vjp backend ran here, so whether `device_vjp` changes the answer is not measured.")
    rows = []
    for c in report.configs.to_dict("records"):
        fig = _figure(c)
        cell = {b: look.get((c["config"], b)) for b in present}
        if sum(v is not None for v in cell.values()) < 2:
            continue
        rec = {"configuration": c["label"], "figure": "step" if fig == "step" else "training"}
        for b in present:
            rec[b] = (_gone(report, c, b) or "-") if cell[b] is None else _time_cell(cell[b], fig)
        for a, b, title in (("lightning-adjoint", "default-backprop", "lightning-adjoint vs backprop"),
                            ("default-adjoint", "default-backprop", "default-adjoint vs backprop"),
                            ("lightning-adjoint-vjp", "lightning-adjoint", "lightning: vjp vs not"),
                            ("default-adjoint-vjp", "default-adjoint", "default: vjp vs not")):
            if a in present and b in present:
                rec[title] = _ratio_verdict(cell[a], cell[b], fig)
        rows.append(rec)
    sec.tables.append(("Adjoint against backprop, and device_vjp against none, per configuration", pd.DataFrame(rows)))
    return sec


def _scaling(report: Report, figures) -> Section:
    sec = Section("Scaling: crossovers and growth")
    if report.scaling.empty:
        sec.text.append("No scaling runs in this store.")
        return sec
    sec.text = ["A crossover \"a overtakes b between q1 and q2\" is claimed only where b is distinguishably faster "
                "at q1, a distinguishably faster at q2 and at every larger size measured, and the sizes between "
                "are not distinguishable; the evidence column gives both backends' steady steps there."]
    c = report.crossovers
    if not c.empty:
        sec.tables.append(("Crossovers per pair", pd.DataFrame({
            "scaling family": [_family_label(report, f) for f in c["family"]], "a": c["a"], "b": c["b"],
            "claim": c["statement"], "evidence (qubits: a vs b)": c["evidence"]})))
    g = report.growth
    if not g.empty:
        sec.text.append("Growth per added qubit: a straight line through log2(steady step) and log2(peak memory "
                        "above the smallest size) against qubits, fitted over the larger half of the sizes each "
                        "backend finished (the points are named); 2.00 means doubling per qubit.")
        sec.tables.append(("Growth per added qubit", pd.DataFrame({
            "scaling family": [_family_label(report, f) for f in g["family"]], "backend": g["backend"],
            "qubits run": g["qubits"], "fitted over qubits": g["fit_qubits"],
            "step time x/qubit": [f"{v:.2f}" for v in g["step_time_x_per_qubit"]],
            "memory above base x/qubit": [_fmt(v, "{:.2f}") for v in g["memory_above_base_x_per_qubit"]],
            "step at largest size": [format_spread(s) for s in g["step_at_max"]],
            "MiB at largest size": [f"{v:.0f}" for v in g["run_peak_rss_mib_at_max"]]})))
    sec.figures += figures.get("scaling", [])
    return sec


def _memory(report: Report) -> Section:
    sec = Section("Memory")
    sec.text = ["Peak resident memory (VmHWM) in MiB, median over runs: the whole child process (imports, setup, "
                "training, evaluation) and, after the slash, the training span alone where the run recorded it "
                "(schema 2). The fresh process's imports dominate small configurations."]
    def cell(r, c):
        if r is None or r["runs"] == 0:
            return "-" if r is None else "timed out"
        train = r["train_peak_rss_mib"]
        return f"{r['run_peak_rss_mib']:.0f}" + ("" if _is_missing(train) else f" / {train:.0f}")
    sec.tables.append(("Peak memory, MiB: run / training", _by_backend(report, cell)))
    return sec


def _cores(report: Report) -> Section:
    sec = Section("Cores")
    sec.text = ["Cores used while training: CPU seconds over wall seconds of the training span (median over "
                "runs), with the most threads the process had at once. A figure near 1 on a multi-core budget "
                "means the backend runs serially."]
    def cell(r, c):
        if r is None or r["runs"] == 0:
            return "-" if r is None else "timed out"
        threads = r["train_peak_threads"] if not _is_missing(r["train_peak_threads"]) else r["run_peak_threads"]
        return f"{r['train_effective_cores']:.2f}" + ("" if _is_missing(threads) else f" ({threads:.0f} thr)")
    sec.tables.append(("Effective cores while training (peak threads)", _by_backend(report, cell)))
    return sec


def _accuracy(report: Report, figures) -> Section:
    sec = Section("Accuracy")
    configs = [c for c in report.configs.to_dict("records") if not c["sizable"]]
    sec.text = ["Test accuracy (classifiers) or test mean squared error (regression), median over runs with the "
                "runs' min-max and n. The scaling grid is left out: it trains a few steps to time them, not to learn."]
    def cell(r, c):
        if r is None or r["runs"] == 0:
            return "-" if r is None else "timed out"
        if not _is_missing(r["test_accuracy"]):
            lo, hi = 100 * r["test_accuracy_min"], 100 * r["test_accuracy_max"]
            spread = f"{lo:.0f}-{hi:.0f}%, " if f"{lo:.0f}" != f"{hi:.0f}" else ""
            return f"{r['test_accuracy']:.1%} ({spread}n={r['runs']})"
        if not _is_missing(r["test_mse"]):
            return f"MSE {r['test_mse']:.4f} ({r['test_mse_min']:.4f}-{r['test_mse_max']:.4f}, n={r['runs']})"
        return "-"
    if configs:
        sec.tables.append(("Test accuracy, or test MSE for regression", _by_backend(report, cell, configs)))
    sec.figures += figures.get("quality", [])
    return sec


def _configurations(report: Report) -> Section:
    sec = Section("Configurations")
    s = report.summary
    rows = []
    for family, fc in report.configs.groupby("family", sort=False):
        g = s[s["family"] == family]
        c = fc.iloc[0]
        sizes = sorted(int(q) for q in fc["qubits"] if q != "")
        settings = ", ".join(p for p in c["settings"].split(", ") if not p.endswith(" qubits"))
        runs = g["runs"] + g["timeouts"] + g["failed"]
        rows.append({"configuration": c["family_label"], "qubits": ",".join(map(str, sizes)) or "-",
                     "backends": g["backend"].nunique(),
                     "runs per backend and size": f"{runs.min()}-{runs.max()}" if runs.nunique() > 1 else str(runs.iloc[0]),
                     "settings": settings})
    sec.text = ["Each configuration's settings (a scaling family's sizes on one line); exact means statevector "
                "expectation values, no shots."]
    sec.tables.append(("Configurations and runs", pd.DataFrame(rows)))
    return sec


def _benchmarks(report: Report) -> Section | None:
    b = report.benchmarks
    if b.empty:
        return None
    sec = Section("pytest-benchmark results")
    sec.text = ["Timed layer benchmarks (`make bench`): seconds per round, median with the rounds' "
                "interquartile range when the file has it (else min-max), and the number of rounds."]
    table = pd.DataFrame({"group": b["group"].fillna("-") if "group" in b else "-", "benchmark": b["name"],
                          "median per round": [format_spread(s) for s in round_spreads(b)]})
    for col, title in (("extra_info.threads", "threads"), ("extra_info.effective_cores", "cores")):
        if col in b:
            table[title] = [_fmt(v, "{:.2f}" if title == "cores" else "{:.0f}") for v in b[col]]
    sec.tables.append(("pytest-benchmark", table))
    return sec


def _failures(report: Report) -> Section | None:
    if report.failures.empty:
        return None
    return Section("Runs that did not finish", ["Each run that failed, timed out or was killed, with the first "
                                                "line of its error."], [("Runs that did not finish", report.failures)])


def document(report: Report, out: Path) -> list[Section]:
    figures = _plots(report, out)
    sections = [_intro(report)]
    if report.warnings:
        sections.append(Section("Warnings", [w for w in report.warnings]))
    sections += [_pick(report, figures), _adjoint(report), _scaling(report, figures), _memory(report),
                 _cores(report), _accuracy(report, figures), _configurations(report)]
    sections += [s for s in (_benchmarks(report), _failures(report)) if s]
    sections.append(Section("Full tables", ["`python -m harness report --format csv` writes every table in full "
                                            "(summary.csv: one row per configuration and backend with every figure "
                                            "and its interval) and every run (runs.csv)."]))
    return sections


# --- markdown, HTML, CSV --------------------------------------------------------------

def write_markdown(report: Report, out: Path, sections=None) -> Path:
    sections = sections if sections is not None else document(report, out)
    lines = ["# hybrid-harness report", ""]
    for sec in sections:
        lines += [f"## {sec.title}", ""]
        if sec.title == "Warnings":
            lines += [f"- {w}" for w in sec.text] + [""]
        else:
            for p in sec.text:
                lines += [p, ""]
        for caption, table in sec.tables:
            if not table.empty:
                lines += [f"**{caption}**", "", md_table(table), ""]
        for path, caption in sec.figures:
            lines += [f"![{path.stem}]({path.name})", "", f"*{caption}*", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path


CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; font-size: 14px; color: #222;
       max-width: 1300px; margin: 0 auto; padding: 0 16px 40px; line-height: 1.45; }
h1 { font-size: 24px; margin: 18px 0 6px; } h2 { font-size: 19px; margin: 28px 0 6px; border-bottom: 1px solid #ccd; }
p { margin: 6px 0; max-width: 1000px; } code { background: #f1f1f4; padding: 0 3px; border-radius: 3px; }
table.t { border-collapse: collapse; font-size: 12px; margin: 6px 0 14px; }
table.t caption { caption-side: top; text-align: left; font-weight: 600; padding: 4px 0; font-size: 13px; }
table.t th { background: #e9ecf4; text-align: left; padding: 4px 6px; vertical-align: bottom; }
table.t td { padding: 3px 6px; border-top: 1px solid #e3e3e8; vertical-align: top; }
table.t tr:nth-child(even) td { background: #f8f8fb; }
td.faster { color: #11702a; } td.slower { color: #a3231b; } td.nd { color: #666; }
td.out { color: #a3231b; font-style: italic; }
ul.warn li { color: #7a4b00; }
figure { margin: 10px 0 22px; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 12.5px; color: #444; max-width: 1000px; }
"""


def _inline(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def _cell_class(v) -> str:
    v = str(v)
    if v.startswith("timed out") or "(timed out" in v:
        return "out"
    if v.startswith(FASTER):
        return "faster"
    if v.startswith(SLOWER):
        return "slower"
    if v.startswith(NOT_DISTINGUISHABLE):
        return "nd"
    return ""


def _html_table(caption: str, table: pd.DataFrame, number: int) -> str:
    # a fixed id per table (Styler's default is random), so regenerating the report from the same store
    # gives the same page and a committed report shows no diff
    styler = (table.style.set_uuid(f"t{number}").hide(axis="index").format(na_rep="-", escape="html")
              .set_caption(html.escape(caption)).set_table_attributes('class="t"')
              .set_td_classes(table.map(_cell_class)))
    return styler.to_html()


def write_html(report: Report, out: Path) -> Path:
    sections = document(report, out)
    md = write_markdown(report, out, sections)
    parts = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'><title>hybrid-harness report</title>",
             f"<style>{CSS}</style></head><body>", "<h1>hybrid-harness report</h1>"]
    for sec in sections:
        parts.append(f"<h2>{html.escape(sec.title)}</h2>")
        if sec.title == "Warnings":
            parts.append("<ul class='warn'>" + "".join(f"<li>{_inline(w)}</li>" for w in sec.text) + "</ul>")
        else:
            parts += [f"<p>{_inline(p)}</p>" for p in sec.text]
        for caption, table in sec.tables:
            if not table.empty:
                parts.append(_html_table(caption, table, number=len(parts)))
        parts += [f"<figure><img src='{html.escape(p.name)}' alt='{html.escape(p.stem)}'>"
                  f"<figcaption>{_inline(caption)}</figcaption></figure>" for p, caption in sec.figures]
    parts.append(f"<p>The same report as markdown: <a href='{md.name}'>{md.name}</a>.</p></body></html>")
    path = out / "report.html"
    path.write_text("\n".join(parts))
    return path


def _cell_text(v) -> str:
    if hasattr(v, "median") and hasattr(v, "n"):       # a Spread: median, interval and n in CSV columns already
        return ""
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return v


def write_csv(report: Report, out: Path) -> Path:
    """Every table in full, and every run of the store (runs.csv)."""
    from .stats import Spread
    for name in ("summary", "advice", "flips", "scaling", "crossovers", "growth", "failures", "benchmarks"):
        table = getattr(report, name)
        if table.empty:
            continue
        table = table.copy()
        for col in list(table.columns):        # a Spread column becomes its text; its numbers have columns already
            if table[col].map(lambda v: isinstance(v, Spread)).any():
                table[col] = table[col].map(lambda v: format_spread(v) if isinstance(v, Spread) else v)
        table.to_csv(out / f"{name}.csv", index=False)
    runs = report.rows.drop(columns=["config", "family"], errors="ignore")
    runs = runs.map(_cell_text) if hasattr(runs, "map") else runs.applymap(_cell_text)
    runs.to_csv(out / "runs.csv", index=False)
    return out / "summary.csv"


def write(report: Report, out_dir, fmt: str = "md") -> Path:
    if fmt not in FORMATS:
        raise UserError(f"unknown report format '{fmt}'; valid: {', '.join(FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return {"md": write_markdown, "csv": write_csv, "html": write_html}[fmt](report, out)
