"""`python -m harness sweep`: a grid of runs, one fresh child process at a time.

The grid is backends x tasks x seeds x (qubits, layers, batch size); qubits
and layers only vary the scaling task. Runs go one after another by default,
so timings do not disturb each other. A sweep is resumable: a configuration
already stored as ok is skipped (``force`` re-runs it). A failed or timed-out
run is recorded and the sweep goes on; on the scaling task, once a size times
out (or is killed), larger qubit counts of that backend, layer count and batch
size are skipped, since they would only time out again.
"""
from __future__ import annotations

import dataclasses
import itertools
import random
import sys
import time
from dataclasses import dataclass

from backends import BACKENDS, UserError, make_circuit

from .config import RunConfig
from .provenance import code_version, thread_env
from .quality import short_quality
from .runner import child_env, run_config
from .store import read_rows
from .tasks import TASKS

# the fields that identify a configuration; the timeout does not change what is measured.
# thread_env is the thread-related environment the child sees (the user's own and --env):
# a stored run measured under another OpenMP policy is another configuration.
KEY_FIELDS = ("task", "backend", "circuit", "qubits", "layers", "digits", "seed", "shots", "threads", "env",
              "thread_env", "epochs", "batch_size", "lr", "train_size", "test_size")


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


def expand(sweep: SweepConfig) -> list[RunConfig]:
    """Every resolved configuration of the grid, in run order (validates all of them first).

    Repeats are the outer loop: round r runs seed r of every configuration,
    with the backends in an order shuffled per round (fixed by ``ORDER_SEED``),
    so a slow spell of a shared machine spreads over every backend instead of
    landing on the seeds of one. Within a round, sizes go up (qubits ascending),
    so a timeout can stop the larger sizes of its backend.
    """
    names = list(BACKENDS) if "all" in sweep.backends else list(sweep.backends)
    if "all" in sweep.backends:
        names = [n for n in names if BACKENDS[n].available and (sweep.base.shots is None or BACKENDS[n].shots)]
    tasks = list(TASKS) if "all" in sweep.tasks else list(sweep.tasks)
    if not names or not tasks or not sweep.seeds:
        raise UserError("a sweep needs at least one backend, task and seed")
    blocks = []                     # (task, qubits, layers, batch size, backends that serve it)
    for task in tasks:
        sizable = TASKS.get(task) is not None and TASKS[task].circuit == "entangler"
        qubits = (sweep.qubits or (None,)) if sizable else (None,)
        layers = (sweep.layers or (None,)) if sizable else (None,)
        batches = sweep.batch_sizes or (None,)
        task_names = names
        if "all" in sweep.backends and task in TASKS:   # 'all' means every backend that serves the task's circuit
            circuit = make_circuit(sweep.base.circuit or TASKS[task].circuit)
            task_names = [n for n in names if not BACKENDS[n].refuses(circuit)]
        for q, l, b in itertools.product(qubits, layers, batches):
            blocks.append((task, q, l, b, set(task_names)))
    configs = []
    for r, seed in enumerate(sweep.seeds):
        order = round_order(names, r)
        for task, q, l, b, served in blocks:
            for name in order:
                if name in served:
                    cfg = dataclasses.replace(sweep.base, task=task, backend=name, seed=seed, qubits=q, layers=l,
                                              batch_size=b if b is not None else sweep.base.batch_size)
                    configs.append(cfg.resolve())
    return configs


def _eta(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


def _bar(done: int, total: int, width: int = 24) -> str:
    filled = int(width * done / total) if total else width
    return "#" * filled + "-" * (width - filled)


def _stored_ok(results_dir, rerun_other_code: bool, out) -> set:
    """Keys of the configurations stored as ok, by this code (and, unless re-running them, by other code)."""
    here = code_version()
    ok = [r for r in read_rows(results_dir).rows if r.get("status") == "ok"]
    other = [r for r in ok if r.get("code_version") != here]
    if other:
        versions = sorted({str(r.get("code_version") or "unrecorded") for r in other})
        what = "will be re-run" if rerun_other_code else "are kept (re-run them with --rerun-other-code)"
        print(f"warning: {len(other)} stored ok runs come from other code (code version "
              f"{', '.join(versions[:3])}{' ...' if len(versions) > 3 else ''}; this code is {here}); they {what}",
              file=out, flush=True)
    return {config_key(r) for r in ok if not (rerun_other_code and r.get("code_version") != here)}


def run_sweep(sweep: SweepConfig, results_dir="results", out=None) -> dict:
    out = out or sys.stderr
    configs = expand(sweep)
    stored_ok = _stored_ok(results_dir, sweep.rerun_other_code, out)
    counts = {"ok": 0, "failed": 0, "timeout": 0, "killed": 0, "skipped (stored)": 0, "skipped (too big)": 0}
    # (backend, task, layers, batch) -> (qubits, seed) of the smallest size that ran out of time
    too_big: dict[tuple, tuple[int, int]] = {}
    spent, ran = 0.0, 0
    total = len(configs)
    for i, cfg in enumerate(configs, 1):
        label = f"{cfg.task} {cfg.backend} seed {cfg.seed}" + (
            f" q{cfg.qubits} l{cfg.layers} b{cfg.batch_size}" if cfg.qubits else "")
        size_key = (cfg.backend, cfg.task, cfg.layers, cfg.batch_size)
        limit, limit_seed = too_big.get(size_key, (None, None))
        if not sweep.force and planned_key(cfg) in stored_ok:
            counts["skipped (stored)"] += 1
            status = "stored"
        elif cfg.qubits and limit is not None and (cfg.qubits > limit or (cfg.qubits == limit and cfg.seed != limit_seed)):
            # larger sizes would only time out again; the same size is not retried with other seeds
            counts["skipped (too big)"] += 1
            status = f"skipped: {limit} qubits ran out of time (seed {limit_seed})"
        else:
            eta = f" ETA {_eta(spent / ran * (total - i + 1))}" if ran else ""
            print(f"[{_bar(i - 1, total)}] {i}/{total}{eta}  {label} ...", file=out, flush=True)
            start = time.perf_counter()
            row = run_config(cfg, results_dir, echo=None)
            spent += time.perf_counter() - start
            ran += 1
            status = row["status"]
            counts[status] += 1
            if status in ("timeout", "killed") and cfg.qubits and (limit is None or cfg.qubits < limit):
                too_big[size_key] = (cfg.qubits, cfg.seed)
            if status == "ok":
                status += f" ({row['train_s']:.1f} s, {short_quality(row)})"
            else:
                status += ": " + (row.get("error") or "").strip().splitlines()[0]
        print(f"[{_bar(i, total)}] {i}/{total}  {label}: {status}", file=out, flush=True)
    return counts
