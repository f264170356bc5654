"""Scaling plots: step time and peak memory against qubits per scaling family, and step time against the
number of outputs where several readouts ran at one size.

Two things the eye must not lose: a backend that timed out (its X sits above the step-time panel, one row per
backend timing out at that size, named, so two at one size do not hide each other) and each claimed crossover
(a band of its own in a strip under the panel, in the colour of the backend that overtakes, hatched
differently and labelled with its claim, so crossovers over the same sizes stay apart).
"""
from __future__ import annotations

import re
from pathlib import Path

from harness.reporting.claims import timed_out_text
from harness.reporting.render.common import _backends
from harness.reporting.render.plotting import PAGE_WIDTH_IN, _legend_outside, _panels, _plt, _save
from harness.reporting.render.styles import line_kw, style
from harness.reporting.report import Report

HATCHES = ("///", "\\\\\\", "xxx", "...", "+++", "ooo", "---", "|||")
TIMEOUT_ROW_PT = 11          # points between the stacked timeout markers above the step-time panel


def _timeouts(ax, g, order) -> list[str]:
    """An X above the panel at the first size each backend timed out at, named; a marker whose name would
    meet another's goes up a row. Call it once the x limits are set. Returns "backend at q" per timeout."""
    from matplotlib.transforms import offset_copy
    found = []
    for backend in order:
        b = g[g["backend"] == backend]
        out_q = b[(b["runs"] == 0) & (b["timeouts"] > 0)]["q"]
        if len(out_q):
            found.append((int(out_q.min()), backend))
    found.sort(key=lambda f: f[0])          # stable: backends in the report's order within a size
    x0, x1 = ax.get_xlim()
    per_unit = ax.get_position().width * ax.figure.get_figwidth() * 72 / (x1 - x0)     # points per qubit
    ends: list[float] = []                  # per row, where its last name ends (qubits)
    for q0, backend in found:
        start = q0 - 6 / per_unit
        row = next((i for i, end in enumerate(ends) if end < start), len(ends))
        end = q0 + (10 + 4.4 * len(backend)) / per_unit
        ends[row:row + 1] = [end]
        where = offset_copy(ax.get_xaxis_transform(), fig=ax.figure, y=TIMEOUT_ROW_PT * (row + 0.7), units="points")
        ax.plot([q0], [1.0], marker="X", ms=9, color=style(backend).color, transform=where, clip_on=False,
                ls="none", mec="white", mew=0.6)
        ax.annotate(backend, (q0, 1.0), xycoords=where, xytext=(6, 0), textcoords="offset points", va="center",
                    fontsize=7.5, color=style(backend).color, annotation_clip=False)
    if ends:
        ax.set_title(ax.get_title(), pad=6 + TIMEOUT_ROW_PT * len(ends))
    return [f"{backend} at {q0}" for q0, backend in found]


def _crossover_strip(ax, mine, qmin, qmax) -> None:
    """One band per claimed crossover, each on its own row, labelled beside the band where there is room."""
    for j, r in enumerate(mine.itertuples()):
        color = style(r.a).color
        ax.barh(j, r.high - r.low, left=r.low, height=0.7, color=color, alpha=0.28, edgecolor=color,
                hatch=HATCHES[j % len(HATCHES)], lw=0.8)
        text = f"{r.a} overtakes {r.b}"
        if r.low - qmin >= qmax - r.high:
            ax.text(r.low - 0.15, j, text + " ", ha="right", va="center", fontsize=7.5, color=color)
        else:
            ax.text(r.high + 0.15, j, " " + text, ha="left", va="center", fontsize=7.5, color=color)
    ax.set_ylim(len(mine) - 0.4, -0.6)
    ax.set_yticks([])
    ax.set_xlabel("qubits; bands: claimed crossovers (between the band's two sizes)")
    ax.grid(axis="x", alpha=0.3)


