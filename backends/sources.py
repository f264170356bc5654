"""Where a run's circuit comes from: a built-in name or the user's file, and its identity.

``load_source`` gives the circuit for a name (``backends.library``) or a path
(``backends.importers``: a Qiskit or PennyLane Python file, an OpenQASM 3
file), with the outputs replaced when ``--observables`` gives them. Its
``digest`` is a hash of the canonical description (gates, wires, parameter
expressions, outputs; not the name), so an edited file is a new
configuration. A built-in circuit run with its own outputs (given or not:
``--observables z-all`` on the entangler is its own readout) has no digest in
its rows: its name says everything, as in every row stored before files existed.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass

from backends.description import Circuit
from backends.description.observables import check_wires, parse_observables
from backends.description.readouts import READOUTS, readout
from backends.errors import UserError
from backends.library import CIRCUITS, make_circuit

FILE_SUFFIXES = (".py", ".qasm")


@dataclass(frozen=True)
class Source:
    circuit: Circuit
    format: str                   # "built-in", or the importer's: "qiskit", "qasm3", "pennylane"
    path: str | None              # the file, absolute; None for a built-in circuit
    digest: str | None            # None for a built-in circuit with its own outputs
    imported: object = None       # the importer's record (what ``check`` evaluates in the source framework)


def is_file(name: str) -> bool:
    """A circuit argument that names a file rather than a built-in circuit."""
    return name.endswith(FILE_SUFFIXES) or "/" in name


def digest(circuit: Circuit) -> str:
    """16 hex digits of SHA-256 over the canonical description (the name left out)."""
    canonical = {
        "qubits": circuit.n_qubits, "inputs": circuit.n_inputs, "weights": circuit.n_weights,
        "gates": [[g.name, list(g.wires), [repr(p) for p in g.params]] for g in circuit.gates],
        "outputs": [[repr(o.offset), [[repr(t.coeff), [[w, p] for w, p in t.word]] for t in o.terms]]
                    for o in circuit.observables],
    }
    text = json.dumps(canonical, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_source(name: str | Circuit, qubits: int | None = None, layers: int | None = None, observables: str | None = None,
                inputs: tuple[str, ...] | None = None, weights: tuple[str, ...] | None = None) -> Source:
    """The circuit named ``name`` (built-in) or stored at ``name`` (a file), outputs from ``observables``.

    Raises ``UserError`` with one line for a file that is missing or cannot be
    imported, and for outputs that cannot be read or read wires the circuit has not.
    """
    if isinstance(name, Circuit):              # the Python API's own circuit, built or imported in memory
        circuit = name if observables is None else with_observables(name, observables)
        return Source(circuit, "python", None, digest(circuit))
    if is_file(name):
        path = os.path.abspath(name)
        if not os.path.isfile(path):
            raise UserError(f"circuit file '{name}' does not exist; give a .py (Qiskit or PennyLane) or .qasm "
                            f"(OpenQASM 3) file, or a built-in circuit: {', '.join(CIRCUITS)}")
        from backends.importers import load_circuit      # the frameworks load only for a file

        imported = load_circuit(path, inputs=inputs, weights=weights)
        circuit, fmt = imported.circuit, imported.format
    else:
        if inputs or weights:
            raise UserError("--inputs and --weights name the parameters of a circuit file (OpenQASM 3); "
                            f"the built-in circuit '{name}' has its own")
        circuit, fmt, path, imported = make_circuit(name, qubits, layers), "built-in", None, None
    own = circuit.observables
    if observables is not None:
        circuit = with_observables(circuit, observables)
        if imported is not None:             # the source framework reads the same outputs (``check``)
            from backends.importers import with_observables as source_with
            imported = source_with(imported, circuit.observables)
    keyed = path is not None or (observables is not None and circuit.observables != own)
    return Source(circuit, fmt, path, digest(circuit) if keyed else None, imported)


def with_observables(circuit: Circuit, spec: str) -> Circuit:
    """``circuit`` reading out the outputs of ``--observables SPEC`` (a readout's name, or outputs) instead."""
    if not isinstance(spec, str) or not spec.strip():
        raise UserError("--observables is empty; give a readout (" + ", ".join(READOUTS)
                        + ") or outputs such as 'Z0, 0.5*X0Z1 + Y2'")
    try:
        if spec.strip() in READOUTS:
            outputs = readout(spec.strip(), circuit.n_qubits)
        else:
            outputs = parse_observables(spec)
        check_wires(outputs, circuit.n_qubits)
    except ValueError as err:
        raise UserError(f"--observables: {err}") from None
    return dataclasses.replace(circuit, observables=outputs)
