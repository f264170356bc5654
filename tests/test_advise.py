"""`harness advise` with real child processes: a winner known by construction, the budget, dropping, reuse."""
from __future__ import annotations

import dataclasses
import json

import pytest

from backends import UserError
from harness.cli import main
from harness.cli.advise import parse_budget
from harness.executing import advise as advise_module
from harness.executing.advise import DROP_FACTOR, NOT_RACED, AdviseConfig, advise
from harness.inputs.config import RunConfig
from harness.results.store import read_rows
from held import Holder

# moons, tiny: the classical twin simulates nothing, default-shift simulates 2 x 4 shifted circuits per
# sample on top of the values: slower by construction, by far more than DROP_FACTOR
TINY = RunConfig(task="moons", epochs=1, train_size=20, test_size=10, threads=1)


@pytest.fixture(scope="module")
def raced(tmp_path_factory):
    """Neither first-round cut can come here (their graces exceed the whole run), so the drop is the rule's."""
    results = tmp_path_factory.mktemp("advise")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(advise_module, "MARK_GRACE_S", 300.0)
        return results, advise(AdviseConfig(base=TINY, backends=("classical", "default-shift"), budget_s=300),
                               results)


def test_the_twin_wins_and_the_slow_backend_is_dropped_after_one_round(raced):
    results, advice = raced
    assert advice.pick == "classical" and advice.separated
    shift = next(s for s in advice.standings if s.backend == "default-shift")
    assert f"more than {DROP_FACTOR:g}x" in shift.dropped and len(shift.rows) == 1
    seeds = sorted(r["seed"] for r in read_rows(results).rows if r["backend"] == "classical")
    assert seeds == [0, 1, 2]                    # rounds 1-3, one seed each, as the rule needs


def test_a_second_advise_reuses_the_stored_rows(raced):
    results, first = raced
    before = len(read_rows(results).rows)
    again = advise(AdviseConfig(base=TINY, backends=("classical", "default-shift"), budget_s=300), results)
    assert len(read_rows(results).rows) == before
    assert again.pick == first.pick and again.spent_s < first.spent_s


def test_a_budget_too_small_runs_nothing_new_and_names_what_it_did_not_race(raced):
    """The twin's three runs are stored and cost nothing; a fresh torch run cannot start in 1 s."""
    results, _ = raced
    before = len(read_rows(results).rows)
    advice = advise(AdviseConfig(base=TINY, backends=("classical", "torch", "qiskit-ml-sampler"), budget_s=1),
                    results)
    standing = {s.backend: s for s in advice.standings}
    assert len(standing["classical"].rows) == 3 and not standing["torch"].rows
    # the sampler QNN cannot serve moons' circuit (its outputs are not parity probabilities): it is not in
    # the sweep that reproduces the race, while torch, which the budget left unraced, is
    assert not standing["qiskit-ml-sampler"].served and standing["qiskit-ml-sampler"].dropped
    assert f"--results {results} --tasks moons --backends classical,torch --seeds" in advice.sweep_command
    assert standing["torch"].dropped == NOT_RACED
    assert len(read_rows(results).rows) == before
    assert "not raced within 1s: torch (give --budget " in advice.message


def test_the_budget_bounds_the_first_round_too(tmp_path, monkeypatch):
    """Every child held at its start (tests/held.py): without the bound the first run would wait for its own
    120 s timeout. With it, that run is stopped when the budget ends and the other backend is not raced."""
    monkeypatch.setattr(advise_module, "MIN_RUN_S", 2.0)      # a shorter test; the rule is the same
    holder = Holder(tmp_path / "held")
    base = dataclasses.replace(TINY, timeout_s=120, env=(("PYTHONPATH", str(holder.path)),))
    budget = 4.0
    advice = advise(AdviseConfig(base=base, backends=("classical", "torch"), budget_s=budget), tmp_path)
    assert advice.spent_s <= 1.1 * budget + 3        # + the kill's grace: SIGTERM, then a wait for the child
    (row,) = read_rows(tmp_path).rows
    assert row["status"] == "timeout" and row["timeout_s"] < budget
    standing = {s.backend: s for s in advice.standings}
    first, other = (row["backend"], ({"classical", "torch"} - {row["backend"]}).pop())
    assert standing[first].dropped.startswith("stopped at the end of the budget: its seed 0 run could not finish")
    assert standing[other].dropped == NOT_RACED
    assert advice.pick is None and "no backend finished a run within 4s" in advice.message
    assert len(holder.pids()) == 1


