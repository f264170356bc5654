"""General observables (offset + sum of real-weighted X/Y/Z words) on every backend, against a reference
written here from scratch: each gate a full 2**n matrix built entry by entry from the gate table's small one,
each observable a kron product of 2x2 Paulis, gradients by central finite differences."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from backends import BACKENDS, UserError, build_layer
from backends.description import CircuitBuilder, Term, parse_observables, pauli_sum, z_observable
from backends.description.gates import GATES
from backends.layer import quantum_weights

N_QUBITS, N_INPUTS, N_WEIGHTS = 3, 3, 4
# (gate, wires, angle of (x, w)): the same lambdas build Qiskit-free expressions and numpy floats
GATE_LIST = [
    ("RY", (0,), lambda x, w: x[0]), ("RY", (1,), lambda x, w: x[1]), ("RY", (2,), lambda x, w: x[2]),
    ("RZ", (0,), lambda x, w: 0.7 * x[0] + w[0]),
    ("CNOT", (0, 1), None),
    ("RXX", (1, 2), lambda x, w: w[1]),
    ("S", (1,), None),
    ("RY", (1,), lambda x, w: w[2] - 0.4 * x[1]),
    ("CZ", (0, 2), None),
    ("H", (0,), None),
    ("RX", (2,), lambda x, w: w[3] + 0.3 * x[2]),
    ("RYY", (0, 1), lambda x, w: 0.5 * w[0] * x[2]),
]

KINDS = {
    "X": "X0", "Y": "Y1", "Z": "Z2",
    "mixed word": "X0Y1Z2",
    "weighted word": "-0.7*Y0Z2 + 0.2",
    "sum with offset": "0.5*X0Z1 - 0.3*Y2 + 0.8*Z0Z2 + 0.25",
    "several outputs": "Z0, 0.5*X0X1 - Y2 + 0.8*Z1Z2 - 0.1, -0.7*Y0Z2, X1",
}


def make_circuit(spec: str):
    b = CircuitBuilder("observables-probe", N_QUBITS, N_INPUTS, N_WEIGHTS)
    for name, wires, angle in GATE_LIST:
        b.gate(name, wires, *([angle(b.x, b.w)] if angle else []))
    return b.build(parse_observables(spec))


# --- the independent reference ---------------------------------------------------

_PAULI = {"I": np.eye(2), "X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]]),
          "Z": np.diag([1.0, -1.0])}


def _full(small: np.ndarray, wires, n: int) -> np.ndarray:
    """The gate on the whole register: entry (out, in) is the small matrix's entry on ``wires``' bits
    (first wire most significant, as the table defines it) where every other bit agrees, else 0.
    Wire 0 is the most significant bit of the basis index, the first factor of every kron below."""
    bit = lambda index, w: (index >> (n - 1 - w)) & 1                     # noqa: E731
    rest = [w for w in range(n) if w not in wires]
    full = np.zeros((2 ** n, 2 ** n), dtype=complex)
    for out in range(2 ** n):
        for inp in range(2 ** n):
            if all(bit(out, w) == bit(inp, w) for w in rest):
                r = int("".join(str(bit(out, w)) for w in wires), 2)
                c = int("".join(str(bit(inp, w)) for w in wires), 2)
                full[out, inp] = small[r, c]
    return full


def _operator(obs, n: int) -> np.ndarray:
    """offset + sum_k c_k P_k as a dense matrix: each word a kron of 2x2 Paulis over wires 0..n-1."""
    total = obs.offset * np.eye(2 ** n, dtype=complex)
    for term in obs.terms:
        letters = dict(term.word)
        factors = [_PAULI[letters.get(w, "I")] for w in range(n)]
        total = total + term.coeff * _kron(factors)
    return total


def _kron(factors):
    out = np.array([[1.0 + 0j]])
    for f in factors:
        out = np.kron(out, f)
    return out


def reference_outputs(circuit, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(batch, n_outputs) <psi| O |psi> in float64."""
    n = circuit.n_qubits
    ops = [_operator(o, n) for o in circuit.observables]
    rows = []
    for xb in x:
        psi = np.zeros(2 ** n, dtype=complex)
        psi[0] = 1.0
        for name, wires, angle in GATE_LIST:
            params = [angle(xb, w)] if angle else []
            psi = _full(GATES[name].matrix(params, np, len(wires)), wires, n) @ psi
        rows.append([float(np.real(psi.conj() @ op @ psi)) for op in ops])
    return np.array(rows)


