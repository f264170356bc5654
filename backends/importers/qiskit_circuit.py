"""Qiskit circuits: a ``QuantumCircuit`` with its inputs, weights and observables, as ``EstimatorQNN`` takes them.

A Qiskit circuit file is a Python file that defines ``circuit`` (a
``QuantumCircuit``), ``input_params`` and ``weight_params`` (sequences of its
``Parameter``s, a ``ParameterVector`` will do) and, optionally,
``observables`` (a ``SparsePauliOp`` or a list of them; omitted, the outputs
are EstimatorQNN's default: one output, Z on every qubit, ``Z...Z``).

Input i is ``input_params[i]`` and weight j is ``weight_params[j]``: parameters
are matched by object, never by position (``QuantumCircuit.parameters`` sorts
by name, "x10" before "x2"). Barriers and final measurements are dropped;
mid-circuit measurement, reset, classical control and other non-unitary
operations are refused, as are parameters that are neither inputs nor weights.
Gates of the table are taken as they are; any other gate (a library gate, a
custom ``gate`` of OpenQASM 3) is replaced by its definition, recursively, so
parameter expressions are kept exactly. A custom gate that carries the name of
a table gate (OpenQASM 3's "rzz") becomes that gate only when its matrix is the
table gate's, checked at random angles. Qubit k is wire k; Pauli labels are
little-endian (``"IIZ"`` is Z on qubit 0).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from backends.description import Circuit, CircuitBuilder, Input, Weight, pauli_sum
from backends.description.gates import GATES
from backends.errors import UserError
from .common import Imported, checked_observables, refuse
from .sympy_expr import to_expr

_BY_QISKIT = {spec.qiskit: spec.name for spec in GATES.values() if spec.qiskit}
_SKIPPED = ("barrier",)
_MAX_DEPTH = 20                     # nested definitions deeper than this are a loop, not a circuit


@dataclass(frozen=True)
class QiskitSource:
    """What ``source_outputs`` evaluates: the circuit (final measurements dropped) and its EstimatorQNN arguments."""
    circuit: object               # qiskit.QuantumCircuit
    input_params: tuple
    weight_params: tuple
    observables: tuple            # SparsePauliOp, one per output


def from_qiskit(circuit, input_params, weight_params, observables=None, name: str = "qiskit", *,
                path: Path | None = None, fmt: str = "qiskit") -> Imported:
    """A ``QuantumCircuit`` as our description, EstimatorQNN's way (see the module's docstring)."""
    from qiskit import QuantumCircuit

    where = str(path) if path else f"circuit '{name}'"
    if not isinstance(circuit, QuantumCircuit):
        raise UserError(f"{where}: 'circuit' is a {type(circuit).__name__}; expected a qiskit QuantumCircuit")
    inputs = _parameter_list(where, "input_params", input_params)
    weights = _parameter_list(where, "weight_params", weight_params)
    both = set(inputs) & set(weights)
    if both:
        raise UserError(f"{where}: parameter {sorted(p.name for p in both)[0]} is both an input and a weight")
    declared = set(inputs) | set(weights)
    stray = sorted(p.name for p in circuit.parameters if p not in declared)
    if stray:
        raise UserError(f"{where}: parameters {', '.join(stray)} are neither inputs nor weights; "
                        "list each in input_params or weight_params")
    unitary = _unitary_part(circuit, where)
    index = {**{p: Input(i) for i, p in enumerate(inputs)}, **{p: Weight(j) for j, p in enumerate(weights)}}
    builder = CircuitBuilder(name, circuit.num_qubits, len(inputs), len(weights))
    _convert(unitary, list(range(circuit.num_qubits)), builder, index.__getitem__, where, 0)
    spos = _sparse_pauli_ops(where, observables, circuit.num_qubits)
    outputs = checked_observables(where, [_observable(where, k, op) for k, op in enumerate(spos, 1)],
                                  circuit.num_qubits)
    source = QiskitSource(unitary, inputs, weights, spos)
    return Imported(builder.build(outputs), fmt, path, source, tuple(p.name for p in inputs),
                    tuple(p.name for p in weights))


def load_names(path: Path, names: dict, *, inputs=None, weights=None) -> Imported:
    """A Qiskit circuit file's names (see the module's docstring); ``inputs``/``weights`` name parameters instead."""
    circuit = names.get("circuit")
    if circuit is None:
        raise UserError(f"{path}: defines no 'circuit'; a Qiskit circuit file defines circuit, input_params, "
                        "weight_params and optionally observables")
    by_name = {p.name: p for p in getattr(circuit, "parameters", ())}
    chosen = {}
    for key, override in (("input_params", inputs), ("weight_params", weights)):
        if override is not None:
            missing = [n for n in override if n not in by_name]
            if missing:
                raise UserError(f"{path}: the circuit has no parameter {missing[0]}; "
                                f"its parameters: {', '.join(by_name) or 'none'}")
            chosen[key] = [by_name[n] for n in override]
        elif key in names:
            chosen[key] = names[key]
        else:
            raise UserError(f"{path}: defines no '{key}'; a Qiskit circuit file defines circuit, input_params, "
                            "weight_params and optionally observables")
    return from_qiskit(circuit, chosen["input_params"], chosen["weight_params"], names.get("observables"),
                       name=path.stem, path=path)


def _parameter_list(where: str, what: str, params) -> tuple:
    from qiskit.circuit import Parameter
    try:
        params = tuple(params)
    except TypeError:
        raise UserError(f"{where}: {what} is a {type(params).__name__}; expected a list of qiskit Parameters") from None
    for p in params:
        if not isinstance(p, Parameter):
            raise UserError(f"{where}: {what} holds {p!r}, a {type(p).__name__}; expected qiskit Parameters")
    if len(set(params)) != len(params):
        raise UserError(f"{where}: {what} lists a parameter twice")
    return params


def _unitary_part(circuit, where: str):
    """The circuit without barriers and final measurements; one line for any other non-unitary operation."""
    from qiskit.circuit import ControlFlowOp, Gate
    stripped = circuit.remove_final_measurements(inplace=False)
    for inst in stripped.data:
        op = inst.operation
        if op.name in _SKIPPED:
            continue
        if op.name == "measure":
            raise UserError(f"{where}: a measurement in mid-circuit; only final measurements (dropped) are accepted")
        if isinstance(op, ControlFlowOp) or getattr(op, "condition", None) is not None:
            raise UserError(f"{where}: classical control ({op.name}) is not accepted; the circuit must be unitary")
        if not isinstance(op, Gate):
            raise UserError(f"{where}: non-unitary operation '{op.name}' is not accepted; "
                            "the circuit must be gates only (final measurements are dropped)")
    return stripped


def _convert(circuit, wires: list[int], builder: CircuitBuilder, lookup, where: str, depth: int) -> None:
    from qiskit.circuit.library import get_standard_gate_name_mapping
    standard = get_standard_gate_name_mapping()
    if depth > _MAX_DEPTH:
        raise UserError(f"{where}: gate definitions nest deeper than {_MAX_DEPTH} levels")
    for inst in circuit.data:
        op = inst.operation
        if op.name in _SKIPPED:
            continue
        on = [wires[circuit.find_bit(q).index] for q in inst.qubits]
        ours = _BY_QISKIT.get(op.name)
        std = standard.get(op.name)
        if ours and (std is not None and op.base_class is std.base_class or _same_as_table(op, std)):
            gate_where = f"{where}: gate {op.name} on qubits {on}"
            builder.gate(ours, on, *(to_expr(p, lookup, gate_where) for p in op.params))
            continue
        definition = op.definition
        if definition is None:
            raise UserError(f"{where}: gate '{op.name}' has no definition in terms of other gates; "
                            f"accepted: gates with definitions and {', '.join(sorted(_BY_QISKIT))}")
        _convert(definition, on, builder, lookup, where, depth + 1)


def _same_as_table(op, std) -> bool:
    """A custom gate named like a table gate: is it that gate (same matrix, random angles, up to phase)?"""
    import numpy as np
    from qiskit.quantum_info import Operator
    if std is None or op.definition is None or op.num_qubits != std.num_qubits or len(op.params) != len(std.params):
        return False
    rng = np.random.default_rng(7)
    free = sorted({p for value in op.params for p in getattr(value, "parameters", ())}, key=lambda p: p.name)
    values = dict(zip(free, rng.uniform(-2, 2, len(free))))
    angles = [float(v.bind(values, allow_unknown_parameters=True)) if getattr(v, "parameters", None) else float(v)
              for v in op.params]
    mine = op.definition.assign_parameters({p: values[p] for p in op.definition.parameters})
    return Operator(mine).equiv(Operator(std.base_class(*angles)))


def _sparse_pauli_ops(where: str, observables, n_qubits: int) -> tuple:
    from qiskit.quantum_info import SparsePauliOp
    if observables is None:        # EstimatorQNN's default: Z on every qubit, one output
        return (SparsePauliOp.from_sparse_list([("Z" * n_qubits, range(n_qubits), 1)], num_qubits=n_qubits),)
    if not isinstance(observables, (list, tuple)):
        observables = [observables]
    out = []
    for k, obs in enumerate(observables, 1):
        try:
            op = obs if isinstance(obs, SparsePauliOp) else SparsePauliOp(obs)
        except Exception as err:
            raise UserError(f"{where}: observable {k} ({type(obs).__name__}) is not a SparsePauliOp: "
                            f"{' '.join(str(err).split())}") from None
        if op.num_qubits != n_qubits:
            raise UserError(f"{where}: observable {k} acts on {op.num_qubits} qubits; the circuit has {n_qubits}")
        out.append(op)
    return tuple(out)


def _observable(where: str, k: int, op):
    if op.coeffs.dtype == object:
        raise UserError(f"{where}: observable {k} has parameterized coefficients; accepted: real numbers")
    terms = []
    for label, indices, coeff in op.to_sparse_list():
        coeff = complex(coeff)
        if abs(coeff.imag) > 1e-12 * max(1.0, abs(coeff.real)):
            raise UserError(f"{where}: observable {k} has the complex coefficient {coeff:g} on "
                            f"'{label}'; outputs need real coefficients")
        terms.append((coeff.real, [(int(q), letter) for letter, q in zip(label, indices)]))
    try:
        return pauli_sum(terms)
    except ValueError as err:
        raise refuse(f"{where}: observable {k}", err) from None
