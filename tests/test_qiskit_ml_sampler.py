"""`qiskit-ml-sampler`: SamplerQNN(parity) + TorchConnector against the torch reference and Qiskit.

* What the installed libraries can do, tested rather than assumed: Aer's
  SamplerV2 and qiskit's StatevectorSampler only sample; qiskit-machine-learning's
  own QMLSampler (SamplerQNN's default) gives exact probabilities.
* exact mode: outputs and gradients match the `torch` backend to 1e-5;
* shots mode: Aer really samples exactly `shots` shots per row, within 5
  standard errors, reproducibly under torch.manual_seed;
* it serves only parity-probability circuits and refuses others in one line.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import qiskit_aer  # noqa: F401  (hard dependencies: a broken install fails here, it is not skipped)
import qiskit_machine_learning  # noqa: F401
import torch

from backends import UserError, build_layer, make_circuit
from harness.inputs.config import RunConfig

BACKEND = "qiskit-ml-sampler"


def _run(layer, x, cotangent):
    x = x.clone().requires_grad_(True)
    out = layer(x)
    (out * cotangent).sum().backward()
    w = layer.weights
    return out.detach(), x.grad, (w.grad if w.grad is not None else torch.zeros_like(w))


def _parity_circuit_and_point():
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import real_amplitudes, zz_feature_map

    qc = QuantumCircuit(2)
    fm, an = zz_feature_map(2), real_amplitudes(2, entanglement="linear", reps=1)
    qc.compose(fm, inplace=True)
    qc.compose(an, inplace=True)
    bound = qc.assign_parameters({**{p: [0.3, -0.6][p.index] for p in fm.parameters},
                                  **{p: [0.2, 0.9, -0.4, 0.5][p.index] for p in an.parameters}})
    return bound


def test_which_v2_samplers_give_exact_probabilities():
    from qiskit.primitives import StatevectorSampler
    from qiskit.quantum_info import Statevector
    from qiskit_aer.primitives import SamplerV2 as AerSampler
    from qiskit_machine_learning.primitives import QMLSampler

    bound = _parity_circuit_and_point()
    exact = Statevector(bound).probabilities_dict()
    measured = bound.measure_all(inplace=False)

    def probabilities(sampler):
        result = sampler.run([measured]).result()[0].data.meas
        probs = result.get_probabilities() if hasattr(result, "get_probabilities") else None
        if probs is None:
            counts = result.get_counts()
            probs = {k: v / sum(counts.values()) for k, v in counts.items()}
        return probs

    for sampler in (AerSampler(), StatevectorSampler()):
        a, b = probabilities(sampler), probabilities(sampler)
        assert a != b                                     # two calls, two samples
        assert max(abs(a.get(k, 0) - p) for k, p in exact.items()) < 0.1
    a, b = probabilities(QMLSampler()), probabilities(QMLSampler())
    assert a == b and max(abs(a.get(k, 0) - p) for k, p in exact.items()) < 1e-12


@pytest.mark.parametrize("name", ["tutorial-parity", "textbook"])
def test_exact_matches_torch_reference(name):
    circuit = make_circuit(name)
    gen = torch.Generator().manual_seed(5)
    weights = torch.rand(circuit.n_weights, generator=gen) * 2 * math.pi
    x = (torch.rand(3, circuit.n_inputs, generator=gen) - 0.5) * 2 * math.pi
    cotangent = torch.randn(3, circuit.n_outputs, generator=gen)
    ref = _run(build_layer("torch", circuit, weights), x, cotangent)
    layer = build_layer(BACKEND, circuit, weights)
    got = _run(layer, x, cotangent)
    for what, r, g in zip(("outputs", "input grads", "weight grads"), ref, got):
        assert g.shape == r.shape, what
        assert torch.allclose(g, r, atol=1e-5, rtol=0), f"{what}: max diff {(g - r).abs().max():.3g}"
    assert ref[1].abs().max() > 1e-3
    if circuit.n_weights:
        assert ref[2].abs().max() > 1e-3
    with torch.no_grad():                                 # exact: no hidden sampling noise
        assert torch.equal(layer(x), layer(x))


def test_outputs_are_the_qnns_parity_probabilities_and_work_is_counted():
    circuit = make_circuit("tutorial-parity")
    layer = build_layer(BACKEND, circuit, torch.tensor([0.2, 0.9, -0.4, 0.5]))
    x = torch.tensor([[0.3, -0.6], [1.0, 0.1]], requires_grad=True)
    out = layer(x)
    probs = layer.probabilities(x.detach())
    assert torch.allclose(out, probs, atol=1e-6) and torch.allclose(out.sum(dim=1), torch.ones(2), atol=1e-6)
    from qiskit.quantum_info import Statevector
    p = Statevector(_parity_circuit_and_point()).probabilities()
    assert out[0].detach().double().numpy() == pytest.approx([p[0] + p[3], p[1] + p[2]], abs=1e-6)
    assert layer.simulator_calls == {"forward": 2, "backward": 0}     # the layer call and probabilities()
    assert layer.executions == {"forward": 4, "backward": 0}
    out.sum().backward()
    # parameter shift over the gate angles: 2 shifted rows per sample and rotation gate
    assert layer.sampler_calls["backward"] == 1
    assert layer.executions == {"forward": 4, "backward": 2 * 2 * len(circuit.rotations)}


def test_shots_sample_with_aer_within_statistical_tolerance():
    shots, circuit = 2000, make_circuit("tutorial-parity")
    weights = torch.tensor([0.2, 0.9, -0.4, 0.5])
    x = torch.tensor([[0.3, -0.6], [1.0, 0.1], [-0.7, 0.8], [0.05, 0.4]])
    torch.manual_seed(0)
    layer = build_layer(BACKEND, circuit, weights, shots=shots)
    seen = []
    inner = layer.sampler._backend.run

    def spy(*args, **kwargs):
        seen.append(kwargs.get("shots"))
        return inner(*args, **kwargs)
    layer.sampler._backend.run = spy
    with torch.no_grad():
        ref = build_layer("torch", circuit, weights)(x).double()
        torch.manual_seed(9)
        out = layer(x).double()
        torch.manual_seed(9)
        again = layer(x).double()
        different = layer(x).double()
    assert seen == [shots] * 3
    se = torch.sqrt(torch.clamp(ref * (1 - ref), min=1e-3) / shots)      # a binomial proportion
    assert ((out - ref).abs() <= 5 * se).all(), (out, ref)
    assert not torch.allclose(out, ref, atol=1e-6), "shots mode looks exact: is it sampling?"
    assert torch.equal(out, again) and not torch.equal(out, different)


@pytest.mark.parametrize("name", ["moons", "tutorial", "tutorial-classify", "tutorial-regress"])
def test_other_circuits_are_refused_in_one_line(name):
    circuit = make_circuit(name)
    with pytest.raises(UserError) as err:
        build_layer(BACKEND, circuit, torch.zeros(circuit.n_weights))
    outputs = ", ".join(o.label for o in circuit.observables)
    assert str(err.value) == (f"backend 'qiskit-ml-sampler' serves only circuits whose outputs are parity "
                              f"probabilities of all qubits (textbook, tutorial-parity); received circuit '{name}', "
                              f"whose outputs are {outputs}")


def test_a_parity_circuit_with_other_outputs_is_refused_naming_them():
    import dataclasses
    from backends.description import parse_observables
    circuit = dataclasses.replace(make_circuit("tutorial-parity"), observables=parse_observables("0.5 + 0.5*Z0Z1, X0"))
    with pytest.raises(UserError, match=r"received circuit 'tutorial-parity', whose outputs are 0.5\+0.5\*Z0Z1, X0$"):
        build_layer(BACKEND, circuit, torch.zeros(circuit.n_weights))


def test_a_run_on_a_circuit_it_does_not_serve_is_refused_before_any_child():
    with pytest.raises(UserError, match="serves only circuits whose outputs are parity probabilities"):
        RunConfig(task="tutorial-classify", backend=BACKEND).resolve()
    assert RunConfig(task="tutorial-parity", backend=BACKEND).resolve().circuit == "tutorial-parity"


def test_run_tutorial_parity_as_a_new_user_would(capsys, tmp_path):
    """The command's own options, parsed here; the training runs in the child process ``run`` always starts."""
    import json

    from harness.cli import main

    status = main(["run", "--backend", BACKEND, "--task", "tutorial-parity", "--train-size", "4", "--test-size", "4",
                   "--batch-size", "4", "--threads", "1", "--results", str(tmp_path), "--json"])
    result = capsys.readouterr()
    assert status == 0, result.err
    row = json.loads(result.out.strip().splitlines()[-1])
    assert row["status"] == "ok" and row["function_evals"] >= 2 and row["steps"] == 1
    # per forward+backward of the 4 points: 4 rows for values; 2 shifted rows per point and rotation gate
    n_rot = len(make_circuit("tutorial-parity").rotations)
    assert (row["value_executions_per_eval"], row["gradient_executions_per_eval"]) == (4, 2 * 4 * n_rot)
    assert "function evaluations" in result.err and "accuracy train" in result.err
    assert np.isfinite(row["final_loss"])


def test_sweeping_all_backends_leaves_it_out_of_circuits_it_does_not_serve():
    from harness.executing.sweep import SweepConfig, expand

    configs = expand(SweepConfig(backends=("all",), tasks=("tutorial-classify", "tutorial-parity")))
    with_sampler = {c.task for c in configs if c.backend == BACKEND}
    assert with_sampler == {"tutorial-parity"}
    assert {c.backend for c in configs if c.task == "tutorial-classify"} >= {"torch", "qiskit-ml"}
    with pytest.raises(UserError, match="serves only"):          # named explicitly, it is refused
        expand(SweepConfig(backends=(BACKEND,), tasks=("moons",)))
