"""`python -m harness sweep`: a grid of runs, one fresh child process at a time.

The grid is backends x tasks x seeds x (qubits, layers, batch size); qubits
and layers only vary the scaling task. Runs go one after another by default,
so timings do not disturb each other. A sweep is resumable: a configuration
already stored as ok is skipped (``force`` re-runs it). A failed or timed-out
run is recorded and the sweep goes on; on the scaling task, once a size times
out (or is killed), the sizes it speaks for (as many qubits and layers or more,
of that backend and batch size: ``harness.executing.timeouts``) are skipped,
since they would only time out again. A stored timeout of
this code is a result too: resuming keeps it (and skips what it stopped)
unless the new timeout is longer or ``retry_timeouts`` asks to run it again.
With ``drop_slow``, a backend whose first-round (first-seed) run lies more than
that factor beyond its race's leader runs no more seeds there (``far_behind``).

Options that fit only some tasks (``--qubits``, ``--circuit``, ``--digits``,
``--data-dir``) go to those tasks and are refused, as ``run`` refuses them,
when they fit none. Repeated names and values run once and are said once.
Two sweeps on one store share the work: a configuration is claimed before it
runs (``harness.executing.concurrency``), and rows the other sweep stored meanwhile
count as done. The store is opened before the first run; a row it cannot take,
or a stop signal, ends the sweep with every finished run stored.
"""
from __future__ import annotations

import dataclasses
import itertools
import random
import sys
import time
from dataclasses import dataclass

from backends import UserError

from harness.results.fields import IDENTITY
from harness.executing import busy
from harness.executing.concurrency import Active, Claim, others_active
from harness.executing.eta import Estimate, unseeded
from harness.inputs.config import RunConfig
from harness.results.provenance import code_version, thread_env
from harness.results.quality import short_quality
from harness.results.stats import FAR_APART, format_seconds
from harness.executing.runner import child_env, run_config, steps_only
from harness.executing.signals import Interrupted, stop_signals
from harness.executing.timeouts import TooBig
from harness.executing.dropslow import FirstRound
from harness.results.store import RowNotStored, Store, read_rows, store_path
from harness.results.words import plural, verb
from harness.inputs.circuits import readout_refusal
from harness.inputs.validate import check_run, sweep_axes

# the fields that identify a configuration (the timeout does not change what is measured; the thread
# environment the child sees does): declared in harness.results.fields
KEY_FIELDS = IDENTITY


@dataclass(frozen=True)
class SweepConfig:
    backends: tuple[str, ...] = ("all",)
    tasks: tuple[str, ...] = ("moons",)
    seeds: tuple[int, ...] = (0,)
    qubits: tuple[int, ...] = ()              # scaling task only
    layers: tuple[int, ...] = ()              # scaling task only
    batch_sizes: tuple[int, ...] = ()         # () keeps each task's default
    base: RunConfig = RunConfig()             # everything else: threads, timeout, epochs, shots, ...
    force: bool = False
    rerun_other_code: bool = False            # re-run stored ok runs whose code version differs
    retry_timeouts: bool = False              # re-run stored timeouts of this code (a slow spell, say)
    rerun_busy: bool = False                  # re-run stored ok runs timed on a busy machine (``busy``)
    drop_slow: float | None = None            # after the first seed, skip the later seeds of a backend this
                                              # many times beyond its race's leader (None: every seed)


