"""`python -m harness report`: the store read into tables, crossovers, advice and plots.

It only reads: the runs store (``runs.jsonl``) and any pytest-benchmark JSON
files given. Rendering (markdown, CSV, HTML, PNG) is kept apart from the
numbers, which ``build_report`` returns as plain pandas DataFrames so tests
can check them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from backends import UserError

from .store import read_frame

GROUP = ["task", "circuit", "qubits", "layers", "batch_size", "shots"]
SPREAD_WARN = 0.10          # pyperf's rule: a spread over 10% of the median is unstable
CHOICES = ["qiskit-shift", "qiskit-ml", "default-backprop", "default-adjoint", "default-shift",
           "lightning-adjoint", "lightning-shift"]    # what a user picks between; torch is the floor


@dataclass
class Report:
    summary: pd.DataFrame
    scaling: pd.DataFrame = field(default_factory=pd.DataFrame)
    crossovers: pd.DataFrame = field(default_factory=pd.DataFrame)
    growth: pd.DataFrame = field(default_factory=pd.DataFrame)
    advice: pd.DataFrame = field(default_factory=pd.DataFrame)
    failures: pd.DataFrame = field(default_factory=pd.DataFrame)
    benchmarks: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)
    machines: list[str] = field(default_factory=list)
    runs: pd.DataFrame = field(default_factory=pd.DataFrame)


def _spread(s: pd.Series) -> float:
    s = s.dropna()
    return float((s.max() - s.min()) / s.median()) if len(s) > 1 and s.median() else 0.0


def _keyed(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for col in GROUP:
        if col not in df:
            df[col] = np.nan
    df["shots"] = df["shots"].fillna(0).astype(int)          # 0 = exact, so groupby keeps it
    for col in ("qubits", "layers"):
        df[col] = df[col].fillna(0).astype(int)
    return df


def _latest(df: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration: the newest (a re-run with --force supersedes what it re-ran)."""
    from .sweep import KEY_FIELDS
    key = df[[c for c in KEY_FIELDS if c in df]].astype(str)
    return df[~key.duplicated(keep="last")]


def summarise(ok: pd.DataFrame, reference: str = "torch") -> pd.DataFrame:
    """Median and spread over seeds, per task configuration and backend."""
    ok = ok.assign(quantum_s=ok["quantum_forward_s"] + ok["quantum_backward_s"])
    # regression rows have no accuracy (None) but a test MSE; classifier rows the other way round
    ok = ok.assign(test_accuracy=pd.to_numeric(ok["test_accuracy"], errors="coerce"),
                   test_mse=pd.to_numeric(ok["test_mse"], errors="coerce") if "test_mse" in ok else np.nan)
    ok = ok.assign(quantum_share=ok["quantum_s"] / ok["train_s"])
    rows = []
    for key, g in ok.groupby(GROUP + ["backend"], sort=False):
        rec = dict(zip(GROUP + ["backend"], key))
        rec.update(
            seeds=int(g["seed"].nunique()),
            train_s=float(g["train_s"].median()),
            train_s_min=float(g["train_s"].min()),
            train_s_max=float(g["train_s"].max()),
            train_spread=_spread(g["train_s"]),
            steady_step_ms=float(g["steady_step_s"].median() * 1e3),
            first_step_ms=float(g["first_step_s"].median() * 1e3),
            quantum_share=float(g["quantum_share"].median()),
            run_peak_rss_mib=float(g["run_peak_rss_mib"].median()),
            train_effective_cores=float(g["train_effective_cores"].median()),
            run_peak_threads=int(g["run_peak_threads"].max()),
            run_peak_children=int(g["run_peak_children"].max()),
            test_accuracy=float(g["test_accuracy"].median()),
            test_accuracy_min=float(g["test_accuracy"].min()),
            test_accuracy_max=float(g["test_accuracy"].max()),
            final_loss=float(g["final_loss"].median()),
            test_mse=float(g["test_mse"].median()),
        )
        rows.append(rec)
    summary = pd.DataFrame(rows)
    if summary.empty:
        return summary
    # speed relative to the reference backend and to the classical twin of the same configuration
    for other, col in ((reference, "x_reference"), ("classical", "x_classical")):
        base = summary[summary["backend"] == other].set_index(GROUP)["train_s"]
        summary[col] = [row.train_s / base.get(tuple(getattr(row, c) for c in GROUP), np.nan)
                        if tuple(getattr(row, c) for c in GROUP) in base.index else np.nan
                        for row in summary.itertuples()]
    return summary


