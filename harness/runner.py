"""Run one configuration in a fresh child process and record its row.

Each run gets a new interpreter (``python -m harness.child``), never a fork, in
its own session so a timeout kills the whole process group. Thread variables
go into its environment before it starts. Whatever happens to the child (a
crash, an exception, a timeout, the out-of-memory killer, Ctrl-C) the run ends
as one row in the store with its status and the tail of its error output.
"""
from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from . import provenance
from .provenance import BUDGET_VARS
from .config import RunConfig
from .quality import quality_line
from .store import SCHEMA_VERSION, append_row

ROOT = Path(__file__).resolve().parents[1]
TAIL_LINES = 30


def child_env(threads: int, explicit=()) -> dict:
    """The child's environment: the user's own, the thread budget, and the run's explicit settings.

    Nothing else is forced: an OpenMP wait policy, for one, is left to the user
    (or to ``--env``), since it changes lightning's timings by 2x on small
    circuits; whatever the child sees is recorded in its row.
    """
    env = dict(os.environ)
    for var in BUDGET_VARS:
        env[var] = str(threads)
    env.update(dict(explicit))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONWARNINGS"] = env.get("PYTHONWARNINGS", "ignore::DeprecationWarning")
    return env


def _pump(stream, tail: collections.deque, echo):
    for line in iter(stream.readline, ""):
        tail.append(line.rstrip("\n"))
        if echo:
            echo.write(line)
            echo.flush()
    stream.close()


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def run_config(cfg: RunConfig, results_dir="results", echo=sys.stderr) -> dict:
    """Resolve ``cfg``, train it in a child process, append its row and return the row."""
    cfg = cfg.resolve()
    env = child_env(cfg.threads, cfg.env)
    tail: collections.deque = collections.deque(maxlen=TAIL_LINES)
    status, error, figures, returncode = "failed", None, {}, None
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="harness-run-") as tmp:
        result_path = os.path.join(tmp, "result.json")
        proc = subprocess.Popen([sys.executable, "-m", "harness.child", result_path], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                start_new_session=True)
        pump = threading.Thread(target=_pump, args=(proc.stdout, tail, echo), daemon=True)
        pump.start()
        try:
            proc.stdin.write(json.dumps(cfg.as_dict()))
            proc.stdin.close()
            returncode = proc.wait(timeout=cfg.timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            status, error = "timeout", f"timed out after {cfg.timeout_s:g} s"
        except KeyboardInterrupt:
            _kill_group(proc)
            status, error = "killed", "interrupted by the user (Ctrl-C)"
            _record(cfg, results_dir, status, error, tail, figures, proc.returncode, started)
            raise
        pump.join(timeout=5)
        if status != "timeout":
            if returncode == 0 and os.path.exists(result_path):
                with open(result_path) as fh:
                    figures = json.load(fh)
                status = "ok"
            elif returncode is not None and returncode < 0:
                status = "killed"
                error = f"killed by {_signal_name(returncode)}" + (
                    " (often the out-of-memory killer)" if returncode == -signal.SIGKILL else "")
            else:
                status = "failed"
                error = f"exited with status {returncode}"
    return _record(cfg, results_dir, status, error, tail, figures, returncode, started)


def _kill_group(proc):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=3)
            return
        except subprocess.TimeoutExpired:
            continue


def _record(cfg, results_dir, status, error, tail, figures, returncode, started) -> dict:
    row = {"schema_version": SCHEMA_VERSION, "run_id": uuid.uuid4().hex[:12], "status": status}
    row.update(cfg.as_dict())
    row.pop("data_dir", None)
    row["run_wall_s"] = time.perf_counter() - started
    row.update(figures)
    row["returncode"] = returncode
    row["error"] = None if status == "ok" else (error or "") + ("\n" + "\n".join(tail) if tail else "")
    row.update({k: v for k, v in provenance.collect(child_env(cfg.threads, cfg.env)).items()
                if k not in figures})      # what the child saw (its thread_env) wins
    append_row(results_dir, row)
    return row


def _mib(value) -> str:
    return "-" if value is None else f"{value:.0f} MiB"


def _policy(row: dict) -> str:
    env = row.get("thread_env") or {}
    return f"OMP_WAIT_POLICY={env['OMP_WAIT_POLICY']}" if "OMP_WAIT_POLICY" in env else "OMP_WAIT_POLICY unset"


def summary(row: dict) -> str:
    """The run's figures for a person, each naming its span and unit."""
    head = (f"{row['task']} on {row['backend']} (seed {row['seed']}, {row['threads']} threads, "
            f"{_policy(row)}): {row['status']}")
    if row["status"] != "ok":
        last = (row.get("error") or "").strip().splitlines()
        return head + (f"\n  {last[0]}" if last else "") + (f"\n  ...{last[-1]}" if len(last) > 1 else "")
    train_s = row["train_s"]
    q_share = (row["quantum_forward_s"] + row["quantum_backward_s"]) / train_s if train_s else 0
    steps = row.get("steady_step_stats_s") or {}
    spread = (f", IQR {steps['q1'] * 1e3:.1f}-{steps['q3'] * 1e3:.1f} ms over {steps['n']}" if steps else "")
    in_forward = row.get("gradient_computed_in") == "forward call"
    forward_label = "forward call (holds the gradient: computed there)" if in_forward else "forward call"
    backward_label = "backward call (only contracts it)" if in_forward else "backward call (computes the gradient)"
    work = ""
    if row.get("value_executions_per_eval") is not None:
        work = (f"\n  circuits simulated per forward+backward of a batch: {row['value_executions_per_eval']} for values, "
                f"{row['gradient_executions_per_eval']} shifted for the gradient, "
                f"{row['adjoint_passes_per_eval']} adjoint passes")
    return "\n".join([
        head,
        f"  training {train_s:.2f} s wall ({row['steps']} steps; first {row['first_step_s'] * 1e3:.1f} ms, "
        f"steady median {row['steady_step_s'] * 1e3:.1f} ms{spread})",
        f"  setup {row['setup_s']:.2f} s, evaluation {row['eval_s']:.2f} s (no gradients), "
        f"whole child {row.get('child_wall_s', float('nan')):.2f} s",
        f"  quantum layer {100 * q_share:.0f}% of training: {forward_label} {row['quantum_forward_s']:.2f} s, "
        f"{backward_label} {row['quantum_backward_s']:.2f} s" + work,
        f"  training: peak memory {_mib(row.get('train_peak_rss_mib'))}, {row['train_effective_cores']:.2f} cores busy, "
        f"peak {row.get('train_peak_threads')} threads, {row.get('train_peak_children')} child processes",
        f"  whole run: peak memory {_mib(row.get('run_peak_rss_mib'))}, peak {row.get('run_peak_threads')} threads",
        f"  {quality_line(row)}, final loss {row['final_loss']:.4f} (mean over the last epoch)"
        + (f" ({row['function_evals']} function evaluations, median {row['steady_function_eval_s'] * 1e3:.1f} ms)"
           if row.get("function_evals_per_step") else ""),
    ])
