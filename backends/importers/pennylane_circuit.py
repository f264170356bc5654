"""PennyLane quantum functions, as ``qml.qnn.TorchLayer`` takes them.

A PennyLane circuit file is a Python file that defines a quantum function
``qfunc(inputs, **weights)`` (named ``qfunc`` or ``circuit``; a QNode will do),
``n_wires`` (or ``wires``, a list of labels: label k is wire k) and
``weight_shapes`` (name -> shape, as TorchLayer takes it), and optionally
``n_inputs`` (default: the number of wires). The function indexes its inputs as
``inputs[..., i]`` and returns a list or tuple of ``qml.expval`` of Pauli words
or sums of them.

Weights: every ``weight_shapes`` entry, in the dict's order, is flattened row
by row (C order) into w[0..n_weights-1]: entry "a" of shape (2, 3) is w[0..5]
with a[i, j] = w[3 i + j], the next entry starts at w[6].

How each gate's parameter is recovered: the function is traced once with numpy
object arrays whose elements are symbols (our angle expressions) instead of
numbers. Templates only index, multiply and add their features and weights, and
numpy's functions on object arrays call the symbols' own ``sin``, ``cos``, ...,
so every parameter comes out as an exact expression. The tape is then lowered
with ``qml.decompose`` onto the gate table's PennyLane gates. Each import is
checked against PennyLane's own ``default.qubit`` at random inputs and weights
and refused when they differ (a circuit whose gates depend on values, a random
template without a fixed seed). Refused in one line: state preparation
(AmplitudeEmbedding, StatePrep: amplitudes set from data are not gates with
angles), mid-circuit measurement, measurements other than ``expval``, torch
functions on the inputs (they cannot take symbols) and gates outside the table.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from backends.description import CircuitBuilder, Input, Weight, pauli_sum
from backends.description import expressions as E
from backends.description.gates import GATES
from backends.errors import UserError
from .common import Imported, checked_observables, refuse
from .symbols import Sym, symbol_array, unwrap

TOLERANCE = 1e-8                    # import vs default.qubit, at random points


@dataclass(frozen=True)
class PennyLaneSource:
    qfunc: Callable
    wires: tuple                    # wire labels; label k is wire k
    n_inputs: int
    weight_shapes: tuple            # ((name, shape), ...) in the order of w
    observables: tuple | None = None  # our Observables replacing the function's own outputs, or None


def _table():
    """PennyLane op name -> (table gate, wire order); PauliRot words by their word."""
    names = {}
    for spec in GATES.values():
        if spec.pennylane.startswith("adjoint:"):
            names[f"Adjoint({spec.pennylane.split(':')[1]})"] = spec.name
        elif spec.pennylane and not spec.pennylane.startswith("PauliRot:"):
            names[spec.pennylane] = spec.name
    return names


_PAULI_ROT = {"ZX": ("RZX", False), "XZ": ("RZX", True), "XX": ("RXX", False), "YY": ("RYY", False),
              "ZZ": ("RZZ", False), "X": ("RX", False), "Y": ("RY", False), "Z": ("RZ", False)}


def from_pennylane(qfunc, n_wires, weight_shapes, name: str = "pennylane", *, n_inputs: int | None = None,
                   path: Path | None = None) -> Imported:
    import pennylane as qml

    where = str(path) if path else f"circuit '{name}'"
    qfunc = getattr(qfunc, "func", qfunc)           # a QNode's own function
    if not callable(qfunc):
        raise UserError(f"{where}: the quantum function is a {type(qfunc).__name__}, not a function")
    wires = tuple(range(n_wires)) if isinstance(n_wires, int) else tuple(n_wires)
    if not wires:
        raise UserError(f"{where}: the circuit has no wires")
    shapes = _shapes(where, weight_shapes)
    n_inputs = len(wires) if n_inputs is None else int(n_inputs)
    n_weights = sum(int(np.prod(s)) for _, s in shapes)
    tape = _trace(where, qfunc, n_inputs, shapes)
    builder = CircuitBuilder(name, len(wires), n_inputs, n_weights)
    index = _wire_index(where, wires)
    table = _table()
    for op in _lowered(where, qml, tape, table):
        _add(where, builder, op, index, table)
    outputs = checked_observables(where, [_observable(where, k, m, index) for k, m in
                                          enumerate(tape.measurements, 1)], len(wires))
    imported = Imported(builder.build(outputs), "pennylane", path,
                        PennyLaneSource(qfunc, wires, n_inputs, shapes),
                        tuple(f"inputs[..., {i}]" for i in range(n_inputs)),
                        tuple(f"{n}[{', '.join(str(int(i)) for i in np.unravel_index(k, s))}]" if s else n
                              for n, s in shapes for k in range(int(np.prod(s)))))
    _verify(where, imported)
    return imported


def load_names(path: Path, names: dict, *, inputs=None, weights=None) -> Imported:
    if inputs is not None or weights is not None:
        raise UserError(f"{path}: inputs and weights are named by the file for a PennyLane circuit "
                        "(its qfunc's inputs and weight_shapes); naming them applies to OpenQASM 3 and Qiskit files")
    qfunc = quantum_function(names)
    wires = names.get("n_wires", names.get("wires"))
    missing = [n for n, v in (("qfunc or circuit", qfunc), ("n_wires or wires", wires),
                              ("weight_shapes", names.get("weight_shapes"))) if v is None]
    if missing:
        raise UserError(f"{path}: defines no {missing[0]}; a PennyLane circuit file defines qfunc (or circuit), "
                        "n_wires (or wires) and weight_shapes")
    return from_pennylane(qfunc, wires, names["weight_shapes"], name=path.stem, n_inputs=names.get("n_inputs"),
                          path=path)


def quantum_function(names: dict):
    for key in ("qfunc", "circuit"):
        if callable(names.get(key)):
            return names[key]
    return None


def _shapes(where: str, weight_shapes) -> tuple:
    if not isinstance(weight_shapes, dict):
        raise UserError(f"{where}: weight_shapes is a {type(weight_shapes).__name__}; expected a dict name -> shape")
    shapes = []
    for key, shape in weight_shapes.items():
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if not all(isinstance(d, (int, np.integer)) and d >= 0 for d in shape):
            raise UserError(f"{where}: weight_shapes['{key}'] is {shape}; expected whole numbers")
        shapes.append((str(key), tuple(int(d) for d in shape)))
    return tuple(shapes)


def _symbols(n_inputs: int, shapes) -> tuple[np.ndarray, dict]:
    x = symbol_array([Input(i) for i in range(n_inputs)], (n_inputs,))
    weights, k = {}, 0
    for key, shape in shapes:
        size = int(np.prod(shape))
        weights[key] = symbol_array([Weight(k + j) for j in range(size)], shape)
        k += size
    return x, weights


def _trace(where: str, qfunc, n_inputs: int, shapes):
    import pennylane as qml
    x, weights = _symbols(n_inputs, shapes)
    try:
        return qml.tape.make_qscript(qfunc)(x, **weights)
    except UserError:
        raise
    except Exception as err:
        _refuse_state_preparation(where, err)
        raise UserError(f"{where}: cannot trace the quantum function with symbolic inputs and weights "
                        f"({type(err).__name__}: {' '.join(str(err).split())}); accepted: + - * / and numpy or "
                        "qml.math functions of inputs[..., i] and the weights, not torch functions") from None


_STATE_PREP = ("AmplitudeEmbedding", "MottonenStatePreparation", "StatePrep", "BasisEmbedding", "BasisState")
_STATE_PREP_WHY = ("it sets amplitudes from data, which the description cannot hold as gates with angles; "
                   "embed with rotations (AngleEmbedding, IQPEmbedding) instead")


def _refuse_state_preparation(where: str, err: Exception) -> None:
    """A state preparation fails on symbols while it is built (it normalises them): name it, not the symbol."""
    from pennylane.operation import StatePrepBase
    tb = err.__traceback__
    while tb is not None:
        me = tb.tb_frame.f_locals.get("self")
        if isinstance(me, StatePrepBase) or type(me).__name__ in _STATE_PREP:
            raise UserError(f"{where}: state preparation ({type(me).__name__}) is not accepted: "
                            f"{_STATE_PREP_WHY}") from None
        tb = tb.tb_next


def _lowered(where: str, qml, tape, table):
    from pennylane.measurements import MidMeasureMP
    from pennylane.operation import StatePrepBase
    for op in tape.operations:
        if isinstance(op, StatePrepBase) or op.name in _STATE_PREP:
            raise UserError(f"{where}: state preparation ({op.name}) is not accepted: {_STATE_PREP_WHY}")
        if isinstance(op, MidMeasureMP) or op.name == "Conditional":
            raise UserError(f"{where}: mid-circuit measurement and classical control ({op.name}) are not accepted")

    def keep(op):
        return op.name in table or (op.name == "PauliRot" and op.hyperparameters["pauli_word"] in _PAULI_ROT)
    try:
        (lowered,), _ = qml.transforms.decompose(tape, gate_set=set(table) | {"PauliRot"},
                                                  stopping_condition=keep)
    except Exception as err:
        raise UserError(f"{where}: cannot lower the circuit onto the gate table "
                        f"({type(err).__name__}: {' '.join(str(err).split())})") from None
    left = [op.name for op in lowered.operations if not keep(op)]
    if left:
        raise UserError(f"{where}: operation {left[0]} has no decomposition into the gate table "
                        f"({', '.join(sorted(table))}, PauliRot)")
    return lowered.operations


def _wire_index(where: str, wires):
    index = {w: k for k, w in enumerate(wires)}

    def wire(label, what):
        if label not in index:
            raise UserError(f"{where}: {what} acts on wire {label!r}; the circuit's wires are {list(wires)}")
        return index[label]
    return wire


def _add(where: str, builder: CircuitBuilder, op, wire, table) -> None:
    on = [wire(w, op.name) for w in op.wires]
    if op.name == "PauliRot":
        gate, swap = _PAULI_ROT[op.hyperparameters["pauli_word"]]
        on = on[::-1] if swap else on
        params = [op.data[0]]
    else:
        gate, params = table[op.name], list(op.data)
    builder.gate(gate, on, *(_angle(where, op.name, p) for p in params))


def _angle(where: str, name: str, value):
    value = unwrap(value)
    if isinstance(value, Sym):
        return value.e
    if isinstance(value, E.Expr):
        return value
    try:
        number = complex(value.item() if hasattr(value, "item") else value)
    except (TypeError, ValueError):
        raise UserError(f"{where}: a parameter of {name} is {type(value).__name__} {value!r}; accepted: "
                        "numbers and expressions of the inputs and weights (one value per gate)") from None
    if number.imag:
        raise UserError(f"{where}: a parameter of {name} is complex ({number}); gate angles are real")
    return number.real


def _observable(where: str, k: int, measurement, wire):
    import pennylane as qml
    from pennylane.measurements import ExpectationMP
    if not isinstance(measurement, ExpectationMP) or measurement.obs is None:
        raise UserError(f"{where}: output {k} is {type(measurement).__name__}; the quantum function must return "
                        "qml.expval of Pauli words or sums of them, one per output")
    try:
        sentence = qml.pauli.pauli_sentence(measurement.obs)
    except Exception:
        raise UserError(f"{where}: output {k} measures {measurement.obs.name}, which is not a sum of Pauli words; "
                        "accepted: PauliX/Y/Z, their products and real-coefficient sums") from None
    terms = []
    for word, coeff in sentence.items():
        coeff = unwrap(coeff)
        if isinstance(coeff, Sym):
            raise UserError(f"{where}: output {k} has a coefficient that depends on the inputs or weights")
        coeff = complex(coeff)
        if coeff.imag:
            raise UserError(f"{where}: output {k} has the complex coefficient {coeff}; outputs need real "
                            "coefficients")
        terms.append((coeff.real, [(wire(w, f"output {k}"), letter) for w, letter in word.items()]))
    try:
        return pauli_sum(terms)
    except ValueError as err:
        raise refuse(f"{where}: output {k}", err) from None


def _verify(where: str, imported: Imported) -> None:
    from .dense import outputs as dense_outputs
    from .source import pennylane_values
    rng = np.random.default_rng(11)
    c = imported.circuit
    x = rng.uniform(-1.5, 1.5, (2, c.n_inputs))
    w = rng.uniform(-1.5, 1.5, c.n_weights)
    theirs = pennylane_values(imported.source, x, w)
    ours = np.array([dense_outputs(c, row, w) for row in x])
    gap = float(np.max(np.abs(theirs - ours))) if ours.size else 0.0
    if not gap <= TOLERANCE:
        raise UserError(f"{where}: the import differs from PennyLane's default.qubit by {gap:.2g} at random inputs "
                        "and weights; the gates must not depend on the values (fix the seed of random templates)")
