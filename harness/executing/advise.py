"""`harness advise`: the pick for one configuration, raced in rounds of fresh processes within a budget.

1. ``check`` first: only backends that serve the circuit and agree with the torch reference race;
   the others are dropped with the check's reason.
2. Rounds: round r runs seed r of every backend still in the race, in an order shuffled per round (as a
   sweep orders them), each in a fresh child, its row stored like a sweep's; stored ok rows of the same
   configuration, seed and code are reused, so a second ``advise`` on the store costs nothing.
3. After the first round, a backend slower than the leader by more than ``DROP_FACTOR`` (by median),
   one that timed out or failed, is dropped with that reason. Within the first round, a run that cannot
   come within ``DROP_FACTOR`` of the leader is cut, without paying for the rest of it: ``cut_after_mark``
   ``DROP_FACTOR`` x ``MARK_SLACK`` x the leader's span (what its figure measures) plus ``MARK_GRACE_S``
   after the child says its span began, unless it says it ended; and as a backstop ``cut_after``, the
   slowest start seen so far (wall time outside the span) plus ``DROP_FACTOR`` x the leader's span plus
   ``CUT_GRACE_S``.
4. It stops when the report's rule separates the leader from every backend still racing (at least
   3 runs each, intervals apart: ``harness.results.stats.verdict``), or when the next round would not
   fit the budget (planned from the rounds' measured wall time), saying what budget would do.
   The budget is a bound, the first round included: each run's timeout is at most what is left of
   it, a run cut there leaves the race with that reason, and a backend whose turn comes with less
   than ``MIN_RUN_S`` left is named as not raced. Stored rows are reused whatever is left.
5. A run the machine disturbed (its row marked ``busy``) is repeated up to ``BUSY_REPEATS`` times;
   one still busy is kept and named as such, never trusted silently.

The figure is the report's: the steady step on ``scaling`` (which then trains 21 steps per run, as the
reference does, so each run has the 20 steady steps a step claim needs), the training time elsewhere.
"""
from __future__ import annotations

import dataclasses
import shlex
import sys
import time
from dataclasses import dataclass, field

from backends import BACKENDS, BASELINES, UserError

from harness.inputs.config import RunConfig
from harness.measuring import marks
from harness.results.provenance import code_version
from harness.results.stats import FASTER, MIN_RUNS, MIN_STEADY_STEPS, spread_of, verdict
from harness.results.store import Store, read_rows
from harness.results.words import plural

DROP_FACTOR = 3.0      # a backend this many times slower than the leader after one round cannot catch up
BUSY_REPEATS = 1       # a busy run is repeated this many times before it is kept as busy
MAX_ROUNDS = 8         # beyond this many seeds, more runs rarely separate what they have not separated
MIN_RUN_S = 5.0        # a fresh child needs seconds to import its frameworks: less than this left runs nothing
NOT_RACED = "not raced: the budget ran out before its first run"
CUT_GRACE_S = 10.0     # first-round cut: room for a slower start (imports, a jit compile) than any seen so far
MARK_SLACK = 1.5       # the cut from a run's own mark: a span of steps is a sum, a steady step their median
MARK_GRACE_S = 2.0     # ... and room for the mark's way to the parent and a slow step or two


@dataclass(frozen=True)
class AdviseConfig:
    base: RunConfig = RunConfig(task="scaling")
    backends: tuple[str, ...] = ("all",)
    budget_s: float = 600.0


@dataclass
class Standing:
    backend: str
    rows: list = field(default_factory=list)          # ok rows, one per seed (the newest)
    dropped: str = ""                                 # why it left the race
    busy: int = 0                                     # kept rows the machine disturbed
    served: bool = True                               # False: refused the configuration, or failed the check

    def figure(self, by_step: bool):
        if by_step:
            medians = [r["steady_step_s"] for r in self.rows]
            quartiles = [((r.get("steady_step_stats_s") or {}).get("q1"), (r.get("steady_step_stats_s") or {}).get("q3"))
                         for r in self.rows]
            steps = [(r.get("steady_step_stats_s") or {}).get("n") for r in self.rows]
            return spread_of(medians, quartiles, min((s for s in steps if s), default=None))
        return spread_of([r["train_s"] for r in self.rows])


