"""A run that cannot end within its timeout stops itself once that is certain, and is stored as a timeout."""
import time

import pytest

from harness.executing.runner import run_config
from harness.inputs.config import RunConfig
from harness.measuring.deadline import PACE_MARGIN, Deadline, Foreseen
from harness.measuring.train import train
from harness.results.store import read_rows


def _deadline(timeout_s, ago_s, steps):
    return Deadline(timeout_s, time.perf_counter() - ago_s, steps, setup_s=1.5)


def test_the_bound_is_the_steps_left_at_twice_the_fastest_steady_pace():
    assert PACE_MARGIN == 2.0                     # the hand counts below are for this margin
    d = _deadline(20.0, 5.0, 12)
    d.after_step(9.0)                             # the first step is no pace, however slow
    d.after_step(2.0)                             # 5 s gone + 10 left x 2.0 / 2 = 15 s: within 20
    d.after_step(4.0)                             # fastest stays 2.0: 5 + 9 x 1.0 = 14 s
    d.started -= 8.0                              # 13 s gone: 13 + 8 x 1.0 = 21 s, past 20
    with pytest.raises(Foreseen) as stop:
        d.after_step(3.0)
    f = stop.value.figures
    assert (f["steps_done"], f["steps"], f["steps_left"]) == (4, 12, 8)
    assert f["fastest_step_s"] == 2.0 and f["least_left_s"] == 8.0 and f["timeout_s"] == 20.0
    assert 13.0 <= f["at_s"] < 14.0 and f["setup_s"] == 1.5


def test_no_verdict_without_a_timeout_from_the_first_step_alone_or_after_the_last():
    d = _deadline(None, 1e6, 3)                    # no timeout: nothing is ever past it
    for _ in range(3):
        d.after_step(100.0)
    first = _deadline(10.0, 9.9, 100)              # one step: its time holds compiling, allocation
    first.after_step(50.0)
    last = _deadline(10.0, 9.0, 2)                 # nothing left to take: the parent's timeout decides
    last.after_step(5.0)
    last.after_step(5.0)
    assert (d.done, first.done, last.done) == (3, 1, 2)


def test_training_stops_at_its_second_step_when_the_timeout_is_out_of_reach():
    cfg = RunConfig(task="moons", backend="torch", epochs=3, train_size=20, test_size=5, threads=1,
                    timeout_s=100.0).resolve()
    with pytest.raises(Foreseen) as stop:          # 99.99 s are gone: the 10 steps left cannot fit in 0.01
        train(cfg, time.perf_counter() - 99.99)
    f = stop.value.figures
    assert (f["steps_done"], f["steps"], f["steps_left"]) == (2, 3 * (20 // 5), 10)     # moons' batch of 5
    assert f["at_s"] + f["least_left_s"] > 100.0 and f["setup_s"] > 99.0


def test_a_foreseen_timeout_is_stored_as_a_timeout_long_before_the_timeout(tmp_path):
    # 100,000 epochs of 4 steps: at any pace a machine gives torch (a step takes over 0.3 ms), far beyond 60 s;
    # its second step is where it can tell, a few seconds in
    cfg = RunConfig(task="moons", backend="torch", epochs=10 ** 5, train_size=20, test_size=5, threads=1,
                    timeout_s=60.0)
    row = run_config(cfg, tmp_path, echo=None)
    assert row["status"] == "timeout" and row["timeout_s"] == 60.0
    assert row["error"].startswith("stopped at ") and "past its 60 s timeout" in row["error"]
    f = row["timeout_foreseen"]
    assert (f["steps_done"], f["steps"]) == (2, 10 ** 5 * 4) and f["at_s"] + f["least_left_s"] > 60.0
    assert row["run_wall_s"] < 60.0 and row["setup_s"] == f["setup_s"]
    assert read_rows(tmp_path).rows == [row]
