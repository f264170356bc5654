"""The report's first section, and README's copy of it: the pick per kind of workload in plain sentences.

Every sentence comes from the advice (``claims.advise``), so it claims only what the rule supports: a pick
is named with its interval when it is distinguishable from every other framework backend that finished;
otherwise the sentence lists every backend the rule cannot tell apart from the fastest. On a scaling
family the sizes with the same answer are joined, and the sizes where the pick flips are stated.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from harness.reporting.claims import CHOICES
from harness.reporting.groups import own_readout
from harness.results.stats import FASTER, MIN_RUNS, MIN_STEADY_STEPS, format_spread, verdict

README_START = "<!-- summary: start (make readme writes this from results/reference) -->"
README_END = "<!-- summary: end -->"
# the readout axis has a store of its own (results/readouts) and its own copy in README
READOUTS_START = "<!-- readout summary: start (make readme writes this from results/readouts) -->"
READOUTS_END = "<!-- readout summary: end -->"


def _b(name: str) -> str:
    return f"`{name}`"


def _standing(report, r) -> dict:
    """The fastest against every other framework backend that finished, by the rule: ``beaten`` (in median
    order), ``tied`` (intervals overlap), ``few`` (too few runs or steps to compare: no claim either way)."""
    figure = "step" if r["ranked_by"] == "steady step" else "train"
    s = report.summary[(report.summary["config"] == r["config"]) & (report.summary["runs"] > 0)]
    figs = dict(zip(s["backend"], s[figure]))
    out = {"figure": figs[r["fastest"]], "beaten": [], "tied": [], "few": [], "figs": figs}
    for b in [r["fastest"], *r["fastest_tied"]] + [x for x in s.sort_values("steady_step_s" if figure == "step"
                                                   else "train_s")["backend"] if x in CHOICES]:
        if b == r["fastest"] or any(b in out[k] for k in ("beaten", "tied", "few")):
            continue
        word, why = verdict(figs[r["fastest"]], figs[b])
        out["beaten" if word == FASTER else "tied" if why == "intervals overlap" else "few"].append(b)
    if figs[r["fastest"]].lacking():         # the fastest itself cannot support a claim
        out["few"], out["tied"], out["beaten"] = [], [], []
        out["lacking"] = figs[r["fastest"]].lacking()
    return out


def _outcome(report, r) -> tuple:
    st = _standing(report, r)
    if st.get("lacking"):
        return ("few", r["fastest"])
    return ("tie", tuple(sorted([r["fastest"], *st["tied"]]))) if st["tied"] else ("pick", r["fastest"])


def _few(st) -> str:
    return ("; too few runs to compare: " + ", ".join(f"{_b(b)} {format_spread(st['figs'][b])}" for b in st["few"])
            if st["few"] else "")


def _few_elsewhere(report, rows, at) -> str:
    """The backends too short of runs to compare at the stretch's other sizes: '; at 16 too few runs ...'."""
    said = []
    for r in rows:
        st = _standing(report, r)
        if r["q"] != at["q"] and st["few"]:
            said.append(f"at {r['q']} too few runs to compare: " +
                        ", ".join(f"{_b(b)} {format_spread(st['figs'][b])}" for b in st["few"]))
    return "".join(f"; {x}" for x in said)


def _verdict_text(report, r, named: bool = True) -> str:
    """'`a` 1.2 s (...), faster than `b` 1.5 s (...)', or 'not distinguishable: ...', for one configuration."""
    st = _standing(report, r)
    head = f"{_b(r['fastest'])} " if named else ""
    if st.get("lacking"):
        return f"no pick: the fastest, {_b(r['fastest'])} {format_spread(st['figure'])}, has {st['lacking']}"
    if st["tied"]:
        return "not distinguishable: " + ", ".join(f"{_b(b)} {format_spread(st['figs'][b])}"
                                                   for b in [r["fastest"], *st["tied"]]) + _few(st)
    if not st["beaten"]:
        return f"{head}{format_spread(st['figure'])}, the only one with enough runs" + _few(st)
    b = st["beaten"][0]
    return f"{head}{format_spread(st['figure'])}, faster than {_b(b)} {format_spread(st['figs'][b])}" + _few(st)


def _readout(c: dict) -> str:
    return f"readout {c['observables']}" if c["observables"] else own_readout(c["circuit"])


