"""Your own circuit through the harness: --observables, identity digests, task widths, the child's re-check, the API.

References are independent of the code under test: outputs by the numpy statevector
(``harness.measuring.dense``) or by hand; digests compared between configurations,
never with a value the code just stored.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

import harness
from backends import UserError, make_circuit
from backends.sources import digest, load_source
from harness.cli import main
from harness.executing.sweep import SweepConfig, expand
from harness.inputs.config import RunConfig
from harness.measuring import dense
from harness.measuring.train import circuit_of
from harness.tasks import TASKS


def _cli(argv, capsys):
    try:
        status = main(argv)
    except SystemExit as stop:
        status = stop.code
    return status, capsys.readouterr().err


def test_a_built_in_circuit_as_it_is_keeps_its_name_as_identity():
    cfg = RunConfig(task="moons", backend="torch").resolve()
    assert (cfg.circuit, cfg.circuit_digest, cfg.circuit_format) == ("moons", None, "built-in")


def test_other_outputs_are_another_configuration_and_the_same_outputs_the_same_one():
    a = RunConfig(task="moons", observables="Z0, 0.5*X0Z1 + Y1").resolve()
    b = RunConfig(task="moons", observables="Z0,0.5 * X0 Z1+Y1").resolve()     # the same sum, spaced otherwise
    c = RunConfig(task="moons", observables="Z0, 0.5*X0Z1 - Y1").resolve()
    assert a.circuit_digest == b.circuit_digest and len(a.circuit_digest) == 16
    assert c.circuit_digest != a.circuit_digest
    assert a.circuit_digest != digest(make_circuit("moons"))


def test_the_digest_changes_with_any_gate_angle_or_wire_and_not_with_the_name():
    base = make_circuit("moons")
    renamed = dataclasses.replace(base, name="other")
    moved = dataclasses.replace(base, gates=base.gates[:-1] + (dataclasses.replace(base.gates[-1], wires=(0,)),))
    assert digest(renamed) == digest(base)
    assert digest(moved) != digest(base)
    assert len({digest(make_circuit("entangler", q, 2)) for q in (2, 3, 4)}) == 3


def test_overridden_outputs_are_measured_as_written(capsys):
    """moons with outputs Z0, 0.5 - 0.5*Z0Z1 and Z1: the torch layer against the numpy statevector."""
    circuit = harness.load_circuit("moons", observables="Z0, 0.5 - 0.5*Z0Z1, Z1")
    assert [o.label for o in circuit.observables] == ["Z0", "0.5-0.5*Z0Z1", "Z1"]
    layer = harness.layer(circuit, "torch", seed=3)
    x = torch.rand(5, 2, dtype=torch.float64) * 2 - 1
    w = harness.initial_weights(circuit, 3).double()
    expected = dense.outputs(circuit, x.numpy(), w.numpy())
    got = layer(x).detach().double().numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6)
    # the middle output is by hand the probability that the two bits differ: between 0 and 1
    assert ((got[:, 1] >= -1e-6) & (got[:, 1] <= 1 + 1e-6)).all()


def test_moons_resizes_its_blocks_to_the_outputs():
    circuit = load_source("moons", observables="Z0, X1, 0.5*Z0Z1").circuit
    model = TASKS["moons"].impl().build_model(None, circuit, torch.nn.Identity())
    first, after = model[0], model[2]
    assert (first[0].in_features, first[2].out_features) == (2, 2)       # two inputs, as the circuit has
    assert (after[0].in_features, after[2].out_features) == (3, 2)       # three outputs in, two classes out


@pytest.mark.parametrize("args, message", [
    (["--observables", "Z0, Q1"], "--observables: output 2 ('Q1'): cannot read a term at 'Q1'"),
    (["--observables", "Z0, 1j*Z1"], "--observables: output 2 ('1j*Z1'): cannot read a term at 'j*Z1'"),
    (["--observables", "Z0, Z5"], "--observables: output 2 (Z5) reads wire 5; the circuit has wires 0..1"),
    (["--observables", "Z0,,Z1"], "--observables: output 2 of 'Z0,,Z1' is empty"),
    (["--observables", "Z0Z0"], "--observables: output 1 ('Z0Z0'): a Pauli word names a wire twice"),
    (["--task", "tutorial-classify", "--observables", "Z0, Z1"],
     "task 'tutorial-classify' needs a circuit with 2 inputs and 1 outputs"),
    (["--circuit", "no/such/file.py"], "circuit file 'no/such/file.py' does not exist"),
    (["--inputs", "a,b"], "--inputs and --weights name the parameters of a circuit file"),
])
def test_bad_circuit_input_is_one_line_before_anything_runs(tmp_path, capsys, args, message):
    results = tmp_path / "r"
    status, err = _cli(["run", "--results", str(results), *args], capsys)
    assert status == 2 and err.startswith("error: ") and message in err and err.count("\n") == 1, err
    assert not results.exists()


def test_the_child_refuses_a_circuit_that_changed_after_validation():
    cfg = RunConfig(task="moons", observables="Z0, Z1").resolve()
    assert circuit_of(cfg).n_outputs == 2
    with pytest.raises(UserError, match="changed after it was checked"):
        circuit_of(dataclasses.replace(cfg, circuit_digest="0" * 16))


def test_a_sweep_over_outputs_keys_each_spec_once():
    base = RunConfig(observables="Z0, Z0Z1", epochs=1, train_size=10, test_size=2)
    configs = expand(SweepConfig(backends=("torch", "classical", "torch"), tasks=("moons",), seeds=(0, 1), base=base))
    assert sorted((c.backend, c.seed) for c in configs) == [("classical", 0), ("classical", 1), ("torch", 0),
                                                            ("torch", 1)]
    assert {c.circuit_digest for c in configs} == {load_source("moons", observables="Z0, Z0Z1").digest}


def test_the_api_refuses_what_it_cannot_load_in_one_line():
    with pytest.raises(UserError, match="cannot load a circuit from int"):
        harness.load_circuit(3)
    with pytest.raises(UserError, match="unknown circuit|does not exist"):
        harness.load_circuit("no-such-circuit")


def test_the_api_layer_trains_in_plain_torch():
    circuit = harness.load_circuit("moons")
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), harness.layer(circuit, "torch"), torch.nn.Linear(2, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.rand(8, 2), torch.randint(0, 2, (8,))
    first = None
    for _ in range(5):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert math.isfinite(first) and loss.item() < first


def test_the_python_api_refuses_what_the_command_line_refuses():
    with pytest.raises(UserError, match="wire number '01' has a leading zero"):
        harness.load_circuit("entangler", observables="Z01")
    with pytest.raises(UserError, match="is a folder"):
        harness.load_circuit("/")
    assert [o.label for o in harness.load_circuit("entangler", observables="Z0Z1").observables] == ["Z0Z1"]
