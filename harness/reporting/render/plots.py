"""The report's plots: time per backend, loss curves, time against accuracy, scaling."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.reporting.render.common import (
    OWN_PLOTS,
    _backends,
    _colors,
    _is_missing,
    _lookup,
)
from harness.reporting.render.plotting import _legend_outside, _panels, _plt, _save
from harness.reporting.claims import timed_out_text
from harness.reporting.report import Report


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


READOUT_SIZES = (12, 16)          # the sizes at which step time is plotted against the number of outputs


def plot_readouts(report: Report, out: Path) -> list[tuple[Path, str]]:
    """Step time against the number of outputs at a fixed size, where several readouts were run there."""
    s = report.scaling
    if s.empty or "n_outputs" not in s:
        return []
    s = s[(s["runs"] > 0) & s["n_outputs"].notna() & (s["backend"] != "classical")]
    plt, colors, made = _plt(), _colors(report), []
    for (layers, batch, q), g in s.groupby(["layers", "batch_size", "q"], sort=True):
        if q not in READOUT_SIZES or g["n_outputs"].nunique() < 2:
            continue
        fig, (ax,) = _panels(plt, 1, width_in=6.0)
        for backend, b in g.groupby("backend", sort=False):
            b = b.sort_values("n_outputs")
            med = b["steady_step_s"] * 1e3
            ax.errorbar(b["n_outputs"], med, yerr=[med - b["steady_step_low_s"] * 1e3,
                                                   b["steady_step_high_s"] * 1e3 - med],
                        marker="o", ms=4, capsize=2, color=colors[backend], label=backend)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("outputs of the readout (log2)")
        ax.set_ylabel("steady step, ms (log)")
        ax.set_title(f"{q} qubits, {layers} layer{'s' if str(layers) != '1' else ''}, batch {batch}", fontsize=10)
        ax.grid(alpha=0.3)
        _legend_outside(fig)
        fig.tight_layout()
        path = _save(plt, fig, out / f"readouts_q{q}_L{layers}_b{batch}.png")
        made.append((path, f"Steady step against the number of outputs at {q} qubits (whiskers: the stated "
                           "interval): adjoint in Jacobian mode sweeps back once per output, device_vjp and "
                           "backprop once per step whatever the readout. A Hamiltonian is one output."))
    return made


def _plots(report: Report, out: Path) -> dict[str, list[tuple[Path, str]]]:
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
