"""The gate table against the frameworks' own matrices, its shift rules against finite differences, and every
(backend, gate) pair against the torch reference for values and gradients of inputs and weights."""
from __future__ import annotations

import math

import numpy as np
import pennylane as qml
import pytest
import torch
from qiskit import QuantumCircuit
from qiskit.quantum_info import Operator

from backends import BACKENDS, UserError, build_layer
from backends.description import CircuitBuilder, z_observable
from backends.description.gates import FOUR_TERM, GATES, TWO_TERM, matrix
from backends.layer import quantum_weights

RNG = np.random.default_rng(7)


def _wires(name: str) -> int:
    return GATES[name].wires or 3           # MultiRZ: any number of wires, tried on three


@pytest.mark.parametrize("name", list(GATES))
def test_the_matrix_is_qiskits_and_pennylanes(name):
    spec, n = GATES[name], _wires(name)
    params = list(RNG.uniform(-3, 3, spec.params))
    mine = matrix(name, params, np, n)
    assert np.allclose(mine @ mine.conj().T, np.eye(2 ** n), atol=1e-12)          # unitary
    if spec.qiskit:
        qc = QuantumCircuit(n)
        # Qiskit's qubit 0 is the least significant bit, the table's first wire the most significant
        getattr(qc, spec.qiskit)(*params, *[n - 1 - w for w in range(n)])
        assert np.allclose(mine, Operator(qc).data, atol=1e-12)
    kind, _, arg = spec.pennylane.partition(":")
    op = (qml.adjoint(getattr(qml, arg)(wires=0)) if kind == "adjoint" else
          qml.PauliRot(*params, arg, wires=range(n)) if kind == "PauliRot" else getattr(qml, kind)(*params, wires=range(n)))
    assert np.allclose(mine, qml.matrix(op, wire_order=range(n)), atol=1e-12)


@pytest.mark.parametrize("name", [n for n, g in GATES.items() if g.params])
def test_the_shift_rule_gives_the_derivative(name):
    spec, n = GATES[name], _wires(name)
    state = RNG.normal(size=2 ** n) + 1j * RNG.normal(size=2 ** n)
    state /= np.linalg.norm(state)
    observable = np.diag(np.kron(np.array([1, -1]), np.ones(2 ** (n - 1))))      # Z on the first wire
    observable = observable + np.kron(np.array([[0, 1], [1, 0]]), np.eye(2 ** (n - 1)))   # + X on it
    params = list(RNG.uniform(-3, 3, spec.params))
    assert spec.shift == (FOUR_TERM if name in ("CRX", "CRY", "CRZ") else TWO_TERM)

    def f(p):
        out = matrix(name, p, np, n) @ state
        return float(np.real(out.conj() @ observable @ out))

    for i in range(spec.params):
        moved = lambda d: [v + d if j == i else v for j, v in enumerate(params)]   # noqa: E731
        rule = sum(c * f(moved(s)) for c, s in spec.shift)
        numeric = (f(moved(1e-6)) - f(moved(-1e-6))) / 2e-6
        assert rule == pytest.approx(numeric, abs=1e-6)


def _probe(name: str):
    """A small circuit around one gate: inputs enter before it and in its first parameter, weights the rest."""
    spec, n = GATES[name], _wires(name)
    b = CircuitBuilder(f"probe-{name}", max(n, 2), max(n, 2), spec.params + 1)
    for i in range(b.n_qubits):
        b.ry(b.x[i], i)
        b.rz(0.4 * b.x[i] + 0.3, i)
    params = [b.w[j] + (0.5 * b.x[0] if j == 0 else 0) for j in range(spec.params)]
    b.gate(name, tuple(range(n)), *params)
    for i in range(b.n_qubits):               # read in another basis, so phases show in Z
        b.h(i)
    b.rx(b.w[spec.params], 0)
    return b.build([z_observable((i,)) for i in range(b.n_qubits)] + [z_observable((0, 1), scale=0.5, offset=0.1)])


