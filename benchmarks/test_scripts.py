"""The side-by-side benchmark scripts run, briefly, so they cannot rot.

Their figures belong in README and the closing notes, not here: these runs
are one epoch or one repeat, and only the shape and consistency of what the
scripts print is checked.
"""
import importlib.util
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _script(name):
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_aer_floor_breaks_a_step_down(capsys):
    _script("aer_floor").main(1)
    out = json.loads(capsys.readouterr().out)
    step, aer = out["qiskit_shift_step_ms"], out["aer_ms_per_step_in_training"]
    assert 0 < aer < step                                   # Aer is part of the step, not all of it
    assert out["qiskit_shift_step_without_aer_ms"] == round(step - aer, 3)
    assert out["ratio"] == round(step / out["classical_step_ms"], 2)
    assert out["aer_ms_per_step_replayed_alone"] > 0


def test_overhead_compares_both_sides(capsys):
    _script("overhead").main(1)
    out = json.loads(capsys.readouterr().out)
    assert len(out["bare_train_s"]) == len(out["harness_train_s"]) == 1
    assert out["bare_median_s"] > 0 and out["harness_median_s"] > 0
    assert out["harness_over_bare"] == out["harness_median_s"] / out["bare_median_s"]
