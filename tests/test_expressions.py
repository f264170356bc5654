"""Angle expressions beyond + - *: division, whole powers and the elementary functions, evaluated on floats,
numpy, torch and Qiskit parameters and differentiated exactly (checked against autograd and by hand)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from qiskit.circuit import Parameter

from backends import build_layer
from backends.description import CircuitBuilder, Input, Weight, z_observable
from backends.description import expressions as E

X, W = Input(0), Weight(0)
ARGS = {  # each function on an argument inside its domain for x, w in [-1, 1]
    "asin": 0.3 * X + 0.2 * W, "acos": 0.3 * X + 0.2 * W,
    "log": 2 + 0.3 * X + 0.2 * W, "sqrt": 2 + 0.3 * X + 0.2 * W,
}
MATH = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "asin": math.asin, "acos": math.acos,
        "atan": math.atan, "exp": math.exp, "log": math.log, "sqrt": math.sqrt}


@pytest.mark.parametrize("name", E.FUNCTIONS)
def test_a_function_evaluates_everywhere_and_differentiates_exactly(name):
    arg = ARGS.get(name, 0.7 * X + 0.2 * W + 0.1)
    expr = E.function(name, arg)
    x, w = 0.4, -0.6
    value = expr.evaluate(lambda i: x, lambda j: w)
    assert value == pytest.approx(MATH[name](arg.evaluate(lambda i: x, lambda j: w)), abs=1e-12)
    # numpy, a batch at once
    xs = np.array([0.4, -0.2, 0.9])
    assert np.allclose(expr.evaluate(lambda i: xs, lambda j: w),
                       [MATH[name](arg.evaluate(lambda i: v, lambda j: w)) for v in xs])
    # the symbolic derivative against torch's autograd of the same expression
    xt, wt = torch.tensor(x, dtype=torch.float64, requires_grad=True), torch.tensor(w, dtype=torch.float64,
                                                                                    requires_grad=True)
    expr.evaluate(lambda i: xt, lambda j: wt).backward()
    assert expr.derivative("x", 0).evaluate(lambda i: x, lambda j: w) == pytest.approx(xt.grad.item(), abs=1e-12)
    assert expr.derivative("w", 0).evaluate(lambda i: x, lambda j: w) == pytest.approx(wt.grad.item(), abs=1e-12)
    # a Qiskit parameter expression of the same, bound
    px, pw = Parameter("x"), Parameter("w")
    bound = expr.evaluate(lambda i: px, lambda j: pw).bind({px: x, pw: w})
    assert float(bound) == pytest.approx(value, abs=1e-12)


def test_powers_and_division_by_hand():
    expr = (X ** 3) / 2 - 1 / (W + 2)
    x, w = 0.5, 1.0
    assert expr.evaluate(lambda i: x, lambda j: w) == pytest.approx(0.125 / 2 - 1 / 3)
    assert expr.derivative("x", 0).evaluate(lambda i: x, lambda j: w) == pytest.approx(1.5 * x ** 2)
    assert expr.derivative("w", 0).evaluate(lambda i: x, lambda j: w) == pytest.approx(1 / (w + 2) ** 2)
    assert E.sin(0.0).value == 0.0                          # constants fold
    with pytest.raises(TypeError, match="whole-number powers"):
        X ** 0.5
    with pytest.raises(ValueError, match="unknown function 'sinh'"):
        E.function("sinh", X)


@pytest.mark.parametrize("backend", ["qiskit-shift", "qiskit-ml", "default-backprop", "default-shift",
                                     "lightning-adjoint"])
def test_every_backend_runs_a_circuit_of_such_angles_as_the_reference(backend):
    b = CircuitBuilder("functions", 2, 2, 2)
    b.ry(E.sin(b.x[0]) * b.w[0], 0)
    b.rz(b.x[1] ** 2 / 3 + E.atan(b.w[1]), 1)
    b.cnot(0, 1)
    b.rx(E.exp(0.3 * b.x[0]) - E.sqrt(2 + b.x[1]), 1)
    b.h(0)
    circuit = b.build([z_observable((0,)), z_observable((1,)), z_observable((0, 1))])
    weights = torch.tensor([0.8, -0.4])
    x = torch.tensor([[0.3, -0.5], [-0.9, 0.7]])
    cot = torch.tensor([[1.0, -0.5, 0.25], [0.3, 0.2, -1.0]])
    got = {}
    for name in (backend, "torch"):
        layer = build_layer(name, circuit, weights)
        xg = x.clone().requires_grad_()
        out = layer(xg)
        (out * cot).sum().backward()
        got[name] = (out.detach(), xg.grad, next(p for p in layer.parameters() if p.shape == (2,)).grad)
    for a, r in zip(got[backend], got["torch"]):
        assert torch.allclose(a, r, atol=1e-5)