@dataclass
class Advice:
    by: str                               # "steady step" or "training time"
    standings: list[Standing]
    pick: str | None
    runner_up: str | None
    separated: bool
    rounds: int
    spent_s: float
    budget_s: float
    message: str
    sweep_command: str
    configs: dict = field(default_factory=dict)       # backend -> resolved RunConfig
    best_balance: str | None = None                   # the report's own, of the rows raced here


def _defaults(base: RunConfig) -> RunConfig:
    """On scaling, the reference's run shape (one epoch of 21 steps), unless the user set it."""
    if base.task != "scaling":
        return base
    batch = base.batch_size or 16
    return dataclasses.replace(base, epochs=base.epochs or 1, train_size=base.train_size or 21 * batch,
                               batch_size=batch)


def _candidates(names) -> list[str]:
    if tuple(names) == ("all",):
        return [n for n, s in BACKENDS.items() if n not in BASELINES and s.available]
    for n in names:
        if n not in BACKENDS:
            raise UserError(f"unknown backend '{n}'; valid: {', '.join(BACKENDS)}")
    return list(dict.fromkeys(names))


def advise(cfg: AdviseConfig, results_dir="results", out=None) -> Advice:
    from harness.executing.runner import run_config
    from harness.executing.sweep import planned_key, round_order
    from harness.inputs.validate import check_run
    from harness.measuring.check import CheckConfig, run_check

    out = out or sys.stderr
    started = time.perf_counter()
    budget = float(cfg.budget_s)
    if not budget > 0:
        raise UserError(f"--budget must be a positive time such as 10m or 600s; received {cfg.budget_s!r}")
    base = _defaults(cfg.base)
    names = _candidates(cfg.backends)
    configs, refused = {}, {}
    for n in names:            # a backend that cannot take this configuration leaves with its one line
        try:
            configs[n] = check_run(dataclasses.replace(base, backend=n, seed=0)).config
        except UserError as err:
            refused[n] = str(err)
    if not configs:
        raise UserError(next(iter(refused.values())))
    sample = next(iter(configs.values()))
    by_step = base.task == "scaling"
    standings = {n: Standing(n, dropped=refused.get(n, ""), served=n not in refused) for n in names}
    names = [n for n in names if n in configs] + [n for n in names if n in refused]

    # 1. the check: who agrees with the reference on this very circuit
    quantum = tuple(n for n in configs if n != "classical")      # the twin has no circuit to check
    if quantum:
        checked = run_check(CheckConfig(circuits=(sample.circuit,), backends=quantum, qubits=sample.qubits,
                                        layers=sample.layers, shots=sample.shots, observables=sample.observables,
                                        input_names=sample.input_names, weight_names=sample.weight_names,
                                        batch=4, seed=0))
        for row in checked.rows:
            if row.backend in standings and row.status != "pass":
                standings[row.backend].dropped = f"check: {row.status}" + (f" ({row.note})" if row.note else "")
                standings[row.backend].served = False
    print(f"advise: check done; racing {', '.join(n for n in names if not standings[n].dropped) or 'nothing'}",
          file=out, flush=True)

    here = code_version()
    stored = {}
    for r in read_rows(results_dir, warn=False).rows:
        if r.get("status") == "ok" and r.get("code_version") == here and not r.get("busy"):
            stored[(_key_of(r), r.get("seed"))] = r      # a busy row is not reused: it is measured again
    walls: dict[str, list[float]] = {}     # backend -> wall seconds of its runs here (the budget's plan)
    rounds, out_of_time = 0, False
    first: list[dict] = []                 # the first round's ok rows so far (the cut's measure)
    deadline = started + budget
    with Store(results_dir) as store:
        for r in range(MAX_ROUNDS):
            alive = [n for n in names if not standings[n].dropped]
            if not alive:
                break
            took = False
            for name in round_order(alive, r):
                run_cfg = dataclasses.replace(configs[name], seed=r)
                row = stored.get((_plain_key(planned_key(run_cfg)), r))
                left = deadline - time.perf_counter()
                if row is None and (out_of_time or left < MIN_RUN_S or (r and left < max(walls.get(name, [0.0])))):
                    out_of_time = True     # this run would not fit: from here on only stored rows are taken
                    if r == 0:             # a first run that never ran: say so, never guess
                        standings[name].dropped = NOT_RACED
                    continue
                # why its timeout is shorter than its own: "budget", or "slow" (``slow``: cut_after's answer;
                # ``marked``: cut_after_mark's)
                cut, slow, kept, marked = None, None, None, None
                for attempt in range(BUSY_REPEATS + 1):
                    if row is None:
                        left = deadline - time.perf_counter()
                        if attempt and left < MIN_RUN_S:
                            row = kept     # no time to repeat a busy run: the busy one stands, named
                            break
                        timeout, cut = run_cfg.timeout_s, None
                        if timeout is None or left < timeout:
                            timeout, cut = left, "budget"
                        slow = cut_after(first, by_step) if r == 0 and first else None
                        if slow is not None and slow[0] < timeout:
                            timeout, cut = slow[0], "slow"
                        marked = cut_after_mark(first, by_step) if r == 0 and first else None
                        limited = dataclasses.replace(run_cfg, timeout_s=timeout)
                        t_run = time.perf_counter()
                        fresh = run_config(limited, results_dir=results_dir, store=store, echo=None,
                                           cut=marked[:2] if marked else None)
                        walls.setdefault(name, []).append(time.perf_counter() - t_run)
                        row = fresh if attempt == 0 or fresh.get("status") == "ok" else kept
                    if row.get("status") != "ok" or not row.get("busy") or attempt == BUSY_REPEATS:
                        break
                    print(f"advise: {name} seed {r} ran on a busy machine; repeating it", file=out, flush=True)
                    kept, row = row, None
                _take(standings[name], row)
                took = True
                if marked and row.get("status") == "timeout" and str(row.get("error") or "").startswith("cut "):
                    what, after, lead, span = marked
                    standings[name].dropped = (
                        f"cut {after:.1f} s after its {what}: {DROP_FACTOR * MARK_SLACK:g}x the leader's "
                        f"{_span_name(by_step)} ({lead}, {span:.2f} s) plus {MARK_GRACE_S:g} s, so its figure "
                        f"could not come within {DROP_FACTOR:g}x the leader's")
                elif cut == "slow" and row.get("status") == "timeout":
                    _, start, lead, span = slow
                    standings[name].dropped = (
                        f"cut after {row.get('timeout_s') or 0:.0f} s of its first run: the slowest start so far "
                        f"({start:.1f} s) plus {DROP_FACTOR:g}x the leader's {_span_name(by_step)} ({lead}, "
                        f"{span:.2f} s) plus {CUT_GRACE_S:.0f} s, so its figure could not come within "
                        f"{DROP_FACTOR:g}x the leader's")
                elif cut == "budget" and row.get("status") == "timeout":
                    foreseen = "before" if row.get("timeout_foreseen") else "at"   # it stopped itself, or was stopped
                    standings[name].dropped = (f"stopped {foreseen} the end of the budget: its seed {r} run could not "
                                               f"finish in the {row.get('timeout_s') or 0:.0f} s left")
                if r == 0 and row.get("status") == "ok" and row.get("run_wall_s") and row.get("train_s") is not None:
                    first.append(row)
                print(f"advise: round {r + 1}: {name}: {_line(row, by_step)}", file=out, flush=True)
            if not took:
                break
            rounds += 1
            if r == 0:
                _drop_the_slow(standings, by_step)
            if _leader(standings, by_step)[1]:
                break
    # the next round's cost, planned from the measured runs of the backends still racing (the slow ones left)
    next_round = sum(max(walls.get(n, [0.0])) for n in names if not standings[n].dropped)
    longest = max((w for ws in walls.values() for w in ws), default=MIN_RUN_S)
    next_round += longest * sum(s.dropped == NOT_RACED for s in standings.values())
    return _advice(standings, by_step, rounds, time.perf_counter() - started, budget, configs, base, next_round,
                   results_dir)