def _scaling_table(ok: pd.DataFrame) -> pd.DataFrame:
    scaling = ok[ok["circuit"] == "entangler"]
    if scaling.empty:
        return pd.DataFrame()
    return (scaling.groupby(["layers", "batch_size", "backend", "qubits"])
            .agg(steady_step_ms=("steady_step_s", lambda s: s.median() * 1e3),
                 run_peak_rss_mib=("run_peak_rss_mib", "median"), train_effective_cores=("train_effective_cores", "median"),
                 run_peak_threads=("run_peak_threads", "max"))
            .reset_index())


def _faster(table: pd.DataFrame, a: str, b: str) -> pd.Series:
    """Per qubit count where both ran: True where backend a's step is faster than b's."""
    pa = table[table["backend"] == a].set_index("qubits")["steady_step_ms"]
    pb = table[table["backend"] == b].set_index("qubits")["steady_step_ms"]
    both = pa.index.intersection(pb.index)
    return (pa[both] < pb[both]).sort_index()


def crossovers(scaling: pd.DataFrame) -> pd.DataFrame:
    """Where one method overtakes another, per layer count and batch size.

    "a beats b up to q" is the largest qubit count from which a is faster at
    every smaller size measured; "overtakes at q" is the first size from which
    a stays faster at every larger size measured.
    """
    pairs = [("default-backprop", "default-adjoint"), ("default-backprop", "lightning-adjoint"),
             ("lightning-adjoint", "default-adjoint"), ("lightning-adjoint", "default-backprop"),
             ("torch", "default-backprop")]
    rows = []
    for (layers, batch), g in scaling.groupby(["layers", "batch_size"]):
        for a, b in pairs:
            faster = _faster(g, a, b)
            if faster.empty:
                continue
            qs = list(faster.index)
            beats_up_to = None
            for q in qs:
                if not faster[q]:
                    break
                beats_up_to = q
            overtakes_at = None
            for q in reversed(qs):
                if not faster[q]:
                    break
                overtakes_at = q
            rows.append(dict(layers=layers, batch_size=batch, a=a, b=b, sizes=f"{qs[0]}-{qs[-1]}",
                             a_faster_at=",".join(str(q) for q in qs if faster[q]) or "none",
                             a_beats_b_up_to=beats_up_to, a_overtakes_b_from=overtakes_at))
    return pd.DataFrame(rows)


