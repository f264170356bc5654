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
import sys
import time
from dataclasses import dataclass

from backends import BACKENDS, UserError, make_circuit

from .config import RunConfig
from .provenance import thread_env
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


def expand(sweep: SweepConfig) -> list[RunConfig]:
    """Every resolved configuration of the grid, in run order (validates all of them first)."""
    names = list(BACKENDS) if "all" in sweep.backends else list(sweep.backends)
    if "all" in sweep.backends:
        names = [n for n in names if BACKENDS[n].available and (sweep.base.shots is None or BACKENDS[n].shots)]
    tasks = list(TASKS) if "all" in sweep.tasks else list(sweep.tasks)
    if not names or not tasks or not sweep.seeds:
        raise UserError("a sweep needs at least one backend, task and seed")
    configs = []
    for task in tasks:
        sizable = TASKS.get(task) is not None and TASKS[task].circuit == "entangler"
        qubits = (sweep.qubits or (None,)) if sizable else (None,)
        layers = (sweep.layers or (None,)) if sizable else (None,)
        batches = sweep.batch_sizes or (None,)
        task_names = names
        if "all" in sweep.backends and task in TASKS:   # 'all' means every backend that serves the task's circuit
            circuit = make_circuit(sweep.base.circuit or TASKS[task].circuit)
            task_names = [n for n in names if not BACKENDS[n].refuses(circuit)]
        for q, l, b, name, seed in itertools.product(qubits, layers, batches, task_names, sweep.seeds):
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


def run_sweep(sweep: SweepConfig, results_dir="results", out=None) -> dict:
    out = out or sys.stderr
    configs = expand(sweep)
    stored_ok = {config_key(r) for r in read_rows(results_dir).rows if r.get("status") == "ok"}
    counts = {"ok": 0, "failed": 0, "timeout": 0, "killed": 0, "skipped (stored)": 0, "skipped (too big)": 0}
    too_big: dict[tuple, int] = {}          # (backend, layers, batch) -> smallest qubits that timed out
    spent, ran = 0.0, 0
    total = len(configs)
    for i, cfg in enumerate(configs, 1):
        label = f"{cfg.task} {cfg.backend} seed {cfg.seed}" + (
            f" q{cfg.qubits} l{cfg.layers} b{cfg.batch_size}" if cfg.qubits else "")
        size_key = (cfg.backend, cfg.task, cfg.layers, cfg.batch_size, cfg.seed)
        if not sweep.force and planned_key(cfg) in stored_ok:
            counts["skipped (stored)"] += 1
            status = "stored"
        elif cfg.qubits and size_key in too_big and cfg.qubits > too_big[size_key]:
            counts["skipped (too big)"] += 1
            status = f"skipped: {too_big[size_key]} qubits already ran out of time"
        else:
            eta = f" ETA {_eta(spent / ran * (total - i + 1))}" if ran else ""
            print(f"[{_bar(i - 1, total)}] {i}/{total}{eta}  {label} ...", file=out, flush=True)
            start = time.perf_counter()
            row = run_config(cfg, results_dir, echo=None)
            spent += time.perf_counter() - start
            ran += 1
            status = row["status"]
            counts[status] += 1
            if status in ("timeout", "killed") and cfg.qubits:
                too_big[size_key] = min(cfg.qubits, too_big.get(size_key, cfg.qubits))
            if status == "ok":
                status += f" ({row['train_s']:.1f} s, {short_quality(row)})"
            else:
                status += ": " + (row.get("error") or "").strip().splitlines()[0]
        print(f"[{_bar(i, total)}] {i}/{total}  {label}: {status}", file=out, flush=True)
    return counts