def _span_name(by_step: bool) -> str:
    return "steady steps" if by_step else "training"


def _span(r: dict, by_step: bool) -> float:
    return r["train_s"] - ((r.get("first_step_s") or 0.0) if by_step else 0.0)


def _lead_row(rows: list[dict], by_step: bool) -> dict:
    return min(rows, key=lambda r: (r.get("steady_step_s") or float("inf")) if by_step else r["train_s"])


def cut_after(rows: list[dict], by_step: bool) -> tuple[float, float, str, float]:
    """When a first-round run is cut: (seconds, the slowest start seen, the leader, the leader's span).

    A run's span is what its figure measures (training; the steps after the first for the steady step) and
    its start everything else its wall time holds. A backend within ``DROP_FACTOR`` of the leader needs at
    most ``DROP_FACTOR`` x the leader's span, plus its own start."""
    start = max(r["run_wall_s"] - _span(r, by_step) for r in rows)
    lead = _lead_row(rows, by_step)
    return start + DROP_FACTOR * _span(lead, by_step) + CUT_GRACE_S, start, lead["backend"], _span(lead, by_step)


def cut_after_mark(rows: list[dict], by_step: bool) -> tuple[str, float, str, float] | None:
    """The same cut counted from the run's own mark (its span's start, ``harness.measuring.marks``), so no
    start has to be waited for: (the mark, seconds after it, the leader, the leader's span). The child says
    when its span ends, and no cut comes after that (``run_config``); so a backend within ``DROP_FACTOR``
    of the leader needs at most ``DROP_FACTOR`` x the leader's span, ``MARK_SLACK`` times that because a
    steady step is a median and a span a sum (a few slow steps), plus ``MARK_GRACE_S``. None when the
    leader's steady step is its only step (the figure then precedes its mark)."""
    lead = _lead_row(rows, by_step)
    if by_step and (lead.get("steps") or 0) < 2:
        return None
    span = _span(lead, by_step)
    return ((marks.STEPPED if by_step else marks.TRAINING), DROP_FACTOR * MARK_SLACK * span + MARK_GRACE_S,
            lead["backend"], span)


