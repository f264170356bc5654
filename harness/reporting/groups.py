"""Rows into groups: a configuration is every identity field but the seed, per backend; each group's figures
with their spread and n (``stats.Spread``).
"""
from __future__ import annotations
import math
import numpy as np
import pandas as pd
from harness.results.stats import Spread, spread_of
from harness.results import fields



# every identity field but the seed (runs of one configuration) and the backend (what is compared)
IDENTITY = tuple(f for f in fields.IDENTITY if f not in ("seed", "backend"))


def _dict_text(df: pd.DataFrame, name: str) -> pd.Series:
    """A dict field (flattened by json_normalize into ``name.KEY`` columns) as 'K=V, K=V' text."""
    cols = sorted(c for c in df.columns if c.startswith(name + "."))
    out = pd.Series([""] * len(df), index=df.index, dtype=object)
    if name in df:           # a column of dicts that json_normalize left whole (all empty)
        out = df[name].map(lambda d: ", ".join(f"{k}={v}" for k, v in sorted(d.items()))
                           if isinstance(d, dict) else "")
    for col in cols:
        key = col[len(name) + 1:]
        part = df[col].map(lambda v, key=key: "" if v is None or (isinstance(v, float) and math.isnan(v))
                           else f"{key}={v}")
        out = [", ".join(p for p in (a, b) if p) for a, b in zip(out, part)]
        out = pd.Series(out, index=df.index, dtype=object)
    return out


