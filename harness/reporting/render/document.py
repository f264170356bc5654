"""The report as a document: sections of text, tables and captioned figures, one per question."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from harness.reporting.render.common import (
    Section,
    _by_backend,
    _figure,
    _fmt,
    _gone,
    _is_missing,
    _lookup,
    _ratio_verdict,
    _time_cell,
)
from harness.reporting.render.plots import _plots
from harness.reporting.report import Report
from harness.results.words import plural
from harness.results.benchjson import round_spreads
from harness.reporting.claims import MEMORY_NOISE
from harness.reporting.summary import summary_lines
from harness.results.stats import (
    MIN_RUNS,
    MIN_STEADY_STEPS,
    format_mib,
    format_spread,
)


def _summary(report: Report) -> Section:
    return Section("Summary: what to pick", summary_lines(report))


def _intro(report: Report) -> Section:
    rows = report.rows
    def distinct(column: str) -> str:
        return ", ".join(sorted(rows[column].dropna().astype(str).unique())) if column in rows else ""

    # the code version says which measuring code made the rows; the commits (which also change with docs and
    # tests) are in the provenance line at the top
    text = [f"Store: `{report.source}`, {plural(len(rows), 'row')}, {plural(len(report.configs), 'configuration')}, "
            f"machine: {'; '.join(report.machines) or 'unknown'}; measuring code version: "
            f"{distinct('code_version') or 'unknown'}.",
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


# the frameworks whose import size the text names, as the backend registry names them
_IMPORTS = {"qiskit": "Qiskit and Aer", "pennylane": "PennyLane", "torch": "torch alone"}


def _import_sizes(runs: pd.DataFrame) -> str:
    """' (about 356 MiB for Qiskit and Aer, 550 for PennyLane, ... here)': each framework's median setup peak
    over this store's ok runs outside MNIST (whose setup also holds the images), measured, not a constant."""
    from backends import BACKENDS
    if runs.empty or "setup_peak_rss_mib" not in runs:
        return ""
    ok = runs[~runs["task"].astype(str).str.startswith("mnist")]
    framework = ok["backend"].map(lambda b: getattr(BACKENDS.get(b), "framework", None))
    said = []
    for name, label in _IMPORTS.items():
        peaks = ok.loc[framework == name, "setup_peak_rss_mib"].dropna()
        if len(peaks):
            said.append(f"{peaks.median():.0f}{' MiB' if not said else ''} for {label}")
    return f" (about {', '.join(said)} here)" if said else ""


def _pick(report: Report, figures) -> Section:
    sec = Section("Which should I pick?")
    sec.text = ["Per configuration, among the framework backends (torch and classical are references, not "
                "choices), every column by the rule above: the fastest with its time and whether it is "
                "distinguishable from the runner-up; the least memory; the best balance; the slowest (timed-out "
                "backends first).",
                "Least memory ranks each run's whole-run peak above its own setup peak (VmHWM at the end of setup: "
                "the interpreter with that backend's frameworks imported, the data loaded and the model built, "
                "measured per backend and configuration), so it compares what each backend adds, not the size of "
                f"its imports{_import_sizes(report.runs)}; the raw whole-run peak is beside it.",
                "Best balance: first the backends whose test accuracy (regression: test MSE) is distinguishably "
                "worse than the best median's are dropped (the quality column names them; overlapping intervals "
                "drop nothing); of the rest, those that another beats by the rule in time or whole-run peak without "
                "being beaten in the other are dropped; of what is left, the lowest geometric mean of time/fastest "
                "time and peak/least peak. The scaling grid trains too few steps to judge quality, so there no "
                "backend is dropped for it."]
    adv = report.advice
    if adv.empty:
        return sec
    table = pd.DataFrame({
        "configuration": adv["label"], "ranked by": adv["ranked_by"], "fastest": adv["fastest"],
        "its time": [format_spread(t) for t in adv["fastest_time"]], "against the runner-up": adv["fastest_vs_next"],
        "least memory (above setup; whole-run peak)": [
            f"{b} (+{format_mib(a)}; {m:.0f} MiB)" if a is not None else f"{b} ({m:.0f} MiB)"
            for b, a, m in zip(adv["least_memory"], adv["least_memory_above"], adv["least_memory_mib"])],
        "against the next": adv["least_memory_vs_next"],
        "best balance": adv["best_balance"],
        "dropped on quality": [q or "-" for q in adv["quality_dropped"]],
        "slowest": [s if _is_missing(t) else f"{s}: {format_spread(t)}" for s, t in zip(adv["slowest"], adv["slowest_time"])],
    })
    sec.tables.append(("Choice per configuration", table))
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
                        "above the smallest size) against qubits; 2.00 means doubling per qubit. Step time is "
                        "fitted over the larger half of the sizes each backend finished (the points are named), "
                        "and only where the largest of them is distinguishably slower than the first (else "
                        "\"flat\", or why it cannot be told). Memory is fitted only over the sizes whose whole-run peak interval lies above "
                        f"the smallest size's by more than {100 * MEMORY_NOISE:.0f}% of its median (above noise: "
                        "a backend's peak moves by a few percent between configurations that simulate nothing "
                        "different), and only with two such sizes or more; otherwise the column says what it grew by.")
        sec.tables.append(("Growth per added qubit", pd.DataFrame({
            "scaling family": [_family_label(report, f) for f in g["family"]], "backend": g["backend"],
            "qubits run": g["qubits"], "fitted over qubits": g["fit_qubits"],
            "step time x/qubit": [n or f"{v:.2f}" for v, n in zip(g["step_time_x_per_qubit"], g["step_note"])],
            "memory above base x/qubit": [f"{v:.2f} (over {q})" if v == v else note for v, q, note in
                                          zip(g["memory_above_base_x_per_qubit"], g["memory_fit_qubits"], g["memory_note"])],
            "step at largest size": [format_spread(s) for s in g["step_at_max"]],
            "MiB at largest size": [f"{v:.0f}" for v in g["run_peak_rss_mib_at_max"]]})))
    rate = _rates(report)
    if rate is not None:
        sec.text.append("Work-normalised speed: a training step needs batch x gates x 3 gate applications (one "
                        "forward, and a reverse sweep that applies each gate's inverse to the state and to the "
                        "cotangent, the cheapest exact gradient); each application updates 2^qubits amplitudes. "
                        "Dividing by the steady step gives amplitude updates per second, so sizes and backends "
                        "compare against what this machine did at best (the last column).")
        sec.tables.append(("Amplitude updates per second (millions)", rate))
    sec.figures += figures.get("scaling", [])
    return sec


