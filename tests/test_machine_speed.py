"""scripts/machine_speed.py: a store's own moons runs again here, set against the store's, and the store's cost
projected from them (by hand), with one line for what cannot be compared."""
import json
from pathlib import Path

import pytest

from harness.executing.runner import run_config
from harness.inputs.config import RunConfig
from harness.results.store import read_rows, store_path
from load_script import load_script


def _script():
    return load_script("machine_speed")


def test_the_projection_scales_training_and_setup_apart_and_keeps_a_timeout():
    speed = _script()
    factor = {"whole run": 3.0, "setup": 2.0, "training": 1.5}
    ok = {"status": "ok", "run_wall_s": 10.0, "train_s": 4.0, "setup_s": 5.0}
    # 4 s of training x 1.5 + 5 s of setup x 2 + the other 1 s x 3
    assert speed._projected(ok, factor) == pytest.approx(4 * 1.5 + 5 * 2 + 1 * 3)
    assert speed._projected({"status": "timeout", "run_wall_s": 60.0}, factor) == 60.0


def test_what_cannot_be_compared_is_one_line(tmp_path, capsys):
    speed = _script()
    assert speed.main([str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err.startswith("machine_speed: no results store at ")
    store_path(tmp_path).write_text(json.dumps({"task": "moons", "backend": "torch", "status": "ok", "seed": 0}) + "\n")
    assert speed.main([str(tmp_path), "--backends", "qiskit-shift"]) == 2
    err = capsys.readouterr().err
    assert "holds no quiet ok moons run of seed 0 on qiskit-shift" in err and err.count("\n") == 1
    assert speed.main([str(tmp_path), "--runs", "0"]) == 2
    assert "--runs must be at least 1; received 0" in capsys.readouterr().err
    assert speed.main([str(tmp_path), "--backends", ","]) == 2
    assert "--backends names no backend; received ','" in capsys.readouterr().err


def test_the_stored_runs_are_the_newest_quiet_ok_ones_of_the_best_measured_configuration():
    speed = _script()

    def row(seed, wall, threads=2, **more):
        return {"task": "moons", "backend": "torch", "status": "ok", "seed": seed, "threads": threads,
                "run_wall_s": wall, **more}
    rows = [row(0, 4.0), row(1, 9.0, busy=True), row(2, 7.0), row(2, 5.0),       # seed 2 re-run: 5.0 stands
            row(0, 3.0, threads=1),                                              # another configuration, 1 run
            row(3, 6.0, status="timeout"), dict(row(0, 2.0), backend="default-backprop")]
    chosen = speed.stored_runs(rows, "torch")
    assert [(r["seed"], r["run_wall_s"]) for r in chosen] == [(0, 4.0), (2, 5.0)]


def test_a_real_run_here_against_the_stores_own(tmp_path, capsys):
    """One tiny moons run on torch is the store; the script runs its configuration once more, in a child, and
    leaves the store as it was."""
    cfg = RunConfig(task="moons", backend="torch", seed=0, epochs=1, train_size=20, test_size=5, threads=1)
    row = run_config(cfg, tmp_path, echo=None)
    assert (row["status"], row.get("busy")) in (("ok", False), ("ok", None)), row.get("error")
    before = store_path(tmp_path).read_text()
    assert _script().main([str(tmp_path), "--runs", "1", "--backends", "torch"]) == 0
    out = capsys.readouterr().out
    assert "  torch: whole run " in out and "n=1) against " in out and "median ratio over the backends" in out
    assert "the store's 1 run took" in out
    assert store_path(tmp_path).read_text() == before and len(read_rows(tmp_path).rows) == 1
