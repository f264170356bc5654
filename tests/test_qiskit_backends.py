"""The two Qiskit backends against the plain-torch reference, and against Qiskit itself.

* exact mode: outputs and gradients (inputs and weights) of ``qiskit-shift`` and
  ``qiskit-ml`` match the ``torch`` backend to 1e-5 on every circuit;
* shots mode: both really sample (values within 5 standard errors of the exact
  ones, exactly ``shots`` shots, reproducible under ``torch.manual_seed``);
* ``qiskit-shift`` makes exactly one simulator call per forward and one per
  backward of a whole batch, whatever the batch size against its packing of
  rows into Aer experiments, and its public ``backend.run`` fallback gives
  the same numbers as its fast path;
* the ``tutorial`` description compiles to Qiskit's own
  ``zz_feature_map(2)`` + ``real_amplitudes(2, reps=1)``.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import qiskit  # noqa: F401  (hard dependencies: a broken install fails here, it is not skipped)
import qiskit_aer  # noqa: F401
import qiskit_machine_learning  # noqa: F401
import torch

from backends import build_layer, make_circuit

CIRCUITS = [("textbook", {}), ("moons", {}), ("tutorial", {}),
            ("entangler", {"qubits": 3, "layers": 2})]
BACKENDS = ["qiskit-shift", "qiskit-ml"]


def _weights(layer) -> torch.Tensor:
    (w,) = list(layer.parameters())
    return w


def _run(layer, x, cotangent):
    """Forward, then backward of <cotangent, out>: (out, d/dx, d/dweights)."""
    x = x.clone().requires_grad_(True)
    out = layer(x)
    (out * cotangent).sum().backward()
    w = _weights(layer)
    w_grad = w.grad if w.grad is not None else torch.zeros_like(w)
    x_grad = x.grad if x.grad is not None else torch.zeros_like(x)
    return out.detach(), x_grad, w_grad


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name,size", CIRCUITS, ids=[c[0] for c in CIRCUITS])
def test_exact_matches_torch_reference(backend, name, size):
    circuit = make_circuit(name, **size)
    gen = torch.Generator().manual_seed(7)
    weights = torch.rand(circuit.n_weights, generator=gen) * 2 * math.pi
    batch = 3 if backend == "qiskit-ml" else 6
    x = (torch.rand(batch, circuit.n_inputs, generator=gen) - 0.5) * 2 * math.pi
    cotangent = torch.randn(batch, circuit.n_outputs, generator=gen)

    ref = _run(build_layer("torch", circuit, weights), x, cotangent)
    got = _run(build_layer(backend, circuit, weights), x, cotangent)

    assert got[0].shape == (batch, circuit.n_outputs) and got[0].dtype == torch.float32
    for what, r, g in zip(("outputs", "input grads", "weight grads"), ref, got):
        assert g.shape == r.shape, what
        assert torch.allclose(g, r, atol=1e-5, rtol=0), f"{what}: max diff {(g - r).abs().max():.3g}"
    # the reference gradients are not trivially zero (except the weightless textbook)
    assert ref[1].abs().max() > 1e-3
    if circuit.n_weights:
        assert ref[2].abs().max() > 1e-3


@pytest.mark.parametrize("backend", BACKENDS)
def test_exact_mode_is_deterministic(backend):
    """No hidden noise: the QNN's default precision 0.015625 would add Gaussian noise."""
    circuit = make_circuit("tutorial")
    layer = build_layer(backend, circuit, torch.tensor([0.1, 0.2, 0.3, 0.4]))
    x = torch.tensor([[0.3, -0.7], [1.1, 0.4]])
    with torch.no_grad():
        assert torch.equal(layer(x), layer(x))


def _spy_shots(layer, seen: list) -> None:
    """Record the shots each simulated row really got (reaches into the backend).

    ``qiskit-shift`` executes through its ``AerRows``: Aer's own per-experiment
    ``shots`` and the sum of each row's counts are recorded. ``qiskit-ml`` goes
    through ``backend.run``, whose ``shots`` argument is recorded.
    """
    if hasattr(layer, "aer"):
        sim = layer.aer.simulator
        inner = sim._execute_circuits

        def spy_execute(*args):
            output = inner(*args)
            for result in output["results"]:
                seen.extend([result["shots"], sum(result["data"]["counts"].values())])
            return output

        sim._execute_circuits = spy_execute
        return
    sim = layer.estimator._backend
    inner_run = sim.run

    def spy_run(*args, **kwargs):
        seen.append(kwargs.get("shots"))
        return inner_run(*args, **kwargs)

    sim.run = spy_run


