"""`python -m harness report`: the store read into tables, crossovers, advice and plots.

It only reads: the runs store (``runs.jsonl``) and any pytest-benchmark JSON
files given. Rendering (markdown, CSV, HTML, PNG) is kept apart from the
numbers, which ``build_report`` returns as plain pandas DataFrames so tests
can check them.

A group is a configuration: every field that changes what is measured
(``harness.results.fields.IDENTITY``: task, circuit, sizes, shots, threads, the thread
environment, epochs, batch size, lr, ...) except the seed, per backend. Every
time is stated with its spread and number of runs (``stats.Spread``); a
"faster" or a crossover is claimed only by ``stats.verdict``'s rule.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from backends import BACKENDS, UserError

from harness.results.stats import FASTER, NOT_DISTINGUISHABLE, SLOWER, Spread, format_spread, spread_of, verdict
from harness.results.store import read_frame
from harness.results import fields

# every identity field but the seed (runs of one configuration) and the backend (what is compared)
IDENTITY = tuple(f for f in fields.IDENTITY if f not in ("seed", "backend"))
# plus every versions.* column; the git commit only stands in for rows without a code version, since
# commits also change with docs and tests while the code version changes only with the measuring code
PROVENANCE = ("code_version", "machine.cpu_model", "machine.hostname")
SPREAD_WARN = 0.10          # pyperf's rule: a spread over 10% of the median is unstable
BASELINES = ("torch", "classical")          # the floor, not a framework choice
CHOICES = tuple(b for b in BACKENDS if b not in BASELINES)
# pairs whose crossover answers the README's questions: adjoint against backprop, device_vjp or not
PAIRS = [("lightning-adjoint", "default-backprop"), ("default-adjoint", "default-backprop"),
         ("lightning-adjoint-vjp", "default-backprop"), ("lightning-adjoint-vjp", "lightning-adjoint"),
         ("default-adjoint-vjp", "default-adjoint"), ("lightning-adjoint", "default-adjoint"),
         ("torch", "default-backprop")]


@dataclass
class Report:
    summary: pd.DataFrame
    scaling: pd.DataFrame = field(default_factory=pd.DataFrame)
    crossovers: pd.DataFrame = field(default_factory=pd.DataFrame)
    growth: pd.DataFrame = field(default_factory=pd.DataFrame)
    advice: pd.DataFrame = field(default_factory=pd.DataFrame)
    flips: pd.DataFrame = field(default_factory=pd.DataFrame)
    failures: pd.DataFrame = field(default_factory=pd.DataFrame)
    benchmarks: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)
    machines: list[str] = field(default_factory=list)
    runs: pd.DataFrame = field(default_factory=pd.DataFrame)      # ok rows, newest per configuration and seed
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)      # every row of the store, as read
    configs: pd.DataFrame = field(default_factory=pd.DataFrame)   # one row per configuration
    timed_out: dict = field(default_factory=dict)   # (scaling family, backend) -> size it timed out at
    reference: str = "torch"
    source: str = ""


# --- configurations -------------------------------------------------------------

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
    df["family"] = ["; ".join(f"{f}={v}" for f, v in zip(IDENTITY, vals) if f != "qubits")
                    for vals in df[list(IDENTITY)].itertuples(index=False)]
    return df


def latest(df: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration and seed: the newest (a re-run with --force supersedes what it re-ran)."""
    key = df["config"] + "|" + df["backend"] + "|" + df["seed"]
    return df[~key.duplicated(keep="last")]


