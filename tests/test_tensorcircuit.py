"""The TensorCircuit-NG backends: TensorCircuit's own gates are the table's, angle expressions trace under JAX,
two TensorCircuit layers share a process (its backend and dtype are global), and what they record."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from backends import BACKENDS, build_layer, make_circuit
from backends.description import expressions as E
from backends.description.gates import GATES, matrix
from backends.layer import quantum_weights
from backends.tensorcircuit.compile import BY_MATRIX, NATIVE, _apply

RNG = np.random.default_rng(11)


def test_every_gate_is_native_or_applied_by_its_matrix():
    assert set(NATIVE) | set(BY_MATRIX) == set(GATES) and not set(NATIVE) & set(BY_MATRIX)
    assert set(BY_MATRIX) == {"SX", "Rot", "RZX", "MultiRZ"}        # what TensorCircuit 1.10 lacks


@pytest.mark.parametrize("name", list(GATES))
def test_each_gate_as_applied_is_the_tables_matrix(name):
    """Column k of the applied gate is the state it makes from basis state k (TensorCircuit's numpy backend)."""
    import tensorcircuit as tc
    spec = GATES[name]
    n = spec.wires or 3
    params = list(RNG.uniform(-3, 3, spec.params))
    with tc.runtime_backend("numpy"), tc.runtime_dtype("complex128"):
        columns = []
        for k in range(2 ** n):
            c = tc.Circuit(n, inputs=np.eye(2 ** n, dtype=complex)[k])
            _apply(tc, c, name, tuple(range(n)), params, None if name in NATIVE else np)
            columns.append(np.asarray(c.state()))
    assert np.allclose(np.stack(columns, 1), matrix(name, params, np, n), atol=1e-12)


@pytest.mark.parametrize("name", E.FUNCTIONS)
def test_expressions_evaluate_on_traced_jax_arrays(name):
    import jax
    import jax.numpy as jnp
    x, w = E.Input(0), E.Weight(0)
    expr = E.function(name, 0.3 * x + 0.2 * w + 0.5) ** 2 / (1.0 + w * w)
    f = jax.jit(lambda xs, ws: expr.evaluate(lambda i: xs[i], lambda j: ws[j]))
    got = float(f(jnp.array([0.4]), jnp.array([-0.6])))
    assert got == pytest.approx(expr.evaluate(lambda i: 0.4, lambda j: -0.6), rel=1e-6)


def test_two_tensorcircuit_layers_share_a_process():
    """tc-torch switches TensorCircuit to its PyTorch backend; tc-jax, called after it with a new batch shape
    (so traced again), still runs on JAX in complex128 and agrees with the reference."""
    import tensorcircuit as tc
    circuit = make_circuit("entangler", 3, 2)
    weights = torch.tensor(RNG.uniform(-2, 2, circuit.n_weights), dtype=torch.float32)
    jax_layer = build_layer("tc-jax", circuit, weights)
    jax_layer(torch.rand(2, 3))
    torch_layer = build_layer("tc-torch", circuit, weights)
    assert tc.backend.name == "pytorch"
    x = torch.tensor(RNG.uniform(-2, 2, (5, 3)), dtype=torch.float32)
    results = {}
    for name, layer in (("tc-jax", jax_layer), ("tc-torch", torch_layer), ("torch", build_layer("torch", circuit, weights))):
        xg = x.clone().requires_grad_()
        out = layer(xg)
        (out * torch.linspace(-1, 1, out.shape[1])).sum().backward()
        results[name] = (out.double(), xg.grad.double(), quantum_weights(layer).grad.double())
        if name.startswith("tc"):
            assert tc.dtypestr == "complex128"
    for name in ("tc-jax", "tc-torch"):
        assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(results[name], results["torch"])), name


@pytest.mark.parametrize("backend,jit,threads_applied", [("tc-torch", False, True), ("tc-jax", True, False)])
def test_settings_say_dtype_jit_vmap_and_whether_the_thread_budget_applied(backend, jit, threads_applied):
    layer = build_layer(backend, make_circuit("moons"), torch.tensor([0.3, 0.8]), threads=1)
    settings = layer.settings()
    assert (settings["dtype"], settings["jit"]) == ("complex128", jit)
    assert settings["vmap"] == ("jax.vmap" if jit else "torch.vmap")
    assert ("not applied" not in settings["threads_note"]) == threads_applied
    assert BACKENDS[backend].gradient_in == "backward call" and not BACKENDS[backend].shots


def test_work_without_an_input_gradient_and_without_weights():
    """textbook: 1 qubit, no weights. Batch 4: tc-jax's backward simulates the batch again; tc-torch's nothing."""
    circuit = make_circuit("textbook")
    assert circuit.n_weights == 0
    counts = {}
    for backend in ("tc-torch", "tc-jax"):
        layer = build_layer(backend, circuit, torch.zeros(0))
        work = layer.count_work(torch.rand(4, circuit.n_inputs, requires_grad=True))
        counts[backend] = (work.values, work.gradient_circuits, work.simulator_calls)
    assert counts == {"tc-torch": (4, 0, 1), "tc-jax": (4, 4, 2)}
