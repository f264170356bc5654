"""A run whose loss diverges is a result: stored, shown in one line, and read by every reader without a crash."""
from __future__ import annotations

import json

import pytest

from harness.cli import main
from harness.results.store import read_rows

# lr 1000 on the tutorial's regression sends LBFGS to NaN on the torch reference (seed 0), well inside the
# accepted lr range; lr 1 learns
DIVERGES = ["--task", "tutorial-regress", "--backend", "torch", "--threads", "1"]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    results = tmp_path_factory.mktemp("diverged")
    assert main(["sweep", "--tasks", "tutorial-regress", "--backends", "torch", "--threads", "1", "--lr", "1000",
                 "--results", str(results)]) == 0
    assert main(["sweep", "--tasks", "tutorial-regress", "--backends", "torch", "--threads", "1", "--lr", "1",
                 "--results", str(results)]) == 0
    return results


def test_the_row_is_stored_with_its_nonfinite_figures_named(store):
    rows = read_rows(store).rows
    bad, good = (next(r for r in rows if r["lr"] == lr) for lr in (1000.0, 1.0))
    assert bad["status"] == "ok" and bad["final_loss"] is None and bad["test_mse"] is None
    assert {"final_loss", "test_mse", "train_mse", "loss_per_epoch[]"} <= set(bad["nonfinite"])
    assert good.get("nonfinite") is None and good["test_mse"] < 0.1


def test_run_prints_one_diverged_line_and_its_json(tmp_path, capsys):
    assert main(["run", *DIVERGES, "--lr", "1000", "--results", str(tmp_path), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["nonfinite"]
    lines = [line for line in err.splitlines() if "diverged:" in line]
    assert len(lines) == 1 and "final_loss" in lines[0] and "final loss nan" not in err


@pytest.mark.parametrize("fmt,name", [("md", "report.md"), ("html", "report.html"), ("csv", "summary.csv")])
def test_report_lists_the_diverged_run_and_claims_nothing_from_it(store, tmp_path, capsys, fmt, name):
    assert main(["report", "--results", str(store), "--format", fmt, "--out", str(tmp_path)]) == 0
    from harness.reporting.report import build_report
    report = build_report(store)
    assert list(report.failures["status"]) == ["diverged"]
    assert report.failures["error"].iloc[0].startswith("diverged: final_loss")
    assert set(report.runs["lr"]) == {"1"}          # only the run that learned feeds figures and plots (as text)
    assert (tmp_path / name).exists()


def test_compare_and_a_resumed_sweep_take_it_as_it_is(store, capsys):
    assert main(["compare", str(store), str(store)]) == 0
    assert main(["sweep", "--tasks", "tutorial-regress", "--backends", "torch", "--threads", "1", "--lr", "1000",
                 "--results", str(store)]) == 0
    assert "1 skipped (stored)" in capsys.readouterr().err       # deterministic: running it again would diverge again
    assert len(read_rows(store).rows) == 2
