"""The side-by-side benchmark scripts run, briefly, so they cannot rot, and measure what they claim.

Their figures belong in README and the closing notes, not here: these runs
are one epoch or one repeat. What is checked is what the scripts' claims rest
on: the bare loop trains exactly what the harness trains (the same final loss,
which overhead.py insists on), and Aer is asked for the rows a
parameter-shift step needs, counted by hand.
"""
import importlib.util
import json
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _script(name):
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_aer_floor_sees_the_calls_of_a_parameter_shift_step(capsys):
    _script("aer_floor").main(1)
    out = json.loads(capsys.readouterr().out)
    # moons, batch 5: one call of 5 rows forward, one of 2 x 4 rotations x 5 = 40 shifted rows backward
    assert out["aer_rows_per_call_of_a_step"] == [5, 40]
    assert out["aer_calls"] == 2 * out["steps"] == 2 * 40
    assert 0 < out["aer_ms_per_step_in_training"] < out["qiskit_shift_step_ms"]


# one backend per branch of the bare loop: torch is the overhead test's (below); qiskit-ml-reverse the
# qiskit-machine-learning branch (its other gradients share it; each costs ~10 s here); kokkos takes the
# PennyLane branch that default-backprop and lightning-adjoint-vjp run; tc-torch the TensorCircuit one
# (tc-jax differs only in the flags it passes to tc.TorchLayer)
@pytest.mark.parametrize("backend", ["default-backprop", "lightning-adjoint-vjp", "qiskit-ml-reverse", "tc-torch"])
def test_bare_loop_trains_what_the_harness_trains(backend):
    """The harness's own training loop, in this process (the child's process boundary is the overhead test's):
    the bare loop must reach the very loss it reaches."""
    import time

    from harness.inputs.config import RunConfig
    from harness.measuring.train import train
    bare = _script("bare_loop").main(backend, seed=2, threads=1, epochs=1)
    figures = train(RunConfig(task="moons", backend=backend, seed=2, threads=1, epochs=1).resolve(),
                    time.perf_counter(), progress=lambda line: None)
    assert bare["final_loss"] == pytest.approx(figures["final_loss"], rel=1e-9)


def test_overhead_table_holds_what_both_loops_trained(capsys):
    """One backend through the script's own process boundary: a bare loop that trained anything else raises."""
    rows = _script("overhead").main(["--repeats", "1", "--epochs", "1", "--threads", "1", "--backends", "torch"])
    assert [(r["backend"], r["family"], r["bare"]["n"], r["harness"]["n"]) for r in rows] == \
        [("torch", "our own layer", 1, 1)]
    assert "| torch | our own layer |" in capsys.readouterr().out