def plot_scaling(report: Report, out: Path) -> list[tuple[Path, str]]:
    s = report.scaling
    if s.empty:
        return []
    plt = _plt()
    labels = dict(zip(report.configs["family"], report.configs["family_label"]))
    order = _backends(report)
    made, names = [], set()
    for family, g in s.groupby("family", sort=False):
        cross = report.crossovers
        mine = cross[(cross["family"] == family) & cross["low"].notna()] if not cross.empty else cross
        sizes = sorted(g["q"].unique())
        strip = 0.45 * len(mine) + 0.7 if len(mine) else 0
        fig = plt.figure(figsize=(PAGE_WIDTH_IN, 5.6 + strip), layout="constrained")
        grid = fig.add_gridspec(2 if len(mine) else 1, 2, height_ratios=[4.6, strip] if len(mine) else [1])
        ax1, ax2 = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
        for backend in order:
            done = g[(g["backend"] == backend) & (g["runs"] > 0)].sort_values("q")
            if len(done):
                low, high, med = done["steady_step_low_s"] * 1e3, done["steady_step_high_s"] * 1e3, done["steady_step_s"] * 1e3
                ax1.errorbar(done["q"], med, yerr=[med - low, high - med], capsize=2, **line_kw(backend))
                ax2.plot(done["q"], done["run_peak_rss_mib"], **line_kw(backend))
        ax1.set_title(f"{labels.get(family, family)}: step time")
        for r in mine.itertuples():
            ax1.axvspan(r.low, r.high, color="0.5", alpha=0.06, lw=0)
        ax1.set_yscale("log")
        ax1.set_ylabel("steady step, ms (log)")
        ax2.set_ylabel("peak resident memory of the run, MiB")
        ax2.set_title("peak memory")
        for ax in (ax1, ax2):
            ax.set_xticks(sizes)
            ax.set_xlim(sizes[0] - 0.5, sizes[-1] + 0.5)
            ax.grid(alpha=0.3)
            ax.set_xlabel("qubits")
        timeouts = _timeouts(ax1, g, order)
        if timeouts:
            ax1.plot([], [], marker="X", ms=8, color="black", ls="none",
                     label=f"X above the panel, named: {timed_out_text(g['timeout_s'].max(), ' at that size, ')}")
        if len(mine):
            ax1.set_xlabel("")
            ax1.tick_params(labelbottom=False)
            band = fig.add_subplot(grid[1, 0], sharex=ax1)
            _crossover_strip(band, mine, sizes[0], sizes[-1])
        _legend_outside(fig, below=True, columns=5)
        layers, batch = g["layers"].iloc[0], g["batch_size"].iloc[0]
        # the readout and an --env in the name, so a file says which family it is (a user's sum is slugged)
        readout = re.sub(r"[^A-Za-z0-9]+", "-", str(g["observables"].iloc[0])).strip("-")[:40]
        name = f"scaling_L{layers}_b{batch}" + (f"_{readout}" if readout else "") + \
            ("_env" if str(g["env"].iloc[0]) else "")
        name += "" if name not in names else f"_{len(names)}"       # families differing in other settings
        names.add(name)
        path = _save(plt, fig, out / f"{name}.png")
        caption = (f"{labels.get(family, family)}: steady step time (median of the runs' medians; whiskers: the "
                   f"stated interval) and the run's peak memory against qubits.")
        caption += (f" An X above the step-time panel marks where a backend timed out ({', '.join(timeouts)} "
                    f"qubits); larger sizes were not run." if timeouts else " No backend timed out.")
        caption += (" Under it, one band per claimed crossover, in the overtaking backend's colour: "
                    + "; ".join(f"{r.a} overtakes {r.b} between {int(r.low)} and {int(r.high)} qubits"
                                for r in mine.itertuples()) + "." if len(mine) else
                    " No crossover is drawn: none is claimed where the spreads overlap or runs are too few.")
        made.append((path, caption))
    return made


READOUT_SIZES = (12, 16)          # the sizes at which step time is plotted against the number of outputs


def plot_readouts(report: Report, out: Path) -> list[tuple[Path, str]]:
    """Step time against the number of outputs at a fixed size, where several readouts were run there."""
    s = report.scaling
    if s.empty or "n_outputs" not in s:
        return []
    s = s[(s["runs"] > 0) & s["n_outputs"].notna() & (s["backend"] != "classical")]
    plt, order, made = _plt(), _backends(report), []
    for (layers, batch, q), g in s.groupby(["layers", "batch_size", "q"], sort=True):
        if q not in READOUT_SIZES or g["n_outputs"].nunique() < 2:
            continue
        fig, (ax,) = _panels(plt, 1, width_in=7.5, height_in=4.6)
        for backend in [b for b in order if b in set(g["backend"])]:
            b = g[g["backend"] == backend].sort_values("n_outputs")
            med = b["steady_step_s"] * 1e3
            ax.errorbar(b["n_outputs"], med, yerr=[med - b["steady_step_low_s"] * 1e3,
                                                   b["steady_step_high_s"] * 1e3 - med],
                        capsize=2, **line_kw(backend))
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("outputs of the readout (log2)")
        ax.set_ylabel("steady step, ms (log)")
        ax.set_title(f"{q} qubits, {layers} layer{'s' if str(layers) != '1' else ''}, batch {batch}")
        ax.grid(alpha=0.3)
        _legend_outside(fig)
        fig.tight_layout()
        path = _save(plt, fig, out / f"readouts_q{q}_L{layers}_b{batch}.png")
        made.append((path, f"Steady step against the number of outputs at {q} qubits (whiskers: the stated "
                           "interval): adjoint in Jacobian mode sweeps back once per output, device_vjp and "
                           "backprop once per step whatever the readout. A Hamiltonian is one output."))
    return made
