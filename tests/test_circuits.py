"""The circuit description and the torch reference, against independent references.

The torch statevector backend is the yardstick for every other backend, so it
is checked here against hand-computed values, a dense numpy simulator written
independently (full 2^n x 2^n matrices built with Kronecker products), and
finite differences.
"""
import math

import numpy as np
import pytest
import torch

from backends import UserError, build_layer, make_circuit
from backends.description import z_observable
from harness.measuring.weights import initial_weights

I2 = np.eye(2)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Z = np.diag([1.0, -1.0]).astype(complex)
H = np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2)


def _rot(name, t):
    pauli = {"RX": X, "RY": np.array([[0, -1j], [1j, 0]]), "RZ": Z}[name]
    return math.cos(t / 2) * I2 - 1j * math.sin(t / 2) * pauli


def _embed(ops: dict, n):
    """Kronecker product with wire 0 leftmost (most significant)."""
    out = np.array([[1.0 + 0j]])
    for w in range(n):
        out = np.kron(out, ops.get(w, I2))
    return out


def _cnot(c, t, n):
    p0, p1 = np.diag([1, 0]).astype(complex), np.diag([0, 1]).astype(complex)
    return _embed({c: p0}, n) + _embed({c: p1, t: X}, n)


def dense_expectations(circuit, x, w):
    """Raw <Z string> values for one sample with plain numpy matrices."""
    n = circuit.n_qubits
    psi = np.zeros(2 ** n, dtype=complex)
    psi[0] = 1
    for g in circuit.gates:
        if g.name == "H":
            u = _embed({g.wires[0]: H}, n)
        elif g.name == "CNOT":
            u = _cnot(*g.wires, n)
        else:
            theta = g.angle.evaluate(lambda i: float(x[i]), lambda j: float(w[j]))
            u = _embed({g.wires[0]: _rot(g.name, theta)}, n)
        psi = u @ psi
    return [float(np.real(psi.conj() @ _embed({q: Z for q in o.wires}, n) @ psi)) for o in circuit.observables]


CIRCUITS = [("textbook", None, None), ("moons", None, None), ("tutorial", None, None),
            ("entangler", 3, 2), ("entangler", 2, 1), ("entangler", 1, 3),
            ("tutorial-classify", None, None), ("tutorial-parity", None, None), ("tutorial-regress", None, None)]


@pytest.mark.parametrize("name,qubits,layers", CIRCUITS)
def test_torch_reference_matches_dense_numpy(name, qubits, layers):
    circuit = make_circuit(name, qubits, layers)
    gen = torch.Generator().manual_seed(3)
    x = (torch.rand(5, circuit.n_inputs, generator=gen, dtype=torch.float64) * 2 - 1) * math.pi
    w = initial_weights(circuit, 3)
    layer = build_layer("torch", circuit, w)
    got = layer.expectations(x).detach().numpy()
    want = np.array([dense_expectations(circuit, row.numpy(), w.double().numpy()) for row in x])
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_textbook_is_probability_of_one_by_hand():
    # H then RY(x): P(|1>) = (1 + sin x) / 2
    layer = build_layer("torch", make_circuit("textbook"), torch.zeros(0))
    x = torch.tensor([[0.0], [math.pi / 2], [-math.pi / 2], [0.3]])
    out = layer(x).squeeze(1)
    np.testing.assert_allclose(out.numpy(), [0.5, 1.0, 0.0, (1 + math.sin(0.3)) / 2], atol=1e-6)
    assert out.dtype == torch.float32


def test_moons_by_hand_at_zero_weights():
    # with w = 0: H, RZ(2x) per wire, CNOT -> <Z0> = <Z1> = 0 (|+>-like states stay on the equator)
    layer = build_layer("torch", make_circuit("moons"), torch.zeros(2))
    out = layer(torch.tensor([[0.4, -1.1]]))
    np.testing.assert_allclose(out.detach().numpy(), [[0.0, 0.0]], atol=1e-6)
    # with x = 0, w0 = w1 = pi/2: state |++> is CNOT-invariant; RY(pi/2)|+> = |1> -> <Z> = -1
    layer = build_layer("torch", make_circuit("moons"), torch.tensor([math.pi / 2, math.pi / 2]))
    np.testing.assert_allclose(layer(torch.zeros(1, 2)).detach().numpy(), [[-1.0, -1.0]], atol=1e-6)


def test_torch_reference_gradients_match_finite_differences():
    circuit = make_circuit("tutorial")
    x = torch.rand(3, 2, dtype=torch.float64, requires_grad=True)
    w = initial_weights(circuit, 1).double().requires_grad_(True)
    layer = build_layer("torch", circuit, w.detach())

    def f(xx, ww):
        from backends.torch_statevector import simulate, z_signs
        probs = simulate(circuit, circuit.angles(xx, ww)).reshape(xx.shape[0], -1).abs() ** 2
        return probs @ z_signs(circuit).T
    assert torch.autograd.gradcheck(f, (x, w), eps=1e-6, atol=1e-6)
    assert layer(x.float()).shape == (3, 1)


