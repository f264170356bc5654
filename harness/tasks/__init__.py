"""Tasks: data + the classical parts of the model + loss, optimiser and defaults.

One small module per task family, found by name through ``TASKS``. A task
module provides:

- ``load_data(cfg, circuit) -> ((X_train, y_train), (X_test, y_test))`` (the
  circuit, so synthetic data can be as wide as its inputs)
- ``build_model(cfg, circuit, quantum_layer) -> nn.Module``, the quantum layer
  placed between the classical layers the task's source used, resized to the
  circuit's inputs and outputs (a task with ``widths`` takes only circuits of
  those widths: its model is a tutorial's own)
- ``loss(output, y) -> scalar tensor`` and ``predict(output) -> class indices``
  (a regression task has no ``predict``: it gets no accuracy)
- ``optimizer(params, lr) -> torch.optim.Optimizer`` (one that needs a closure,
  such as LBFGS, is stepped with one; see ``harness.measuring.closure``)
- optionally ``evaluate(model, train, test) -> dict`` of extra row figures
  (a regression's ``train_mse``/``test_mse``, points for the report's plots)

The defaults below reproduce each task's source document.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from backends.errors import UserError


@dataclass(frozen=True)
class TaskSpec:
    name: str
    module: str                     # module in this package
    summary: str
    source: str
    circuit: str                    # default circuit
    circuits: tuple[str, ...]       # circuits it accepts
    epochs: int
    batch_size: int
    lr: float
    train_size: int                 # samples (per class for MNIST tasks)
    test_size: int
    digits: tuple[int, int] | None = None
    weights: str = "uniform-2pi"    # initial-weight scheme (harness.measuring.weights.SCHEMES)
    # score the training set after training; the scaling workload does not: it times steps, and the
    # extra forward passes over its training set only counted against its timeout
    train_accuracy: bool = True
    min_size: int = 1               # fewest samples per set its data can make (make_moons: one per class)
    # (inputs, outputs) a circuit file must have when the task's model cannot adapt to it; None: it adapts
    widths: tuple[int, int] | None = None

    def impl(self):
        return importlib.import_module(f"{__name__}.{self.module}")


TASKS: dict[str, TaskSpec] = {t.name: t for t in [
    TaskSpec("moons", "moons", "make_moons, 2-10-2 tanh nets around the moons circuit, L1 loss, SGD",
             "PennyLane forum post timing make_moons on default.qubit / lightning.qubit", "moons", ("moons",), epochs=6, batch_size=5, lr=0.2,
             train_size=200, test_size=100, min_size=2),
    TaskSpec("mnist01", "mnist", "MNIST 0 vs 1, textbook CNN + 1-qubit head, NLL loss, Adam",
             "Qiskit textbook, Hybrid quantum-classical Neural Networks with PyTorch and Qiskit", "textbook", ("textbook", "tutorial"), epochs=20, batch_size=1,
             lr=0.001, train_size=100, test_size=50, digits=(0, 1), weights="connector"),
    TaskSpec("mnist37", "mnist", "MNIST 3 vs 7, the same model as mnist01",
             "a blog post repeating the textbook on MNIST 0/1 and 3/7", "textbook", ("textbook", "tutorial"), epochs=20, batch_size=1,
             lr=0.001, train_size=100, test_size=50, digits=(3, 7), weights="connector"),
    TaskSpec("scaling", "scaling", "synthetic seeded data through the entangler circuit (qubits x layers)",
             "harness scaling workload", "entangler", ("entangler",), epochs=2, batch_size=16, lr=0.05,
             train_size=64, test_size=32, train_accuracy=False),
    # the TorchConnector tutorial's Part 1: one full-batch LBFGS step at its defaults is its whole training
    TaskSpec("tutorial-classify", "tutorial_classify",
             "20 points, sign(x0 + x1); TwoLayerQNN alone, output <Z0Z1>, MSE (sum), LBFGS",
             "TorchConnector tutorial, Part 1 1A (qiskit-machine-learning)", "tutorial-classify", ("tutorial-classify",),
             epochs=1, batch_size=20, lr=1.0, train_size=20, test_size=20, weights="tutorial", widths=(2, 1)),
    TaskSpec("tutorial-parity", "tutorial_parity",
             "the same points, labels 0/1; parity probabilities (SamplerQNN), cross-entropy, LBFGS",
             "TorchConnector tutorial, Part 1 1B (qiskit-machine-learning)", "tutorial-parity", ("tutorial-parity",),
             epochs=1, batch_size=20, lr=1.0, train_size=20, test_size=20, weights="tutorial", widths=(2, 2)),
    TaskSpec("tutorial-regress", "tutorial_regress",
             "sin(x) + noise, 20 points; 1-qubit RY(x) RY(w) QNN, MSE (sum), LBFGS; test MSE",
             "TorchConnector tutorial, Part 1 2A (qiskit-machine-learning)", "tutorial-regress", ("tutorial-regress",),
             epochs=1, batch_size=20, lr=1.0, train_size=20, test_size=20, weights="tutorial", widths=(1, 1)),
]}


def task_spec(name: str) -> TaskSpec:
    try:
        return TASKS[name]
    except KeyError:
        raise UserError(f"unknown task '{name}'; valid: {', '.join(TASKS)}") from None
