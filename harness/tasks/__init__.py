"""Tasks: data + the classical parts of the model + loss, optimiser and defaults.

One small module per task family, found by name through ``TASKS``. A task
module provides:

- ``load_data(cfg) -> ((X_train, y_train), (X_test, y_test))``
- ``build_model(cfg, circuit, quantum_layer) -> nn.Module``, the quantum layer
  placed between the classical layers the task's source used
- ``loss(output, y) -> scalar tensor`` and ``predict(output) -> class indices``
- ``optimizer(params, lr) -> torch.optim.Optimizer``

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
    size_unit: str = "samples"

    def impl(self):
        return importlib.import_module(f"{__name__}.{self.module}")


TASKS: dict[str, TaskSpec] = {t.name: t for t in [
    TaskSpec("moons", "moons", "make_moons, 2-10-2 tanh nets around the moons circuit, L1 loss, SGD",
             "PennyLane forum post (seeds/003)", "moons", ("moons",), epochs=6, batch_size=5, lr=0.2,
             train_size=200, test_size=100),
    TaskSpec("mnist01", "mnist", "MNIST 0 vs 1, textbook CNN + 1-qubit head, NLL loss, Adam",
             "Qiskit textbook (seeds/004)", "textbook", ("textbook", "tutorial"), epochs=20, batch_size=1,
             lr=0.001, train_size=100, test_size=50, digits=(0, 1), size_unit="per class"),
    TaskSpec("mnist37", "mnist", "MNIST 3 vs 7, the same model as mnist01",
             "blog post (seeds/002)", "textbook", ("textbook", "tutorial"), epochs=20, batch_size=1,
             lr=0.001, train_size=100, test_size=50, digits=(3, 7), size_unit="per class"),
    TaskSpec("scaling", "scaling", "synthetic seeded data through the entangler circuit (qubits x layers)",
             "harness scaling workload", "entangler", ("entangler",), epochs=2, batch_size=16, lr=0.05,
             train_size=64, test_size=32),
]}


def task_spec(name: str) -> TaskSpec:
    try:
        return TASKS[name]
    except KeyError:
        raise UserError(f"unknown task '{name}'; valid: {', '.join(TASKS)}") from None