def _hashable(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def config_key(d: dict) -> tuple:
    return tuple((k, _hashable(d.get(k) if k != "env" else (d.get(k) or {}))) for k in KEY_FIELDS)


def planned_key(cfg: RunConfig) -> tuple:
    """The key a run of ``cfg`` will be stored under, the thread environment included."""
    return config_key({**cfg.as_dict(), "thread_env": thread_env(child_env(cfg.threads, cfg.env))})


ORDER_SEED = 20261122      # fixes the shuffled backend order of every round


def round_order(names: list[str], round_index: int) -> list[str]:
    """The backends of one round (one seed) in their shuffled order: fixed by the round's index."""
    return random.Random(f"{ORDER_SEED}:{round_index}").sample(names, len(names))


def expand(sweep: SweepConfig, notes: list[str] | None = None) -> list[RunConfig]:
    """Every resolved configuration of the grid, in run order, each once (validates all of them first).

    Repeats are the outer loop: round r runs seed r of every configuration,
    with the backends in an order shuffled per round (fixed by ``ORDER_SEED``),
    so a slow spell of a shared machine spreads over every backend instead of
    landing on the seeds of one. Within a round, sizes go up (qubits ascending),
    so a timeout can stop the larger sizes of its backend. ``notes`` collects
    what the checks said (repeats collapsed, threads above the CPUs), each once.
    """
    notes = [] if notes is None else notes
    axes = sweep_axes(sweep, notes)
    base = sweep.base
    blocks = []                     # (task, qubits, layers, batch size, per-task options, backends that serve it)
    for task in axes["tasks"]:
        sizable = axes["sizable"][task]
        qubits = (axes["qubits"] or (None,)) if sizable else (None,)
        layers = (axes["layers"] or (None,)) if sizable else (None,)
        batches = axes["batches"] or (None,)
        per_task = dict(circuit=base.circuit if axes["circuit_fits"][task] else None,
                        digits=base.digits if axes["mnist"][task] else None,
                        data_dir=base.data_dir if axes["mnist"][task] else None)
        for q, l, b, ro in itertools.product(qubits, layers, batches, axes["readouts"]):
            blocks.append((task, q, l, b, dict(per_task, observables=ro), set(axes["served"][task])))
    configs, seen, repeats = [], set(), 0
    for r, seed in enumerate(axes["seeds"]):
        order = round_order(list(axes["backends"]), r)
        for task, q, l, b, per_task, served in blocks:
            for name in order:
                if name not in served:
                    continue
                cfg = dataclasses.replace(base, task=task, backend=name, seed=seed, qubits=q, layers=l,
                                          batch_size=b if b is not None else base.batch_size, **per_task)
                if axes["everything"] and len(axes["readouts"]) > 1:
                    why = readout_refusal(cfg)      # 'all' runs every backend that serves this readout
                    if why:
                        notes.extend([why] if why not in notes else [])
                        continue
                checked = check_run(cfg)
                notes.extend(n for n in checked.notes if n not in notes)
                key = config_key(checked.config.as_dict())
                if key in seen:
                    repeats += 1            # e.g. --batch-sizes naming the task's own default
                    continue
                seen.add(key)
                configs.append(checked.config)
    if repeats:
        notes.append(f"{repeats} configuration{'s' if repeats > 1 else ''} of the grid came out the same as "
                     f"another once defaults were filled in; each runs once")
    return configs


def _bar(done: int, total: int, width: int = 24) -> str:
    filled = int(width * done / total) if total else width
    return "#" * filled + "-" * (width - filled)


def _stored_ok(results_dir, sweep: SweepConfig, planned: set, out, estimate: Estimate) -> tuple[set, dict, int, list]:
    """Keys of the configurations stored as ok (by this code, and unless re-running them, by other code or on a
    busy machine), the timeouts this code stored (key -> the timeout in seconds), where the store ended when
    read, and the kept ok rows themselves; ``estimate`` learns the durations of the stored runs. ``planned``:
    the keys of the grid's configurations, the only busy runs said (a store holds other grids' too)."""
    here = code_version()
    read = read_rows(results_dir)
    estimate.stored(read.rows, here, config_key)
    timeouts = {}
    for r in read.rows:
        if r.get("status") == "timeout" and r.get("code_version") == here and r.get("timeout_s"):
            key = config_key(r)
            timeouts[key] = max(timeouts.get(key, 0), r["timeout_s"])
    ok = [r for r in read.rows if r.get("status") == "ok"]
    _say_kept(out, [r for r in ok if r.get("code_version") != here], sweep.rerun_other_code,
              ("comes from other code", "come from other code"), "--rerun-other-code",
              "code version {versions}; this code is " + here)
    # a busy row stands for its configuration only when no quiet row of it is stored: the report reads the quiet
    quiet = {config_key(r) for r in ok if r.get("busy") is not True}
    busy_only = {k for k in (config_key(r) for r in ok if r.get("busy") is True) if k in planned and k not in quiet}
    _say_kept(out, [r for r in ok if config_key(r) in busy_only], sweep.rerun_busy,
              ("was timed on a busy machine", "were timed on a busy machine"), "--rerun-busy",
              "the report leaves busy runs out")
    kept = [r for r in ok if not (sweep.rerun_other_code and r.get("code_version") != here)
            and not (sweep.rerun_busy and config_key(r) in busy_only)]
    return {config_key(r) for r in kept}, timeouts, read.end, kept


def _say_kept(out, rows: list[dict], rerun: bool, what: tuple[str, str], option: str, detail: str) -> None:
    """One warning for the stored ok runs a sweep could run again: that they are kept, or will be re-run.
    ``what``: the verb phrase for one run and for several."""
    if not rows:
        return
    versions = sorted({str(r.get("code_version") or "unrecorded") for r in rows})
    detail = detail.format(versions=", ".join(versions[:3]) + (" ..." if len(versions) > 3 else ""))
    one = len(rows) == 1
    then = ("it will be re-run" if one else "they will be re-run") if rerun else (
        f"it is kept (re-run it with {option})" if one else f"they are kept (re-run them with {option})")
    print(f"warning: {plural(len(rows), 'stored ok run')} {verb(len(rows), *what)} ({detail}); {then}",
          file=out, flush=True)


COUNTS = ("ok", "failed", "timeout", "killed", "skipped (stored)", "skipped (too big)",
          "skipped (far behind)", "skipped (claimed elsewhere)")


class Progress:
    """One sweep in progress, whatever executes it: what to skip, the counts, the lines printed.

    Both executors ask ``decide`` before a configuration starts (so a timeout,
    a row another sweep stored, or a claim held elsewhere still counts) and
    hand every finished row to ``finished``, in the order they finish.
    """

    def __init__(self, sweep: SweepConfig, results_dir, out, total: int, configs=(), lanes: int = 1):
        self.sweep, self.results_dir, self.out, self.total = sweep, results_dir, out, total
        self.counts = dict.fromkeys(COUNTS, 0)
        self.estimate = Estimate(lanes)
        # id(config) -> its key, for the configurations still to run (the ETA's)
        self.pending = {id(c): planned_key(c) for c in configs}
        self.stored_ok, self.stored_timeouts, self.offset, kept = _stored_ok(
            results_dir, sweep, set(self.pending.values()), out, self.estimate)
        self.first_round = FirstRound(configs[0].seed if configs else None)     # drop_slow's; stored rows count
        for r in kept:
            self.first_round.note(r, config_key(r))
        self.behind: list = []          # the configurations drop_slow skipped, for catch_up
        self.caught_up: set = set()     # id() of those running after all
        if sweep.retry_timeouts or sweep.force:
            self.stored_timeouts = {}
        self.done_elsewhere: set = set()
        # what a timeout, stored or this sweep's, speaks for; not one an ok run of its configuration replaced
        # since (--retry-timeouts after a slow spell), as the report reads the newer row
        self.too_big = TooBig({k: t for k, t in self.stored_timeouts.items() if k not in self.stored_ok})
        self.spent, self.ran, self.done = 0.0, 0, 0
        self.warned: set = set()
        self.warned_busy: set = set()

    @staticmethod
    def label(cfg) -> str:
        from harness.results.fields import label
        return f"{cfg.task} {cfg.backend} seed {cfg.seed}" + (
            f" q{cfg.qubits} l{cfg.layers} b{cfg.batch_size}" if cfg.qubits else "") + (
            f" {label('circuit', cfg.circuit)}" if cfg.circuit_format not in (None, "built-in") else "") + (
            f" readout {cfg.observables}" if cfg.observables else "")

    def decide(self, cfg) -> Claim | None:
        """The configuration's claim when it is to run now; None (said and counted) when it is skipped."""
        key = planned_key(cfg)
        if not self.sweep.force and key in self.stored_ok:
            return self._skip(cfg, "skipped (stored)", "stored")
        if cfg.timeout_s is not None and self.stored_timeouts.get(key, 0) >= cfg.timeout_s:
            # as if it had just timed out: its larger sizes are skipped as well
            self.too_big.note(key)
            return self._skip(cfg, "skipped (stored)", f"stored: timed out at {self.stored_timeouts[key]:g} s "
                                                       f"(--retry-timeouts runs it again)")
        too_big = self.too_big.speaks_for(key, cfg.timeout_s)
        if too_big:          # larger sizes would only time out again; the same size is not retried with other seeds
            return self._skip(cfg, "skipped (too big)", f"skipped: {too_big}")
        behind = None if id(cfg) in self.caught_up else self.first_round.behind(key, self.sweep.drop_slow)
        if behind:
            self.behind.append(cfg)
            return self._skip(cfg, "skipped (far behind)", f"skipped: {behind}")
        claim = Claim(self.results_dir, key)
        # rows other sweeps stored while we ran count as done here too
        fresh = read_rows(self.results_dir, warn=False, start=self.offset)
        self.offset = fresh.end
        for r in fresh.rows:
            if r.get("status") == "ok":
                self.stored_ok.add(config_key(r))
                self.done_elsewhere.add(config_key(r))
        if not claim.held:
            claim.release()
            return self._skip(cfg, "skipped (claimed elsewhere)", "skipped: another sweep on this store is running it")
        if key in (self.done_elsewhere if self.sweep.force else self.stored_ok):
            claim.release()
            return self._skip(cfg, "skipped (stored)", "stored (by another sweep meanwhile)")
        return claim

    def catch_up(self) -> list:
        """The configurations drop_slow skipped that the report could not place behind the leader over every
        seed (``FirstRound.catch_up``), once, to run now; their skips are taken back from the counts."""
        again = [c for c in self.behind if self.first_round.catch_up(planned_key(c))]
        self.behind = []
        for cfg in again:
            self.caught_up.add(id(cfg))
            self.pending[id(cfg)] = planned_key(cfg)
            self.counts["skipped (far behind)"] -= 1
            self.done -= 1
        if again:
            print(f"catching up: {plural(len(again), 'configuration')} --drop-slow skipped after the first seed "
                  f"{verb(len(again), 'is', 'are')} no longer {FAR_APART:g}x behind the leader over every seed, "
                  f"so the report could not place {verb(len(again), 'it', 'them')}; running "
                  f"{verb(len(again), 'it', 'them')} now", file=self.out, flush=True)
        return again

    def _skip(self, cfg, count: str, status: str) -> None:
        self.pending.pop(id(cfg), None)
        self.counts[count] += 1
        self.done += 1
        self._line(cfg, status)
        return None

    def warn_others(self) -> None:
        for other in others_active():
            pid = other.split(":")[0]
            if pid not in self.warned:
                self.warned.add(pid)
                print(f"warning: another harness process is timing on this machine ({other}); "
                      f"both results are disturbed", file=self.out, flush=True)

    def starting(self, cfg) -> None:
        # what is stored already will be skipped, not run: it costs no time
        eta = self.estimate.left(unseeded(k) for i, k in self.pending.items()
                                 if i == id(cfg) or (self.sweep.force or k not in self.stored_ok)
                                 and (i in self.caught_up or not self.first_round.behind(k, self.sweep.drop_slow)))
        eta = f" {eta}" if eta else ""
        print(f"[{_bar(self.done, self.total)}] {self.done + 1}/{self.total}{eta}  {self.label(cfg)} ...",
              file=self.out, flush=True)

    def finished(self, cfg, row: dict, seconds: float) -> None:
        """A row that is stored: counted, a timeout noted for the larger sizes, its line printed."""
        self.spent += seconds
        self.ran += 1
        key = self.pending.pop(id(cfg), None) or planned_key(cfg)
        self.estimate.add(unseeded(key), seconds)
        self.done += 1
        status = row["status"]
        self.counts[status] += 1
        if status in ("timeout", "killed"):
            self.too_big.note(key)
        self.first_round.note(row, key)
        if status == "ok":
            took = format_seconds(row["train_s"]) + (" s" if row["train_s"] >= 1 else " ms")   # never "0.0 s"
            status += f" (training {took}, {short_quality(row)}{busy.short(row)})"
        else:
            status += ": " + ((row.get("error") or "").strip().splitlines() or [""])[0]
        self._line(cfg, status)
        if busy.warning(row) and cfg.backend not in self.warned_busy:      # once per backend: the lines show each
            self.warned_busy.add(cfg.backend)
            print(f"warning: {busy.warning(row)}", file=self.out, flush=True)

    def _line(self, cfg, status: str) -> None:
        print(f"[{_bar(self.done, self.total)}] {self.done}/{self.total}  {self.label(cfg)}: {status}",
              file=self.out, flush=True)

    def stopped(self, stop) -> None:
        why = stop.describe() if isinstance(stop, Interrupted) else (
            "interrupted" if isinstance(stop, KeyboardInterrupt) else "a row could not be stored")
        done = ", ".join(f"{v} {k}" for k, v in self.counts.items() if v) or "nothing done"
        print(f"sweep stopped after {self.done} of {self.total} ({why}): {done}; every finished run is stored "
              f"(in {store_path(self.results_dir)}), and running the sweep again resumes it", file=self.out, flush=True)


def _run_local(configs, progress: Progress, store) -> None:
    """One configuration after another, each in a fresh child process on this machine."""
    for cfg in configs:
        claim = progress.decide(cfg)
        if claim is None:
            continue
        with claim:
            progress.warn_others()
            progress.starting(cfg)
            start = time.perf_counter()
            row = run_config(cfg, progress.results_dir, echo=steps_only(progress.out), store=store)
            progress.finished(cfg, row, time.perf_counter() - start)


def _warm(configs, out) -> None:
    """The data cache filled before the first run, for the configurations still to run (none when resumed
    after the last), so no measured run makes its data in setup (``harness.datasets.warm``)."""
    from harness.datasets.warm import warm
    _, failed = warm(configs)
    if failed:
        print(f"warning: the data could not be prepared before the first run ({failed}); the first run of "
              f"each dataset makes it in its setup", file=out, flush=True)


def run_sweep(sweep: SweepConfig, results_dir="results", out=None, executor: str = "local",
              address: str | None = None, per_node: int = 1) -> dict:
    """Run the grid; returns counts per outcome.

    ``executor``: "local" (one run after another here) or "ray" (one Ray task
    per configuration, on a local Ray instance or the cluster at ``address``;
    see ``harness.executing.ray_executor``). Only this process writes the store, either way.
    A stop (Ctrl-C, SIGTERM, SIGHUP) or a row the store cannot take ends the
    sweep after saying how far it got; the exception goes on to the caller.
    """
    out = out or sys.stderr
    notes: list[str] = []
    configs = expand(sweep, notes)
    for note in notes:
        print(f"warning: {note}", file=out, flush=True)
    cluster = None
    if executor == "ray":
        from harness.executing.ray_executor import RayCluster
        cluster = RayCluster(address, per_node, configs, out)      # started (or joined) before any signal handler
    elif executor != "local":
        raise UserError(f"unknown executor '{executor}'; valid: local, ray")
    try:
        with Store(results_dir) as store, stop_signals(), Active(f"sweep on {results_dir}"):
            progress = Progress(sweep, results_dir, out, len(configs), configs,
                                lanes=1 if cluster is None else cluster.lanes(configs))
            if cluster is None:          # Ray nodes keep caches of their own
                _warm([c for c in configs if sweep.force or planned_key(c) not in progress.stored_ok], out)
            try:
                todo = configs
                while todo:          # the grid, then once what drop_slow skipped that the report cannot place
                    if cluster is None:
                        _run_local(todo, progress, store)
                    else:
                        cluster.run(todo, progress, store)
                    todo = progress.catch_up() if todo is configs else []
            except (KeyboardInterrupt, RowNotStored) as stop:
                progress.stopped(stop)
                raise
    finally:
        if cluster is not None:
            cluster.close()
    return progress.counts
