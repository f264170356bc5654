"""Sweeps resume and survive failures; the report reads a committed golden store."""
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from backends import UserError
from harness.config import RunConfig
from harness.report import build_report
from harness.render import write
from harness.store import read_rows, store_path
from harness.sweep import SweepConfig, run_sweep

GOLDEN = Path(__file__).parent / "golden" / "runs.jsonl"


def test_sweep_resumes_without_repeating_work_and_survives_a_failing_run(tmp_path, capsys, bad_mnist_dir):
    base = RunConfig(epochs=1, train_size=20, test_size=10, threads=1)
    sweep = SweepConfig(backends=("torch", "classical"), tasks=("moons",), seeds=(0, 1), base=base)
    results = tmp_path / "res"
    first = run_sweep(sweep, results)
    assert first["ok"] == 4
    # bad data is refused before anything runs: nothing is stored for it
    with pytest.raises(UserError, match="train-images-idx3-ubyte: expected a 16-byte header"):
        run_sweep(SweepConfig(backends=("torch",), tasks=("mnist01", "moons"), seeds=(0,),
                              base=RunConfig(epochs=1, train_size=20, test_size=10, threads=1,
                                             data_dir=str(bad_mnist_dir))), results)
    assert len(read_rows(results).rows) == 4
    # a run that ends badly in the middle (here out of time) does not stop the sweep
    slow = SweepConfig(backends=("torch",), tasks=("scaling", "moons"), seeds=(0,),
                       base=RunConfig(epochs=1, train_size=20, test_size=10, threads=1, timeout_s=0.05))
    mixed = run_sweep(slow, results)
    assert mixed["timeout"] == 1 and mixed["skipped (stored)"] == 1
    again = run_sweep(sweep, results)
    assert again["skipped (stored)"] == 4 and again["ok"] == 0
    rows = read_rows(results).rows
    assert len(rows) == 5 and sum(r["status"] == "timeout" for r in rows) == 1
    forced = run_sweep(SweepConfig(backends=("classical",), tasks=("moons",), seeds=(0,), base=base, force=True),
                       results)
    assert forced["ok"] == 1 and len(read_rows(results).rows) == 6
    err = capsys.readouterr().err
    assert "ETA" in err and "scaling torch seed 0 q4 l2 b16: timeout: timed out after 0.05 s" in err


def test_scaling_sweep_skips_larger_sizes_once_a_size_times_out(tmp_path):
    sweep = SweepConfig(backends=("torch",), tasks=("scaling",), seeds=(0,), qubits=(2, 3, 4), layers=(1,),
                        base=RunConfig(epochs=1, threads=1, timeout_s=0.3))
    counts = run_sweep(sweep, tmp_path)
    assert counts["timeout"] == 1 and counts["skipped (too big)"] == 2
    assert [r["qubits"] for r in read_rows(tmp_path).rows] == [2]


@pytest.fixture
def golden(tmp_path):
    shutil.copy(GOLDEN, store_path(tmp_path))
    return tmp_path


def test_report_summary_from_the_golden_store(golden):
    report = build_report(golden)
    s = report.summary[report.summary["task"] == "moons"].set_index("backend")
    assert list(s.index) == ["torch", "classical", "default-backprop", "lightning-adjoint", "qiskit-ml"]
    assert s.loc["torch", "train_s"] == pytest.approx(0.42)
    assert s.loc["qiskit-ml", "train_s"] == pytest.approx(25.0)
    assert s.loc["qiskit-ml", "train_spread"] == pytest.approx(10 / 25)
    assert s.loc["default-backprop", "x_reference"] == pytest.approx(0.84 / 0.42)
    assert s.loc["default-backprop", "x_classical"] == pytest.approx(0.84 / 0.11)
    assert s.loc["lightning-adjoint", "quantum_share"] == pytest.approx(0.5)
    assert s.loc["torch", "seeds"] == 2
    adv = report.advice[report.advice["task"] == "moons"].iloc[0]
    assert (adv["fastest"], adv["least_memory"], adv["slowest"]) == ("default-backprop", "lightning-adjoint",
                                                                       "qiskit-ml")
    assert any("qiskit-ml: training time spreads 40%" in w for w in report.warnings)
    assert any("1 runs did not finish ok" in w for w in report.warnings)
    assert list(report.failures["status"]) == ["timeout"]
    assert not any("mix" in w for w in report.warnings)


def test_report_crossovers_and_growth_from_the_golden_store(golden):
    report = build_report(golden)
    c = report.crossovers.set_index(["a", "b"])
    assert c.loc[("default-backprop", "lightning-adjoint"), "a_beats_b_up_to"] == 6
    assert c.loc[("lightning-adjoint", "default-backprop"), "a_overtakes_b_from"] == 8
    assert c.loc[("default-backprop", "default-adjoint"), "a_beats_b_up_to"] == 8
    g = report.growth.set_index("backend")
    # lightning-adjoint over the upper sizes 4, 6, 8: 15 -> 20 -> 25 ms
    assert 1.1 < g.loc["lightning-adjoint", "step_time_x_per_qubit"] < 1.3
    assert g.loc["default-backprop", "memory_above_base_x_per_qubit"] == pytest.approx(2.0, rel=0.05)


