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

from backends import BASELINES, UserError

from harness.results.fields import IDENTITY
from harness.executing import busy
from harness.executing.concurrency import Active, Claim, others_active
from harness.executing.eta import Estimate, unseeded
from harness.inputs.config import RunConfig
from harness.results.provenance import code_version, thread_env
from harness.results.quality import short_quality
from harness.executing.runner import child_env, run_config, steps_only
from harness.executing.signals import Interrupted, stop_signals
from harness.executing.timeouts import TooBig
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


def race_of(key: tuple) -> tuple:
    """The configurations a backend races against in ``drop_slow``: its key but the backend and the seed."""
    return tuple((k, v) for k, v in key if k not in ("backend", "seed"))


def race_figure(row: dict) -> tuple[float, float, float] | None:
    """What a race is decided by, as the report ranks (the steady step on ``scaling``, else training time):
    (median, low, high), low and high the run's own quartiles where it has them (steady steps), as the
    report's intervals are made."""
    if row.get("task") != "scaling":
        value = row.get("train_s")
        return (value, value, value) if value else None
    median, stats = row.get("steady_step_s"), row.get("steady_step_stats_s") or {}
    if not median:
        return None
    return median, min(median, stats.get("q1") or median), max(median, stats.get("q3") or median)


def far_behind(factor: float, figures: dict[str, tuple[float, float, float]], backend: str) -> str | None:
    """Why ``backend`` runs no more seeds, or None: the low end of its first-round figure lies more than
    ``factor`` times beyond the high end of the leader's (the lowest median among ``figures``, backend ->
    ``race_figure``). The references (``BASELINES``: the torch statevector, the classical twin) never lead
    and are never skipped: the report picks among the frameworks and measures them against the references.
    Low against high, as the report's far-apart clause compares them, so what is skipped here is what the
    report can still place."""
    mine = figures.get(backend)
    rivals = {b: f for b, f in figures.items() if b not in BASELINES}
    if not mine or not rivals or backend in BASELINES:
        return None
    leader = min(rivals, key=lambda b: rivals[b][0])
    if leader == backend or mine[1] <= factor * rivals[leader][2]:
        return None
    return f"{mine[0] / rivals[leader][0]:.1f}x slower than {leader} in the first seed (--drop-slow {factor:g})"


class FirstRound:
    """The first seed's figures of every race (``race_of``), for ``drop_slow``: what the sweep has seen of
    ``seed`` (stored rows and its own), and whether a configuration of a later seed is far behind."""

    def __init__(self, seed):
        self.seed = seed
        self.figures: dict[tuple, dict[str, tuple[float, float, float]]] = {}     # race -> backend -> figure

    def note(self, row: dict) -> None:
        figure = race_figure(row) if row.get("status") == "ok" and row.get("seed") == self.seed else None
        if figure:
            self.figures.setdefault(race_of(config_key(row)), {})[row["backend"]] = figure

    def behind(self, key: tuple, factor: float | None) -> str | None:
        """Why the configuration of ``key`` runs no more seeds (``far_behind``), or None."""
        fields = dict(key)
        if not factor or fields["seed"] == self.seed:
            return None
        return far_behind(factor, self.figures.get(race_of(key), {}), fields["backend"])


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


def _stored_ok(results_dir, rerun_other_code: bool, out, estimate: Estimate) -> tuple[set, dict, int, list]:
    """Keys of the configurations stored as ok (by this code, and unless re-running them, by other code),
    the timeouts this code stored (key -> the timeout in seconds), where the store ended when read, and the
    kept ok rows themselves;
    ``estimate`` learns the durations of the stored runs."""
    here = code_version()
    read = read_rows(results_dir)
    estimate.stored(read.rows, here, config_key)
    timeouts = {}
    for r in read.rows:
        if r.get("status") == "timeout" and r.get("code_version") == here and r.get("timeout_s"):
            key = config_key(r)
            timeouts[key] = max(timeouts.get(key, 0), r["timeout_s"])
    ok = [r for r in read.rows if r.get("status") == "ok"]
    other = [r for r in ok if r.get("code_version") != here]
    if other:
        versions = sorted({str(r.get("code_version") or "unrecorded") for r in other})
        one = len(other) == 1
        what = ("it will be re-run" if one else "they will be re-run") if rerun_other_code else (
            "it is kept (re-run it with --rerun-other-code)" if one else
            "they are kept (re-run them with --rerun-other-code)")
        print(f"warning: {plural(len(other), 'stored ok run')} {verb(len(other), 'comes', 'come')} from other "
              f"code (code version {', '.join(versions[:3])}{' ...' if len(versions) > 3 else ''}; this code is "
              f"{here}); {what}", file=out, flush=True)
    kept = [r for r in ok if not (rerun_other_code and r.get("code_version") != here)]
    return {config_key(r) for r in kept}, timeouts, read.end, kept


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
        self.stored_ok, self.stored_timeouts, self.offset, kept = _stored_ok(results_dir, sweep.rerun_other_code,
                                                                             out, self.estimate)
        self.first_round = FirstRound(configs[0].seed if configs else None)     # drop_slow's; stored rows count
        for r in kept:
            self.first_round.note(r)
        # id(config) -> its key, for the configurations still to run (the ETA's)
        self.pending = {id(c): planned_key(c) for c in configs}
        if sweep.retry_timeouts or sweep.force:
            self.stored_timeouts = {}
        self.done_elsewhere: set = set()
        self.too_big = TooBig(self.stored_timeouts)       # what a timeout, stored or this sweep's, speaks for
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
        behind = self.first_round.behind(key, self.sweep.drop_slow)
        if behind:
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
                                 and not self.first_round.behind(k, self.sweep.drop_slow))
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
        self.first_round.note(row)
        if status == "ok":
            status += f" (training {row['train_s']:.1f} s, {short_quality(row)}{busy.short(row)})"
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
            try:
                if cluster is None:
                    _run_local(configs, progress, store)
                else:
                    cluster.run(configs, progress, store)
            except (KeyboardInterrupt, RowNotStored) as stop:
                progress.stopped(stop)
                raise
    finally:
        if cluster is not None:
            cluster.close()
    return progress.counts
