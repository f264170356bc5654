"""The readout axis: named readouts built as written by hand, their identity, a sweep over them, and the work
each backend does per readout, counted by hand (issue 19, deliverables 1 and 2)."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from backends import build_layer
from backends.description.readouts import READOUTS, readout
from backends.sources import load_source
from harness.executing.sweep import SweepConfig, expand
from harness.inputs.config import RunConfig
from harness.inputs.circuits import readout_refusal
from harness.measuring.weights import initial_weights


def _words(outputs):
    return [(o.offset, [(t.coeff, t.label) for t in o.terms]) for o in outputs]


def test_each_readout_on_four_qubits_by_hand():
    assert _words(readout("z-all", 4)) == [(0.0, [(1.0, f"Z{i}")]) for i in range(4)]
    assert _words(readout("z0", 4)) == [(0.0, [(1.0, "Z0")])]
    assert _words(readout("zz-ring", 4)) == [(0.0, [(1.0, w)]) for w in ("Z0Z1", "Z1Z2", "Z2Z3", "Z0Z3")]
    assert _words(readout("ising", 4)) == [(0.0, [(1.0, "Z0"), (1.0, "Z1"), (1.0, "Z2"), (1.0, "Z3"),
                                                  (0.5, "Z0Z1"), (0.5, "Z1Z2"), (0.5, "Z2Z3")])]
    assert [o.label for o in readout("xyz-all", 2)] == ["X0", "X1", "Y0", "Y1", "Z0", "Z1"]
    assert _words(readout("zz-ring", 2)) == [(0.0, [(1.0, "Z0Z1")])]         # a ring of two is one pair
    with pytest.raises(ValueError, match="readout zz-ring needs at least 2 qubits"):
        readout("zz-ring", 1)


def test_the_entanglers_own_readout_is_its_configuration_as_it_is():
    own = RunConfig(task="scaling", qubits=3, layers=1).resolve()
    named = RunConfig(task="scaling", qubits=3, layers=1, observables="z-all").resolve()
    other = RunConfig(task="scaling", qubits=3, layers=1, observables="z0").resolve()
    assert (own.observables, own.circuit_digest) == (named.observables, named.circuit_digest) == (None, None)
    assert other.observables == "z0" and other.circuit_digest is not None


@pytest.mark.parametrize("spec,identity", [
    ("Z0", "z0"), ("1*Z0 + 0", "z0"), ("0.5*Z0 + 0.5*Z0", "z0"), (" z0 ", "z0"),   # a readout, written by hand
    # a readout's outputs at this size only keep their text: a sweep over sizes stays one family
    ("X0, X1, X2, Y0, Y1, Y2, Z0, Z1, Z2", "X0, X1, X2, Y0, Y1, Y2, Z0, Z1, Z2"),
    ("Z0 + Z1 + Z2 + 0.5*Z0Z1 + 0.5*Z1Z2", "Z0 + Z1 + Z2 + 0.5*Z0Z1 + 0.5*Z1Z2"),
    ("Z0 + 0.25 - 0.1*X0Z1", "0.25 + Z0 - 0.1*X0Z1"),       # no readout's: its exact text, terms as parsed
    ("0.25+Z0-0.1*Z1X0", "0.25 + Z0 - 0.1*X0Z1"),
    ("-1*Z2, 3*Y1 + 0", "-Z2, 3*Y1"),
    ("z0, x1", "Z0, X1"), ("z0,z0", "Z0, Z0"),              # lowercase words are outputs, z0 among them
])
def test_the_same_outputs_written_two_ways_are_one_configuration(spec, identity):
    cfg = RunConfig(task="scaling", qubits=3, layers=1, observables=spec).resolve()
    named = RunConfig(task="scaling", qubits=3, layers=1, observables=identity).resolve()
    assert cfg.observables == identity
    assert cfg.circuit_digest == named.circuit_digest is not None


def test_outputs_equal_to_a_readout_at_one_size_only_stay_one_family_across_sizes():
    sweep = SweepConfig(backends=("torch",), tasks=("scaling",), qubits=(2, 3, 4), layers=(1,), seeds=(0,),
                        base=RunConfig(observables="Z0Z1", epochs=1, train_size=8, test_size=4, batch_size=4))
    assert sorted((c.qubits, c.observables) for c in expand(sweep)) == [(2, "Z0Z1"), (3, "Z0Z1"), (4, "Z0Z1")]
    sweep = dataclasses.replace(sweep, base=dataclasses.replace(sweep.base, observables="Z0"))
    assert {c.observables for c in expand(sweep)} == {"z0"}              # Z0 is z0 at every size


def test_an_outputs_identity_reads_back_as_the_same_outputs_to_the_last_bit():
    from backends.description.observables import parse_observables
    from harness.inputs.circuits import canonical_outputs
    spec = f"{0.1 + 0.2!r}*X0Z1 - {1 / 3!r}*Y2 + 1e-20, -0.7*Z0 + 2"
    circuit = load_source("entangler", 3, 1, observables=spec).circuit
    text = canonical_outputs(spec, circuit)
    assert text == "1e-20 + 0.30000000000000004*X0Z1 - 0.3333333333333333*Y2, 2 - 0.7*Z0"
    assert parse_observables(text) == parse_observables(spec) == tuple(circuit.observables)


def test_a_sweep_takes_a_list_of_readouts_as_an_axis():
    sweep = SweepConfig(backends=("torch",), tasks=("scaling",), qubits=(2, 3), layers=(1,), seeds=(0,),
                        base=RunConfig(observables="z0,ising,z0", epochs=1, train_size=8, test_size=4, batch_size=4))
    configs = expand(sweep)
    assert sorted((c.qubits, c.observables) for c in configs) == [(2, "ising"), (2, "z0"), (3, "ising"), (3, "z0")]
    assert len({c.circuit_digest for c in configs}) == 4


def test_all_backends_skip_a_readout_they_cannot_serve_with_the_reason():
    notes = []
    sweep = SweepConfig(backends=("all",), tasks=("scaling",), qubits=(2,), layers=(1,), seeds=(0,),
                        base=RunConfig(observables="z0,z-all", epochs=1, train_size=8, test_size=4, batch_size=4))
    configs = expand(sweep, notes)
    assert "qiskit-ml-sampler" not in {c.backend for c in configs}
    assert {c.observables for c in configs} == {"z0", None}          # z-all is the entangler's own
    why = readout_refusal(RunConfig(task="tutorial-parity", backend="qiskit-ml-sampler", observables="z0"))
    assert why.startswith("tutorial-parity, readout z0: backend qiskit-ml-sampler skipped: ") and "parity" in why


B = 4           # batch; entangler 4 qubits x 1 layer: 4 RX(x) and 4 RY(w) angles, inputs needing a gradient
OUTPUTS = {"z0": 1, "z-all": 4, "ising": 1}


@pytest.mark.parametrize("name", sorted(OUTPUTS))
@pytest.mark.parametrize("backend, expected", [
    # adjoint in Jacobian mode: one reverse sweep per observable of each circuit (a Hamiltonian is one)
    ("lightning-adjoint", lambda k: (B, 0, B * k)),
    ("default-adjoint", lambda k: (B, 0, B * k)),
    # device_vjp folds the cotangents into one observable: one sweep per circuit, whatever the readout
    ("lightning-adjoint-vjp", lambda k: (B, 0, B)),
    ("default-adjoint-vjp", lambda k: (B, 0, B)),
    # parameter-shift measures every observable on each shifted circuit: 2 shifts x 8 angles x B
    ("qiskit-shift", lambda k: (B, 2 * 8 * B, 0)),
    ("default-shift", lambda k: (B, 2 * 8 * B, 0)),
    # qiskit-machine-learning sends one PUB per observable, for the values and for every shifted circuit
    ("qiskit-ml", lambda k: (B * k, 2 * 8 * B * k, 0)),
    ("default-backprop", lambda k: (B, 0, 0)),
])
def test_work_per_readout_by_hand(backend, expected, name):
    circuit = load_source("entangler", 4, 1, name).circuit
    assert circuit.n_outputs == OUTPUTS[name]
    layer = build_layer(backend, circuit, initial_weights(circuit, 0))
    work = layer.count_work(torch.rand(B, 4, requires_grad=True))
    assert (work.values, work.gradient_circuits, work.adjoint_passes) == expected(OUTPUTS[name])
    if backend == "qiskit-shift":           # one simulator call for the values, one for all shifted circuits
        assert work.simulator_calls == 2


def test_every_readout_is_listed_with_a_summary():
    assert set(READOUTS) == {"z-all", "z0", "zz-ring", "ising", "xyz-all"}
    assert all(r.summary for r in READOUTS.values())