def configurations(df: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration: its fields, a short ``label`` and every setting as ``settings`` text.

    The label is the task and the fields that vary among that task's
    configurations, so two moons configurations that differ only in threads
    read "moons, 1 thread" and "moons, 2 threads".
    """
    configs = df.drop_duplicates("config")[["config", "family", *IDENTITY]].reset_index(drop=True)
    labels, family_labels = [], []
    for rec in configs.to_dict("records"):
        same_task = configs[configs["task"] == rec["task"]]
        varying = [f for f in IDENTITY if f != "task" and same_task[f].nunique() > 1]
        parts = [(f, fields.label(f, rec[f])) for f in varying]
        labels.append(", ".join([rec["task"]] + [p for f, p in parts if p]))
        family_labels.append(", ".join([rec["task"]] + [p for f, p in parts if p and f != "qubits"]))
    configs["label"] = labels
    configs["family_label"] = family_labels
    configs["settings"] = [", ".join(p for p in (fields.label(f, rec[f]) for f in IDENTITY if f != "task") if p)
                           for rec in configs.to_dict("records")]
    configs["sizable"] = configs["qubits"] != ""
    return configs


# --- per configuration and backend -------------------------------------------------

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
            train_effective_cores=_median(ok, "train_effective_cores"),
            run_peak_threads=_num(ok, "run_peak_threads").max(), train_peak_threads=_num(ok, "train_peak_threads").max(),
            run_peak_children=_num(ok, "run_peak_children").max(),
            test_accuracy=_median(ok, "test_accuracy"), test_accuracy_min=_num(ok, "test_accuracy").min(),
            test_accuracy_max=_num(ok, "test_accuracy").max(),
            test_mse=_median(ok, "test_mse"), test_mse_min=_num(ok, "test_mse").min(),
            test_mse_max=_num(ok, "test_mse").max(), final_loss=_median(ok, "final_loss"),
        )
        rows.append(rec)
    summary = pd.DataFrame(rows)
    if summary.empty:
        return summary
    # ratios of median training time to the reference's and the classical twin's, same configuration
    for other, col in ((reference, f"x_{reference}"), ("classical", "x_classical")):
        base = summary[summary["backend"] == other].set_index("config")["train_s"]
        summary[col] = [t / base[c] if c in base.index and base[c] else np.nan
                        for c, t in zip(summary["config"], summary["train_s"])]
    return summary


# --- scaling: crossovers, growth ------------------------------------------------

def _scaling(summary: pd.DataFrame) -> pd.DataFrame:
    s = summary[summary["qubits"] != ""].copy()
    if s.empty:
        return pd.DataFrame()
    s["q"] = s["qubits"].astype(int)
    return s.sort_values(["family", "backend", "q"])


def _timed_out_from(s: pd.DataFrame) -> dict:
    """(family, backend) -> the smallest size at which the backend only timed out (larger ones are skipped)."""
    out = {}
    for r in s[(s["runs"] == 0) & (s["timeouts"] > 0)].itertuples():
        key = (r.family, r.backend)
        out[key] = min(out.get(key, r.q), r.q)
    return out


def _point(s: pd.DataFrame, family, backend, q, timed_out) -> tuple[Spread | None, str]:
    """A backend's step at one size: (spread, '') or (None, 'timed out ...') or (None, 'not run')."""
    r = s[(s["family"] == family) & (s["backend"] == backend) & (s["q"] == q)]
    if len(r) and r.iloc[0]["runs"] > 0:
        return r.iloc[0]["step"], ""
    if (family, backend) in timed_out and q >= timed_out[(family, backend)]:
        return None, f"timed out (at {timed_out[(family, backend)]} qubits)"
    return None, "not run"


def _compare_at(a, b) -> tuple[str, str]:
    """Verdict of a against b at one size; a run that timed out is slower than any that finished."""
    (sa, why_a), (sb, why_b) = a, b
    if sa is not None and why_b.startswith("timed out"):
        return FASTER, f"the other {why_b}"
    if sb is not None and why_a.startswith("timed out"):
        return SLOWER, f"it {why_a}"
    return verdict(sa, sb)


def crossovers(summary: pd.DataFrame, scaling: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per scaling family and pair (a, b): at which sizes a is faster, slower, not distinguishable.

    A crossover ("a overtakes b between q1 and q2") is claimed only when b is
    distinguishably faster at q1, a distinguishably faster at q2 and at every
    size measured above, with nothing but indistinguishable sizes between.
    """
    s = _scaling(summary) if scaling is None else scaling
    if s.empty:
        return pd.DataFrame()
    timed_out = _timed_out_from(s)
    rows = []
    for family, g in s.groupby("family", sort=False):
        backends = set(g["backend"])
        for a, b in PAIRS:
            if a not in backends or b not in backends:
                continue
            sizes = sorted(set(g["q"]))
            marks, evidence, reasons = [], {}, {}
            for q in sizes:
                pa, pb = _point(s, family, a, q, timed_out), _point(s, family, b, q, timed_out)
                if pa[1] == "not run" or pb[1] == "not run" or (pa[0] is None and pb[0] is None):
                    continue
                word, why = _compare_at(pa, pb)
                marks.append((q, word))
                evidence[q] = (f"{q}: {format_spread(pa[0]) if pa[0] else pa[1]} vs "
                               f"{format_spread(pb[0]) if pb[0] else pb[1]}")
                reasons[q] = why if word == NOT_DISTINGUISHABLE else ""
            if not marks:
                continue
            rows.append(dict(family=family, layers=g["layers"].iloc[0], batch_size=g["batch_size"].iloc[0],
                             a=a, b=b, sizes=f"{marks[0][0]}-{marks[-1][0]}",
                             a_faster_at=_qs(marks, FASTER), b_faster_at=_qs(marks, SLOWER),
                             not_distinguishable_at=_qs(marks, NOT_DISTINGUISHABLE),
                             **_claim(a, b, marks, evidence, reasons)))
    return pd.DataFrame(rows)


def _qs(marks, word) -> str:
    return ",".join(str(q) for q, w in marks if w == word) or "none"


def _why_not(reasons: dict) -> str:
    """The reasons sizes are not distinguishable, each with its sizes: 'n=1 < 3 runs at 2,4,6'."""
    by: dict[str, list] = {}
    for q, why in reasons.items():
        if why:
            by.setdefault(why, []).append(str(q))
    return "; ".join(f"{why} at {','.join(qs)}" for why, qs in by.items())


def _claim(a, b, marks, evidence, reasons) -> dict:
    words = [w for _, w in marks]
    first_a = None                      # the first size from which a is faster at every larger size
    for q, w in reversed(marks):
        if w != FASTER:
            break
        first_a = q
    if all(w == NOT_DISTINGUISHABLE for w in words):
        return dict(crossover="none claimed", low=None, high=None,
                    statement=f"{a} and {b} are not distinguishable at any size measured",
                    evidence=_why_not(reasons))
    if all(w == FASTER for w in words):
        return dict(crossover="none", low=None, high=None,
                    statement=f"{a} is faster at every size measured", evidence=evidence[marks[0][0]])
    if all(w == SLOWER for w in words):
        return dict(crossover="none", low=None, high=None,
                    statement=f"{b} is faster at every size measured", evidence=evidence[marks[-1][0]])
    if first_a is not None:
        before = [q for q, w in marks if q < first_a]
        last_b = max((q for q, w in marks if q < first_a and w == SLOWER), default=None)
        between = [q for q in before if last_b is not None and q > last_b]
        if last_b is not None and all(dict(marks)[q] == NOT_DISTINGUISHABLE for q in between):
            return dict(crossover=f"{last_b}-{first_a}", low=last_b, high=first_a,
                        statement=f"{a} overtakes {b} between {last_b} and {first_a} qubits",
                        evidence=f"{evidence[last_b]}; {evidence[first_a]}")
    return dict(crossover="none claimed", low=None, high=None,
                statement=f"no single crossover: {a} faster at {_qs(marks, FASTER)}, {b} faster at "
                          f"{_qs(marks, SLOWER)}, not distinguishable at {_qs(marks, NOT_DISTINGUISHABLE)}",
                evidence="; ".join([evidence[q] for q, w in marks if w != NOT_DISTINGUISHABLE] + [_why_not(reasons)]))


def growth(summary: pd.DataFrame, scaling: pd.DataFrame | None = None) -> pd.DataFrame:
    """Fitted growth per added qubit of step time and of peak memory above the smallest size.

    A least-squares line through log2(value) against qubits over the larger
    half of the sizes each backend finished (``fit_qubits`` names them); 2 **
    slope is the factor per qubit (2.0 means doubling, as a statevector does).
    """
    s = _scaling(summary) if scaling is None else scaling
    rows = []
    for (family, backend), g in s[s["runs"] > 0].groupby(["family", "backend"], sort=False):
        g = g.sort_values("q")
        if len(g) < 3:
            continue
        upper = g.iloc[len(g) // 2 - (len(g) % 2 == 0):] if len(g) >= 4 else g
        step = np.polyfit(upper["q"], np.log2(upper["steady_step_s"]), 1)[0]
        extra = upper["run_peak_rss_mib"] - g["run_peak_rss_mib"].min()
        mem = (np.polyfit(upper["q"][extra > 1], np.log2(extra[extra > 1]), 1)[0]
               if (extra > 1).sum() >= 2 else np.nan)
        last = g.iloc[-1]
        rows.append(dict(family=family, layers=g["layers"].iloc[0], batch_size=g["batch_size"].iloc[0],
                         backend=backend, qubits=f"{g['q'].min()}-{g['q'].max()}",
                         fit_qubits=",".join(str(q) for q in upper["q"]), fit_points=len(upper),
                         step_time_x_per_qubit=2 ** step,
                         memory_above_base_x_per_qubit=2 ** mem if not math.isnan(mem) else np.nan,
                         steady_step_s_at_max=float(last["steady_step_s"]), step_at_max=last["step"],
                         run_peak_rss_mib_at_max=float(last["run_peak_rss_mib"])))
    return pd.DataFrame(rows)


# --- advice -------------------------------------------------------------------------

def ranked_figure(sizable: bool) -> str:
    """What advice ranks by: the steady step for the scaling grid (a few steps, setup-free), else training time."""
    return "step" if sizable else "train"


def advise(summary: pd.DataFrame, configs: pd.DataFrame) -> pd.DataFrame:
    """Fastest, least memory and best balance among the framework choices, per configuration.

    Scaling configurations rank by steady step time, task configurations by
    training time, each a median over runs with its spread; a backend whose
    runs timed out ranks after every one that finished. Best balance is the
    lowest geometric mean of time and memory, each relative to the best of the
    configuration, among backends whose test accuracy is within 5 points of the
    best (for a regression: test MSE at most 1.5 times the best); the scaling
    grid trains a few steps only, so there it has no quality filter.
    """
    rows = []
    sizable = dict(zip(configs["config"], configs["sizable"]))
    labels = dict(zip(configs["config"], configs["label"]))
    timed_out = _timed_out_from(_scaling(summary)) if (summary["qubits"] != "").any() else {}
    for config, g in summary[summary["backend"].isin(CHOICES)].groupby("config", sort=False):
        figure = ranked_figure(sizable[config])
        col = "steady_step_s" if figure == "step" else "train_s"
        done = g[g["runs"] > 0].sort_values(col)
        out = g[(g["runs"] == 0) & (g["timeouts"] > 0)]
        rec = {f: g[f].iloc[0] for f in ("config", "family", *IDENTITY)}
        rec.update(label=labels[config], ranked_by="steady step" if figure == "step" else "training time")
        if g["qubits"].iloc[0] != "":       # backends that timed out at a smaller size of this family
            q = int(g["qubits"].iloc[0])
            gone = sorted(b for (fam, b), q0 in timed_out.items() if fam == g["family"].iloc[0] and q0 < q
                          and b in CHOICES and b not in set(g["backend"]))
        else:
            gone = []
        if done.empty:
            continue
        first = done.iloc[0]
        runner_up = done.iloc[1] if len(done) > 1 else None
        word, why = verdict(first[figure], runner_up[figure]) if runner_up is not None else (FASTER, "alone")
        quality = done
        if figure == "train":
            if done["test_accuracy"].notna().any():
                quality = done[done["test_accuracy"] >= done["test_accuracy"].max() - 0.05]
            elif done["test_mse"].notna().any():
                quality = done[done["test_mse"] <= 1.5 * done["test_mse"].min()]
        balance = np.sqrt((quality[col] / quality[col].min()) * (quality["run_peak_rss_mib"] / quality["run_peak_rss_mib"].min()))
        mem = done.loc[done["run_peak_rss_mib"].idxmin()]
        slow = [f"{b} ({timed_out_text(t, ', ')})" for b, t in zip(out["backend"], out["timeout_s"])]
        slow += [f"{b} (timed out at a smaller size)" for b in gone]
        last = done.iloc[-1]
        rec.update(fastest=first["backend"], fastest_time=first[figure],
                   fastest_vs_next=(f"{word} than {runner_up['backend']}" if runner_up is not None and word != NOT_DISTINGUISHABLE
                                    else f"not distinguishable from {runner_up['backend']} ({why})" if runner_up is not None
                                    else "only one finished"),
                   least_memory=mem["backend"], least_memory_mib=float(mem["run_peak_rss_mib"]),
                   best_balance=quality.loc[balance.idxmin(), "backend"],
                   slowest=", ".join(slow) if slow else last["backend"],
                   slowest_time=None if slow else last[figure])
        rows.append(rec)
    return pd.DataFrame(rows)


def timed_out_text(timeout_s, sep=" (") -> str:
    """'timed out, > 60 s run', or just 'timed out' when the row did not record its timeout."""
    if timeout_s is None or (isinstance(timeout_s, float) and math.isnan(timeout_s)):
        return "timed out"
    return f"timed out{sep}> {timeout_s:g} s run" + (")" if sep == " (" else "")


def flips(advice: pd.DataFrame) -> pd.DataFrame:
    """Per scaling family: the fastest backend at each size, and the sizes where that choice changes."""
    rows = []
    sized = advice[advice["qubits"] != ""] if not advice.empty else advice
    for family, g in sized.groupby("family", sort=False):
        g = g.assign(q=g["qubits"].astype(int)).sort_values("q")
        runs, prev = [], None
        for r in g.itertuples():
            sure = not r.fastest_vs_next.startswith("not distinguishable")
            if prev is None or r.fastest != prev:
                runs.append([r.fastest, r.q, r.q, sure])
            else:
                runs[-1][2] = r.q
                runs[-1][3] = runs[-1][3] and sure
            prev = r.fastest
        stretches = "; ".join(f"{b} {lo}-{hi}" if lo != hi else f"{b} {lo}" for b, lo, hi, _ in runs)
        flip_at = [f"{runs[i][2]}->{runs[i + 1][1]}" for i in range(len(runs) - 1)]
        rows.append(dict(family=family, layers=g["layers"].iloc[0], batch_size=g["batch_size"].iloc[0],
                         fastest_by_qubits=stretches, choice_flips_between=", ".join(flip_at) or "never",
                         every_winner_distinguishable=all(x[3] for x in runs)))
    return pd.DataFrame(rows)


# --- provenance ----------------------------------------------------------------------

def code_column(*frames: pd.DataFrame) -> str:
    """The column that names the code of these rows: ``code_version`` when every row has one, else the commit."""
    return "code_version" if all("code_version" in f and f["code_version"].notna().all() for f in frames) \
        else "git_commit"


def _provenance_columns(df: pd.DataFrame) -> list[str]:
    code = [] if code_column(df) == "code_version" else ["git_commit"]
    return [c for c in PROVENANCE + tuple(code) if c in df] + sorted(c for c in df if c.startswith("versions."))


def _provenance_warnings(df: pd.DataFrame, configs: pd.DataFrame) -> tuple[list[str], list[str]]:
    warnings, machines = [], []
    mcols = [c for c in ("machine.cpu_model", "machine.cpu_count") if c in df]
    if mcols:
        combos = df[mcols].astype(object).fillna("unknown").astype(str).drop_duplicates()   # a row may lack provenance
        machines = [" / ".join(r) for r in combos.itertuples(index=False)]
        if len(combos) > 1:
            warnings.append(f"results mix {len(combos)} machines ({'; '.join(machines)}): "
                            f"compare timings only within one machine")
    labels = dict(zip(configs["config"], configs["label"]))
    mixed: dict[tuple[str, tuple], list[str]] = {}
    for (config, backend), g in df.groupby(["config", "backend"], sort=False):
        for col in _provenance_columns(g):
            values = tuple(sorted(g[col].dropna().astype(str).unique()))
            if len(values) > 1:
                mixed.setdefault((col, values), []).append(f"{labels[config]} {backend}")
    for (col, values), groups in mixed.items():
        what = col.split(".", 1)[1] if col.startswith("versions.") else col.replace("machine.", "")
        kind = "machines" if col.startswith("machine.") else "code versions"
        warnings.append(f"{len(groups)} configuration group(s) mix {kind}: {what} {' vs '.join(values)} "
                        f"(e.g. {groups[0]}); their spread includes that difference")
    return warnings, machines


def check_reference(reference: str) -> None:
    if reference not in BACKENDS:
        raise UserError(f"unknown reference backend '{reference}'; valid: {', '.join(BACKENDS)}")


def _spread_warnings(summary: pd.DataFrame, labels: dict) -> list[str]:
    """One line for every group whose compared figure spreads over SPREAD_WARN, naming the widest three.

    The figure is the one the report compares the group by: the steady step on the scaling grid (whose
    training time includes the first, warm-up step) and the training time elsewhere. One line, because a
    long list would bury the other warnings; every group's spread is in its table cells and summary.csv.
    """
    wide = []
    for r in summary.itertuples():
        if r.runs < 2:
            continue
        scaling = r.qubits != ""
        figure = r.step if scaling else r.train
        if figure is None or not figure.median:
            continue
        width = (figure.high - figure.low) / figure.median
        if width > SPREAD_WARN:
            what = "steady step" if scaling else "training time"
            wide.append((width, f"{labels[r.config]} {r.backend} {100 * width:.0f}% in {what} "
                                f"({format_spread(figure)})"))
    if not wide:
        return []
    widest = [text for _, text in sorted(wide, key=lambda w: -w[0])[:3]]
    return [f"{len(wide)} of {int((summary['runs'] > 1).sum())} groups with repeats spread more than "
            f"{100 * SPREAD_WARN:.0f}% over their runs in the figure they are compared by (seeds also change "
            f"the data, and LBFGS's number of evaluations); the widest: " + "; ".join(widest)
            + ". Their figures may be unstable: read their intervals"]


def load(results_dir) -> pd.DataFrame:
    """Every row of a store, keyed by configuration; a UserError when there are none."""
    df = read_frame(results_dir)
    if df.empty:
        raise UserError(f"no results in {Path(results_dir) / 'runs.jsonl'}; run 'python -m harness run' "
                        f"or 'python -m harness sweep' first")
    return keyed(df)


def build_report(results_dir="results", reference: str = "torch", benchmark_files=()) -> Report:
    check_reference(reference)
    rows = load(results_dir)
    df = latest(rows)
    configs = configurations(df)
    labels = dict(zip(configs["config"], configs["label"]))
    ok = df[df["status"] == "ok"]
    failures = df[df["status"] != "ok"].copy()
    failures["configuration"] = failures["config"].map(labels)
    failures["error"] = failures["error"].astype(object).fillna("").map(lambda e: e.strip().splitlines()[0] if e.strip() else "")
    failures = failures[["configuration", "backend", "seed", "status", "error"]]
    warnings, machines = _provenance_warnings(df, configs)
    summary = summarise(df, reference)
    if reference not in set(summary["backend"]):
        warnings.append(f"the reference backend '{reference}' has no runs here; its column is empty")
    warnings += _spread_warnings(summary, labels)
    if len(failures):
        warnings.append(f"{len(failures)} runs did not finish ok (see 'Runs that did not finish')")
    scaling = _scaling(summary)
    benchmarks = pd.DataFrame()
    if benchmark_files:
        from harness.results.benchjson import read_benchmark_json
        benchmarks = read_benchmark_json(benchmark_files)
    advice = advise(summary, configs)
    return Report(summary=summary, scaling=scaling,
                  crossovers=crossovers(summary, scaling) if not scaling.empty else pd.DataFrame(),
                  growth=growth(summary, scaling) if not scaling.empty else pd.DataFrame(),
                  advice=advice, flips=flips(advice) if not advice.empty else pd.DataFrame(),
                  failures=failures, benchmarks=benchmarks, warnings=warnings, machines=machines,
                  runs=ok, rows=rows, configs=configs, reference=reference, source=str(results_dir),
                  timed_out=_timed_out_from(scaling) if not scaling.empty else {})