def _value_text(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, (list, tuple)):
        return ",".join(str(x) for x in v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def keyed(df: pd.DataFrame) -> pd.DataFrame:
    """Rows with their identity fields as comparable text and a ``config`` key (all fields but the seed)."""
    df = df.copy()
    for name in IDENTITY + ("seed", "backend"):
        if name in ("env", "thread_env"):
            df[name] = _dict_text(df, name)
        elif name not in df:
            df[name] = ""
        else:
            df[name] = df[name].map(_value_text)
    df["config"] = ["; ".join(f"{f}={v}" for f, v in zip(IDENTITY, vals))
                    for vals in df[list(IDENTITY)].itertuples(index=False)]
    # a family is one configuration across sizes: a built-in circuit's digest changes with its size (the
    # readout z0 on 4 qubits is another circuit than on 8), so only a file's digest stays in the family
    df["family"] = ["; ".join(f"{f}={v}" for f, v in zip(IDENTITY, vals) if f != "qubits" and not (
                        f == "circuit_digest" and "/" not in str(dict(zip(IDENTITY, vals)).get("circuit", ""))))
                    for vals in df[list(IDENTITY)].itertuples(index=False)]
    return df


def latest(df: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration and seed: the newest (a re-run with --force supersedes what it re-ran)."""
    key = df["config"] + "|" + df["backend"] + "|" + df["seed"]
    return df[~key.duplicated(keep="last")]


def own_readout(circuit: str) -> str:
    """A configuration without --observables, named beside those with: the circuit's own outputs."""
    return "Z on every wire" if circuit == "entangler" else "the circuit's own outputs"


def configurations(df: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration: its fields, a short ``label`` and every setting as ``settings`` text.

    The label is the task and the fields that vary among that task's
    configurations, so two moons configurations that differ only in threads
    read "moons, 1 thread" and "moons, 2 threads".
    """
    configs = df.drop_duplicates("config")[["config", "family", *IDENTITY]].reset_index(drop=True)
    labels, family_labels = [], []
    shown_by_task = {task: _thread_env_shown(g) for task, g in configs.groupby("task", sort=False)}
    for rec in configs.to_dict("records"):
        same_task = configs[configs["task"] == rec["task"]]
        shown = shown_by_task[rec["task"]]
        varying = [f for f in IDENTITY if f != "task" and (
            len(set(shown.values())) > 1 if f == "thread_env" else same_task[f].nunique() > 1)]
        # a built-in circuit's digest follows from its name, size and readout (shown beside it), so it names
        # nothing a reader could tell apart; a file's digest tells two versions of the file apart
        parts = [(f, own_readout(rec["circuit"]) if f == "observables" and not rec[f] else
                  fields.label(f, shown[rec["config"]] if f == "thread_env" else rec[f])) for f in varying
                 if not (f == "circuit_digest" and "/" not in str(rec["circuit"]))]
        labels.append(", ".join([rec["task"]] + [p for f, p in parts if p]))
        family_labels.append(", ".join([rec["task"]] + [p for f, p in parts if p and f != "qubits"]))
    configs["label"] = labels
    configs["family_label"] = family_labels
    configs["settings"] = [", ".join(p for p in (fields.label(f, rec[f]) for f in IDENTITY if f != "task") if p)
                           for rec in configs.to_dict("records")]
    configs["sizable"] = configs["qubits"] != ""
    return configs


def _pairs(text: str) -> dict:
    return dict(p.split("=", 1) for p in str(text).split(", ") if "=" in p)


def _thread_env_shown(same_task: pd.DataFrame) -> dict:
    """config -> the part of its thread environment a label needs: only the variables whose values differ
    among these configurations, less those its own ``--env`` set (the label names ``env`` already)."""
    envs = {c: _pairs(t) for c, t in zip(same_task["config"], same_task["thread_env"])}
    own = {c: set(_pairs(e)) for c, e in zip(same_task["config"], same_task["env"])}
    keys = set().union(*envs.values()) if envs else set()
    differ = {k for k in keys if len({e.get(k) for e in envs.values()}) > 1}
    return {c: ", ".join(f"{k}={e[k]}" for k in sorted(differ - own[c]) if k in e) for c, e in envs.items()}


def _num(g: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(g[col], errors="coerce") if col in g else pd.Series(np.nan, index=g.index)


def _median(g, col) -> float:
    s = _num(g, col).dropna()
    return float(s.median()) if len(s) else np.nan


def step_spread(ok: pd.DataFrame) -> Spread | None:
    """Steady step time over runs: each run's median, widened to its within-run quartiles."""
    medians = _num(ok, "steady_step_s")
    q1, q3 = _num(ok, "steady_step_stats_s.q1"), _num(ok, "steady_step_stats_s.q3")
    n_steps = _num(ok, "steady_step_stats_s.n")
    if n_steps.isna().all() and "steps" in ok:          # schema-1 rows: every step after the first
        n_steps = _num(ok, "steps") - 1
    steps = int(n_steps.min()) if n_steps.notna().any() else None
    return spread_of(medians, quartiles=list(zip(q1, q3)), steps=steps)


def above_setup_spread(ok: pd.DataFrame) -> Spread | None:
    """Each run's whole-run peak above its own setup peak (the interpreter with the backend's frameworks
    imported, the data loaded and the model built, before the first step): what training and evaluation
    added on top of that backend's baseline, measured per run."""
    return spread_of(_num(ok, "run_peak_rss_mib") - _num(ok, "setup_peak_rss_mib"))


# gate applications a training step needs per gate and sample: one forward, and a reverse sweep that applies
# each gate's inverse to the state and to the cotangent's bra (the cheapest exact gradient: adjoint with a VJP)
APPLICATIONS_PER_GATE = 3


def _entangler_gates(q: int, layers: int) -> int:
    """The entangler's gate count (backends.library.entangler): RX per wire, then per layer RY per wire and a ring."""
    ring = 0 if q == 1 else 1 if q == 2 else q
    return q + layers * (q + ring)


def _step_gate_updates(r) -> float:
    """Gate applications one training step needs, counted from the circuit: batch x gates x 3 (see above)."""
    gates = getattr(r, "n_gates", np.nan)
    if not gates == gates and r.circuit == "entangler" and r.qubits != "" and r.layers != "":
        gates = _entangler_gates(int(r.qubits), int(r.layers))        # rows stored before n_gates existed
    if not gates == gates or r.batch_size in ("", None):
        return np.nan
    return float(APPLICATIONS_PER_GATE * int(r.batch_size) * int(gates))


def summarise(df: pd.DataFrame, reference: str = "torch") -> pd.DataFrame:
    """One row per configuration and backend, ok runs' figures with spread; timed-out runs counted."""
    rows = []
    for (config, backend), g in df.groupby(["config", "backend"], sort=False):
        ok = g[g["status"] == "ok"]
        rec = {f: g[f].iloc[0] for f in ("config", "family", *IDENTITY)}
        timeout = _num(g[g["status"] == "timeout"], "timeout_s")
        train, step = spread_of(_num(ok, "train_s")), step_spread(ok)
        iqr = (_num(ok, "steady_step_stats_s.q3") - _num(ok, "steady_step_stats_s.q1")) / _num(ok, "steady_step_s")
        quantum = _num(ok, "quantum_forward_s") + _num(ok, "quantum_backward_s")
        rec.update(
            backend=backend, runs=len(ok), seeds=",".join(sorted(ok["seed"], key=lambda s: (len(s), s))),
            timeouts=int((g["status"] == "timeout").sum()), failed=int(g["status"].isin(["failed", "killed"]).sum()),
            timeout_s=float(timeout.max()) if timeout.notna().any() else np.nan,
            train=train, step=step,
            train_s=train.median if train else np.nan, train_low_s=train.low if train else np.nan,
            train_high_s=train.high if train else np.nan,
            train_spread=(train.high - train.low) / train.median if train and train.median else 0.0,
            steady_step_s=step.median if step else np.nan, steady_step_low_s=step.low if step else np.nan,
            steady_step_high_s=step.high if step else np.nan, steady_steps_per_run=step.steps if step else np.nan,
            within_run_iqr=float(iqr.median()) if iqr.notna().any() else np.nan,
            first_step_s=_median(ok, "first_step_s"),
            quantum_forward_s=_median(ok, "quantum_forward_s"), quantum_backward_s=_median(ok, "quantum_backward_s"),
            gradient_computed_in=",".join(sorted(ok["gradient_computed_in"].dropna().unique()))
            if "gradient_computed_in" in ok else "",
            quantum_share=float((quantum / _num(ok, "train_s")).median()) if len(ok) else np.nan,
            run_peak_rss_mib=_median(ok, "run_peak_rss_mib"), train_peak_rss_mib=_median(ok, "train_peak_rss_mib"),
            setup_peak_rss_mib=_median(ok, "setup_peak_rss_mib"),
            run_mem=spread_of(_num(ok, "run_peak_rss_mib")), above_setup=above_setup_spread(ok),
            accuracy=spread_of(_num(ok, "test_accuracy")), mse=spread_of(_num(ok, "test_mse")),
            train_effective_cores=_median(ok, "train_effective_cores"),
            run_peak_threads=_num(ok, "run_peak_threads").max(), train_peak_threads=_num(ok, "train_peak_threads").max(),
            run_peak_children=_num(ok, "run_peak_children").max(),
            test_accuracy=_median(ok, "test_accuracy"), test_accuracy_min=_num(ok, "test_accuracy").min(),
            test_accuracy_max=_num(ok, "test_accuracy").max(),
            test_mse=_median(ok, "test_mse"), test_mse_min=_num(ok, "test_mse").min(),
            test_mse_max=_num(ok, "test_mse").max(), final_loss=_median(ok, "final_loss"),
            n_gates=_median(ok, "n_gates"), n_outputs=_median(ok, "n_outputs"),
        )
        rows.append(rec)
    summary = pd.DataFrame(rows)
    if summary.empty:
        return summary
    summary["step_gate_updates"] = [_step_gate_updates(r) for r in summary.itertuples()]
    summary["amplitude_updates_per_s"] = [
        u * 2 ** int(q) / t if u == u and q not in ("", None) and t == t and t > 0 else np.nan
        for u, q, t in zip(summary["step_gate_updates"], summary["qubits"], summary["steady_step_s"])]
    # ratios of median training time to the reference's and the classical twin's, same configuration
    for other, col in ((reference, f"x_{reference}"), ("classical", "x_classical")):
        base = summary[summary["backend"] == other].set_index("config")["train_s"]
        summary[col] = [t / base[c] if c in base.index and base[c] else np.nan
                        for c, t in zip(summary["config"], summary["train_s"])]
    return summary
