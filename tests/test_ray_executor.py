"""The Ray executor with a real local Ray instance (loopback only), against the local executor.

Tests that are not about starting or stopping Ray share one instance of this
module (``ray_address``): the sweeps join it by address, so they leave it
running. The stop and the out-of-memory tests run the CLI with a Ray of its
own, since a signal and the memory monitor's setting belong to one instance.
Every run is a tiny moons configuration, except the long ones that are there
to be stopped.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import psutil
import pytest
from held import Holder

pytest.importorskip("ray")

import ray  # noqa: E402
from ray import exceptions as rx  # noqa: E402

from backends import UserError  # noqa: E402
from harness.executing.ray_executor import RayCluster, ray_outcome  # noqa: E402
from harness.executing.sweep import Progress, SweepConfig, expand, run_sweep  # noqa: E402
from harness.inputs.config import RunConfig  # noqa: E402
from harness.results.provenance import allowed_cpus  # noqa: E402
from harness.results.store import RowNotStored, Store, read_rows, store_path  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = RunConfig(epochs=1, train_size=20, test_size=10, threads=1)
# a run of minutes (about 2 s per 100 epochs), far longer than a test waits for it: only a stop ends it in time
LONG = RunConfig(epochs=10000, train_size=200, test_size=10, threads=1, timeout_s=120)
# identity and quality: what must not depend on the executor
SAME = ("task", "backend", "seed", "threads", "env", "thread_env", "epochs", "batch_size", "lr", "train_size",
        "test_size", "status", "loss_per_epoch", "final_loss", "train_accuracy", "test_accuracy", "steps",
        "value_executions_per_eval", "code_version")
CLI = [sys.executable, "-m", "harness", "sweep", "--executor", "ray", "--tasks", "moons", "--epochs", "1",
       "--train-size", "20", "--test-size", "10", "--threads", "1"]


@pytest.fixture(scope="module")
def ray_address():
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    context = ray.init(num_cpus=allowed_cpus(), _node_ip_address="127.0.0.1", include_dashboard=False,
                       log_to_driver=False, configure_logging=False)
    yield context.address_info["address"]
    ray.shutdown()


def _by_config(rows):
    return {(r["backend"], r["seed"]): r for r in rows}


def _children():
    """The run children (``harness.measuring.child``) among this process's descendants: under our Ray only."""
    found = []
    for proc in psutil.Process().children(recursive=True):
        try:
            if "harness.measuring.child" in " ".join(proc.cmdline()):
                found.append(proc)
        except psutil.NoSuchProcess:
            pass
    return found


