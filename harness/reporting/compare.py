"""`python -m harness compare A B`: two result sets side by side, per configuration.

A and B are two results stores (a folder holding ``runs.jsonl``, or that file)
or two pytest-benchmark JSON files (or folders of them). Per configuration and
backend (per benchmark), both medians with their intervals and n, the ratio
B / A and a verdict for B: faster, slower or not distinguishable, by the
report's one rule (``stats.verdict``). Machines or code versions that differ
between A and B are warned about, naming both.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from backends import UserError

from harness.results.stats import FASTER, NOT_DISTINGUISHABLE, SLOWER, format_spread, verdict
from harness.results.words import plural

FORMATS = ("md", "csv")


@dataclass
class Comparison:
    table: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kind: str = "store"
    busy: dict = field(default_factory=dict)       # side -> ok runs timed on a busy machine


def _kind(path: Path) -> str:
    if not path.exists():
        raise UserError(f"'{path}' does not exist; give a results folder (with runs.jsonl) or a "
                        f"pytest-benchmark JSON file")
    if path.is_dir():
        if (path / "runs.jsonl").exists():
            return "store"
        if any(path.rglob("*.json")):
            return "bench"
        raise UserError(f"'{path}' holds neither runs.jsonl nor pytest-benchmark JSON files")
    if path.suffix == ".jsonl":
        return "store"
    if path.suffix == ".json":
        return "bench"
    raise UserError(f"'{path}' is neither a results store (runs.jsonl) nor a pytest-benchmark JSON file")


def _differ(label: str, a: set, b: set) -> str | None:
    a, b = {str(v) for v in a if v == v and v is not None}, {str(v) for v in b if v == v and v is not None}
    if a and b and a != b:
        return f"A and B differ in {label}: {', '.join(sorted(a))} (A) vs {', '.join(sorted(b))} (B)"
    return None


def _busy_side(side: str, source, rows: pd.DataFrame, include_busy: bool) -> tuple[pd.DataFrame, str, int]:
    """One side's rows for the comparison (busy ones left out unless included), one note saying how many
    were busy and how many are unknown, and the number busy."""
    from harness.reporting.busy import busy_mask, split_busy, unknown_count
    from harness.reporting.groups import latest
    busy, counted = split_busy(rows, f"{side} ({source})") if not include_busy else (rows[busy_mask(rows)], rows)
    n_busy = len(latest(busy)) if len(busy) else 0
    unknown, ok = unknown_count(latest(rows))
    note = (f"{side}: {n_busy} of {ok} ok runs were timed on a busy machine"
            + (" (counted: --include-busy)" if include_busy and n_busy else
               " (left out; --include-busy counts them)" if n_busy else "")
            + (f", {unknown} do not say (stored before the load was measured, or trained too briefly to tell; "
               f"counted as quiet)"
               if unknown else ""))
    return latest(counted), note, n_busy


def compare_stores(a, b, include_busy: bool = False) -> Comparison:
    from harness.reporting.groups import configurations, summarise
    from harness.reporting.report import code_column, load
    a_dir, b_dir = Path(a), Path(b)          # a folder, or the .jsonl file named: each side is read as given
    rows_a, note_a, busy_a = _busy_side("A", a_dir, load(a_dir), include_busy)
    rows_b, note_b, busy_b = _busy_side("B", b_dir, load(b_dir), include_busy)
    configs = configurations(pd.concat([rows_a, rows_b], ignore_index=True))
    labels, sizable = dict(zip(configs["config"], configs["label"])), dict(zip(configs["config"], configs["sizable"]))
    sa, sb = summarise(rows_a).set_index(["config", "backend"]), summarise(rows_b).set_index(["config", "backend"])
    both = [k for k in sa.index if k in sb.index]
    out = []
    for config, backend in both:
        ra, rb = sa.loc[(config, backend)], sb.loc[(config, backend)]
        figures = [("step", "steady step"), ("train", "training time")]
        if not sizable[config]:
            figures.reverse()          # a task is answered by its training time first
        for figure, name in figures:
            fa, fb = ra[figure], rb[figure]
            if fa is None and fb is None:
                continue
            word, why = verdict(fb, fa)
            ratio = fb.median / fa.median if fa is not None and fb is not None and fa.median else float("nan")
            out.append({"configuration": labels[config], "backend": backend, "figure": name,
                        "A": format_spread(fa), "B": format_spread(fb), "B/A": ratio,
                        "verdict for B": word if word != "not distinguishable" or "overlap" in why
                        else f"{word} ({why})"})
    notes = [note_a, note_b]
    only_a, only_b = len(set(sa.index) - set(sb.index)), len(set(sb.index) - set(sa.index))
    if only_a or only_b:
        notes.append(f"{only_a} configuration-backend groups only in A and {only_b} only in B are left out")
    notes += _overall(out)
    warnings = []
    code = code_column(rows_a, rows_b)         # the report's rule: commits also change with docs and tests
    code_label = "measuring code (code_version)" if code == "code_version" else "code version (git_commit)"
    # the platform names the kernel build, which on a cloud VM names the VM image too: the same CPU model on
    # another build ran the same runs 1.6x slower here (README, "What it cost")
    for col, label in (("machine.cpu_model", "machine (cpu_model)"), ("machine.hostname", "machine (hostname)"),
                       ("machine.platform", "machine (platform)"), (code, code_label)):
        if col in rows_a and col in rows_b:
            w = _differ(label, set(rows_a[col]), set(rows_b[col]))
            if w:
                warnings.append(w)
    for col in sorted({c for c in list(rows_a) + list(rows_b) if c.startswith("versions.")}):
        if col in rows_a and col in rows_b:
            w = _differ(f"{col.split('.', 1)[1]} version", set(rows_a[col]), set(rows_b[col]))
            if w:
                warnings.append(w)
    return Comparison(pd.DataFrame(out), warnings, notes, "store", busy={"A": busy_a, "B": busy_b})


def compare_benchmarks(a, b) -> Comparison:
    from harness.results.benchjson import read_benchmark_json, round_spreads
    ta, tb = read_benchmark_json(a), read_benchmark_json(b)
    if ta.empty or tb.empty:
        raise UserError(f"no benchmarks in {a if ta.empty else b}")

    def keyed(t):
        t = t.assign(key=t["fullname"].fillna(t["name"]) if "fullname" in t else t["name"])
        t = t.drop_duplicates("key", keep="last")            # a later file's run of a benchmark supersedes
        return dict(zip(t["key"], zip(t["name"], t["group"], round_spreads(t))))
    ka, kb = keyed(ta), keyed(tb)
    out, unusable = [], []
    for key in [k for k in ka if k in kb]:
        (name, group, fa), (_, _, fb) = ka[key], kb[key]
        if not all(f is not None and math.isfinite(f.median) and f.median > 0 for f in (fa, fb)):
            unusable.append(name)         # a 0 or NaN median is a broken file, not an infinitely fast benchmark
            continue
        word, why = verdict(fb, fa)
        out.append({"group": group if isinstance(group, str) else "-", "benchmark": name,
                    "A": format_spread(fa), "B": format_spread(fb), "B/A": fb.median / fa.median,
                    "verdict for B": word if word != "not distinguishable" or "overlap" in why else f"{word} ({why})"})
    notes = []
    if len(set(ka) - set(kb)) or len(set(kb) - set(ka)):
        notes.append(f"{plural(len(set(ka) - set(kb)), 'benchmark')} only in A and {len(set(kb) - set(ka))} only in B "
                     f"are left out")
    warnings = [f"{plural(len(unusable), 'benchmark')} with a zero, negative or non-finite median are left out "
                f"({', '.join(unusable[:3])}{' ...' if len(unusable) > 3 else ''})"] if unusable else []
    warnings += [w for w in (_differ("machine (cpu)", set(ta["cpu_brand"]), set(tb["cpu_brand"])),
                            _differ("code version (commit)", set(ta["commit_id"]), set(tb["commit_id"]))) if w]
    return Comparison(pd.DataFrame(out), warnings, notes, "bench")


def _overall(rows: list[dict]) -> list[str]:
    """B/A over every group both stores have, per figure: a shift that moves every backend (another machine or
    VM build, a library) shows here while the verdicts, one group at a time, may still lack the runs to say so."""
    notes = []
    for name in ("training time", "steady step"):
        ratios = [r["B/A"] for r in rows if r["figure"] == name and math.isfinite(r["B/A"])]
        if len(ratios) >= 4:
            q1, middle, q3 = statistics.quantiles(ratios, n=4)
            notes.append(f"B/A of the {name} over the {len(ratios)} groups both have: median x{middle:.2f} "
                         f"(quartiles x{q1:.2f}-x{q3:.2f})")
    return notes


def compare(a, b, include_busy: bool = False) -> Comparison:
    """``include_busy``: count runs of a store timed on a busy machine (by default left out and counted)."""
    kinds = _kind(Path(a)), _kind(Path(b))
    if kinds[0] != kinds[1]:
        names = {"store": "a results store", "bench": "pytest-benchmark JSON"}
        raise UserError(f"A ('{a}') is {names[kinds[0]]} but B ('{b}') is {names[kinds[1]]}; compare like with like")
    return compare_stores(a, b, include_busy) if kinds[0] == "store" else compare_benchmarks(a, b)


def slower_than(c: Comparison, ratio: float) -> list[str]:
    """One line per figure where B is slower than A by the rule (intervals apart, enough runs) and its
    ratio of medians is above ``ratio``: what ``--fail-if-slower`` fails on (pytest-benchmark's
    compare-fail, with the report's rule for "slower")."""
    if c.table.empty:
        return []
    out = []
    for rec in c.table.to_dict("records"):
        if str(rec["verdict for B"]).startswith(SLOWER) and rec["B/A"] == rec["B/A"] and rec["B/A"] > ratio:
            where = " ".join(str(rec[k]) for k in ("configuration", "group", "backend", "benchmark", "figure")
                             if k in rec)
            out.append(f"{where}: x{rec['B/A']:.2f} (A {rec['A']}, B {rec['B']})")
    return out


def totals(c: Comparison) -> str:
    """The comparison in one line: how many figures of B are faster, slower, not distinguishable."""
    if c.table.empty:
        return "compare: nothing in both A and B, so nothing is compared"
    verdicts = [str(v) for v in c.table["verdict for B"]]
    counts = {w: sum(v.startswith(w) for v in verdicts) for w in (FASTER, SLOWER, NOT_DISTINGUISHABLE)}
    if c.kind == "bench":
        scope = plural(len(verdicts), "benchmark")
    else:
        groups = len(c.table.drop_duplicates(["configuration", "backend"]))
        scope = (f"{plural(len(verdicts), 'figure')} in {plural(groups, 'group')} (configuration and backend)")
    return (f"compare: of {scope}, B is {FASTER} in {counts[FASTER]}, {SLOWER} in {counts[SLOWER]}, "
            f"{NOT_DISTINGUISHABLE} in {counts[NOT_DISTINGUISHABLE]}")


RULE = ("B/A is the ratio of medians; the verdict says whether B is faster or slower than A, claimed only when "
        "the two intervals do not overlap and each rests on at least 3 runs (20 steady steps per run for step "
        "times); benchmarks state the rounds' quartiles and count rounds as runs.")


def format_comparison(c: Comparison, fmt: str = "md") -> str:
    if fmt not in FORMATS:
        raise UserError(f"unknown compare format '{fmt}'; valid: {', '.join(FORMATS)}")
    table = c.table.copy()
    if fmt == "csv":
        return table.to_csv(index=False)
    from harness.reporting.render import md_table
    if table.empty:
        return "No configuration is in both A and B.\n" + "".join(f"\n{n}" for n in c.notes)
    table["B/A"] = [f"x{v:.2f}" if v == v else "-" for v in table["B/A"]]
    lines = [RULE, "", md_table(table), ""] + [f"Note: {n}." for n in c.notes]
    return "\n".join(lines) + "\n"