def test_the_command_prints_json_and_a_sweep_that_reproduces_it(raced, capsys):
    results, _ = raced
    status = main(["advise", "--task", "moons", "--backends", "classical,default-shift", "--epochs", "1",
                   "--train-size", "20", "--test-size", "10", "--threads", "1", "--budget", "5m",
                   "--results", str(results), "--json"])
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert status == 0 and data["pick"] == "classical"
    assert data["sweep_command"].startswith(f"python -m harness sweep --results {results} --tasks moons "
                                            "--backends classical,default-shift")
    assert "dropped default-shift" in captured.err
    # the report's best balance is among framework choices: the twin is a baseline, so the one raced is it
    assert data["best_balance"] == "default-shift" and "best balance (the report's" in captured.err


@pytest.mark.parametrize("text, seconds", [("10m", 600), ("90s", 90), ("1h", 3600), ("45", 45), ("1.5m", 90)])
def test_budgets_by_hand(text, seconds):
    assert parse_budget(text) == seconds


@pytest.mark.parametrize("text", ["ten", "0", "-5m", "5d", ""])
def test_a_bad_budget_is_one_line(text):
    with pytest.raises(UserError, match="--budget takes a positive time such as 10m, 90s or 1h"):
        parse_budget(text)


def test_a_bad_backend_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(UserError, match="unknown backend 'nope'"):
        advise(AdviseConfig(base=TINY, backends=("classical", "nope")), tmp_path)
    assert not (tmp_path / "runs.jsonl").exists()


def test_a_run_on_a_busy_machine_is_repeated_and_kept_as_busy(tmp_path, monkeypatch):
    """A spinning process beside every run (as in test_busy): the first run is busy, so it is run again,
    and the repeat, busy too, is kept and counted as such. One round only, so the race stops there."""
    monkeypatch.setattr(advise_module, "MAX_ROUNDS", 1)
    import subprocess
    import sys
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        base = RunConfig(task="moons", epochs=20, train_size=20, test_size=4, timeout_s=120)
        advice = advise(AdviseConfig(base=base, backends=("torch",), budget_s=300), tmp_path)
    finally:
        burner.kill()
        burner.wait()
    rows = [r for r in read_rows(tmp_path).rows if r["backend"] == "torch"]
    assert [r["seed"] for r in rows] == [0, 0] and all(r["busy"] for r in rows)
    (standing,) = advice.standings
    assert standing.busy == 1 and len(standing.rows) == 1


def test_a_backend_that_cannot_serve_the_circuit_is_dropped_with_its_reason(raced):
    results, _ = raced
    advice = advise(AdviseConfig(base=TINY, backends=("classical", "qiskit-ml-sampler"), budget_s=300), results)
    sampler = next(s for s in advice.standings if s.backend == "qiskit-ml-sampler")
    assert advice.pick == "classical" and not sampler.rows
    assert sampler.dropped.startswith("backend 'qiskit-ml-sampler' serves only circuits whose outputs are parity")


def test_a_first_round_run_far_slower_than_the_leader_is_cut_and_dropped(tmp_path, monkeypatch):
    """The twin runs first (the order fixed here), then default-shift on a run far too long to finish inside
    the twin's start plus DROP_FACTOR x its training (no grace here): it is cut there, not at its own timeout."""
    import harness.executing.sweep as sweep_module
    monkeypatch.setattr(sweep_module, "round_order", lambda names, r: list(names))
    monkeypatch.setattr(advise_module, "CUT_GRACE_S", 0.0)
    monkeypatch.setattr(advise_module, "MARK_GRACE_S", 100.0)      # the cut from the run's mark: not here
    monkeypatch.setattr(advise_module, "MAX_ROUNDS", 1)
    base = RunConfig(task="moons", epochs=20, train_size=40, test_size=10, threads=1, timeout_s=300)
    advice = advise(AdviseConfig(base=base, backends=("classical", "default-shift"), budget_s=300), tmp_path)
    rows = {r["backend"]: r for r in read_rows(tmp_path).rows}
    twin, shift = rows["classical"], rows["default-shift"]
    assert twin["status"] == "ok" and shift["status"] == "timeout"
    start = twin["run_wall_s"] - twin["train_s"]
    assert shift["timeout_s"] == pytest.approx(start + DROP_FACTOR * twin["train_s"])
    dropped = next(s for s in advice.standings if s.backend == "default-shift").dropped
    assert dropped.startswith(f"cut after {shift['timeout_s']:.0f} s of its first run: the slowest start so far "
                              f"({start:.1f} s) plus {DROP_FACTOR:g}x the leader's training (classical, "
                              f"{twin['train_s']:.2f} s)")
    assert advice.spent_s < twin["run_wall_s"] * (DROP_FACTOR + 1) + 30     # not the 300 s it was allowed


