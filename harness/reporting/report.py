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
from dataclasses import dataclass, field
import pandas as pd
from backends import BACKENDS, UserError
from harness.results.stats import format_spread, verdict
from harness.results.quality import diverged
from harness.results.store import no_results, read_frame
from harness.reporting.claims import _scaling, _timed_out_from, advise, crossovers, flips, growth
from harness.reporting.busy import busy_mask, busy_table, busy_warnings, split_busy
from harness.reporting.groups import configurations, keyed, latest, summarise
from harness.results.words import plural, verb


# plus every versions.* column; the git commit only stands in for rows without a code version, since
# commits also change with docs and tests while the code version changes only with the measuring code
PROVENANCE = ("code_version", "machine.cpu_model", "machine.hostname", "machine.platform")


@dataclass
class Report:
    summary: pd.DataFrame
    scaling: pd.DataFrame = field(default_factory=pd.DataFrame)
    crossovers: pd.DataFrame = field(default_factory=pd.DataFrame)
    growth: pd.DataFrame = field(default_factory=pd.DataFrame)
    advice: pd.DataFrame = field(default_factory=pd.DataFrame)
    flips: pd.DataFrame = field(default_factory=pd.DataFrame)
    failures: pd.DataFrame = field(default_factory=pd.DataFrame)
    busy: pd.DataFrame = field(default_factory=pd.DataFrame)      # ok runs timed on a busy machine
    benchmarks: pd.DataFrame = field(default_factory=pd.DataFrame)
    spread: pd.DataFrame = field(default_factory=pd.DataFrame)    # verdicts the spread changes (spread_verdicts)
    warnings: list[str] = field(default_factory=list)
    machines: list[str] = field(default_factory=list)
    runs: pd.DataFrame = field(default_factory=pd.DataFrame)      # ok rows, newest per configuration and seed
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)      # every row of the store, as read
    configs: pd.DataFrame = field(default_factory=pd.DataFrame)   # one row per configuration
    timed_out: dict = field(default_factory=dict)   # (scaling family, backend) -> size it timed out at
    reference: str = "torch"
    source: str = ""
    include_busy: bool = False


def code_column(*frames: pd.DataFrame) -> str:
    """The column that names the code of these rows: ``code_version`` when every row has one, else the commit."""
    return "code_version" if all("code_version" in f and f["code_version"].notna().all() for f in frames) \
        else "git_commit"


def _provenance_columns(df: pd.DataFrame) -> list[str]:
    code = [] if code_column(df) == "code_version" else ["git_commit"]
    return [c for c in PROVENANCE + tuple(code) if c in df] + sorted(c for c in df if c.startswith("versions."))


def _provenance_warnings(df: pd.DataFrame, configs: pd.DataFrame) -> tuple[list[str], list[str]]:
    warnings, machines = [], []
    mcols = [c for c in ("machine.cpu_model", "machine.cpu_count", "machine.platform") if c in df]
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
        warnings.append(f"{plural(len(groups), 'configuration group')} {verb(len(groups), 'mixes', 'mix')} {kind}: {what} {' vs '.join(values)} "
                        f"(e.g. {groups[0]}); their spread includes that difference")
    return warnings, machines


def check_reference(reference: str) -> None:
    if reference not in BACKENDS:
        raise UserError(f"unknown reference backend '{reference}'; valid: {', '.join(BACKENDS)}")