def reference(circuit, x, w, cot, h=1e-6):
    x, w, cot = (t.detach().double().numpy() for t in (x, w, cot))
    out = reference_outputs(circuit, x, w)
    loss = lambda xv, wv: float((reference_outputs(circuit, xv, wv) * cot).sum())     # noqa: E731
    gx, gw = np.zeros_like(x), np.zeros_like(w)
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        gx[idx] = (loss(x + e, w) - loss(x - e, w)) / (2 * h)
    for j in range(len(w)):
        e = np.zeros_like(w)
        e[j] = h
        gw[j] = (loss(x, w + e) - loss(x, w - e)) / (2 * h)
    return out, gx, gw


RNG = np.random.default_rng(18)
X = torch.tensor(RNG.uniform(-2, 2, (2, N_INPUTS)), dtype=torch.float32)
W = torch.tensor(RNG.uniform(-2, 2, N_WEIGHTS), dtype=torch.float32)


@pytest.fixture(scope="module")
def references():
    cache = {}

    def get(kind):
        if kind not in cache:
            circuit = make_circuit(KINDS[kind])
            cot = torch.tensor(RNG.uniform(-1, 1, (len(X), circuit.n_outputs)), dtype=torch.float32)
            cache[kind] = circuit, cot, reference(circuit, X, W, cot)
        return cache[kind]
    return get


def test_the_reference_sees_x_and_y(references):
    """Non-trivial entangling gates: every X/Y output moves away from 0, so a backend measuring Z (or
    nothing) there would fail."""
    for kind in ("X", "Y", "mixed word", "weighted word"):
        out = references(kind)[2][0]
        assert np.abs(out - make_circuit(KINDS[kind]).observables[0].offset).min() > 0.05, kind
    assert np.abs(references("sum with offset")[2][1]).max() > 0.05       # the gradients are not trivial


SERVED = [n for n in BACKENDS if n != "classical"]
# tc-jax measures with the very code tc-torch runs on every kind (backends/tensorcircuit/compile.py), and each
# of its circuits costs a jit compile of about a second: it runs the kind that holds every letter, a sum with an
# offset and several outputs
PAIRS = [(b, k) for b in SERVED for k in KINDS if b != "tc-jax" or k == "several outputs"]


@pytest.mark.parametrize("backend,kind", PAIRS, ids=[f"{k}-{b}" for b, k in PAIRS])
def test_every_backend_measures_the_observable_exactly(backend, kind, references):
    circuit, cot, (out, gx, gw) = references(kind)
    spec = BACKENDS[backend]
    if spec.refuses(circuit):
        assert backend == "qiskit-ml-sampler", f"{backend} refuses {kind}"
        with pytest.raises(UserError, match="whose outputs are"):
            build_layer(backend, circuit, W)
        return
    layer = build_layer(backend, circuit, W)
    x = X.clone().requires_grad_()
    got = layer(x)
    (got * cot).sum().backward()
    np.testing.assert_allclose(got.detach().double().numpy(), out, atol=1e-6)
    np.testing.assert_allclose(x.grad.double().numpy(), gx, atol=2e-5)
    np.testing.assert_allclose(quantum_weights(layer).grad.double().numpy(), gw, atol=2e-5)


def test_the_numpy_cross_check_measures_them_too(references):
    from harness.measuring import dense
    circuit, _, (out, _, _) = references("several outputs")
    np.testing.assert_allclose(dense.outputs(circuit, X.double().numpy(), W.double().numpy()), out, atol=1e-10)


SAMPLERS = [n for n, s in BACKENDS.items() if s.shots and n != "qiskit-ml-sampler"]
SHOTS = 4000


@pytest.mark.parametrize("backend", SAMPLERS)
def test_sampled_sums_land_within_five_standard_errors(backend, references):
    circuit, _, (out, _, _) = references("several outputs")
    torch.manual_seed(3)
    layer = build_layer(backend, circuit, W, shots=SHOTS)
    with torch.no_grad():
        got = layer(X).double().numpy()
    # each term's mean has standard error <= 1/sqrt(N); a sum's is at most sum |c_k| times that
    se = np.array([sum(abs(t.coeff) for t in o.terms) for o in circuit.observables]) / math.sqrt(SHOTS)
    assert np.all(np.abs(got - out) <= 5 * se), (got - out) / se
    assert not np.allclose(got, out, atol=1e-6)                       # it really sampled