def growth(scaling: pd.DataFrame) -> pd.DataFrame:
    """Fitted growth per added qubit of step time and of peak memory above the smallest size.

    A least-squares line through log2(value) against qubits over the larger
    half of the sizes each backend reached; 2 ** slope is the factor per qubit
    (2.0 means doubling, as a statevector does).
    """
    rows = []
    for (layers, batch, backend), g in scaling.groupby(["layers", "batch_size", "backend"]):
        g = g.sort_values("qubits")
        if len(g) < 3:
            continue
        upper = g.iloc[len(g) // 2 - (len(g) % 2 == 0):] if len(g) >= 4 else g
        step = np.polyfit(upper["qubits"], np.log2(upper["steady_step_ms"]), 1)[0]
        extra = upper["run_peak_rss_mib"] - g["run_peak_rss_mib"].min()
        mem = np.polyfit(upper["qubits"][extra > 1], np.log2(extra[extra > 1]), 1)[0] if (extra > 1).sum() >= 2 else np.nan
        rows.append(dict(layers=layers, batch_size=batch, backend=backend,
                         qubits=f"{g['qubits'].min()}-{g['qubits'].max()}",
                         step_time_x_per_qubit=2 ** step,
                         memory_above_base_x_per_qubit=2 ** mem if not math.isnan(mem) else np.nan,
                         step_ms_at_max=float(g["steady_step_ms"].iloc[-1]),
                         run_peak_rss_mib_at_max=float(g["run_peak_rss_mib"].iloc[-1])))
    return pd.DataFrame(rows)


def advise(summary: pd.DataFrame) -> pd.DataFrame:
    """Fastest, least memory and best balance among the framework choices, per configuration.

    Balance is the geometric mean of time and memory, each relative to the best
    of the group, among backends whose test accuracy is within 5 points of the
    best, or for a regression whose test MSE is at most 1.5 times the best (a
    fast backend that does not learn is no choice).
    """
    rows = []
    for key, g in summary[summary["backend"].isin(CHOICES)].groupby(GROUP, sort=False):
        if g.empty:
            continue
        good = g[g["test_accuracy"] >= g["test_accuracy"].max() - 0.05]
        if g["test_accuracy"].isna().all():     # a regression: test MSE at most 1.5 times the best
            good = g[g["test_mse"] <= 1.5 * g["test_mse"].min()] if g["test_mse"].notna().any() else g
        balance = np.sqrt((good["train_s"] / good["train_s"].min()) * (good["run_peak_rss_mib"] / good["run_peak_rss_mib"].min()))
        rec = dict(zip(GROUP, key))
        fastest = g.loc[g["train_s"].idxmin()]
        rec.update(fastest=fastest["backend"], fastest_s=fastest["train_s"],
                   least_memory=g.loc[g["run_peak_rss_mib"].idxmin(), "backend"],
                   least_memory_mib=g["run_peak_rss_mib"].min(),
                   best_balance=good.loc[balance.idxmin(), "backend"],
                   slowest=g.loc[g["train_s"].idxmax(), "backend"],
                   slowest_s=g["train_s"].max())
        rows.append(rec)
    return pd.DataFrame(rows)


def _provenance_warnings(df: pd.DataFrame) -> tuple[list[str], list[str]]:
    warnings, machines = [], []
    mcols = [c for c in ("machine.cpu_model", "machine.cpu_count") if c in df]
    if mcols:
        combos = df[mcols].astype(object).fillna("unknown").astype(str).drop_duplicates()   # a row may lack provenance
        machines = [" / ".join(r) for r in combos.itertuples(index=False)]
        if len(combos) > 1:
            warnings.append(f"results mix {len(combos)} machines ({'; '.join(machines)}): "
                            f"compare timings only within one machine")
    vcols = sorted(c for c in df if c.startswith("versions."))
    for col in vcols:
        values = sorted(df[col].dropna().astype(str).unique())
        if len(values) > 1:
            warnings.append(f"results mix {col.split('.', 1)[1]} versions {', '.join(values)}")
    return warnings, machines


def build_report(results_dir="results", reference: str = "torch", benchmark_files=()) -> Report:
    df = read_frame(results_dir)
    if df.empty:
        raise UserError(f"no results in {Path(results_dir) / 'runs.jsonl'}; run 'python -m harness run' "
                        f"or 'python -m harness sweep' first")
    df = _latest(_keyed(df))
    ok = df[df["status"] == "ok"]
    failures = df[df["status"] != "ok"].reindex(columns=["task", "backend", "qubits", "layers", "seed", "status",
                                                         "error"]).copy()
    # the first line of a failed row's error is the child's own cause (see runner._cause)
    failures["error"] = failures["error"].astype(object).fillna("").map(
        lambda e: e.strip().splitlines()[0] if e.strip() else "")
    warnings, machines = _provenance_warnings(df)
    summary = summarise(ok, reference) if not ok.empty else pd.DataFrame()
    for r in summary.itertuples() if not summary.empty else []:
        if r.seeds > 1 and r.train_spread > SPREAD_WARN:
            warnings.append(f"{r.task} {r.backend}{' q' + str(r.qubits) if r.qubits else ''}: training time "
                            f"spreads {100 * r.train_spread:.0f}% over {r.seeds} seeds "
                            f"({r.train_s_min:.2f}-{r.train_s_max:.2f} s); the result may be unstable")
    if len(failures):
        warnings.append(f"{len(failures)} runs did not finish ok (see 'Runs that did not finish')")
    scaling = _scaling_table(ok) if not ok.empty else pd.DataFrame()
    benchmarks = pd.DataFrame()
    if benchmark_files:
        from .benchjson import read_benchmark_json
        benchmarks = read_benchmark_json(benchmark_files)
    return Report(summary=summary, scaling=scaling,
                  crossovers=crossovers(scaling) if not scaling.empty else pd.DataFrame(),
                  growth=growth(scaling) if not scaling.empty else pd.DataFrame(),
                  advice=advise(summary) if not summary.empty else pd.DataFrame(),
                  failures=failures, benchmarks=benchmarks, warnings=warnings, machines=machines, runs=ok)