def _key_of(row: dict) -> tuple:
    from harness.executing.sweep import config_key
    return _plain_key(config_key(row))


def _plain_key(key) -> tuple:
    return tuple((k, v) for k, v in key if k != "seed")


def _take(standing: Standing, row: dict) -> None:
    if row.get("status") != "ok":
        why = (row.get("error") or row.get("status") or "").strip().splitlines()
        standing.dropped = f"{row.get('status')}: {why[0] if why else ''}".rstrip(": ")
        return
    standing.rows.append(row)
    standing.busy += bool(row.get("busy"))


def _line(row: dict, by_step: bool) -> str:
    if row.get("status") != "ok":
        return row.get("status", "?")
    figure = f"steady step {row['steady_step_s'] * 1e3:.1f} ms" if by_step else f"training {row['train_s']:.2f} s"
    return figure + (" (busy machine)" if row.get("busy") else "")


def _drop_the_slow(standings: dict, by_step: bool) -> None:
    racing = [s for s in standings.values() if not s.dropped and s.rows]
    if not racing:
        return
    best = min(s.figure(by_step).median for s in racing)
    for s in racing:
        m = s.figure(by_step).median
        if m > DROP_FACTOR * best:
            s.dropped = (f"{m / best:.1f}x slower than the leader after one round (more than {DROP_FACTOR:g}x)"
                         + ("; its run was on a busy machine, so the gap may be smaller" if s.busy else ""))


def _leader(standings: dict, by_step: bool):
    racing = sorted((s for s in standings.values() if not s.dropped and s.rows),
                    key=lambda s: s.figure(by_step).median)
    if not racing:
        return None, False
    lead = racing[0]
    separated = all(verdict(lead.figure(by_step), s.figure(by_step))[0] == FASTER for s in racing[1:])
    return lead, separated and len(racing) > 1 or (len(racing) == 1 and len(lead.rows) >= MIN_RUNS)


