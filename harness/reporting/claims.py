"""What the report claims from the groups: crossovers, growth, advice and where the choice flips,
each only by ``stats.verdict``'s rule (intervals apart, enough runs and steps).
"""
from __future__ import annotations
import math
import numpy as np
import pandas as pd
from backends import BACKENDS, BASELINES
from harness.results.stats import FASTER, NOT_DISTINGUISHABLE, SLOWER, Spread, format_spread, verdict
from harness.reporting.groups import IDENTITY


CHOICES = tuple(b for b in BACKENDS if b not in BASELINES)


# pairs whose crossover answers the README's questions: adjoint against backprop, device_vjp or not
PAIRS = [("lightning-adjoint", "default-backprop"), ("default-adjoint", "default-backprop"),
         ("lightning-adjoint-vjp", "default-backprop"), ("lightning-adjoint-vjp", "lightning-adjoint"),
         ("default-adjoint-vjp", "default-adjoint"), ("lightning-adjoint", "default-adjoint"),
         ("torch", "default-backprop")]


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
            marks, evidence, reasons, measured = [], {}, {}, set()
            for q in sizes:
                pa, pb = _point(s, family, a, q, timed_out), _point(s, family, b, q, timed_out)
                if pa[1] == "not run" or pb[1] == "not run" or (pa[0] is None and pb[0] is None):
                    continue
                word, why = _compare_at(pa, pb)
                marks.append((q, word))
                evidence[q] = (f"{q}: {format_spread(pa[0]) if pa[0] else pa[1]} vs "
                               f"{format_spread(pb[0]) if pb[0] else pb[1]}")
                reasons[q] = why if word == NOT_DISTINGUISHABLE else ""
                if pa[0] is not None and pb[0] is not None:
                    measured.add(q)
            if not marks:
                continue
            rows.append(dict(family=family, layers=g["layers"].iloc[0], batch_size=g["batch_size"].iloc[0],
                             a=a, b=b, sizes=f"{marks[0][0]}-{marks[-1][0]}",
                             a_faster_at=_qs(marks, FASTER), b_faster_at=_qs(marks, SLOWER),
                             not_distinguishable_at=_qs(marks, NOT_DISTINGUISHABLE),
                             **_claim(a, b, marks, evidence, reasons, measured)))
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


def _at_the_end(evidence, measured, end) -> str:
    """The evidence of a one-sided verdict at the size where the losing side came closest (``end``); when one side
    timed out there, also the nearest size at which both were measured, so the figures stand beside the timeout."""
    if end in measured:
        return evidence[end]
    near = min(measured, key=lambda q: abs(q - end), default=None)
    return evidence[end] if near is None else "; ".join(evidence[q] for q in sorted((near, end)))


def _claim(a, b, marks, evidence, reasons, measured) -> dict:
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
                    statement=f"{a} is faster at every size measured",
                    evidence=_at_the_end(evidence, measured, marks[0][0]))
    if all(w == SLOWER for w in words):
        return dict(crossover="none", low=None, high=None,
                    statement=f"{b} is faster at every size measured",
                    evidence=_at_the_end(evidence, measured, marks[-1][0]))
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


# growth in memory is fitted only above this share of the smallest size's peak: the same backend's peak
# moves by a few percent between configurations that differ in nothing it simulates (its imports, the data)
MEMORY_NOISE = 0.10