def test_mixing_machines_or_versions_triggers_a_warning(golden):
    rows = [json.loads(line) for line in GOLDEN.read_text().splitlines()]
    rows[0]["machine"]["cpu_model"] = "Other CPU"
    rows[1]["versions"]["pennylane"] = "0.44.0"
    store_path(golden).write_text("".join(json.dumps(r) + "\n" for r in rows))
    warnings = build_report(golden).warnings
    assert any(w.startswith("results mix 2 machines") for w in warnings)
    assert any(w == "results mix pennylane versions 0.44.0, 0.45.1" for w in warnings)


@pytest.mark.parametrize("fmt,produced", [("md", "report.md"), ("csv", "summary.csv"), ("html", "report.html")])
def test_report_formats_write_tables_and_plots(golden, tmp_path, fmt, produced):
    out = tmp_path / "out"
    path = write(build_report(golden), out, fmt)
    assert path.name == produced and path.exists()
    if fmt == "md":
        text = path.read_text()
        assert "## Which should I pick?" in text and "| default-backprop | 2 | 0.84 |" in text
        assert "Golden CPU @ 2.30GHz / 2" in text
        assert {p.name for p in out.glob("*.png")} >= {"time_per_backend.png", "loss_curves.png",
                                                         "time_vs_accuracy.png", "scaling_L1_b16.png"}
    if fmt == "csv":
        table = pd.read_csv(out / "crossovers.csv")
        assert len(table) >= 3


def test_report_command(run_cli, golden, tmp_path):
    ok = run_cli("report", "--results", str(golden), "--out", str(tmp_path / "r"))
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "r" / "report.md").exists()
    empty = run_cli("report", "--results", str(tmp_path / "nothing"))
    assert empty.returncode == 2 and empty.stderr.startswith("error: no results in")
    bad = run_cli("report", "--results", str(golden), "--format", "pdf")
    assert bad.returncode == 2 and "valid: md, csv, html" in bad.stderr


def test_a_rerun_supersedes_the_row_it_re_ran(golden):
    rows = [json.loads(line) for line in GOLDEN.read_text().splitlines()]
    newer = dict(rows[0], run_id="newer", train_s=0.30)          # torch, moons, seed 0 again
    with open(store_path(golden), "a") as fh:
        fh.write(json.dumps(newer) + "\n")
    s = build_report(golden).summary.set_index(["task", "backend"])
    assert s.loc[("moons", "torch"), "train_s"] == pytest.approx((0.30 + 0.44) / 2)
    assert s.loc[("moons", "torch"), "seeds"] == 2


def test_sweep_runs_seeds_as_rounds_with_backends_shuffled_per_round():
    from harness.sweep import expand
    backends = ("torch", "classical", "default-backprop", "default-adjoint", "lightning-adjoint")
    sweep = SweepConfig(backends=backends, tasks=("scaling",), seeds=(0, 1, 2), qubits=(2, 3), layers=(1,),
                        base=RunConfig(epochs=1, threads=1))
    configs = expand(sweep)
    assert len(configs) == 3 * 2 * 5
    # seeds are the outer loop: ten runs of seed 0, then ten of seed 1, then ten of seed 2
    assert [c.seed for c in configs] == [0] * 10 + [1] * 10 + [2] * 10
    # within a round, sizes go up, and every size sees the round's one backend order
    for r in range(3):
        chunk = configs[10 * r:10 * (r + 1)]
        assert [c.qubits for c in chunk] == [2] * 5 + [3] * 5
        assert [c.backend for c in chunk[:5]] == [c.backend for c in chunk[5:]]
        assert sorted(c.backend for c in chunk[:5]) == sorted(backends)
    orders = [tuple(c.backend for c in configs[10 * r:10 * r + 5]) for r in range(3)]
    assert len(set(orders)) > 1                               # shuffled per round ...
    assert orders == [tuple(c.backend for c in expand(sweep)[10 * r:10 * r + 5]) for r in range(3)]  # ... fixed


def test_resume_knows_rows_from_other_code(tmp_path, capsys):
    from harness.provenance import code_version
    base = RunConfig(epochs=1, train_size=20, test_size=10, threads=1)
    sweep = SweepConfig(backends=("classical",), tasks=("moons",), seeds=(0,), base=base)
    assert run_sweep(sweep, tmp_path)["ok"] == 1
    # the same row, as if measured by other code
    path = store_path(tmp_path)
    row = json.loads(path.read_text())
    assert row["code_version"] == code_version()
    row["code_version"] = "0123456789ab"
    path.write_text(json.dumps(row) + "\n")
    kept = run_sweep(sweep, tmp_path)
    assert kept["skipped (stored)"] == 1
    assert "1 stored ok runs come from other code (code version 0123456789ab" in capsys.readouterr().err
    rerun = run_sweep(SweepConfig(backends=("classical",), tasks=("moons",), seeds=(0,), base=base,
                                  rerun_other_code=True), tmp_path)
    assert rerun["ok"] == 1 and read_rows(tmp_path).rows[-1]["code_version"] == code_version()


def test_a_timeout_stops_its_size_in_later_rounds_too(tmp_path):
    sweep = SweepConfig(backends=("torch",), tasks=("scaling",), seeds=(0, 1), qubits=(2, 3), layers=(1,),
                        base=RunConfig(epochs=1, threads=1, timeout_s=0.3))
    counts = run_sweep(sweep, tmp_path)
    # seed 0: 2 qubits times out, 3 is skipped; seed 1: both skipped, the timed-out size included
    assert counts["timeout"] == 1 and counts["skipped (too big)"] == 3
    assert [(r["qubits"], r["seed"], r["status"]) for r in read_rows(tmp_path).rows] == [(2, 0, "timeout")]