@pytest.mark.parametrize("backend", BACKENDS)
def test_shots_sample_within_statistical_tolerance(backend):
    shots, batch = 2000, 6
    circuit = make_circuit("moons")
    weights = torch.tensor([0.4, -1.1])
    x = torch.tensor([[0.2, 0.9], [-0.5, 0.3], [1.0, -0.8], [0.7, 0.7], [-1.2, 0.1], [0.05, -0.4]])
    assert x.shape[0] == batch

    torch.manual_seed(0)
    layer = build_layer(backend, circuit, weights, shots=shots)
    seen_shots = []
    _spy_shots(layer, seen_shots)

    exact = build_layer("torch", circuit, weights)
    ref_out, _, ref_wgrad = _run(exact, x, torch.tensor([[1.0, 0.0]]).expand(batch, 2))

    torch.manual_seed(123)
    out, _, w_grad = _run(layer, x, torch.tensor([[1.0, 0.0]]).expand(batch, 2))
    assert seen_shots and all(s == shots for s in seen_shots), seen_shots

    # moons outputs are raw <Z>: standard error sqrt((1 - E^2) / N) per value
    se = torch.sqrt(torch.clamp(1 - ref_out.double() ** 2, min=1e-3) / shots)
    assert ((out.double() - ref_out.double()).abs() <= 5 * se).all(), (out, ref_out)
    assert not torch.allclose(out, ref_out, atol=1e-6), "shots mode looks exact: is it sampling?"
    # d(sum_b <Z0>_b)/dw_j: sum over the batch of (E+ - E-)/2, variance <= B / (2N)
    tol = 5 * math.sqrt(batch / (2 * shots))
    assert ((w_grad - ref_wgrad).abs() <= tol).all(), (w_grad, ref_wgrad)

    # reproducible under torch.manual_seed, different without it
    with torch.no_grad():
        torch.manual_seed(123)
        again = layer(x)
        assert torch.equal(again, out)
        assert not torch.equal(layer(x), out)


def test_precision_gives_exact_shot_count():
    from backends.qiskit.ml import precision_for_shots

    # BackendEstimatorV2 runs ceil(1 / precision**2) shots; 1/sqrt(N) alone is often N + 1
    for n in list(range(1, 3000)) + [4096, 10_000, 65_537, 1_000_000]:
        assert math.ceil(1.0 / precision_for_shots(n) ** 2) == n


@pytest.mark.parametrize("shots", [None, 500])
def test_qiskit_shift_one_simulator_call_per_pass(shots):
    circuit = make_circuit("moons")
    layer = build_layer("qiskit-shift", circuit, torch.tensor([0.3, 0.8]), shots=shots)
    batch, k = 8, len(circuit.rotations)
    x = torch.rand(batch, 2, requires_grad=True)
    # the counters must match the simulator's real executions
    executions = []
    inner = layer.aer.simulator._execute_circuits
    layer.aer.simulator._execute_circuits = lambda *args: executions.append(1) or inner(*args)
    out = layer(x)
    assert layer.simulator_calls == {"forward": 1, "backward": 0} and len(executions) == 1
    assert layer.executions == {"forward": batch, "backward": 0}
    out.sum().backward()
    assert layer.simulator_calls == {"forward": 1, "backward": 1} and len(executions) == 2
    assert layer.executions == {"forward": batch, "backward": 2 * k * batch}


@pytest.mark.parametrize("name,size,batches", [("moons", {}, [1, 8, 13]),
                                               ("entangler", {"qubits": 9, "layers": 1}, [1, 3])])