def test_the_cut_waits_for_the_slowest_start_and_counts_only_the_figures_span_by_hand():
    """Two first-round rows, by hand: the start is the larger wall-minus-span, the span the leader's."""
    from harness.executing.advise import cut_after
    rows = [dict(backend="fast", run_wall_s=6.0, train_s=1.0, first_step_s=0.2, steady_step_s=0.04),
            dict(backend="compiles", run_wall_s=14.0, train_s=8.0, first_step_s=5.0, steady_step_s=0.15)]
    # steady step: spans 0.8 and 3.0 s, starts 5.2 and 11.0 s; the leader (0.04 s steps) is "fast"
    seconds, start, lead, span = cut_after(rows, True)
    assert lead == "fast" and (start, span) == pytest.approx((11.0, 0.8))
    assert seconds == pytest.approx(11.0 + DROP_FACTOR * 0.8 + advise_module.CUT_GRACE_S)
    # training time: spans 1.0 and 8.0 s, starts 5.0 and 6.0 s
    seconds, start, lead, span = cut_after(rows, False)
    assert lead == "fast" and (start, span) == pytest.approx((6.0, 1.0))
    assert seconds == pytest.approx(6.0 + DROP_FACTOR * 1.0 + advise_module.CUT_GRACE_S)


def test_a_first_round_run_is_cut_from_its_own_mark_without_waiting_for_any_start(tmp_path, monkeypatch):
    """As above, but the start-based cut is out of reach (a 100 s grace): default-shift is cut from the moment
    its child says training began, after 3 x 1.5 times the twin's training (no grace here)."""
    import harness.executing.sweep as sweep_module
    monkeypatch.setattr(sweep_module, "round_order", lambda names, r: list(names))
    monkeypatch.setattr(advise_module, "CUT_GRACE_S", 100.0)
    monkeypatch.setattr(advise_module, "MARK_GRACE_S", 0.0)
    monkeypatch.setattr(advise_module, "MAX_ROUNDS", 1)
    base = RunConfig(task="moons", epochs=60, train_size=40, test_size=10, threads=1, timeout_s=300)
    advice = advise(AdviseConfig(base=base, backends=("classical", "default-shift"), budget_s=300), tmp_path)
    rows = {r["backend"]: r for r in read_rows(tmp_path).rows}
    twin, shift = rows["classical"], rows["default-shift"]
    after = 3 * 1.5 * twin["train_s"]                     # by hand, from the twin's own row
    assert shift["status"] == "timeout" and shift["error"].startswith(f"cut {after:.1f} s after its training")
    # its own start (imports, data, model) came first; the cut came the computed time after it
    assert after <= shift["timeout_s"] <= after + 20
    dropped = next(s for s in advice.standings if s.backend == "default-shift").dropped
    assert dropped.startswith(f"cut {after:.1f} s after its training: 4.5x the leader's training "
                              f"(classical, {twin['train_s']:.2f} s) plus 0 s")


def test_the_cut_from_a_mark_counts_the_leaders_span_by_hand():
    from harness.executing.advise import cut_after_mark
    rows = [dict(backend="fast", run_wall_s=6.0, train_s=1.0, first_step_s=0.2, steady_step_s=0.04, steps=21),
            dict(backend="slow", run_wall_s=14.0, train_s=8.0, first_step_s=5.0, steady_step_s=0.15, steps=21)]
    grace = advise_module.MARK_GRACE_S
    # steady step: after its first step, the leader's 0.8 s of steps, 3 x 1.5 times
    assert cut_after_mark(rows, True) == ("first step", pytest.approx(3 * 1.5 * 0.8 + grace), "fast",
                                          pytest.approx(0.8))
    # training time: from the training's start, the leader's 1.0 s of training
    assert cut_after_mark(rows, False) == ("training", pytest.approx(3 * 1.5 * 1.0 + grace), "fast",
                                           pytest.approx(1.0))
    # a leader of one step has no steps after its mark to count: no cut from the mark
    assert cut_after_mark([{**rows[0], "steps": 1}], True) is None


def test_the_leader_is_labelled_a_pick_only_when_the_rule_separated_it(raced):
    import dataclasses

    from harness.executing.advise_output import format_advice
    _, advice = raced
    assert "  classical (pick): " in format_advice(advice)
    text = format_advice(dataclasses.replace(advice, separated=False))
    assert "  classical (leads, not separated): " in text and "(pick)" not in text