def spread_verdicts(summary: pd.DataFrame, advice: pd.DataFrame, crossings: pd.DataFrame) -> list[dict]:
    """Every verdict the report states where the spread decides it: the two medians differ, both figures
    have enough runs, and only their overlapping intervals make it "not distinguishable". Those are the
    advice's fastest against the backends tied with it, and the crossover pairs' sizes. (Memory is left out:
    its runs agree to a MiB or two, so a tie there is a tie, not a spread hiding a winner.)"""
    look = {(r["config"], r["backend"]): r for r in summary.to_dict("records")}
    found = []

    def add(config, a, b, figure, what):
        ra, rb = look.get((config, a)), look.get((config, b))
        if ra is None or rb is None or ra.get(figure) is None or rb.get(figure) is None:
            return
        seen = next((f for f in found if f["config"] == config and {f["a"], f["b"]} == {a, b}), None)
        if seen is not None:
            seen["what"] += "" if what in seen["what"] else f", {what}"
        elif verdict(ra[figure], rb[figure])[1] == "intervals overlap" and ra[figure].median != rb[figure].median:
            found.append(dict(config=config, a=a, b=b, figure=figure, what=what, sa=ra[figure], sb=rb[figure]))
    for r in advice.to_dict("records") if not advice.empty else []:
        figure = "step" if r["ranked_by"] == "steady step" else "train"
        for b in r["fastest_tied"]:
            add(r["config"], r["fastest"], b, figure, "the pick")
    by_size = {(r["family"], r["qubits"]): r["config"] for r in summary.to_dict("records")}
    for c in crossings.to_dict("records") if not crossings.empty else []:
        for q in (c["not_distinguishable_at"].split(",") if c["not_distinguishable_at"] != "none" else []):
            if (c["family"], q) in by_size:
                add(by_size[(c["family"], q)], c["a"], c["b"], "step", "a crossover")
    return found


SPREAD_NAMED = 3       # verdicts named in the warning; every one is in the table (spread.csv)


def spread_table(labels: dict, found: list[dict]) -> pd.DataFrame:
    """Every verdict the spread changes, one row each: the configuration, the two figures, which claim."""
    return pd.DataFrame([{"configuration": labels[f["config"]], "a": f["a"], "a_figure": f["sa"], "b": f["b"],
                          "b_figure": f["sb"], "claim": f["what"]} for f in found])


def _spread_warnings(summary: pd.DataFrame, labels: dict, found: list[dict]) -> list[str]:
    """One line on the groups whose spread changes a verdict (``spread_verdicts``), counted, naming the first
    few: spread that decides nothing is in the intervals of every table cell, not warned about."""
    if not found:
        return []
    groups = {(f["config"], b) for f in found for b in (f["a"], f["b"])}
    named = [f"{labels[f['config']]}: {f['a']} {format_spread(f['sa'])} vs {f['b']} {format_spread(f['sb'])} "
             f"({f['what']})" for f in found[:SPREAD_NAMED]]
    rest = (f"; and {len(found) - SPREAD_NAMED} more (every one in spread.csv, `report --format csv`)"
            if len(found) > SPREAD_NAMED else "")
    return [f"{len(groups)} of {int((summary['runs'] > 1).sum())} groups with repeats spread enough to change a "
            f"verdict: their intervals overlap though their medians differ, so the report says \"not "
            f"distinguishable\" ({plural(len(found), 'verdict')}) where medians alone would name a winner: "
            + "; ".join(named) + rest]


DAYS_APART = 1.0       # a pick whose two sides were measured further apart than this is warned about


def days_apart_warnings(ok: pd.DataFrame, advice: pd.DataFrame, labels: dict) -> list[str]:
    """One line on the picks (the fastest, claimed faster than the runner-up) whose two sides' runs were
    measured more than ``DAYS_APART`` apart, by the median of each side's timestamps: a machine can change
    between (its load, its updates, a host's neighbours), and the rule's intervals cannot see that."""
    if advice.empty or "timestamp" not in ok:
        return []
    when = pd.to_datetime(ok["timestamp"], errors="coerce", utc=True)
    median = when.groupby([ok["config"], ok["backend"]]).median()
    found = []
    for r in advice.to_dict("records"):
        if not r["runner_up"] or r["fastest_vs_next"].startswith(("not distinguishable", "only one")):
            continue
        a, b = median.get((r["config"], r["fastest"])), median.get((r["config"], r["runner_up"]))
        if a is None or b is None or pd.isna(a) or pd.isna(b) or abs(a - b) <= pd.Timedelta(days=DAYS_APART):
            continue
        found.append(f"{labels[r['config']]}: {r['fastest']} ({a:%Y-%m-%d}) against {r['runner_up']} "
                     f"({b:%Y-%m-%d})")
    if not found:
        return []
    rest = f"; and {len(found) - SPREAD_NAMED} more" if len(found) > SPREAD_NAMED else ""
    apart = "a day" if DAYS_APART == 1 else f"{DAYS_APART:g} days"
    return [f"{plural(len(found), 'pick')} {verb(len(found), 'compares', 'compare')} runs measured more than "
            f"{apart} apart, where the machine may have changed between the two sides (run both again in one "
            f"sweep to be sure): " + "; ".join(found[:SPREAD_NAMED]) + rest]


