"""Forward+backward of one batch, every available backend side by side per circuit and size.

    pytest benchmarks                                   # timed (a few minutes)
    pytest benchmarks -k "moons and 32" --benchmark-json=out.json
    pytest benchmarks --benchmark-disable               # CI: each step once, untimed

Each benchmark is grouped by circuit and size (``moons-q2-b32``,
``entangler-q8-L2-b16``), so pytest-benchmark's table compares the backends
of one group. moons at batch 32 is the qiskit-shift vs qiskit-ml comparison.
After the timing every test checks the last round's output shape and that the
gradients are finite, so a broken backend fails instead of timing garbage.
"""
from __future__ import annotations

from typing import NamedTuple

import pytest
import torch

from backends import BACKENDS, build_layer



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
