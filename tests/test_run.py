"""Runs: real child processes, the append-only store, determinism, nothing lost."""
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backends import BACKENDS, UserError, make_circuit
from harness.inputs.config import RunConfig
from harness.executing.runner import run_config
from harness.results.store import read_frame, read_rows, store_path
from harness.measuring.train import train
from held import alive

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "runs.jsonl"

FIELDS = ["task", "backend", "circuit", "seed", "shots", "threads", "epochs", "batch_size", "lr",
          "setup_s", "train_s", "first_step_s", "steady_step_s", "epoch_s", "quantum_forward_s",
          "quantum_backward_s", "eval_s", "run_cpu_s", "train_effective_cores", "run_peak_rss_mib",
          "train_peak_rss_mib", "setup_peak_rss_mib", "run_peak_threads", "run_peak_children", "train_peak_threads",
          "train_peak_children", "steady_step_stats_s", "gradient_computed_in", "value_executions_per_eval",
          "gradient_executions_per_eval", "adjoint_passes_per_eval", "env", "train_accuracy", "test_accuracy", "final_loss", "loss_per_epoch", "versions",
          "machine", "thread_env", "git_commit", "timestamp", "status", "schema_version"]


SMALL = dict(task="moons", backend="torch", epochs=2, train_size=20, test_size=5, threads=1)


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """One real ``python -m harness run --json`` of SMALL (seed 0), made once: (process, results folder)."""
    results = tmp_path_factory.mktemp("cli-run")
    result = subprocess.run([sys.executable, "-m", "harness", "run", "--backend", "torch", "--epochs", "2",
                             "--train-size", "20", "--test-size", "5", "--results", str(results), "--json",
                             "--threads", "1"], cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    return result, results


def test_run_in_a_child_records_a_full_row_and_prints_json(cli_run):
    result, results = cli_run
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert [f for f in FIELDS if f not in row] == []
    assert row["status"] == "ok" and row["task"] == "moons" and row["epochs"] == 2
    assert len(row["loss_per_epoch"]) == 2 and len(row["epoch_s"]) == 2
    assert row["steps"] == 2 * (20 // 5)          # moons' batch of 5
    assert 0 < row["quantum_forward_s"] + row["quantum_backward_s"] < row["train_s"]
    assert row["run_peak_rss_mib"] > 50 and row["run_cpu_s"] > 0 and row["run_peak_threads"] >= 1
    assert 50 < row["train_peak_rss_mib"] <= row["run_peak_rss_mib"]
    assert row["train_peak_threads"] <= row["run_peak_threads"]
    assert row["steady_step_stats_s"]["n"] == row["steps"] - 1
    # torch: one batched simulation of the 5 samples, autograd for the gradient (nothing extra simulated)
    assert (row["value_executions_per_eval"], row["gradient_executions_per_eval"],
            row["adjoint_passes_per_eval"], row["gradient_computed_in"]) == (5, 0, 0, "backward call")
    assert row["thread_env"]["OMP_NUM_THREADS"] == "1" and row["torch_threads"] == 1
    assert row["versions"]["torch"].startswith("2.")
    assert "epoch 2/2" in result.stderr and "accuracy train" in result.stderr
    stored = read_rows(results).rows
    assert stored == [row]
    frame = read_frame(results)
    assert frame.loc[0, "versions.torch"] == row["versions"]["torch"]


def test_same_seed_gives_the_same_loss_curve_in_fresh_processes(cli_run, tmp_path):
    # a second fresh process, from the library this time, of the command line's configuration
    first = json.loads(cli_run[0].stdout)
    again = run_config(RunConfig(**SMALL, seed=0), tmp_path, echo=None)
    assert first["status"] == again["status"] == "ok" and first["seed"] == 0
    assert again["loss_per_epoch"] == first["loss_per_epoch"]
    # the curve does depend on the seed (else the equality above says nothing); this process serves for that
    other = train(RunConfig(**SMALL, seed=4).resolve(), 0.0, progress=lambda msg: None)
    assert all(not math.isclose(x, y, rel_tol=1e-3) for x, y in zip(first["loss_per_epoch"], other["loss_per_epoch"]))


EXACT = [n for n in BACKENDS if n != "classical" and not BACKENDS[n].refuses(make_circuit("moons"))]


def test_every_exact_backend_starts_equal_on_moons():
    """Same seed -> same classical layers, same circuit weights, same data: first-epoch losses agree."""
    losses = {}
    for name in EXACT:
        cfg = RunConfig(task="moons", backend=name, seed=0, epochs=1, train_size=10, test_size=5,
                        threads=1).resolve()
        losses[name] = train(cfg, setup_started=0.0, progress=lambda msg: None)["loss_per_epoch"][0]
    ref = losses["torch"]
    assert all(math.isclose(v, ref, abs_tol=1e-4) for v in losses.values()), losses


def test_a_timeout_leaves_a_timeout_row_and_earlier_rows_intact(tmp_path, held):
    shutil.copy(GOLDEN, store_path(tmp_path))           # earlier rows, to be kept byte for byte
    before = store_path(tmp_path).read_bytes()
    # the child is held at its start (see tests/held.py): it cannot finish within any timeout
    slow = run_config(RunConfig(task="moons", backend="torch", epochs=1, timeout_s=0.5), tmp_path, echo=None)
    assert slow["status"] == "timeout" and slow["error"].startswith("timed out after 0.5 s")
    assert 0.5 <= slow["run_wall_s"] < 0.5 + 5             # killed at its timeout, not left to run on
    (child,) = held.pids()
    assert not alive(child)                                 # ended at the timeout, not left behind
    after = store_path(tmp_path).read_bytes()
    assert after.startswith(before)
    assert [r["status"] for r in read_rows(tmp_path).rows][-1:] == ["timeout"]
    assert len(read_rows(tmp_path).rows) == len(before.splitlines()) + 1


def test_bad_mnist_files_are_refused_in_the_parent_before_any_child_or_row(tmp_path, bad_mnist_dir):
    with pytest.raises(UserError) as err:
        run_config(RunConfig(task="mnist01", backend="torch", epochs=1, data_dir=str(bad_mnist_dir)),
                   tmp_path / "res", echo=None)
    assert "train-images-idx3-ubyte: expected a 16-byte header for 3 dimensions, found 11 bytes" in str(err.value)
    assert not (tmp_path / "res").exists()


def test_corrupt_and_foreign_lines_are_reported_and_skipped_never_rewritten(tmp_path, capsys, held):
    store = store_path(tmp_path)
    garbage = b'{"schema_version": 1, "status": "ok"\n{"hello": "world"}\nnot json at all\n{"schema_version": 1, "tor'
    store.write_bytes(garbage)                 # the last line is torn: no newline
    # the row of a held child's timeout (tests/held.py): appending is what is tested, not training
    row = run_config(RunConfig(task="moons", backend="classical", epochs=1, timeout_s=0.3), tmp_path, echo=None)
    assert row["status"] == "timeout"
    data = store.read_bytes()
    assert data.startswith(garbage + b"\n")    # untouched, and the new row starts on its own line
    read = read_rows(tmp_path, warn=True)
    assert [r["run_id"] for r in read.rows] == [row["run_id"]]
    assert len(read.problems) == 4
    err = capsys.readouterr().err
    assert "runs.jsonl line 2: not a harness row of schema 2 (schema_version=None); left out" in err
    assert "runs.jsonl line 3: not a JSON row (Expecting value); left out" in err
    assert len(err.strip().splitlines()) == 4


@pytest.mark.parametrize("circuit,batch", [("textbook", 1), ("textbook", 4), ("tutorial", 3)])
def test_mnist_model_keeps_the_batch_dimension(circuit, batch):
    cfg = RunConfig(task="mnist37", backend="torch", circuit=circuit, epochs=1, batch_size=batch,
                    train_size=6, test_size=3, threads=1).resolve()
    figures = train(cfg, 0.0, progress=lambda msg: None)
    assert figures["steps"] == 12 // batch and figures["n_test"] == 6


@pytest.mark.parametrize("kwargs,message", [
    (dict(task="nope"), "unknown task 'nope'; valid: moons, mnist01, mnist37, scaling"),
    (dict(task="moons", circuit="tutorial"), "task 'moons' runs circuits moons or a circuit file; received 'tutorial'"),
    (dict(task="moons", qubits=4), "--qubits and --layers size the entangler circuit"),
    (dict(task="moons", digits=(3, 7)), "--digits applies to the MNIST tasks"),
    (dict(task="mnist01", digits=(3, 3)), "digits must be two different digits 0-9"),
    (dict(task="moons", backend="default-adjoint", shots=100), "backend 'default-adjoint' cannot sample shots"),
    (dict(task="moons", batch_size=500), "batch size 500 is larger than the 200 training samples"),
    (dict(task="mnist01", data_dir="/nonexistent"), "data dir '/nonexistent' is not a folder"),
])
def test_bad_run_configs_are_refused_before_any_child_starts(kwargs, message):
    with pytest.raises(UserError) as err:
        RunConfig(**kwargs).resolve()
    assert message in str(err.value)


def test_run_command_bad_input_is_one_line(run_cli, tmp_path):
    result = run_cli("run", "--backend", "nope", "--results", str(tmp_path))
    assert result.returncode == 2 and result.stderr.startswith("error: unknown backend 'nope'")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not store_path(tmp_path).exists()


def test_scaling_scores_only_its_test_set():
    """The scaling workload times steps: its training set is not scored (moons' still is)."""
    from harness.results.quality import quality_line
    scaling = train(RunConfig(task="scaling", backend="torch", qubits=2, layers=1, epochs=1, train_size=32,
                              test_size=16, threads=1).resolve(), 0.0, progress=lambda msg: None)
    assert scaling["train_accuracy"] is None and scaling["test_accuracy"] in {k / 16 for k in range(17)}
    assert quality_line(scaling).startswith("accuracy test ") and "train" not in quality_line(scaling)
    moons = train(RunConfig(task="moons", backend="torch", epochs=1, train_size=20, test_size=10,
                            threads=1).resolve(), 0.0, progress=lambda msg: None)
    assert moons["train_accuracy"] in {k / 20 for k in range(21)}