def load(results_dir) -> pd.DataFrame:
    """Every row of a store, keyed by configuration; a UserError when there are none."""
    df = read_frame(results_dir)
    if df.empty:
        raise UserError(no_results(results_dir))
    return keyed(_diverged_as_status(df))


def _diverged_as_status(df: pd.DataFrame) -> pd.DataFrame:
    """Ok rows whose loss went non-finite read as status "diverged" (their error names the figures), so no
    claim, plot or advice uses a run that did not learn; the store keeps them as written."""
    if "nonfinite" not in df:
        return df
    bad = df["nonfinite"].map(lambda v: diverged({"nonfinite": v}) if isinstance(v, list) else [])
    hit = (df["status"] == "ok") & bad.map(bool)
    if hit.any():
        df = df.copy()
        df.loc[hit, "status"] = "diverged"
        df.loc[hit, "error"] = ["diverged: " + ", ".join(b) + " not finite" for b in bad[hit]]
    return df


def build_report(results_dir="results", reference: str = "torch", benchmark_files=(),
                 include_busy: bool = False) -> Report:
    """``include_busy``: count ok runs timed on a busy machine in every figure and claim (by default they
    are left out and listed apart; rows stored before the load was measured count as quiet)."""
    check_reference(reference)
    rows = load(results_dir)
    busy_rows, counted = split_busy(rows, results_dir) if not include_busy else (rows[busy_mask(rows)], rows)
    df = latest(counted)
    configs = configurations(df)
    labels = dict(zip(configs["config"], configs["label"]))
    ok = df[df["status"] == "ok"]
    failures = df[df["status"] != "ok"].copy()
    failures["configuration"] = failures["config"].map(labels)
    failures["error"] = failures["error"].astype(object).fillna("").map(lambda e: e.strip().splitlines()[0] if e.strip() else "")
    failures = failures[["configuration", "backend", "seed", "status", "error"]]
    warnings, machines = _provenance_warnings(df, configs)
    busy = busy_table(rows, busy_rows, include_busy)
    warnings += busy_warnings(rows, busy_rows, include_busy, "'Runs on a busy machine'")
    summary = summarise(df, reference)
    if reference not in set(summary["backend"]):
        warnings.append(f"the reference backend '{reference}' has no runs here; its column is empty")
    if len(failures):
        warnings.append(f"{plural(len(failures), 'run')} did not finish ok (see 'Runs that did not finish')")
    scaling = _scaling(summary)
    benchmarks = pd.DataFrame()
    if benchmark_files:
        from harness.results.benchjson import read_benchmark_json
        benchmarks = read_benchmark_json(benchmark_files)
    advice = advise(summary, configs)
    crossings = crossovers(summary, scaling) if not scaling.empty else pd.DataFrame()
    found = spread_verdicts(summary, advice, crossings)
    warnings[len(warnings) - bool(len(failures)):len(warnings) - bool(len(failures))] = _spread_warnings(
        summary, labels, found) + days_apart_warnings(ok, advice, labels)
    return Report(summary=summary, scaling=scaling, crossovers=crossings,
                  growth=growth(summary, scaling) if not scaling.empty else pd.DataFrame(),
                  advice=advice, flips=flips(advice) if not advice.empty else pd.DataFrame(),
                  failures=failures, busy=busy, benchmarks=benchmarks, warnings=warnings, machines=machines,
                  spread=spread_table(labels, found),
                  runs=ok, rows=rows, configs=configs, reference=reference, source=str(results_dir),
                  include_busy=include_busy,
                  timed_out=_timed_out_from(scaling) if not scaling.empty else {})
