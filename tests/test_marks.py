"""The child's marks (harness/measuring/marks.py): kept out of the echo, and a cut counted from them."""
import io

from harness.executing.runner import run_config
from harness.inputs.config import RunConfig
from harness.measuring import marks

# 400 epochs of 4 steps: seconds of training, far more than the half second the cut allows
LONG = RunConfig(task="moons", backend="torch", epochs=400, train_size=20, test_size=5, threads=1, timeout_s=120)


def test_a_run_is_cut_the_given_time_after_its_mark_and_says_so(tmp_path):
    echo = io.StringIO()
    row = run_config(LONG, tmp_path, echo=echo, cut=(marks.TRAINING, 0.5))
    assert row["status"] == "timeout" and row["error"].startswith("cut 0.5 s after its training")
    # timeout_s is where the cut left it: after the child's own start (imports, data, model), then 0.5 s
    assert 0.5 < row["timeout_s"] < row["run_wall_s"] < row["timeout_s"] + 5
    text = echo.getvalue()
    assert "epoch 1/400" in text and marks.PREFIX not in text     # the child's lines, without its marks


def test_without_its_mark_a_cut_never_comes_and_the_timeout_stands(tmp_path, held):
    """The child is held at its start (tests/held.py), so it never says the mark."""
    row = run_config(RunConfig(task="moons", backend="torch", epochs=1, timeout_s=1.0), tmp_path, echo=None,
                     cut=(marks.TRAINING, 0.1))
    assert row["status"] == "timeout" and row["error"].startswith("timed out after 1 s")
    assert row["timeout_s"] == 1.0


def test_a_mark_after_a_librarys_unfinished_line_is_still_heard_and_the_line_kept():
    assert marks.heard("harness-mark: first step\n") == ("first step", "")
    assert marks.heard("compiling... harness-mark: training\n") == ("training", "compiling... ")
    assert marks.heard("epoch 1/2  loss 0.5\n") == (None, "epoch 1/2  loss 0.5\n")


def test_the_wait_cuts_after_its_mark_unless_the_training_has_ended():
    """A real process that sleeps 1 s, and marks as the pump would have heard them."""
    import subprocess
    import sys
    import time

    import pytest

    from harness.executing.runner import _Cut, _wait

    sleeper = [sys.executable, "-c", "import time; time.sleep(1.0)"]
    proc = subprocess.Popen(sleeper)
    t0 = time.monotonic()
    with pytest.raises(_Cut) as cut:
        _wait(proc, 30, {marks.TRAINING: t0}, (marks.TRAINING, 0.2))
    assert 0.2 <= time.monotonic() - t0 < 0.9 and 0.2 <= cut.value.after_s < 0.9
    proc.kill()
    proc.wait()
    # the span is over: the cut no longer applies, and the process ends on its own
    proc = subprocess.Popen(sleeper)
    now = time.monotonic()
    assert _wait(proc, 30, {marks.TRAINING: now, marks.TRAINED: now}, (marks.TRAINING, 0.2)) == 0
