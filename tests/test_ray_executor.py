"""The Ray executor with a real local Ray instance (loopback only), against the local executor.

Each test starts its own instance through the sweep and the sweep shuts it
down; every run is a tiny moons configuration, so the module stays within
about a minute.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("ray")

from harness.inputs.config import RunConfig  # noqa: E402
from harness.results.store import read_rows, store_path  # noqa: E402
from harness.executing.sweep import SweepConfig, run_sweep  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = RunConfig(epochs=1, train_size=20, test_size=10, threads=1)
# identity and quality: what must not depend on the executor
SAME = ("task", "backend", "seed", "threads", "env", "thread_env", "epochs", "batch_size", "lr", "train_size",
        "test_size", "status", "loss_per_epoch", "final_loss", "train_accuracy", "test_accuracy", "steps",
        "value_executions_per_eval", "code_version")


def _by_config(rows):
    return {(r["backend"], r["seed"]): r for r in rows}


def test_a_ray_sweep_stores_what_the_local_executor_stores(tmp_path, capsys):
    sweep = SweepConfig(backends=("torch", "classical"), tasks=("moons",), seeds=(0, 1), base=TINY)
    local = run_sweep(sweep, tmp_path / "local")
    ray = run_sweep(sweep, tmp_path / "ray", executor="ray", per_node=2)
    assert local["ok"] == ray["ok"] == 4
    err = capsys.readouterr().err
    assert "warning: --per-node 2: up to 2 runs share each node at once" in err
    a, b = _by_config(read_rows(tmp_path / "local").rows), _by_config(read_rows(tmp_path / "ray").rows)
    assert a.keys() == b.keys()
    for key in a:
        assert {k: a[key][k] for k in SAME} == {k: b[key][k] for k in SAME}, key
        # the same fields, plus what says where and how it ran
        assert set(b[key]) - set(a[key]) == {"ray_node_id", "executor_overhead_s"}
        assert (a[key]["executor"], b[key]["executor"]) == ("local", "ray")
        # Ray's workers run with OMP_NUM_THREADS=1 of their own: the child saw the run's budget and nothing of Ray's
        assert b[key]["thread_env"]["OMP_NUM_THREADS"] == "1" and b[key]["machine"]["hostname"]
        assert 0 <= b[key]["executor_overhead_s"] < 30
    # resuming skips what is stored, as locally
    again = run_sweep(sweep, tmp_path / "ray", executor="ray", per_node=2)
    assert again["skipped (stored)"] == 4 and again["ok"] == 0


def test_a_failing_child_and_a_timeout_become_rows_through_ray(tmp_path):
    # Python itself refuses this value at start-up: a child that fails after validation passed
    failing = SweepConfig(backends=("classical",), tasks=("moons",), seeds=(0,),
                          base=RunConfig(epochs=1, train_size=20, test_size=10, threads=1,
                                         env=(("PYTHONHASHSEED", "not-a-number"),)))
    slow = SweepConfig(backends=("torch",), tasks=("moons",), seeds=(0,),
                       base=RunConfig(epochs=1, train_size=20, test_size=10, threads=1, timeout_s=0.5))
    counts = run_sweep(failing, tmp_path, executor="ray")
    counts_slow = run_sweep(slow, tmp_path, executor="ray")
    assert counts["failed"] == 1 and counts_slow["timeout"] == 1
    failed, timed_out = read_rows(tmp_path).rows
    assert failed["status"] == "failed" and "PYTHONHASHSEED" in failed["error"]
    assert timed_out["status"] == "timeout" and "timed out after 0.5 s" in timed_out["error"]
    assert failed["executor"] == timed_out["executor"] == "ray"


def test_an_interrupted_ray_sweep_records_what_ran_and_resumes(tmp_path):
    args = [sys.executable, "-m", "harness", "sweep", "--executor", "ray", "--backends", "torch,classical",
            "--tasks", "moons", "--seeds", "0,1,2", "--epochs", "1", "--train-size", "20", "--test-size", "10",
            "--threads", "1", "--results", str(tmp_path)]
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (store_path(tmp_path).exists() and store_path(tmp_path).read_text()):
        time.sleep(0.2)
    assert store_path(tmp_path).exists(), proc.communicate(timeout=30)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "sweep stopped after" in err
    rows = read_rows(tmp_path).rows
    assert rows and all(r["executor"] == "ray" for r in rows)
    killed = [r for r in rows if r["status"] == "killed"]
    assert all("SIGTERM" in r["error"] and "Ray task was cancelled" in r["error"] for r in killed)
    ok_before = {(r["backend"], r["seed"]) for r in rows if r["status"] == "ok"}
    again = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    ok_after = [(r["backend"], r["seed"]) for r in read_rows(tmp_path).rows if r["status"] == "ok"]
    assert sorted(set(ok_after)) == sorted((b, s) for b in ("torch", "classical") for s in (0, 1, 2))
    assert len(ok_after) == len(set(ok_after))          # nothing stored as ok ran twice
    assert f"{len(ok_before)} skipped (stored)" in again.stderr or not ok_before


def test_bad_ray_options_are_one_line(run_cli, tmp_path):
    result = run_cli("sweep", "--executor", "local", "--per-node", "2", "--results", str(tmp_path))
    assert result.returncode == 2 and result.stderr.strip() == "error: --address and --per-node apply to --executor ray"
    result = run_cli("sweep", "--executor", "ray", "--threads", "64", "--backends", "torch", "--epochs", "1",
                     "--results", str(tmp_path))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: 64 threads per run do not fit any Ray node")
    assert not store_path(tmp_path).exists()
