"""`sweep --drop-slow`: after the first seed, a backend far behind its size's leader runs no more seeds, and the
report's rule places a figure measured once behind a well-measured one only when it is far beyond it."""
import dataclasses
import io
import json

import pytest

from backends import UserError
from harness.executing.dropslow import far_behind
from harness.executing.sweep import Progress, SweepConfig, expand, run_sweep
from harness.inputs.config import RunConfig
from harness.results.stats import FASTER, FAR_APART, NOT_DISTINGUISHABLE, SLOWER, spread_of, verdict
from harness.results.store import read_rows, store_path
from held import Holder


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
    # both quiet, whatever the machine was doing when torch ran: a busy run decides nothing for --drop-slow
    slow = dict(row, backend="default-shift", run_id=row["run_id"] + "-copy", steady_step_s=10 * row["steady_step_s"],
                steady_step_stats_s=stats, busy=False)
    lead = dict(row, backend="default-backprop", run_id=row["run_id"] + "-lead", busy=False)
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


@pytest.mark.parametrize("factor", [1, 0.5, 3.9, "fast", float("inf")])
def test_drop_slow_takes_a_factor_of_at_least_the_reports_far_apart_factor(factor, tmp_path):
    with pytest.raises(UserError, match=r"^drop-slow factor must be a finite number from 4 to 1e\+06; received"):
        run_sweep(SweepConfig(backends=("torch",), drop_slow=factor), tmp_path)


def _figure_row(backend, seed, step_s, spread=0.05):
    return {"status": "ok", "task": "scaling", "backend": backend, "seed": seed, "steady_step_s": step_s,
            "steady_step_stats_s": {"q1": step_s - spread, "q3": step_s + spread}}


def _key(backend, seed):
    return (("backend", backend), ("qubits", 8), ("seed", seed), ("task", "scaling"))


@pytest.mark.parametrize("later_s, seeds, caught_up", [
    (1.0, 3, False),     # the leader stays at 0.95-1.05: 4.4 lies beyond 4 x 1.05 = 4.2, the report places it
    (1.15, 3, True),     # its later seeds reach 1.20: 4.4 is within 4 x 1.20 = 4.8, the report could not
    (1.15, 2, False),    # two runs of the leader: the report claims nothing there whatever runs
])
def test_a_skipped_backend_runs_after_all_when_the_leader_over_every_seed_comes_within_reach(later_s, seeds,
                                                                                             caught_up):
    from harness.executing.dropslow import FirstRound
    first = FirstRound(0)
    rows = [_figure_row("default-backprop", 0, 1.0), _figure_row("default-shift", 0, 4.5, spread=0.1)]
    rows += [_figure_row("default-backprop", s, later_s) for s in range(1, seeds)]
    for r in rows:
        first.note(r, _key(r["backend"], r["seed"]))
    assert first.behind(_key("default-shift", 1), 4) == \
        "4.5x slower than default-backprop in the first seed (--drop-slow 4)"     # 4.4 > 4 x 1.05
    assert first.catch_up(_key("default-shift", 1)) is caught_up


def test_a_busy_run_decides_nothing_for_drop_slow():
    from harness.executing.dropslow import FirstRound
    first = FirstRound(0)
    for r in (_figure_row("default-backprop", 0, 1.0) | {"busy": True}, _figure_row("default-shift", 0, 4.5)):
        first.note(r, _key(r["backend"], r["seed"]))
    assert first.behind(_key("default-shift", 1), 4) is None        # its only rival's run was busy


def test_the_sweep_runs_what_it_skipped_once_the_leaders_later_seeds_come_within_reach(tmp_path, monkeypatch):
    """torch's real seed-0 row, copied with chosen steps: default-backprop's three seeds (the later two slower)
    and default-shift's first, 4.5x behind default-backprop's first. The sweep of default-shift over seeds 0-1
    skips seed 1 in the grid, then runs it (held, so it times out at once): over every seed the report could
    not place its one run behind the leader."""
    base = RunConfig(epochs=1, threads=1, train_size=32, test_size=4, timeout_s=120)
    grid = dict(tasks=("scaling",), qubits=(2,), layers=(1,))
    assert run_sweep(SweepConfig(backends=("torch",), seeds=(0,), base=base, **grid), tmp_path)["ok"] == 1
    (row,) = read_rows(tmp_path).rows

    def copy(backend, seed, step_s, spread):
        stats = dict(row["steady_step_stats_s"], median=step_s, q1=step_s - spread, q3=step_s + spread)
        # quiet, whatever the machine was doing when torch ran: a busy run decides nothing for --drop-slow
        return dict(row, backend=backend, seed=seed, run_id=f"{backend}-{seed}", steady_step_s=step_s,
                    steady_step_stats_s=stats, busy=False)
    hand = [copy("default-backprop", 0, 1.0, 0.05), copy("default-shift", 0, 4.5, 0.1),
            copy("default-backprop", 1, 1.15, 0.05), copy("default-backprop", 2, 1.15, 0.05)]
    store_path(tmp_path).write_text("".join(json.dumps(r) + "\n" for r in hand))
    holder = Holder(tmp_path / "held")
    monkeypatch.setenv("PYTHONPATH", str(holder.path))
    out = io.StringIO()
    counts = run_sweep(SweepConfig(backends=("default-shift",), seeds=(0, 1), drop_slow=4,
                                   base=dataclasses.replace(base, timeout_s=0.3), **grid), tmp_path, out=out)
    assert counts["skipped (stored)"] == 1 and counts["skipped (far behind)"] == 0 and counts["timeout"] == 1
    assert "default-shift seed 1 q2 l1 b16: skipped: 4.5x slower than default-backprop" in out.getvalue()
    assert "catching up: 1 configuration --drop-slow skipped after the first seed is no longer 4x behind" \
        in out.getvalue()
    assert len(holder.pids()) == 1 and read_rows(tmp_path).rows[-1]["seed"] == 1


def test_catch_up_reads_every_run_of_the_skipped_backend_as_the_report_does():
    """default-shift's first seed lies beyond 4x the leader's 0.95-1.05; a run of another sweep (seed 5) lies
    within it. The report's interval for default-shift takes the lower, so it could not place it: run it.
    With three runs of its own the report compares it anyway: nothing to catch up."""
    from harness.executing.dropslow import FirstRound
    first = FirstRound(0)
    rows = [_figure_row("default-backprop", s, 1.0) for s in range(3)]
    rows += [_figure_row("default-shift", 0, 4.5, spread=0.1), _figure_row("default-shift", 5, 4.0, spread=0.1)]
    for r in rows:
        first.note(r, _key(r["backend"], r["seed"]))
    assert first.behind(_key("default-shift", 1), 4)           # by the first seed alone: 4.4 > 4.2
    assert first.catch_up(_key("default-shift", 1))            # by both its runs: 3.9 <= 4.2
    first.note(_figure_row("default-shift", 6, 4.5, spread=0.1), _key("default-shift", 6))
    assert not first.catch_up(_key("default-shift", 1))
