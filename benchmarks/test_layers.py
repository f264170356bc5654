"""Forward+backward of one batch, every available backend side by side per circuit and size.

    pytest benchmarks                                   # timed (a few minutes)
    pytest benchmarks -k "moons and 32" --benchmark-json=out.json
    pytest benchmarks --benchmark-disable               # CI: each step once, untimed

Each benchmark is grouped by circuit and size (``moons-q2-b32``,
``entangler-q8-L2-b16``), so pytest-benchmark's table compares the backends
of one group. moons at batch 32 is the qiskit-shift vs qiskit-ml comparison.
After the timing every test checks the last round's output, its input
gradients and its weight gradients against the torch reference on the same
inputs and weights, so a broken backend fails instead of timing garbage.
"""
from __future__ import annotations

from typing import NamedTuple

import pytest
import torch

from backends import BACKENDS, UserError, build_layer
from backends.layer import quantum_weights

class Case(NamedTuple):
    circuit: str
    qubits: int | None          # None: the circuit's fixed size
    layers: int | None
    batch: int

    @property
    def id(self) -> str:
        size = f"q{self.qubits}-L{self.layers}" if self.qubits is not None else "fixed"
        return f"{self.circuit}-{size}-b{self.batch}"


CASES = [
    Case("textbook", None, None, 16),
    Case("moons", None, None, 16),
    Case("moons", None, None, 32),
    Case("tutorial", None, None, 16),
    Case("tutorial-parity", None, None, 16),
    Case("entangler", 2, 2, 16),
    Case("entangler", 4, 2, 16),
    Case("entangler", 8, 2, 16),
]


@pytest.mark.parametrize("backend", list(BACKENDS))
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_forward_backward(layer_benchmark, case, backend):
    run = layer_benchmark(backend, case.circuit, case.qubits, case.layers, case.batch)

    out, x = run.out, run.x
    assert tuple(out.shape) == (case.batch, run.circuit.n_outputs)
    assert out.dtype == torch.float32
    if backend == "classical":                  # no circuit to compare with
        return
    # what was timed computed the right numbers: the torch statevector on the same inputs and weights
    reference = build_layer("torch", run.circuit, run.weights)
    x_ref = x.detach().clone().requires_grad_()
    ref_out = reference(x_ref)
    ref_out.sum().backward()
    torch.testing.assert_close(out.detach(), ref_out.detach(), rtol=0, atol=1e-5)
    torch.testing.assert_close(x.grad, x_ref.grad, rtol=0, atol=1e-5)
    ref_w = quantum_weights(reference)
    if ref_w is None:                           # a circuit without weights
        assert run.weight_grad is None
    else:
        # nothing trained them, so the timed layer still holds the weights the reference was built from
        torch.testing.assert_close(quantum_weights(run.layer).detach(), run.weights, rtol=0, atol=0)
        torch.testing.assert_close(run.weight_grad, ref_w.grad, rtol=0, atol=1e-5)


@pytest.mark.filterwarnings("ignore:Benchmark fixture was not used")
def test_only_the_registered_refusal_is_skipped(layer_benchmark, monkeypatch):
    """A circuit the backend does not serve is skipped; any other refusal fails the benchmark."""
    with pytest.raises(pytest.skip.Exception, match="serves only"):
        layer_benchmark("qiskit-ml-sampler", "moons", None, None, 16)

    def refuses(*args, **kwargs):
        raise UserError("backend 'torch' refuses for a reason no registry names")
    monkeypatch.setitem(layer_benchmark.__globals__, "build_layer", refuses)
    with pytest.raises(UserError, match="no registry names"):
        try:
            layer_benchmark("torch", "moons", None, None, 16)
        except pytest.skip.Exception as skipped:      # a skip would hide the failure: fail instead
            pytest.fail(f"a refusal the registry does not name was skipped: {skipped}")