def _chain(names) -> "Circuit":
    """One circuit through every gate in ``names`` in turn, each fed by inputs and its own weights (3 wires)."""
    n_weights = sum(GATES[g].params for g in names) + 1
    b = CircuitBuilder("probe-chain", 3, 3, n_weights)
    for i in range(3):
        b.ry(b.x[i], i)
    k = 0
    for j, name in enumerate(names):
        spec = GATES[name]
        params = [b.w[k + p] + (0.5 * b.x[j % 3] if p == 0 else 0) for p in range(spec.params)]
        k += spec.params
        b.gate(name, tuple((j + w) % 3 for w in range(_wires(name))), *params)
    for i in range(3):
        b.h(i)
    b.rx(b.w[k], 0)
    return b.build([z_observable((i,)) for i in range(3)] + [z_observable((0, 2), scale=0.5, offset=0.1)])


def _outputs_and_grads(backend, circuit, weights, x, cotangent):
    layer = build_layer(backend, circuit, weights)
    x = x.clone().requires_grad_()
    out = layer(x)
    (out * cotangent).sum().backward()
    return out.detach().double(), x.grad.double(), quantum_weights(layer).grad.double()


BACKEND_NAMES = [n for n, s in BACKENDS.items() if n not in ("torch", "classical")]
# tc-jax compiles each circuit twice (forward and vjp, about a second together), and it applies every gate with
# the very code tc-torch does (backends/tensorcircuit/compile.py), which runs every gate here: so tc-jax runs its
# own jax.numpy path (the gates applied by matrix) and one gate of each native kind, all in one circuit
TC_JAX_GATES = ("SX", "Rot", "RZX", "MultiRZ", "RX", "U", "CRX", "RZZ", "CSWAP")
# kokkos-shift compiles every gate as kokkos-adjoint does (which runs them all); it runs the parametric ones,
# whose gradient it computes its own way, to keep the suite quick
PAIRS = [(b, g) for b in BACKEND_NAMES for g in GATES
         if b != "tc-jax" and (b != "kokkos-shift" or GATES[g].params)]


@pytest.fixture(scope="module")
def references():
    cache = {}

    def get(name):
        if name not in cache:
            circuit = _probe(name)
            weights = torch.tensor(RNG.uniform(-2, 2, circuit.n_weights), dtype=torch.float32)
            x = torch.tensor(RNG.uniform(-2, 2, (2, circuit.n_inputs)), dtype=torch.float32)
            cot = torch.tensor(RNG.uniform(-1, 1, (2, circuit.n_outputs)), dtype=torch.float32)
            cache[name] = circuit, weights, x, cot, _outputs_and_grads("torch", circuit, weights, x, cot)
        return cache[name]
    return get


@pytest.mark.parametrize("name", list(GATES))
def test_the_torch_reference_agrees_with_finite_differences(name, references):
    from backends.torch_statevector import simulate, z_signs
    circuit, weights, x, cot, (out, gx, gw) = references(name)
    signs = z_signs(circuit)
    scale = torch.tensor([o.scale for o in circuit.observables], dtype=torch.float64)
    offset = torch.tensor([o.offset for o in circuit.observables], dtype=torch.float64)

    def loss(xv, wv):          # in float64 throughout: the layer's float32 outputs are too coarse to difference
        probs = simulate(circuit, circuit.angles(xv, wv)).reshape(len(xv), -1).abs() ** 2
        return float(((offset + scale * (probs @ signs.T)) * cot.double()).sum())

    h = 1e-6
    for grad, shape, which in ((gx, x.shape, "x"), (gw, weights.shape, "w")):
        numeric = torch.zeros(shape, dtype=torch.float64)
        for idx in np.ndindex(*shape):
            e = torch.zeros(shape, dtype=torch.float64)
            e[idx] = h
            xv, wv = (x.double() + e, weights.double()) if which == "x" else (x.double(), weights.double() + e)
            xm, wm = (x.double() - e, weights.double()) if which == "x" else (x.double(), weights.double() - e)
            numeric[idx] = (loss(xv, wv) - loss(xm, wm)) / (2 * h)
        assert torch.allclose(grad, numeric, atol=1e-5), which