def test_tutorial_entangling_angle_is_not_linear():
    circuit = make_circuit("tutorial")
    zz = [g for g in circuit.rotations if g.angle.inputs_used() == {0, 1}]
    assert len(zz) == 2                                  # reps=2
    value = zz[0].angle.evaluate(lambda i: [0.5, 1.5][i], lambda j: 0.0)
    assert value == pytest.approx(2 * (math.pi - 0.5) * (math.pi - 1.5))


def test_angle_derivatives_by_hand():
    from backends.description import Const
    circuit = make_circuit("tutorial")
    x0, x1 = 0.5, 1.5
    # d/dx0 of 2 (pi - x0)(pi - x1) is -2 (pi - x1); nothing of the weights
    zz = [g.angle for g in circuit.rotations if g.angle.inputs_used() == {0, 1}][0]
    d0 = zz.derivative("x", 0).evaluate(lambda i: [x0, x1][i], lambda j: 0.0)
    assert d0 == pytest.approx(-2 * (math.pi - x1))
    assert isinstance(zz.derivative("w", 0), Const) and zz.derivative("w", 0).value == 0.0
    # constants fold: d(2 x0)/dx0 is the constant 2, not an expression tree
    rz = make_circuit("moons").rotations[0].angle
    assert isinstance(rz.derivative("x", 0), Const) and rz.derivative("x", 0).value == 2.0


@pytest.mark.parametrize("name,qubits,layers", [("textbook", None, None), ("moons", None, None),
                                                ("tutorial", None, None), ("entangler", 3, 2)])
def test_numpy_angles_match_torch_autograd(name, qubits, layers):
    """The numpy angle map (qiskit-shift's) against torch's autograd through ``Circuit.angles``."""
    from backends.qiskit.chain_rule import NumpyAngles
    circuit = make_circuit(name, qubits, layers)
    gen = torch.Generator().manual_seed(4)
    x = (torch.rand(6, circuit.n_inputs, generator=gen, dtype=torch.float64) * 6 - 3).requires_grad_()
    w = (torch.rand(circuit.n_weights, generator=gen, dtype=torch.float64) * 6 - 3).requires_grad_()
    angles = circuit.angles(x, w)
    cotangent = torch.randn(angles.shape, generator=gen, dtype=torch.float64)
    gx, gw = torch.autograd.grad(angles, (x, w), cotangent, allow_unused=True)
    gw = torch.zeros_like(w) if gw is None else gw
    amap = NumpyAngles(circuit)
    xs, ws = x.detach().numpy(), w.detach().numpy()
    np.testing.assert_allclose(amap.values(xs, ws), angles.detach().numpy(), rtol=0, atol=1e-12)
    mx, mw = amap.backprop(xs, ws, cotangent.numpy())
    np.testing.assert_allclose(mx, gx.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(mw, gw.numpy(), rtol=0, atol=1e-12)
    assert np.abs(mx).max() > 0.1                       # a gradient that could be wrong


def test_entangler_structure():
    c = make_circuit("entangler", 4, 3)
    assert (c.n_qubits, c.n_inputs, c.n_weights, c.n_outputs) == (4, 4, 12, 4)
    assert sum(g.name == "CNOT" for g in c.gates) == 12
    assert [g.wires for g in c.gates if g.name == "CNOT"][:4] == [(0, 1), (1, 2), (2, 3), (3, 0)]


def test_observable_labels():
    assert z_observable((0, 1)).pauli_string(3) == "IZZ"
    assert z_observable((2,)).pauli_string(3) == "ZII"


@pytest.mark.parametrize("kwargs,message", [
    (dict(name="nope"), "unknown circuit 'nope'; valid: textbook, moons, tutorial, entangler"),
    (dict(name="entangler", qubits=0), "qubits must be a whole number from 1 to 30; received 0"),
    (dict(name="entangler", layers=0), "layers must be a whole number from 1 to 1000; received 0"),
    (dict(name="moons", qubits=5), "circuit 'moons' has a fixed size (2 qubits)"),
])
def test_circuit_errors(kwargs, message):
    with pytest.raises(UserError) as err:
        make_circuit(kwargs.pop("name"), **kwargs)
    assert message in str(err.value)


def test_initial_weights_depend_only_on_seed():
    c = make_circuit("entangler", 3, 2)
    a, b, other = initial_weights(c, 7), initial_weights(c, 7), initial_weights(c, 8)
    assert torch.equal(a, b) and not torch.equal(a, other)
    assert a.dtype == torch.float32 and bool(((a >= 0) & (a < 2 * math.pi)).all())
