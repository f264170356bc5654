"""README's tables of the TorchConnector tutorial's workloads, made from a store the way the summary is.

Two tables and the sentences that compare them: Part 1's three tasks (training time, and each seed's train
accuracy or test MSE, per backend) and the tutorial's own MNIST network (``mnist01 --circuit tutorial
--epochs 10``). ``make readme`` writes them between their markers; a test fails when README's copy is not
what the committed store gives, so the figures cannot drift from the rows they quote.
"""
from __future__ import annotations

import pandas as pd

from harness.results.stats import FASTER, SLOWER, format_spread, verdict

START = "<!-- tutorial tables: start (make readme writes this from results/reference) -->"
END = "<!-- tutorial tables: end -->"

PART1 = ("tutorial-classify", "tutorial-parity", "tutorial-regress")
SEEDS = ("0", "1", "42")             # the reference's seeds for Part 1: 42 is the tutorial's own draw
NAMES = {"qiskit-ml": "`qiskit-ml` (the tutorial's way)", "qiskit-ml-sampler": "`qiskit-ml-sampler` (the "
         "tutorial's sampler)", "classical": "`classical` twin"}
TUTORIAL_WAY = "qiskit-ml"
# the frameworks a user picks among, named in the speed sentence beside the fastest exact backend
PICKED = ("default-backprop", "qiskit-shift")


def _name(backend: str) -> str:
    return NAMES.get(backend, f"`{backend}`")


def _config(report, **where) -> str | None:
    """The configuration with these fields that has the most ok runs (None when the store has none)."""
    c = report.configs
    for k, v in where.items():
        c = c[c[k] == v]
    if c.empty:
        return None
    counts = report.runs["config"].value_counts()
    return max(c["config"], key=lambda k: counts.get(k, 0))


def _figures(report, config: str | None) -> pd.DataFrame:
    s = report.summary
    return s[(s["config"] == config) & (s["runs"] > 0)].set_index("backend") if config else s.iloc[:0]


def _per_seed(report, config: str | None, column: str, digits: int) -> dict:
    """backend -> '0.30 / 0.65 / 0.80' over SEEDS ('-' for a seed with no ok run)."""
    runs = report.runs[report.runs["config"] == config] if config else report.runs.iloc[:0]
    out = {}
    for backend, g in runs.groupby("backend"):
        by_seed = dict(zip(g["seed"], pd.to_numeric(g[column], errors="coerce")))
        out[backend] = " / ".join(f"{by_seed[s]:.{digits}f}" if s in by_seed and by_seed[s] == by_seed[s]
                                  else "-" for s in SEEDS)
    return out


