"""`sweep --drop-slow`: after the first seed, a backend far behind its size's leader runs no more seeds, and the
report's rule places a figure measured once behind a well-measured one only when it is far beyond it."""
import io
import json

import pytest

from backends import UserError
from harness.executing.sweep import Progress, SweepConfig, expand, far_behind, run_sweep
from harness.inputs.config import RunConfig
from harness.results.stats import FASTER, FAR_APART, NOT_DISTINGUISHABLE, SLOWER, spread_of, verdict
from harness.results.store import read_rows, store_path


def test_one_run_far_beyond_a_full_interval_is_behind_it_and_never_ahead():
    full = spread_of([1.0, 1.1, 1.2])                   # n=3, interval 1.0-1.2
    assert FAR_APART == 4.0
    assert verdict(spread_of([4.9]), full) == (SLOWER, "n=1, every run beyond 4x the other's interval")
    assert verdict(full, spread_of([4.9]))[0] == FASTER
    assert verdict(spread_of([4.7]), full) == (NOT_DISTINGUISHABLE, "n=1 < 3 runs")    # 4.7 < 4 x 1.2
    assert verdict(spread_of([5.0, 4.7]), full)[0] == NOT_DISTINGUISHABLE     # its lower run is within 4x
    assert verdict(spread_of([0.01]), full)[0] == NOT_DISTINGUISHABLE          # one run far ahead proves nothing
    assert verdict(spread_of([9.0]), spread_of([1.0]))[0] == NOT_DISTINGUISHABLE   # neither has three runs
    few_steps = spread_of([9.0], steps=5)
    assert verdict(few_steps, spread_of([1.0, 1.1, 1.2], steps=30))[0] == NOT_DISTINGUISHABLE


def test_far_behind_compares_its_low_end_with_the_leaders_high_end_and_never_with_a_reference():
    # (median, low, high) per backend; torch and the classical twin are faster, but picks are among frameworks
    figures = {"classical": (0.1, 0.1, 0.1), "torch": (1.0, 0.9, 1.1), "default-backprop": (2.0, 1.9, 2.1),
               "default-shift": (10.0, 9.0, 11.0)}
    assert far_behind(4, figures, "default-shift") == \
        "5.0x slower than default-backprop in the first seed (--drop-slow 4)"
    assert far_behind(4.3, figures, "default-shift") is None          # 9.0 <= 4.3 x 2.1: within reach
    assert far_behind(4, figures, "default-backprop") is None
    # a reference is never skipped, however far behind the frameworks it lies
    assert far_behind(4, {**figures, "torch": (30.0, 29.0, 31.0)}, "torch") is None
    assert far_behind(4, {"torch": (1.0, 0.9, 1.1), "default-shift": (10.0, 9.0, 11.0)}, "default-shift") is None
    assert far_behind(4, {"default-shift": (5.0, 4.5, 5.5)}, "default-shift") is None     # no rival yet
    assert far_behind(4, figures, "lightning-adjoint") is None            # not measured in the first seed


def test_a_backend_far_behind_after_the_first_seed_runs_no_more_seeds(tmp_path):
    """torch runs seed 0 for real; its row, copied as default-backprop's as it is and as default-shift's with
    every step 10x, stands for the first round. With --drop-slow 4 the second seed runs torch (a reference:
    never skipped) and skips default-shift (its q1 is 10x default-backprop's, beyond 4x its q3 unless the
    steps spread 2.5x); with 11 it would run (10 q1 < 11 q3)."""
    base = RunConfig(epochs=1, threads=1, train_size=32, test_size=4, timeout_s=120)
    grid = dict(tasks=("scaling",), qubits=(2,), layers=(1,), base=base)
    assert run_sweep(SweepConfig(backends=("torch",), seeds=(0,), **grid), tmp_path)["ok"] == 1
    (row,) = read_rows(tmp_path).rows
    stats = {k: (10 * v if k != "n" else v) for k, v in row["steady_step_stats_s"].items()}
    slow = dict(row, backend="default-shift", run_id=row["run_id"] + "-copy", steady_step_s=10 * row["steady_step_s"],
                steady_step_stats_s=stats)
    lead = dict(row, backend="default-backprop", run_id=row["run_id"] + "-lead")
    with open(store_path(tmp_path), "a") as fh:
        fh.write(json.dumps(lead) + "\n" + json.dumps(slow) + "\n")
    out = io.StringIO()
    both = SweepConfig(backends=("torch", "default-shift"), seeds=(0, 1), drop_slow=4, **grid)
    counts = run_sweep(both, tmp_path, out=out)
    assert (counts["skipped (stored)"], counts["ok"], counts["skipped (far behind)"]) == (2, 1, 1)
    assert ("default-shift seed 1 q2 l1 b16: skipped: 10.0x slower than default-backprop in the first seed "
            "(--drop-slow 4)") in out.getvalue()
    assert [(r["backend"], r["seed"]) for r in read_rows(tmp_path).rows] == [
        ("torch", 0), ("default-backprop", 0), ("default-shift", 0), ("torch", 1)]
    # a looser factor lets it run: the decision alone, without running it
    looser = SweepConfig(backends=("torch", "default-shift"), seeds=(0, 1), drop_slow=11, **grid)
    configs = expand(looser)
    progress = Progress(looser, tmp_path, io.StringIO(), len(configs), configs)
    (later,) = [c for c in configs if c.backend == "default-shift" and c.seed == 1]
    claim = progress.decide(later)
    assert claim is not None
    claim.release()


@pytest.mark.parametrize("factor", [1, 0.5, "fast", float("inf")])
def test_drop_slow_takes_a_factor_above_one(factor, tmp_path):
    with pytest.raises(UserError, match=r"^drop-slow factor must be a finite number above 1 and at most"):
        run_sweep(SweepConfig(backends=("torch",), drop_slow=factor), tmp_path)
