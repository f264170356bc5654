"""hybrid-harness: one hybrid quantum-classical PyTorch model on every framework, measured honestly.

What a user may import from here (everything else is private machinery and may change):

- your own circuit in your own code: ``load_circuit`` (a file, a Qiskit circuit, a PennyLane quantum function),
  ``layer`` (a backend's ``torch.nn.Module``), ``check`` (every backend against the torch reference)
- circuits and layers: ``make_circuit``, ``build_layer``, ``initial_weights``, ``BACKENDS``, ``CIRCUITS``
- checking a layer against the torch reference: ``CheckConfig``, ``run_check``
- running: ``RunConfig``, ``run_config`` (one run in a fresh child process), ``SweepConfig``, ``run_sweep``,
  ``TASKS``
- reading results: ``read_frame`` (the store as a DataFrame), ``read_rows``, ``FIELDS`` (every row field),
  ``build_report``, ``compare``
- ``UserError``: every mistake in what was asked, with a one-line message

Names are imported on first use, so ``import harness`` pulls in no framework.
"""
from __future__ import annotations

import importlib

_PUBLIC = {
    "make_circuit": "backends", "build_layer": "backends", "BACKENDS": "backends", "CIRCUITS": "backends",
    "UserError": "backends", "load_circuit": "harness.api", "layer": "harness.api", "check": "harness.api",
    "initial_weights": "harness.measuring.weights",
    "CheckConfig": "harness.measuring.check", "run_check": "harness.measuring.check",
    "RunConfig": "harness.inputs.config", "run_config": "harness.executing.runner",
    "SweepConfig": "harness.executing.sweep", "run_sweep": "harness.executing.sweep", "TASKS": "harness.tasks",
    "read_frame": "harness.results.store", "read_rows": "harness.results.store", "FIELDS": "harness.results.fields",
    "build_report": "harness.reporting.report", "compare": "harness.reporting.compare",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'harness' has no attribute '{name}'; public names: {', '.join(__all__)}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
