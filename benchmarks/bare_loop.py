"""The moons model trained by a bare script: the harness's loop with none of its instruments.

    python benchmarks/bare_loop.py BACKEND SEED THREADS [EPOCHS]

Same data, model, initial weights, dtype and step order as ``harness run
--task moons`` (so the two reach the same loss), but no timing wrappers, no
autograd markers, no progress, no sampler thread. The quantum layer is built
the way each family's users build it:

* our own layers (``qiskit-shift``, ``torch``, ``classical``): ``build_layer``;
* PennyLane (``default-*``, ``lightning-*``, ``kokkos-*``): a ``qml.qnn.TorchLayer`` straight
  from a QNode, with the backend's device, diff_method and device_vjp;
* qiskit-machine-learning (``qiskit-ml``, ``qiskit-ml-lincomb``, ``qiskit-ml-reverse``):
  ``EstimatorQNN`` + ``TorchConnector`` on Aer's ``EstimatorV2``, exact, with the
  backend's gradient (parameter-shift, LinComb, qiskit-algorithms' reverse);
* TensorCircuit-NG (``tc-torch``, ``tc-jax``): ``tc.TorchLayer`` straight from the
  one-sample function (vmap; on JAX with its torch interface and jit), complex128,
  without the harness layer's backend guard and counters.

The harness hands its quantum layer float64 inputs (PennyLane and Qiskit
compute in double precision; see ``backends/pennylane/common.py``) and
float32 outputs back; so does this script. It is started in the environment
``harness run`` gives its child (``child_env``); it sets torch's threads the
same way. Prints one JSON line: ``train_s`` (the training loop, wall seconds)
and ``final_loss`` (mean loss of the last epoch).
"""
import json
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class Cast(nn.Module):
    """The wrapped module in float64, its outputs in float32, as the harness's layers do."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x.to(torch.float64)).to(torch.float32)


QISKIT_ML = ("qiskit-ml", "qiskit-ml-lincomb", "qiskit-ml-reverse")


def raw_layer(backend: str, circuit, weights, threads: int):
    """The quantum layer as the framework's own users build it."""
    from backends import BACKENDS, build_layer
    spec = BACKENDS[backend]
    if spec.framework == "pennylane":
        from backends.pennylane.common import make_torch_layer
        return Cast(make_torch_layer(circuit, weights, simulator=spec.simulator, diff_method=spec.diff_method,
                                      device_vjp=spec.device_vjp))
    if backend in QISKIT_ML:
        from qiskit_aer.primitives import EstimatorV2
        from qiskit_machine_learning.connectors import TorchConnector
        from qiskit_machine_learning.gradients import LinCombEstimatorGradient, ParamShiftEstimatorGradient
        from qiskit_machine_learning.neural_networks import EstimatorQNN

        from backends.qiskit.common import aer_backend_options, expression_circuit, observables
        qc, x, w = expression_circuit(circuit)
        estimator = EstimatorV2(options={"default_precision": 0.0,
                                         "backend_options": aer_backend_options(threads)})
        if spec.diff_method == "adjoint":
            from qiskit_algorithms.gradients import ReverseEstimatorGradient
            gradient = ReverseEstimatorGradient()
        else:
            gradient = {"parameter-shift": ParamShiftEstimatorGradient,
                        "lincomb": LinCombEstimatorGradient}[spec.diff_method](estimator=estimator)
        qnn = EstimatorQNN(circuit=qc, estimator=estimator, observables=observables(circuit), input_params=list(x),
                           weight_params=list(w), gradient=gradient,
                           input_gradients=True, default_precision=0.0)
        return Cast(TorchConnector(qnn, initial_weights=weights.double().numpy()))
    if spec.simulator in ("tc pytorch", "tc jax"):
        import tensorcircuit as tc

        from backends.tensorcircuit.compile import circuit_function
        from backends.tensorcircuit.layers import BACKENDS as TC_BACKENDS, DTYPE
        tc.set_backend(TC_BACKENDS[spec.simulator])
        tc.set_dtype(DTYPE)
        jax = TC_BACKENDS[spec.simulator] == "jax"
        initial = weights.detach().clone()
        return Cast(tc.TorchLayer(circuit_function(circuit, lambda: None), [circuit.n_weights],
                                  initializer=lambda shape: initial.clone(), use_vmap=True, use_interface=jax,
                                  use_jit=jax))
    return build_layer(backend, circuit, weights, threads=threads)


def main(backend: str, seed: int, threads: int, epochs: int = 6) -> dict:
    from backends import make_circuit
    from harness.datasets.moons import load_moons
    from harness.tasks import moons
    from harness.measuring.weights import initial_weights

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    (X, y), _ = load_moons(train_size=200, test_size=100, noise=0.1, seed=seed)
    circuit = make_circuit("moons")
    torch.manual_seed(seed)                      # the classical layers first, as the harness draws them
    first, last = moons._block(), moons._block()
    model = torch.nn.Sequential(first, raw_layer(backend, circuit, initial_weights(circuit, seed), threads), last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    shuffle = torch.Generator().manual_seed(seed + 1)
    batch = 5
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=shuffle)
        running = 0.0
        for b in range(len(X) // batch):
            idx = order[b * batch:(b + 1) * batch]
            optimizer.zero_grad()
            loss = moons.loss(model(X[idx]), y[idx])
            loss.backward()
            optimizer.step()
            running += loss.item()
    train_s = time.perf_counter() - start
    return {"backend": backend, "train_s": train_s, "final_loss": running / (len(X) // batch)}


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(main(args[0], int(args[1]), int(args[2]), *(int(a) for a in args[3:4]))))
