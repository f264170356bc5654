"""Only the work training needs, counted as training did it: a parameter-shift backend shifts only the angles
whose gradient is asked for, and the recorded counts follow whether training asked for an input gradient."""
from __future__ import annotations

import time

import pytest
import torch

from backends import build_layer
from backends.library import make_circuit
from harness.inputs.config import RunConfig
from harness.measuring.train import train
from harness.measuring.weights import initial_weights

SHIFT = ("qiskit-shift", "default-shift", "lightning-shift")


@pytest.mark.parametrize("backend", SHIFT)
@pytest.mark.parametrize("inputs_need_grad,shifted", [(False, 2 * 4 * 16), (True, 2 * 8 * 16)])
def test_shifted_circuits_by_hand(backend, inputs_need_grad, shifted):
    # entangler, 4 qubits, 1 layer: 4 RX(x) angles and 4 RY(w) angles; a batch of 16, two shifts per angle
    circuit = make_circuit("entangler", 4, 1)
    layer = build_layer(backend, circuit, initial_weights(circuit, 0))
    work = layer.count_work(torch.rand(16, 4).requires_grad_(inputs_need_grad))
    assert (work.values, work.gradient_circuits, work.adjoint_passes) == (16, shifted, 0)


def test_shifting_only_the_weights_gives_the_reference_weight_gradient():
    circuit = make_circuit("entangler", 3, 2)
    weights = initial_weights(circuit, 1)
    x = torch.rand(5, 3, generator=torch.Generator().manual_seed(2))
    grads = {}
    for backend in ("qiskit-shift", "torch"):
        layer = build_layer(backend, circuit, weights)
        (layer(x) * torch.arange(1.0, 4.0)).sum().backward()     # an uneven cotangent
        grads[backend] = next(p for p in layer.parameters()).grad
    assert torch.allclose(grads["qiskit-shift"], grads["torch"], atol=1e-5)


@pytest.mark.parametrize("task,extra,values,shifted", [
    # scaling: the circuit comes first, its inputs are data: 2 qubits x 1 layer = 2 weight angles, batch 4
    ("scaling", dict(qubits=2, layers=1, batch_size=4, train_size=8, test_size=4), 4, 2 * 2 * 4),
    # moons: nets before the circuit, so the inputs need a gradient: 2 RZ(2x) + 2 RY(w), batch 3
    ("moons", dict(batch_size=3, train_size=6, test_size=4), 3, 2 * 4 * 3),
])
def test_a_row_records_the_work_its_training_did(task, extra, values, shifted):
    cfg = RunConfig(task=task, backend="qiskit-shift", epochs=1, threads=1, **extra).resolve()
    row = train(cfg, time.perf_counter(), progress=lambda *a, **k: None)
    assert (row["value_executions_per_eval"], row["gradient_executions_per_eval"]) == (values, shifted)