def test_qiskit_shift_samples_every_basis_in_one_call_per_pass(references):
    circuit, cot, _ = references("several outputs")
    layer = build_layer("qiskit-shift", circuit, W, shots=100)
    calls = []
    inner = layer.aer.simulator._execute_circuits
    layer.aer.simulator._execute_circuits = lambda *args: calls.append(1) or inner(*args)
    (layer(X) * cot).sum().backward()
    bases = layer.aer.circuits_per_row
    assert bases == 3 and len(calls) == 2                 # Z0 Z1Z2 | X0X1 Y2 X1 | Y0Z2 (greedy, qubit-wise)
    assert layer.simulator_calls == {"forward": 1, "backward": 1}
    assert layer.executions["forward"] == bases * len(X)


def test_checks_shot_bound_of_a_sum_is_its_one_norm_over_root_n(references):
    from harness.measuring.check import _shot_bounds
    circuit, cot, (out, _, _) = references("several outputs")
    raw = torch.from_numpy(out - np.array([o.offset for o in circuit.observables]))
    raw = raw / torch.tensor([o.scale for o in circuit.observables], dtype=torch.float64)
    se, _, _ = _shot_bounds(circuit, X, W, raw, cot.double(), 400)
    assert torch.allclose(se[:, 1], torch.full((len(X),), 2.3 / 20, dtype=torch.float64))     # 0.5 + 1 + 0.8
    word = torch.sqrt((1 - raw[:, 2] ** 2) / 400) * 0.7                                       # -0.7*Y0Z2
    assert torch.allclose(se[:, 2], torch.clamp(word, min=1 / 400))


def test_z_only_outputs_keep_their_fast_paths():
    from backends.library import make_circuit as library_circuit
    moons = library_circuit("moons")
    assert build_layer("torch", moons, torch.zeros(2))._flipped == []
    assert build_layer("qiskit-shift", moons, torch.zeros(2), shots=10).aer.circuits_per_row == 1
    z_sum = dataclasses.replace(moons, observables=parse_observables("Z0 + 0.5*Z0Z1"))
    assert build_layer("qiskit-shift", z_sum, torch.zeros(2), shots=10).aer.circuits_per_row == 1


# --- the parser ----------------------------------------------------------------

def test_parse_observables_reads_words_sums_and_offsets():
    z0, mixed, summed = parse_observables("Z0, x0 y1 Z2, 0.5*X0Z1 + Y2 - 0.25 - 2e-1 * Z1X0")
    assert z0 == z_observable((0,))
    assert mixed.terms == (Term(1.0, ((0, "X"), (1, "Y"), (2, "Z"))),) and mixed.offset == 0.0
    assert summed.terms == (Term(0.3, ((0, "X"), (1, "Z"))), Term(1.0, ((2, "Y"),)))
    assert summed.offset == -0.25
    assert parse_observables("-Y3")[0].terms == (Term(-1.0, ((3, "Y"),)),)
    assert parse_observables("2*I0X1 + 1")[0] == pauli_sum([(2.0, [(1, "X")])], offset=1.0)


@pytest.mark.parametrize("spec,words", [
    ("1j*Z0", "cannot read a term at 'j*Z0' (coefficients must be real"),
    ("Z0 + 2J*X1", "cannot read a term at 'J*X1' (coefficients must be real"),
    ("Q0", "cannot read a term at 'Q0' ('Q' is not a Pauli letter: I, X, Y or Z)"),
    ("Z0 + 0.5*q1", "('q' is not a Pauli letter"),
    ("Z0, ", "output 2 of 'Z0, ' is empty"),
    ("Z0, ,X1", "output 2 of 'Z0, ,X1' is empty"),
    ("Z0Z0", "output 1 ('Z0Z0'): a Pauli word names a wire twice"),
    ("0.5", "needs at least one Pauli term that is not the identity"),
    ("Z0 0.5*X1", "cannot read a term at '0.5*X1'"),        # a missing sign between terms
])
def test_bad_specs_are_refused_with_a_clear_message(spec, words):
    with pytest.raises(ValueError) as err:
        parse_observables(spec)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_complex_coefficients_are_refused_by_the_model():
    with pytest.raises(ValueError, match="complex; outputs need real coefficients"):
        pauli_sum([(1j, [(0, "Z")])])
