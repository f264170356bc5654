"""One limit for a row, shared by the writer and every reader: a finished run is never stored unreadable."""
from __future__ import annotations

import json
from pathlib import Path

from harness.cli import main
from harness.results.fields import BULKY
from harness.results.store import MAX_LINE_BYTES, Store, fit, read_rows, store_path

REFERENCE = Path(__file__).resolve().parents[1] / "results/reference/runs.jsonl"


def test_a_huge_test_set_makes_a_small_row(tmp_path):
    # 500,000 test points: their per-point record used to make a 30 MB row that no reader would read
    assert main(["run", "--task", "tutorial-regress", "--backend", "torch", "--threads", "1",
                 "--test-size", "500000", "--results", str(tmp_path)]) == 0
    assert store_path(tmp_path).stat().st_size < 64 * 1024
    (row,) = read_rows(tmp_path).rows
    assert row["n_test"] == 500000 and row["test_points"]["of"] == 500000
    assert len(row["test_points"]["x"]) == row["test_points"]["shown"] == 200
    # a run of seconds beside other sessions' tests may be marked busy; this reads the row, not its time
    assert main(["report", "--results", str(tmp_path), "--include-busy"]) == 0


def test_a_row_over_the_limit_is_trimmed_to_fit_and_read_back(tmp_path):
    row = json.loads(REFERENCE.read_text().splitlines()[0])
    row["loss_per_epoch"] = [0.123456789] * (MAX_LINE_BYTES // 10)       # about 20 MB of one list
    row["epoch_s"] = [1.5] * 10
    fitted = fit(row)
    assert fitted["trimmed"] == ["loss_per_epoch"]                      # only what had to go
    assert fitted["epoch_s"] == [1.5] * 10 and fitted["train_s"] == row["train_s"]
    with Store(tmp_path) as store:
        store.append(row)                                               # the store fits it itself too
    (stored,) = read_rows(tmp_path).rows
    assert stored["trimmed"] == ["loss_per_epoch"] and "loss_per_epoch" not in stored
    assert store_path(tmp_path).stat().st_size <= MAX_LINE_BYTES


def test_a_row_under_the_limit_is_stored_as_it_is():
    row = json.loads(REFERENCE.read_text().splitlines()[0])
    assert fit(row) is row
    assert set(BULKY) == {"epoch_s", "loss_per_epoch", "fit_curve", "test_points", "function_evals_per_step",
                          "function_eval_losses"}
