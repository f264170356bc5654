"""Circuit files through run, sweep, check and report: real files, real child processes where that is tested.

The examples' moons files write the built-in moons circuit in Qiskit, OpenQASM 3 and
PennyLane; trained on the same seed they must give the built-in's own losses (the
same function, the same classical layers): an independent reference for the whole path.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from backends import UserError
from harness.executing.sweep import SweepConfig, run_sweep
from harness.inputs.config import RunConfig
from harness.measuring.check import CheckConfig, run_check
from harness.measuring.train import train
from harness.reporting.report import build_report
from harness.results.store import read_rows

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MOONS_FILES = ("moons_qiskit.py", "moons.qasm", "moons_pennylane.py")
TINY = dict(task="moons", backend="torch", epochs=1, train_size=10, test_size=4, batch_size=5, threads=1)


def _train(cfg):
    return train(cfg.resolve(), time.perf_counter(), progress=lambda *a, **k: None)


@pytest.fixture(scope="module")
def built_in_losses():
    return _train(RunConfig(**TINY))["loss_per_epoch"]


@pytest.mark.parametrize("name", MOONS_FILES)
def test_the_moons_circuit_as_a_file_trains_as_the_built_in_does(name, built_in_losses):
    cfg = RunConfig(**TINY, circuit=str(EXAMPLES / name)).resolve()
    assert cfg.circuit == str(EXAMPLES / name) and len(cfg.circuit_digest) == 16
    assert cfg.circuit_format == {"py": "qiskit" if "qiskit" in name else "pennylane", "qasm": "qasm3"}[
        name.rsplit(".", 1)[1]]
    figures = train(cfg, time.perf_counter(), progress=lambda *a, **k: None)
    assert figures["loss_per_epoch"] == pytest.approx(built_in_losses, abs=1e-6)


def test_the_three_moons_files_describe_one_circuit():
    digests = {RunConfig(**TINY, circuit=str(EXAMPLES / n)).resolve().circuit_digest for n in MOONS_FILES}
    assert len(digests) <= 3 and all(len(d) == 16 for d in digests)


def test_scaling_draws_data_as_wide_as_the_file_circuits_inputs():
    cfg = RunConfig(task="scaling", backend="torch", circuit=str(EXAMPLES / "qiskit_circuit.py"), epochs=1,
                    train_size=8, test_size=4, batch_size=4, threads=1)
    figures = _train(cfg)
    assert figures["steps"] == 2                  # 8 samples of 2 features each, through 3 qubits and 2 outputs


def test_a_tutorial_task_refuses_a_file_of_other_widths():
    with pytest.raises(UserError, match="task 'tutorial-regress' needs a circuit with 1 inputs and 1 outputs"):
        RunConfig(task="tutorial-regress", backend="torch", circuit=str(EXAMPLES / "qiskit_circuit.py")).resolve()


def test_an_edited_file_is_a_new_configuration_and_the_same_file_is_stored(tmp_path, capsys):
    circuit = tmp_path / "mine.qasm"
    shutil.copy(EXAMPLES / "moons.qasm", circuit)
    results = tmp_path / "r"
    sweep = SweepConfig(backends=("torch",), tasks=("moons",), seeds=(0,),
                        base=RunConfig(**{k: v for k, v in TINY.items() if k not in ("task", "backend")},
                                       circuit=str(circuit)))
    assert run_sweep(sweep, results)["ok"] == 1
    assert run_sweep(sweep, results)["skipped (stored)"] == 1                  # the same file: already stored
    circuit.write_text(circuit.read_text().replace("ry(", "rx(", 1))         # one gate edited
    assert run_sweep(sweep, results)["ok"] == 1
    rows = read_rows(results).rows
    assert [r["circuit"] for r in rows] == [str(circuit)] * 2
    assert rows[0]["circuit_digest"] != rows[1]["circuit_digest"] and rows[0]["circuit_format"] == "qasm3"
    report = build_report(results)
    assert set(report.configs["label"]) == {f"moons, #{r['circuit_digest'][:8]}" for r in rows}   # what varies
    assert all("circuit mine, #" in text for text in report.configs["settings"])      # the file's stem
    capsys.readouterr()


def test_check_compares_the_file_with_its_own_framework_and_every_backend():
    report = run_check(CheckConfig(circuits=(str(EXAMPLES / "pennylane_circuit.py"),),
                                   backends=("torch", "default-adjoint"), batch=2))
    by_backend = {r.backend: r for r in report.rows}
    assert by_backend["source (pennylane)"].status == "pass"
    assert by_backend["source (pennylane)"].out_diff <= 1e-6
    assert report.ok, [(r.backend, r.status, r.note) for r in report.rows]
    point = report.points["pennylane_circuit"]
    assert len(point["inputs"]) == 2 and len(point["weights"]) == 12 and point["format"] == "pennylane"