def part1_table(report) -> list[str]:
    configs = {t: _config(report, task=t, circuit=t) for t in PART1}
    figs = {t: _figures(report, configs[t]) for t in PART1}
    quality = {t: _per_seed(report, configs[t], *(("test_mse", 3) if t == "tutorial-regress"
                                                  else ("train_accuracy", 2))) for t in PART1}
    backends = sorted(set().union(*(set(f.index) for f in figs.values())),
                      key=lambda b: (b == "classical", *(figs[t]["train_s"].get(b, float("inf")) for t in PART1)))
    lines = ["| backend | `tutorial-classify`: training | train accuracy, seeds 0 / 1 / 42 | `tutorial-parity`: "
             "training | train accuracy, seeds 0 / 1 / 42 | `tutorial-regress`: training | test MSE, seeds "
             "0 / 1 / 42 |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for b in backends:
        cells = []
        for t in PART1:
            cells += [format_spread(figs[t]["train"][b]) if b in figs[t].index else "-", quality[t].get(b, "-")]
        lines.append(f"| {_name(b)} | " + " | ".join(cells) + " |")
    return lines


def _ratio_text(figs: pd.DataFrame, fast: str, slow: str, than: str) -> str:
    """'263x faster than <than> (a against b)', with the rule's doubt when its intervals do not separate."""
    a, b = figs["train"][fast], figs["train"][slow]
    word, why = verdict(a, b)
    said = "" if word == FASTER else f"; by the report's rule not a claim ({why})"
    return f"{b.median / a.median:.0f}x faster than {than} ({format_spread(a)} against {format_spread(b)}{said})"


def part1_sentence(report) -> list[str]:
    """How far the tutorial's way lies behind the fastest exact backend and the frameworks users pick."""
    figs = _figures(report, _config(report, task="tutorial-classify", circuit="tutorial-classify"))
    exact = figs.drop(index=[b for b in ("classical", TUTORIAL_WAY) if b in figs.index])
    if TUTORIAL_WAY not in figs.index or exact.empty:
        return []
    fastest = exact["train_s"].idxmin()
    way = f"the tutorial's way, `{TUTORIAL_WAY}`"
    picked = [f"`{b}` trains {_ratio_text(figs, b, TUTORIAL_WAY, 'it')}"
              for b in PICKED if b in figs.index and b != fastest]
    return [f"On `tutorial-classify` (training time, median (interval, n) over the seeds measured) the fastest "
            f"exact backend, `{fastest}`, trains "
            f"{_ratio_text(figs, fastest, TUTORIAL_WAY, way)}"
            + (f"; among the frameworks a user picks, {' and '.join(picked)}." if picked else ".")]


TUTORIAL_ACCURACY = 0.8     # the tutorial's printed accuracy, on its own draw (seed 42), for both classifiers


def seed42_sentence(report) -> list[str]:
    """Which backends reach the tutorial's accuracy on the tutorial's own draw."""
    said = []
    for t in PART1[:2]:
        config = _config(report, task=t, circuit=t)
        runs = report.runs[(report.runs["config"] == config) & (report.runs["seed"] == "42")]
        if runs.empty:
            continue
        acc = dict(zip(runs["backend"], pd.to_numeric(runs["train_accuracy"], errors="coerce")))
        quantum = {b: a for b, a in acc.items() if b != "classical"}
        short = sorted(b for b, a in quantum.items() if not a >= TUTORIAL_ACCURACY - 1e-9)
        said.append(f"on `{t}` by {len(quantum) - len(short)} of the {len(quantum)} quantum backends run on it" +
                    (f" (not {', '.join(f'`{b}` {quantum[b]:.2f}' for b in short)})" if short else ""))
    return [f"The tutorial's train accuracy, {TUTORIAL_ACCURACY} on its own draw (seed 42), is reached "
            + "; ".join(said) + "."] if said else []


def mnist_table(report) -> list[str]:
    config = _config(report, task="mnist01", circuit="tutorial", epochs="10")
    figs = _figures(report, config).sort_values("train_s")
    if figs.empty:
        return ["(no runs of `mnist01 --circuit tutorial --epochs 10` in this store)"]
    lines = ["| backend | training | test accuracy, lowest-highest | runs |", "| --- | --- | --- | --- |"]
    for b, r in figs.iterrows():
        lines.append(f"| {_name(b)} | {format_spread(r['train'])} | {r['test_accuracy_min']:.0%}-"
                     f"{r['test_accuracy_max']:.0%} | {r['runs']} |")
    if {"qiskit-shift", "torch"} <= set(figs.index):
        word, why = verdict(figs["train"]["qiskit-shift"], figs["train"]["torch"])
        said = {FASTER: "faster than", SLOWER: "slower than"}.get(word, f"not distinguishable ({why}) from")
        lines += ["", f"On this network `qiskit-shift` is {said} the `torch` reference "
                      f"({format_spread(figs['train']['qiskit-shift'])} against "
                      f"{format_spread(figs['train']['torch'])})."]
    return lines


def readme_text(report) -> str:
    lines = part1_table(report) + [""] + part1_sentence(report) + seed42_sentence(report) + ["", "The tutorial's own MNIST network (its "
             "Part 3: `mnist01 --circuit tutorial --epochs 10`, 100 training and 50 test images per digit, batch "
             "1, Adam lr 0.001), training time and test accuracy over the seeds; the tutorial reports 100% test "
             "accuracy:", ""] + mnist_table(report)
    return "\n".join(lines) + "\n"
