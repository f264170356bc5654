"""Using the layers, not only measuring them: ``load_circuit``, ``layer`` and ``check``.

    import harness
    circuit = harness.load_circuit("examples/qiskit_circuit.py")       # or a QuantumCircuit, or a qfunc
    quantum = harness.layer(circuit, backend="lightning-adjoint", threads=2)   # a torch.nn.Module
    model = torch.nn.Sequential(torch.nn.Linear(2, circuit.n_inputs), quantum, torch.nn.Linear(circuit.n_outputs, 2))
    print(harness.check(circuit, backends=["torch", "lightning-adjoint"]).ok)

Every argument is checked as the command line checks it: a mistake is a
``UserError`` with one line.
"""
from __future__ import annotations

import os

from backends import UserError, build_layer
from backends.description import Circuit


def load_circuit(source, *, input_params=None, weight_params=None, observables=None, n_wires=None,
                 weight_shapes=None, inputs=None, weights=None, name: str | None = None) -> Circuit:
    """The description of ``source``, which may be:

    - a built-in circuit's name, or a path to a circuit file (Qiskit or PennyLane ``.py``, OpenQASM 3 ``.qasm``;
      ``inputs``/``weights`` name a QASM file's parameters);
    - a Qiskit ``QuantumCircuit`` with ``input_params``, ``weight_params`` and ``observables`` as
      ``EstimatorQNN`` takes them;
    - a PennyLane quantum function ``qfunc(inputs, weights)`` with ``n_wires`` and ``weight_shapes`` as
      ``TorchLayer`` takes them;
    - a ``Circuit`` (returned as it is, or with other outputs).

    ``observables``: for a name, a file or a ``Circuit``, outputs as ``--observables`` takes them
    (``"Z0, 0.5*X0Z1 + Y2"``); for a Qiskit circuit, its ``SparsePauliOp`` list.
    """
    from backends.sources import load_source, with_observables
    from harness.inputs.circuits import check_circuit_file, check_outputs
    if isinstance(observables, str):
        check_outputs(observables)          # what the command line refuses, refused here too (Z01, ...)
    if isinstance(source, (str, os.PathLike)):
        check_circuit_file(os.fspath(source))
        return load_source(os.fspath(source), observables=observables, inputs=_names(inputs),
                           weights=_names(weights)).circuit
    if isinstance(source, Circuit):
        return source if observables is None else with_observables(source, observables)
    if type(source).__name__ == "QuantumCircuit":
        from backends import importers
        if input_params is None and weight_params is None:
            raise UserError("a Qiskit circuit needs input_params and weight_params (as EstimatorQNN takes them)")
        return importers.from_qiskit(source, input_params or [], weight_params or [], observables,
                                     name=name or source.name).circuit
    if callable(source):
        from backends import importers
        if n_wires is None:
            raise UserError("a PennyLane quantum function needs n_wires (and weight_shapes), as TorchLayer takes them")
        return importers.from_pennylane(source, n_wires, weight_shapes or {},
                                        name=name or getattr(source, "__name__", "qfunc")).circuit
    raise UserError(f"cannot load a circuit from {type(source).__name__}; give a circuit name, a file path, a "
                    "Qiskit QuantumCircuit, a PennyLane quantum function or a Circuit")


def layer(circuit, backend: str = "torch", *, weights=None, seed: int = 0, shots: int | None = None,
          threads: int | None = None):
    """Backend ``backend``'s ``torch.nn.Module`` for ``circuit`` (anything ``load_circuit`` takes).

    Its weights start at ``weights`` or, when none are given, as the harness draws them (uniform in
    [0, 2 pi), from ``seed``). ``threads`` sets torch's thread count in this process, which the simulators
    follow (``harness list`` says how each backend uses it).
    """
    from backends.checks import ranged
    from harness.measuring.weights import initial_weights
    circuit = circuit if isinstance(circuit, Circuit) else load_circuit(circuit)
    if threads is not None:
        import torch
        torch.set_num_threads(ranged("threads", threads))
    start = initial_weights(circuit, seed) if weights is None else weights
    return build_layer(backend, circuit, start, shots=shots, threads=threads)


def check(circuit, *, backends=None, batch: int = 4, seed: int = 0, shots: int | None = None,
          tolerance: float = 1e-5, threads: int | None = None):
    """``harness check`` for one circuit (anything ``load_circuit`` takes): a ``CheckReport``.

    ``report.ok`` says whether every backend agreed with the torch reference; ``report.as_json()`` has
    the points and every backend's outputs and gradients; ``format_report(report)`` the table.
    """
    from harness.measuring.check import CheckConfig, run_check
    target = circuit if isinstance(circuit, (str, os.PathLike)) else load_circuit(circuit)
    target = os.fspath(target) if isinstance(target, os.PathLike) else target
    defaults = CheckConfig()
    return run_check(CheckConfig(circuits=(target,), backends=tuple(backends or defaults.backends), batch=batch,
                                 seed=seed, shots=shots, tolerance=tolerance, threads=threads))


def _names(values):
    from harness.inputs.circuits import parameter_names
    return parameter_names(values)