def test_qiskit_shift_rows_packed_per_experiment(name, size, batches):
    """Exact mode packs several rows into one Aer experiment and pads the last one:
    every batch size, below, at and above the packing, must give the reference values."""
    from backends.qiskit.shift import rows_per_experiment

    circuit = make_circuit(name, **size)
    gen = torch.Generator().manual_seed(11)
    weights = torch.rand(circuit.n_weights, generator=gen) * 2 * math.pi
    layer = build_layer("qiskit-shift", circuit, weights)
    assert layer.aer.rows_per_experiment == rows_per_experiment(circuit.n_qubits) > 1
    ref = build_layer("torch", circuit, weights)
    for batch in batches:
        x = (torch.rand(batch, circuit.n_inputs, generator=gen) - 0.5) * 2 * math.pi
        cotangent = torch.randn(batch, circuit.n_outputs, generator=gen)
        for what, r, g in zip(("outputs", "input grads", "weight grads"),
                              _run(ref, x, cotangent), _run(layer, x, cotangent)):
            assert torch.allclose(g, r, atol=1e-5, rtol=0), f"batch {batch} {what}"
        ref.zero_grad()
        layer.zero_grad()


@pytest.mark.parametrize("shots", [None, 300])
def test_qiskit_shift_public_aer_path_gives_the_same_numbers(shots, monkeypatch):
    """Without Aer's internal steps the same program runs through ``backend.run``:
    same values, and with shots the same samples for the same seed."""
    import backends.qiskit.shift as qiskit_shift

    circuit = make_circuit("tutorial")
    weights = torch.tensor([0.1, 0.5, -0.3, 1.2])
    fast = build_layer("qiskit-shift", circuit, weights, shots=shots)
    monkeypatch.setattr(qiskit_shift, "USE_AER_INTERNALS", False)
    public = build_layer("qiskit-shift", circuit, weights, shots=shots)
    assert fast.aer._assembled is not None and public.aer._assembled is None
    x = torch.tensor([[0.2, 0.9], [-0.5, 0.3], [1.0, -0.8]])
    cotangent = torch.tensor([[1.0], [-0.5], [2.0]])
    torch.manual_seed(3)
    got_fast = _run(fast, x, cotangent)
    torch.manual_seed(3)
    got_public = _run(public, x, cotangent)
    for f, p in zip(got_fast, got_public):
        assert torch.equal(f, p)
    assert public.simulator_calls == {"forward": 1, "backward": 1}
    # the row records which path ran
    assert (fast.settings()["aer_path"], public.settings()["aer_path"]) == ("internal", "public backend.run")


def test_qiskit_ml_counts_calls():
    circuit = make_circuit("moons")
    layer = build_layer("qiskit-ml", circuit, torch.tensor([0.3, 0.8]))
    batch, n_obs, n_params = 4, 2, 4
    out = layer(torch.rand(batch, 2, requires_grad=True))
    # Aer's EstimatorV2 simulates each PUB separately; EstimatorQNN sends one per observable
    assert layer.estimator_calls == {"forward": 1, "backward": 0}
    assert layer.simulator_calls == {"forward": n_obs, "backward": 0}
    out.sum().backward()
    assert layer.estimator_calls == {"forward": 1, "backward": 1}
    # one PUB per sample, observable and shifted parameter (+ and -)
    assert layer.simulator_calls["backward"] == batch * n_obs * 2 * n_params
    assert layer.executions == {"forward": batch * n_obs, "backward": batch * n_obs * 2 * n_params}


def test_threads_option_reaches_aer():
    circuit = make_circuit("moons")
    layer = build_layer("qiskit-shift", circuit, torch.tensor([0.3, 0.8]), threads=1)
    options = layer.aer.simulator.options
    assert options.max_parallel_threads == 1 and options.max_parallel_experiments == 1
    # and they reach Aer's run configuration, which the layer keeps between calls
    assert layer.aer._config().max_parallel_threads == 1
    layer.aer.simulator.set_options(max_parallel_threads=2)
    assert layer.aer._config().max_parallel_threads == 2
    ref = build_layer("torch", circuit, torch.tensor([0.3, 0.8]))
    x = torch.rand(4, 2)
    with torch.no_grad():
        assert torch.allclose(layer(x), ref(x), atol=1e-6)


def _bind_tutorial_reference(x: np.ndarray, w: np.ndarray):
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import real_amplitudes, zz_feature_map

    feature_map = zz_feature_map(2)
    ansatz = real_amplitudes(2, reps=1)
    qc = QuantumCircuit(2)
    qc.compose(feature_map, inplace=True)
    qc.compose(ansatz, inplace=True)
    # bind by each vector element's own index, whatever order Qiskit lists them in
    values = {p: x[p.index] for p in feature_map.parameters}
    values.update({p: w[p.index] for p in ansatz.parameters})
    assert len(values) == qc.num_parameters == 6
    return qc.assign_parameters(values)