def _rates(report: Report) -> pd.DataFrame | None:
    s = report.scaling
    if s.empty or "amplitude_updates_per_s" not in s or s["amplitude_updates_per_s"].isna().all():
        return None
    s = s[s["amplitude_updates_per_s"].notna() & (s["backend"] != "classical")]     # the twin has no circuit
    if s.empty:
        return None
    table = s.pivot_table(index=["family", "q"], columns="backend", values="amplitude_updates_per_s",
                          aggfunc="first") / 1e6
    best = table.max(axis=1)
    out = table.map(lambda v: "" if v != v else f"{v:,.1f}")
    out["best here"] = [f"{b:,.1f} ({table.loc[i].idxmax()})" for i, b in best.items()]
    out = out.reset_index()
    out.insert(0, "scaling family", [_family_label(report, f) for f in out.pop("family")])
    return out.rename(columns={"q": "qubits"})


def _memory(report: Report) -> Section:
    sec = Section("Memory")
    sec.text = ["Peak resident memory (VmHWM) in MiB, median over runs: the whole child process (imports, setup, "
                "training, evaluation) and, after the slash, the training span alone where the run recorded it "
                "(schema 2). The fresh process's imports dominate small configurations.",
                "In brackets, the backend's own memory: each run's whole-run peak above its setup peak (VmHWM at "
                "the end of setup: the interpreter with that backend's frameworks imported, the data and the model "
                "built, before the first step), median over runs. That setup peak is each backend's import "
                "baseline, measured per backend and configuration; it is what 'least memory' ranks. Where setup's own peak is "
                "the whole run's (MNIST: reading the images), training adds nothing above it and shows +0."]
    def cell(r, c):
        if r is None or r["runs"] == 0:
            return "-" if r is None else "timed out"
        train, above = r["train_peak_rss_mib"], r.get("above_setup")
        return (f"{r['run_peak_rss_mib']:.0f}" + ("" if _is_missing(train) else f" / {train:.0f}")
                + (f" (+{above.median:.0f})" if above is not None and not _is_missing(above) else ""))
    sec.tables.append(("Peak memory, MiB: run / training (+ run above setup)", _by_backend(report, cell)))
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


def _busy(report: Report) -> Section | None:
    if report.busy.empty:
        return None
    counted = ("They are counted in every figure above (--include-busy)." if report.include_busy else
               "They are left out of every figure, claim, crossover and advice above; `report --include-busy` "
               "counts them.")
    return Section("Runs on a busy machine", [
        "Each ok run during whose training the rest of the machine took more of the run's cores, or the "
        "hypervisor stole more time, than the thresholds of harness/measuring/load.py allow: its timings are "
        "disturbed. The others' cores and the steal are CPU seconds per wall second of its training. " + counted],
        [("Runs on a busy machine", report.busy)])


def document(report: Report, out: Path) -> list[Section]:
    figures = _plots(report, out)
    sections = [_summary(report), _intro(report)]
    if report.warnings:
        sections.append(Section("Warnings", [w for w in report.warnings]))
    sections += [_pick(report, figures), _adjoint(report), _scaling(report, figures), _memory(report),
                 _cores(report), _accuracy(report, figures), _configurations(report)]
    sections += [s for s in (_benchmarks(report), _failures(report), _busy(report)) if s]
    sections.append(Section("Full tables", ["`python -m harness report --format csv` writes every table in full "
                                            "(summary.csv: one row per configuration and backend with every figure "
                                            "and its interval) and every run (runs.csv)."]))
    return sections
