"""Circuits from other frameworks, imported into the description every backend compiles.

``load_circuit(path)`` picks the importer by the file: ``.qasm`` is OpenQASM 3
(OpenQASM 2 is refused: it cannot carry free parameters), ``.py`` a Qiskit file
when it defines a ``QuantumCircuit`` named ``circuit``, else a PennyLane file
when it defines a quantum function (``qfunc`` or ``circuit``) and
``weight_shapes``. ``from_qiskit`` and ``from_pennylane`` import objects already
in memory. Each returns an ``Imported``: the description, the format, the path
and the source itself, which ``source_outputs`` evaluates in its own framework
(values and gradients) to check the import.

A circuit file is Python: importing it executes the user's own code, with the
harness's rights. Each importer's module says what it accepts; every refusal is
one ``UserError`` line naming what was wrong and what is accepted, before any
work is done.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from backends.errors import UserError
from .common import FORMATS, Imported, checked_observables, existing_file, run_user_file


@dataclass(frozen=True)
class ImporterSpec:
    format: str
    suffixes: tuple[str, ...]
    module: str
    summary: str


IMPORTERS: dict[str, ImporterSpec] = {s.format: s for s in [
    ImporterSpec("qiskit", (".py",), "backends.importers.qiskit_circuit",
                 "Python file defining circuit (QuantumCircuit), input_params, weight_params, observables"),
    ImporterSpec("qasm3", (".qasm", ".qasm3"), "backends.importers.qasm",
                 "OpenQASM 3 with 'input float[64] x0;' parameters (x.../w... names) and custom gates"),
    ImporterSpec("pennylane", (".py",), "backends.importers.pennylane_circuit",
                 "Python file defining qfunc(inputs, **weights), n_wires, weight_shapes (TorchLayer's)"),
]}
assert tuple(IMPORTERS) == FORMATS

_SUFFIXES = sorted({s for spec in IMPORTERS.values() for s in spec.suffixes})


def load_circuit(path, *, inputs=None, weights=None) -> Imported:
    """The circuit in ``path``; ``inputs``/``weights`` (lists of parameter names) override the file's own split."""
    path = existing_file(path)
    suffix = path.suffix.lower()
    if suffix in IMPORTERS["qasm3"].suffixes or (suffix not in _SUFFIXES and _looks_like_qasm(path)):
        from . import qasm
        return qasm.load(path, inputs=inputs, weights=weights)
    if suffix != ".py":
        raise UserError(f"circuit file {path}: cannot tell its format from '{path.suffix}'; accepted: "
                        + "; ".join(f"{', '.join(s.suffixes)} ({s.format}: {s.summary})" for s in IMPORTERS.values()))
    names = run_user_file(path)
    if type(names.get("circuit")).__name__ == "QuantumCircuit":
        from . import qiskit_circuit
        return qiskit_circuit.load_names(path, names, inputs=inputs, weights=weights)
    from . import pennylane_circuit
    if pennylane_circuit.quantum_function(names) is not None and "weight_shapes" in names:
        return pennylane_circuit.load_names(path, names, inputs=inputs, weights=weights)
    raise UserError(f"{path}: defines neither a Qiskit circuit (circuit = QuantumCircuit, input_params, "
                    "weight_params) nor a PennyLane one (qfunc or circuit, n_wires, weight_shapes)")


def from_qiskit(circuit, input_params, weight_params, observables=None, name: str = "qiskit") -> Imported:
    """A QuantumCircuit as EstimatorQNN takes it (``backends.importers.qiskit_circuit``)."""
    from .qiskit_circuit import from_qiskit as convert
    return convert(circuit, input_params, weight_params, observables, name=name)


def from_pennylane(qfunc, n_wires, weight_shapes, name: str = "pennylane", *, n_inputs: int | None = None) -> Imported:
    """A quantum function as TorchLayer takes it (``backends.importers.pennylane_circuit``)."""
    from .pennylane_circuit import from_pennylane as convert
    return convert(qfunc, n_wires, weight_shapes, name=name, n_inputs=n_inputs)


def with_observables(imported: Imported, observables) -> Imported:
    """The same circuit with other outputs (the command line's ``--observables``), in the source too."""
    where = str(imported.path) if imported.path else f"circuit '{imported.circuit.name}'"
    outputs = checked_observables(where, observables, imported.circuit.n_qubits)
    if imported.format == "pennylane":
        source = replace(imported.source, observables=outputs)
    else:
        from qiskit.quantum_info import SparsePauliOp
        n = imported.circuit.n_qubits
        source = replace(imported.source, observables=tuple(
            SparsePauliOp.from_sparse_list([(letters, wires, t.coeff) for t in o.terms
                                            for letters, wires in [("".join(l for _, l in t.word),
                                                                    [w for w, _ in t.word])]]
                                           + [("", [], o.offset)], num_qubits=n) for o in outputs))
    return replace(imported, circuit=replace(imported.circuit, observables=outputs), source=source)


def source_outputs(imported: Imported, x, w):
    """Values and gradients computed by the source framework (``backends.importers.source``)."""
    from .source import source_outputs as evaluate
    return evaluate(imported, x, w)


def _looks_like_qasm(path: Path) -> bool:
    try:
        head = path.read_text(errors="replace")[:200].lstrip()
    except OSError:
        return False
    return head.startswith(("OPENQASM", "//"))


__all__ = ["FORMATS", "IMPORTERS", "Imported", "from_pennylane", "from_qiskit", "load_circuit", "source_outputs",
           "with_observables"]