def _family_line(report, label: str, g: pd.DataFrame) -> str:
    """'4-12 qubits `default-backprop` (at 12: ...); 14 qubits not distinguishable: ...; the pick flips ...'."""
    g = g.assign(q=g["qubits"].astype(int)).sort_values("q")
    stretches: list[list] = []               # [outcome, first row, last row, every row]
    for r in g.to_dict("records"):
        if stretches and stretches[-1][0] == _outcome(report, r):
            stretches[-1][2] = r
            stretches[-1][3].append(r)
        else:
            stretches.append([_outcome(report, r), r, r, [r]])
    parts = []
    for i, (outcome, lo, hi, rows) in enumerate(stretches):
        sizes = f"{lo['q']} qubits" if lo["q"] == hi["q"] else f"{lo['q']}-{hi['q']} qubits"
        # the evidence nearest the next flip; the last stretch's nearest the one before it (a lone one: its largest)
        at = hi if i < len(stretches) - 1 or len(stretches) == 1 else lo
        where = "" if lo["q"] == hi["q"] else f"at {at['q']}: "
        if outcome[0] == "pick":
            parts.append(f"{sizes} {_b(outcome[1])} ({where}{_verdict_text(report, at, named=False)}"
                         f"{_few_elsewhere(report, rows, at)})")
        else:
            parts.append(f"{sizes} {_verdict_text(report, at)}" + (f" ({where[:-2]})" if where else ""))
    picks = [(s[0][1], s[1]["q"], s[2]["q"]) for s in stretches if s[0][0] == "pick"]
    flips = [f"between {a[2]} and {b[1]} qubits ({_b(a[0])} to {_b(b[0])})"
             for a, b in zip(picks, picks[1:]) if a[0] != b[0]]
    line = f"{label} (steady step): " + "; ".join(parts) + "."
    return line + (f" The pick flips {' and '.join(flips)}." if flips else " The pick never flips.")


def summary_lines(report) -> list[str]:
    """The summary's sentences: one lead, one per task configuration, one per scaling family."""
    adv = report.advice
    if adv.empty:
        return ["No framework backend finished a run here, so there is nothing to pick."]
    lines = [f"The pick per workload among the framework backends (`torch` and `classical` are references), "
             f"by the report's rule: training time for tasks, steady step for the scaling grid; a pick is named "
             f"only where its interval lies apart from every other backend's, each with at least {MIN_RUNS} runs "
             f"(and {MIN_STEADY_STEPS} steady steps per run); otherwise \"not distinguishable\" lists the "
             f"backends the rule cannot tell apart from the fastest. Figures: median (interval, n)."]
    configs = {c["config"]: c for c in report.configs.to_dict("records")}
    for r in adv[adv["qubits"] == ""].to_dict("records"):
        worse = any(d.startswith(f"{r['fastest']} (") for d in r["quality_dropped"].split("; "))
        lines.append(f"{r['label']} (training time): {_verdict_text(report, r)}" +
                     ("; but its test accuracy is distinguishably lower than the best's" if worse else "") + ".")
    families = dict(zip(report.configs["family"], report.configs["family_label"]))
    for family, g in adv[adv["qubits"] != ""].groupby("family", sort=False):
        c = configs[g["config"].iloc[0]]
        label = families.get(family, family)
        named = "outputs " in label or own_readout(c["circuit"]) in label       # the label names the readout
        lines.append(_family_line(report, label if named else f"{label}, {_readout(c)}", g))
    return lines


def readme_text(report) -> str:
    return "".join(f"- {line}\n" for line in summary_lines(report))


def readme_block(text: str, markers=(README_START, README_END)) -> str:
    """README's copy between its markers (a ValueError when they are missing)."""
    start, end = text.index(markers[0]) + len(markers[0]), text.index(markers[1])
    return text[start:end].strip("\n") + "\n"


def write_readme(path, results="results/reference", markers=(README_START, README_END), make=None) -> None:
    """Replace README's copy between ``markers`` with what ``make`` (default: the summary's ``readme_text``)
    writes of the report of ``results``."""
    from harness.reporting.report import build_report
    text = Path(path).read_text()
    start, end = text.index(markers[0]) + len(markers[0]), text.index(markers[1])
    Path(path).write_text(text[:start] + "\n" + (make or readme_text)(build_report(results)) + text[end:])