def growth(summary: pd.DataFrame, scaling: pd.DataFrame | None = None) -> pd.DataFrame:
    """Fitted growth per added qubit of step time and of peak memory above the smallest size, above noise only.

    A least-squares line through log2(value) against qubits over the larger
    half of the sizes each backend finished, leaving out those with too few runs for the rule
    (``fit_qubits`` names them); 2 **
    slope is the factor per qubit (2.0 means doubling, as a statevector does).
    The step time is fitted only when the largest of those sizes is
    distinguishably slower than the first by the rule (else ``step_note`` says why not: flat, or too few runs).
    Memory is fitted over the sizes whose peak interval lies above the
    smallest size's interval by more than MEMORY_NOISE of its median
    (``memory_fit_qubits``), and only when there are at least two; else
    ``memory_note`` says what it grew by.
    """
    s = _scaling(summary) if scaling is None else scaling
    rows = []
    for (family, backend), g in s[s["runs"] > 0].groupby(["family", "backend"], sort=False):
        g = g.sort_values("q")
        if len(g) < 3:
            continue
        upper = g.iloc[len(g) // 2 - (len(g) % 2 == 0):] if len(g) >= 4 else g
        sure = upper[upper["step"].map(lambda v: isinstance(v, Spread) and v.lacking() is None)]
        upper = sure if len(sure) >= 2 else upper          # sizes too short of runs for the rule stay out of the fit
        word, why = verdict(upper.iloc[-1]["step"], upper.iloc[0]["step"])
        rising = word == SLOWER
        step = np.polyfit(upper["q"], np.log2(upper["steady_step_s"]), 1)[0] if rising else np.nan
        base = g.iloc[0]["run_mem"] if "run_mem" in g else None
        mem, fit_q, note = np.nan, "", ""
        if isinstance(base, Spread):
            above = [(r.q, r.run_mem.median - base.median) for r in g.itertuples() if isinstance(r.run_mem, Spread)
                     and r.run_mem.low - base.high > MEMORY_NOISE * base.median]
            if len(above) >= 2:
                qs, extra = zip(*above)
                mem = np.polyfit(qs, np.log2(extra), 1)[0]
                fit_q = ",".join(str(q) for q in qs)
            else:
                top = g.iloc[-1]["run_mem"]
                grew = top.median - base.median if isinstance(top, Spread) else np.nan
                note = (f"+{grew:.0f} MiB at {g['q'].max()} qubits" + (f" ({above[0][0]} only above noise)" if above
                        else f", within {100 * MEMORY_NOISE:.0f}% of {g['q'].min()} qubits' {base.median:.0f} MiB"))
        last = g.iloc[-1]
        rows.append(dict(family=family, layers=g["layers"].iloc[0], batch_size=g["batch_size"].iloc[0],
                         backend=backend, qubits=f"{g['q'].min()}-{g['q'].max()}",
                         fit_qubits=",".join(str(q) for q in upper["q"]), fit_points=len(upper),
                         step_time_x_per_qubit=2 ** step if rising else np.nan, step_note="" if rising else "flat" if why == "intervals overlap" else f"not fitted ({why})",
                         memory_above_base_x_per_qubit=2 ** mem if not math.isnan(mem) else np.nan,
                         memory_fit_qubits=fit_q, memory_note=note,
                         steady_step_s_at_max=float(last["steady_step_s"]), step_at_max=last["step"],
                         run_peak_rss_mib_at_max=float(last["run_peak_rss_mib"])))
    return pd.DataFrame(rows)


def ranked_figure(sizable: bool) -> str:
    """What advice ranks by: the steady step for the scaling grid (a few steps, setup-free), else training time."""
    return "step" if sizable else "train"


def _tied(done: pd.DataFrame, first, figure: str) -> list[str]:
    """The backends after ``first`` (the lowest median) that the rule cannot tell apart from it by ``figure``."""
    return [r[1] for r in zip(done[figure], done["backend"])
            if r[1] != first["backend"] and verdict(first[figure], r[0])[0] != FASTER]


def _quality_kept(done: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The backends whose test accuracy (regression: test MSE) is not distinguishably worse than the best
    median's, by the rule; and one line per backend dropped."""
    for col, worse, say in (("accuracy", FASTER, "accuracy"), ("mse", SLOWER, "test MSE")):
        figures = done[col] if col in done else None
        if figures is None or not figures.map(lambda v: isinstance(v, Spread)).any():
            continue
        medians = figures.map(lambda v: v.median if isinstance(v, Spread) else np.nan)
        top = medians.idxmax() if col == "accuracy" else medians.idxmin()
        best, leader = figures[top], done.loc[top, "backend"]
        drop = figures.map(lambda v: isinstance(v, Spread) and verdict(v, best)[0] == worse)
        text = _percent if col == "accuracy" else _plain
        why = [f"{b} ({say} {text(v)} against {leader}'s {text(best)})"
               for b, v in zip(done["backend"][drop], figures[drop])]
        return done[~drop], why
    return done, []


def _percent(s: Spread) -> str:
    return (f"{100 * s.median:.0f}% (n={s.n})" if f"{100 * s.low:.0f}" == f"{100 * s.high:.0f}" else
            f"{100 * s.median:.0f}% ({100 * s.low:.0f}-{100 * s.high:.0f}%, n={s.n})")


def _plain(s: Spread) -> str:
    return f"{s.median:.4f} ({s.low:.4f}-{s.high:.4f}, n={s.n})"


def memory_figure(g: pd.DataFrame) -> str:
    """The memory the advice ranks by: the peak above the run's own setup peak when the rows recorded it
    (schema 2), else the raw whole-run peak (older rows: the imports included)."""
    has = "above_setup" in g and g["above_setup"].map(lambda v: isinstance(v, Spread)).all()
    return "above_setup" if has else "run_mem"


def _dominated(a, b, figure: str, mem: str) -> bool:
    """b beats a by the rule in one figure (time or memory) and is not beaten in the other."""
    t, m = verdict(b[figure], a[figure])[0], verdict(b[mem], a[mem])[0]
    return (t == FASTER and m != SLOWER) or (m == FASTER and t != SLOWER)


def advise(summary: pd.DataFrame, configs: pd.DataFrame) -> pd.DataFrame:
    """Fastest, least memory and best balance among the framework choices, per configuration, each by the rule.

    Scaling configurations rank by steady step time, task configurations by
    training time, each a median over runs with its spread; a backend whose
    runs timed out ranks after every one that finished. ``fastest_tied`` and
    ``least_memory_tied`` name the backends the rule cannot tell apart from
    the pick. Least memory ranks the whole-run peak above the run's own setup
    peak (``memory_figure``), so it compares what each backend adds, not its
    imports. Best balance: among the backends whose test accuracy (regression:
    test MSE) is not distinguishably worse than the best's, those no other
    backend beats by the rule in time or whole-run peak (what the process
    needs) without being beaten in the other; of those, the lowest geometric
    mean of median time and peak, each over the least of the configuration. The scaling grid trains
    a few steps only, so there it has no quality filter.
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
        mem = memory_figure(done)
        mib = done[mem].map(lambda v: v.median if isinstance(v, Spread) else np.nan)
        by_mem = done.assign(_mib=mib).sort_values("_mib")
        least = by_mem.iloc[0]
        mword, mwhy = (verdict(least[mem], by_mem.iloc[1][mem]) if len(by_mem) > 1 else (FASTER, "alone"))
        quality, dropped = (_quality_kept(done) if figure == "train" else (done, []))
        kept = [r for _, r in quality.iterrows()]
        front = [r for r in kept if not any(_dominated(r, o, figure, "run_mem") for o in kept if o is not r)]
        front = pd.DataFrame(front)
        fmib = front["run_peak_rss_mib"]
        balance = np.sqrt((front[col] / front[col].min()) * (fmib / fmib.min()))
        slow = [f"{b} ({timed_out_text(t, ', ')})" for b, t in zip(out["backend"], out["timeout_s"])]
        slow += [f"{b} (timed out at a smaller size)" for b in gone]
        last = done.iloc[-1]
        rec.update(fastest=first["backend"], fastest_time=first[figure],
                   fastest_vs_next=(f"{word} than {runner_up['backend']}" if runner_up is not None and word != NOT_DISTINGUISHABLE
                                    else f"not distinguishable from {runner_up['backend']} ({why})" if runner_up is not None
                                    else "only one finished"),
                   fastest_tied=_tied(done, first, figure),
                   runner_up=runner_up["backend"] if runner_up is not None else "",
                   runner_up_time=runner_up[figure] if runner_up is not None else None,
                   least_memory=least["backend"], least_memory_mib=float(least["run_peak_rss_mib"]),
                   least_memory_above=least[mem] if mem == "above_setup" else None,
                   least_memory_vs_next=(f"less than {by_mem.iloc[1]['backend']}" if mword == FASTER and len(by_mem) > 1
                                         else f"not distinguishable from {by_mem.iloc[1]['backend']} ({mwhy})"
                                         if len(by_mem) > 1 else "only one finished"),
                   least_memory_tied=_tied(by_mem, least, mem),
                   best_balance=front.loc[balance.idxmin(), "backend"],
                   balance_front=list(front.sort_values(col)["backend"]),
                   quality_dropped="; ".join(dropped),
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