def test_tutorial_is_qiskits_zz_feature_map_plus_real_amplitudes():
    from qiskit.quantum_info import SparsePauliOp, Statevector

    from backends.qiskit.common import gate_angle_circuit

    circuit = make_circuit("tutorial")
    ours, theta = gate_angle_circuit(circuit)
    rng = np.random.default_rng(3)
    zz = SparsePauliOp("ZZ")
    for _ in range(5):
        x = rng.uniform(-math.pi, math.pi, 2)
        w = rng.uniform(-math.pi, math.pi, 4)
        angles = circuit.angles(torch.tensor(x)[None], torch.tensor(w))[0].numpy()
        mine = Statevector(ours.assign_parameters(dict(zip(theta, angles))))
        theirs = Statevector(_bind_tutorial_reference(x, w))
        # RZ differs from Qiskit's P gate by a global phase only
        assert mine.equiv(theirs)
        assert abs(mine.expectation_value(zz) - theirs.expectation_value(zz)) < 1e-12
        # and the check can fail: weights in another order give another state
        assert not Statevector(_bind_tutorial_reference(x, w[::-1])).equiv(mine)

    from backends.qiskit.common import expression_circuit

    expr, xs, ws = expression_circuit(circuit)
    values = dict(zip(list(xs) + list(ws), list(x) + list(w)))
    assert Statevector(expr.assign_parameters(values)).equiv(theirs)


def test_zero_weight_circuit_trains_through_qiskit_ml():
    """The textbook circuit has no weights: the connector must still give input gradients."""
    circuit = make_circuit("textbook")
    layer = build_layer("qiskit-ml", circuit, torch.zeros(0))
    assert layer.weights.shape == (0,)
    x = torch.tensor([[0.3], [1.4]], requires_grad=True)
    layer(x).sum().backward()
    # P(1) = (1 - <Z>)/2 after H, RY(x): <Z> = -sin(x), so dP/dx = cos(x)/2
    assert torch.allclose(x.grad, torch.cos(x.detach()) / 2, atol=1e-6)


def test_shots_parity_of_a_two_wire_z_string():
    """<Z0 Z1> from sampled bitstrings: the parity of both wires' bits."""
    circuit = make_circuit("tutorial")
    weights = torch.tensor([0.1, 0.5, -0.3, 1.2])
    x = torch.tensor([[0.2, 0.9], [-0.5, 0.3], [1.0, -0.8], [0.7, 0.7]])
    shots = 4000
    torch.manual_seed(5)
    with torch.no_grad():
        out = build_layer("qiskit-shift", circuit, weights, shots=shots)(x).double()
        ref = build_layer("torch", circuit, weights)(x).double()
    se = torch.sqrt(torch.clamp(1 - ref ** 2, min=1e-3) / shots)
    assert ((out - ref).abs() <= 5 * se).all(), (out, ref)


@pytest.mark.parametrize("backend", BACKENDS)
def test_deepcopy_counts_on_the_copy(backend):
    """Checkpointing a model with copy.deepcopy must not leave the copy counting on the original."""
    import copy

    circuit = make_circuit("moons")
    layer = build_layer(backend, circuit, torch.tensor([0.3, 0.8]))
    twin = copy.deepcopy(layer)
    reference = build_layer("torch", circuit, torch.tensor([0.3, 0.8]))
    with torch.no_grad():
        x = torch.rand(3, 2)
        torch.testing.assert_close(twin(x), reference(x), rtol=0, atol=1e-5)
    # the copy's work lands on the copy alone
    assert twin.simulator_calls["forward"] >= 1 and twin.executions["forward"] == 3 * (2 if backend == "qiskit-ml" else 1)
    assert layer.simulator_calls == {"forward": 0, "backward": 0} and layer.executions == {"forward": 0, "backward": 0}
    if backend == "qiskit-shift":   # the copy runs its own simulator
        assert twin.aer is not layer.aer and twin.aer.simulator is not layer.aer.simulator