@pytest.mark.parametrize("backend,name", PAIRS, ids=[f"{n}-{b}" for b, n in PAIRS])
def test_every_backend_runs_every_gate_as_the_reference_does(backend, name, references):
    circuit, weights, x, cot, (out, gx, gw) = references(name)
    spec = BACKENDS[backend]
    if spec.refuses(circuit):
        # the sampler reads parity probabilities only; any other backend refuses exactly the gate declared
        # broken for it (not another gate of the probe), which test_a_refused_gate_really_is_broken shows;
        # and the refusal reaches the user as one line, not as a wrong answer
        assert backend == "qiskit-ml-sampler" or name in dict(spec.broken_gates), backend
        with pytest.raises(UserError, match=backend):
            build_layer(backend, circuit, weights)
        return
    got, got_x, got_w = _outputs_and_grads(backend, circuit, weights, x, cot)
    assert torch.allclose(got, out, atol=1e-5)
    assert torch.allclose(got_x, gx, atol=1e-5) and torch.allclose(got_w, gw, atol=1e-5)


def test_tc_jax_runs_a_gate_of_each_kind_as_the_reference_does():
    circuit = _chain(TC_JAX_GATES)
    weights = torch.tensor(RNG.uniform(-2, 2, circuit.n_weights), dtype=torch.float32)
    x = torch.tensor(RNG.uniform(-2, 2, (2, circuit.n_inputs)), dtype=torch.float32)
    cot = torch.tensor(RNG.uniform(-1, 1, (2, circuit.n_outputs)), dtype=torch.float32)
    want = _outputs_and_grads("torch", circuit, weights, x, cot)
    for got, ref in zip(_outputs_and_grads("tc-jax", circuit, weights, x, cot), want):
        assert torch.allclose(got, ref, atol=1e-5)
    assert not torch.allclose(want[2], torch.zeros_like(want[2]))     # every weight reaches the outputs


@pytest.mark.parametrize("name,per_slot", [("RX", 2), ("CRX", 4), ("U", 2), ("CP", 2)])
def test_qiskit_shift_simulates_each_rules_terms(name, per_slot, references):
    circuit = references(name)[0]
    layer = build_layer("qiskit-shift", circuit, torch.zeros(circuit.n_weights))
    work = layer.count_work(torch.rand(3, circuit.n_inputs))          # inputs without a gradient
    spec = GATES[name]
    # weight slots by hand: the gate's own parameters and the closing RX(w); the closing RX has two terms
    assert work.gradient_circuits == 3 * (spec.params * per_slot + 2)
    assert math.isclose(sum(c for c, _ in spec.shift), 0.0, abs_tol=1e-15)


BROKEN = [(b, gate) for b, spec in BACKENDS.items() for gate, _ in spec.broken_gates]


@pytest.mark.parametrize("backend,name", BROKEN)
def test_a_refused_gate_really_is_broken_in_that_framework(backend, name, references):
    """Built past the refusal, the framework errs or computes something else: when a release fixes it, this
    fails, and the refusal should go."""
    import importlib
    circuit, weights, x, cot, (out, gx, gw) = references(name)
    spec = BACKENDS[backend]
    layer = importlib.import_module(spec.module).build(circuit, weights, spec=spec, shots=None, threads=None)
    try:
        xg = x.clone().requires_grad_()
        got = layer(xg)
        (got * cot).sum().backward()
    except Exception:                                   # noqa: BLE001 - failing at all is what is shown
        return
    agrees = torch.allclose(got.double(), out, atol=1e-5) and torch.allclose(xg.grad.double(), gx, atol=1e-5)
    assert not agrees, f"{backend} now runs {name} correctly: drop it from broken_gates"


def test_qiskit_shift_refuses_controlled_gates_on_aers_public_path(references, monkeypatch):
    import backends.qiskit.shift as shift
    from backends import UserError
    circuit, weights, x, *_ = references("CRX")
    monkeypatch.setattr(shift, "USE_AER_INTERNALS", False)
    with pytest.raises(UserError, match="cannot run CRX through Aer's public backend.run"):
        build_layer("qiskit-shift", circuit, weights)
    build_layer("qiskit-shift", references("RX")[0], references("RX")[1])     # other gates still run there