def _wait_for_child(timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := _children():
            return found[0]
        time.sleep(0.1)
    raise AssertionError("no run child started")


def _run(cluster, sweep, results_dir, store=None):
    """The executor's own loop on ``sweep``, as ``run_sweep`` drives it; returns the counts."""
    configs = expand(sweep)
    with Store(results_dir) as real:
        progress = Progress(sweep, results_dir, sys.stderr, len(configs))
        cluster.run(configs, progress, store or real)
    return progress.counts


def test_a_ray_sweep_stores_what_the_local_executor_stores(ray_address, tmp_path, capsys):
    sweep = SweepConfig(backends=("torch",), tasks=("moons",), seeds=(0,), base=TINY)
    local = run_sweep(sweep, tmp_path / "local")
    ray_counts = run_sweep(sweep, tmp_path / "ray", executor="ray", address=ray_address, per_node=2)
    assert local["ok"] == ray_counts["ok"] == 1
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
    again = run_sweep(sweep, tmp_path / "ray", executor="ray", address=ray_address, per_node=2)
    assert again["skipped (stored)"] == 1 and again["ok"] == 0
    assert ray.is_initialized()            # a joined instance is left to its owner


def test_a_failing_child_and_a_timeout_become_rows_through_ray(ray_address, tmp_path):
    # Python itself refuses this value at start-up: a child that fails after validation passed
    failing = SweepConfig(backends=("classical",), tasks=("moons",), seeds=(0,),
                          base=RunConfig(epochs=1, train_size=20, test_size=10, threads=1,
                                         env=(("PYTHONHASHSEED", "not-a-number"),)))
    # held at its start (tests/held.py), so the timeout cannot lose a race with a fast import of torch
    holder = Holder(tmp_path / "held")
    slow = SweepConfig(backends=("torch",), tasks=("moons",), seeds=(0,),
                       base=RunConfig(epochs=1, train_size=20, test_size=10, threads=1, timeout_s=0.5,
                                      env=(("PYTHONPATH", str(holder.path)),)))
    counts = run_sweep(failing, tmp_path, executor="ray", address=ray_address)
    counts_slow = run_sweep(slow, tmp_path, executor="ray", address=ray_address)
    assert counts["failed"] == 1 and counts_slow["timeout"] == 1
    failed, timed_out = read_rows(tmp_path).rows
    assert failed["status"] == "failed" and "PYTHONHASHSEED" in failed["error"]
    assert timed_out["status"] == "timeout" and "timed out after 0.5 s" in timed_out["error"]
    assert failed["executor"] == timed_out["executor"] == "ray"
    assert len(holder.pids()) == 1


def test_a_task_that_raises_or_whose_worker_dies_becomes_its_row(ray_address, tmp_path):
    sweep = SweepConfig(backends=("classical",), tasks=("moons",), seeds=(0, 1), base=TINY)
    cluster = RayCluster(ray_address, 1, expand(sweep), sys.stderr)

    def on_node(cfg_dict, driver_thread_env):    # a real Ray task in place of the run: it breaks as a bug would
        if cfg_dict["seed"] == 0:
            raise RuntimeError("the harness broke on the node")
        os._exit(3)                              # the worker process itself is gone

    cluster.remote = ray.remote(on_node)
    counts = _run(cluster, sweep, tmp_path)
    assert counts["failed"] == 1 and counts["killed"] == 1
    rows = {r["seed"]: r for r in read_rows(tmp_path).rows}
    raised, died = rows[0], rows[1]
    assert raised["status"] == "failed"
    assert raised["error"].startswith("the run failed on its Ray node: RuntimeError: the harness broke on the node")
    assert "in on_node\n    raise RuntimeError(" in raised["error"]       # the task's own traceback
    assert "\x1b[" not in raised["error"]
    assert died["status"] == "killed" and died["error"] == "its Ray worker died (WorkerCrashedError)"
    assert {raised["executor"], died["executor"]} == {"ray"} and died["machine"]["hostname"]


def test_a_running_task_cancelled_through_ray_is_a_killed_row_and_its_child_ends(ray_address, tmp_path):
    assert not _children()                       # the child found below is this run's
    sweep = SweepConfig(backends=("classical",), tasks=("moons",), seeds=(0,), base=LONG)
    cluster = RayCluster(ray_address, 1, expand(sweep), sys.stderr)
    submitted = []

    class Recording:                             # the executor's own task, its object refs kept for ray.cancel
        def __init__(self, remote):
            self.function, self.task = remote, None

        def options(self, **options):
            self.task = self.function.options(**options)
            return self

        def remote(self, *args):
            submitted.append(self.task.remote(*args))
            return submitted[-1]

    cluster.remote = Recording(cluster.remote)
    children = []

    def cancel_once_running():
        children.append(_wait_for_child())
        ray.cancel(submitted[0])                 # not forced: Ray interrupts the task inside its worker

    canceller = threading.Thread(target=cancel_once_running)
    canceller.start()
    start = time.monotonic()
    counts = _run(cluster, sweep, tmp_path)
    canceller.join()
    assert counts["killed"] == 1 and time.monotonic() - start < 60
    (row,) = read_rows(tmp_path).rows
    # a cancel that reaches a running task comes back as a RayTaskError: it is still no failure of the run
    assert row["status"] == "killed" and row["error"] == "the Ray task was cancelled"
    children[0].wait(timeout=10)                 # the run's child ended with its task
    assert not children[0].is_running()


def test_an_error_in_the_driver_records_every_run_in_flight(ray_address, tmp_path):
    if allowed_cpus() < 2:
        pytest.skip("two runs at once need two CPUs")
    short = SweepConfig(backends=("classical",), tasks=("moons",), seeds=(0,), base=TINY)
    long = SweepConfig(backends=("classical",), tasks=("moons",), seeds=(1,), base=LONG)
    sweep = SweepConfig(backends=("classical",), tasks=("moons",), seeds=(0, 1), base=TINY)
    configs = expand(short) + expand(long)
    cluster = RayCluster(ray_address, 2, configs, sys.stderr)

    class RefusesFirstRow:                       # a store whose disk fills up after the first run finishes
        def __init__(self, store):
            self.store, self.refused = store, False

        def append(self, row):
            if not self.refused:
                self.refused = True
                raise RowNotStored("no space left on device", row, None)
            self.store.append(row)

    with Store(tmp_path) as real, pytest.raises(RowNotStored):
        cluster.run(configs, Progress(sweep, tmp_path, sys.stderr, 2), RefusesFirstRow(real))
    (row,) = read_rows(tmp_path).rows            # the refused row is gone; the long run still has its row
    assert (row["seed"], row["status"]) == (1, "killed")
    assert row["error"] == "the sweep stopped: a row could not be stored; the Ray task was cancelled"
    for child in _children():
        child.wait(timeout=10)                   # the cancelled run's child ends with its worker
    assert not _children()


def test_an_interrupted_ray_sweep_records_what_ran_and_resumes(ray_address, tmp_path):
    # the driver joins the module's Ray instance (starting one of its own costs seconds); its SIGTERM still
    # cancels its own tasks there
    args = CLI + ["--backends", "classical", "--seeds", "0,1", "--results", str(tmp_path), "--address", ray_address]
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (store_path(tmp_path).exists() and store_path(tmp_path).read_text()):
        time.sleep(0.1)
    assert store_path(tmp_path).exists(), proc.communicate(timeout=30)
    proc.send_signal(signal.SIGTERM)         # the second run started when the first was stored: it is in flight
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "sweep stopped after 2 of 2 (interrupted by SIGTERM (asked to stop)): 1 ok, 1 killed" in err
    rows = read_rows(tmp_path).rows
    assert [r["status"] for r in rows] == ["ok", "killed"] and all(r["executor"] == "ray" for r in rows)
    killed = rows[1]
    assert killed["error"] == "interrupted by SIGTERM (asked to stop); the Ray task was cancelled"
    # resuming runs exactly what was killed
    again = run_sweep(SweepConfig(backends=("classical",), tasks=("moons",), seeds=(0, 1), base=TINY), tmp_path,
                      executor="ray", address=ray_address)
    assert again["skipped (stored)"] == 1 and again["ok"] == 1
    new = read_rows(tmp_path).rows[len(rows):]
    assert [(r["seed"], r["status"]) for r in new] == [(killed["seed"], "ok")]


def test_a_worker_killed_by_rays_memory_monitor_is_a_killed_row(tmp_path):
    # a memory threshold of 1% of the node: Ray's monitor kills the worker of any task that runs
    env = dict(os.environ, PYTHONPATH=ROOT, RAY_memory_usage_threshold="0.01", RAY_memory_monitor_refresh_ms="100")
    result = subprocess.run(CLI + ["--backends", "classical", "--seeds", "0", "--results", str(tmp_path)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr         # a killed run: the sweep says so in its exit status
    (row,) = read_rows(tmp_path).rows
    assert row["status"] == "killed" and row["executor"] == "ray"
    assert row["error"] == "Ray's memory monitor killed the worker (out of memory)"
    assert "killed: Ray's memory monitor killed the worker (out of memory)" in result.stderr


def test_every_ray_error_maps_to_a_status_and_a_cause():
    # real instances of Ray's exceptions, for the ones a test cannot make a real cluster raise (a lost node)
    lost = rx.ObjectLostError("ab" * 14, None, "")
    raised = rx.RayTaskError("run", "Traceback (most recent call last):\nValueError: bad", ValueError("bad"))
    cancelled = rx.RayTaskError("run", "KeyboardInterrupt", rx.TaskCancelledError()).as_instanceof_cause()
    cases = {
        rx.OutOfMemoryError("1 worker(s) were killed"): ("killed", "Ray's memory monitor killed the worker"),
        rx.TaskCancelledError(): ("killed", "the Ray task was cancelled"),
        cancelled: ("killed", "the Ray task was cancelled"),
        rx.NodeDiedError("node 1 died"): ("killed", "its Ray node was lost (NodeDiedError)"),
        rx.WorkerCrashedError(): ("killed", "its Ray worker died (WorkerCrashedError)"),
        lost: ("killed", "its row was lost with its Ray worker or node (ObjectLostError)"),
        rx.OwnerDiedError("ab" * 14, None, ""): ("killed", "its row was lost with its Ray worker or node (Owner"),
        rx.GetTimeoutError("get timed out"): ("killed", "its row did not reach the driver within"),
        raised.as_instanceof_cause(): ("failed", "the run failed on its Ray node: ValueError: bad"),
        rx.RaySystemError("cannot deserialize"): ("killed", "Ray could not run it (RaySystemError: "),
        rx.ObjectStoreFullError("full"): ("killed", "Ray could not run it (ObjectStoreFullError: full)"),
    }
    for err, (status, start) in cases.items():
        got_status, error, lines = ray_outcome(err)
        assert (got_status, error[:len(start)]) == (status, start), type(err)
        assert bool(lines) == (status == "failed"), type(err)      # only a failure carries a traceback


def test_bad_ray_options_are_one_line(ray_address, run_cli, tmp_path):
    result = run_cli("sweep", "--executor", "local", "--per-node", "2", "--results", str(tmp_path))
    assert result.returncode == 2 and result.stderr.strip() == "error: --address and --per-node apply to --executor ray"
    too_wide = SweepConfig(backends=("torch",), base=RunConfig(epochs=1, threads=64))
    with pytest.raises(UserError) as caught:
        run_sweep(too_wide, tmp_path, executor="ray", address=ray_address)
    assert str(caught.value).startswith("64 threads per run do not fit any Ray node") and "\n" not in str(caught.value)
    assert not store_path(tmp_path).exists()
    with pytest.raises(UserError, match="--per-node must be a whole number of at least 1; received 0"):
        run_sweep(SweepConfig(backends=("torch",), base=TINY), tmp_path, executor="ray", address=ray_address,
                  per_node=0)
    assert ray.is_initialized()