def _advice(standings, by_step, rounds, spent, budget, configs, base, next_round, results_dir) -> Advice:
    lead, separated = _leader(standings, by_step)
    racing = sorted((s for s in standings.values() if not s.dropped and s.rows),
                    key=lambda s: s.figure(by_step).median)
    finished = sorted((s for s in standings.values() if s.rows), key=lambda s: s.figure(by_step).median)
    runner = next((s.backend for s in finished if lead is not None and s.backend != lead.backend), None)
    unraced = [s.backend for s in standings.values() if s.dropped == NOT_RACED]
    if lead is None:
        message = (f"no backend finished a run within {_minutes(budget)}: nothing to pick; give --budget "
                   f"{_minutes(spent + next_round + 60)}" if unraced or rounds == 0 else
                   "no backend finished a run: nothing to pick")
    elif separated:
        message = (f"pick {lead.backend}: faster than every other backend still racing, by the report's rule "
                   f"(at least {MIN_RUNS} runs each, intervals apart)")
    else:
        more = max(MIN_RUNS - min(len(s.rows) for s in racing), 2)
        suggest = int(spent + more * next_round) + 60
        rival = racing[1] if len(racing) > 1 else None
        why = verdict(lead.figure(by_step), rival.figure(by_step))[1] if rival else ""
        message = (f"{lead.backend} leads, but it is not distinguishable from {rival.backend} within "
                   f"{_minutes(budget)} ({why}): give --budget {_minutes(suggest)}" if rival else
                   f"{lead.backend} is the only one left, with {plural(len(lead.rows), 'run')} (a pick needs "
                   f"{MIN_RUNS}): give --budget {_minutes(suggest)}")
        if by_step and lead.figure(by_step) and (lead.figure(by_step).steps or 0) < MIN_STEADY_STEPS:
            message += f"; each run needs {MIN_STEADY_STEPS} steady steps for a step claim (--train-size)"
    if lead is not None and unraced:
        message += (f"; not raced within {_minutes(budget)}: {', '.join(unraced)} (give --budget "
                    f"{_minutes(spent + next_round + 60)} to race them)")
    return Advice(by="steady step" if by_step else "training time", standings=list(standings.values()),
                  best_balance=_best_balance(standings),
                  pick=lead.backend if lead else None, runner_up=runner, separated=bool(separated),
                  rounds=rounds, spent_s=spent, budget_s=budget, message=message,
                  sweep_command=_sweep_command(base, [s.backend for s in standings.values() if s.served], rounds,
                                               results_dir),
                  configs=configs)


def _best_balance(standings: dict) -> str | None:
    """The report's "best balance" (time against whole-run peak, by its rule) of the rows raced here: the
    report itself is built from them, so advise and ``report`` cannot disagree."""
    import json
    import tempfile

    from harness.reporting.report import build_report
    from harness.results.store import store_path
    rows = [r for s in standings.values() for r in s.rows]
    if not rows:
        return None
    with tempfile.TemporaryDirectory(prefix="harness-advise-") as tmp:
        store_path(tmp).write_text("".join(json.dumps(r) + "\n" for r in rows))
        advice = build_report(tmp, include_busy=True).advice      # busy rows that advise kept, it names
    return None if advice.empty else str(advice["best_balance"].iloc[0])


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f}m" if seconds >= 120 else f"{seconds:.0f}s"


def _sweep_command(base: RunConfig, backends, rounds: int, results_dir) -> str:
    """The sweep that measures the race again: the backends that could take part (not those that refused
    the configuration or failed the check), into the same store."""
    parts = ["python -m harness sweep", f"--results {shlex.quote(str(results_dir))}", f"--tasks {base.task}",
             f"--backends {','.join(backends)}", f"--seeds {','.join(str(s) for s in range(max(rounds, MIN_RUNS)))}"]
    for flag, value in (("--circuit", base.circuit), ("--qubits", base.qubits), ("--layers", base.layers),
                        ("--batch-sizes", base.batch_size), ("--observables", base.observables),
                        ("--epochs", base.epochs), ("--train-size", base.train_size),
                        ("--test-size", base.test_size), ("--lr", base.lr), ("--threads", base.threads),
                        ("--shots", base.shots), ("--timeout", base.timeout_s)):
        if value is not None:
            parts.append(f"{flag} '{value}'" if isinstance(value, str) and " " in value else f"{flag} {value}")
    if base.digits:
        parts.append(f"--digits {base.digits[0]},{base.digits[1]}")
    parts += [f"--env {k}={v}" for k, v in base.env]
    return " ".join(parts)
