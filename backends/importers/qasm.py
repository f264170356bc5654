"""OpenQASM files: OpenQASM 3 through ``qiskit.qasm3.loads``; OpenQASM 2 refused.

Parameters are OpenQASM 3 ``input float[64] name;`` (or ``input angle name;``)
declarations. Which are inputs and which weights, unless ``inputs=``/``weights=``
list the names (the other list then takes every remaining parameter):

- a name starting with ``x`` or ``input`` is an input; one starting with ``w``,
  ``theta`` or ``weight`` is a weight (case ignored, leading underscores
  ignored, so Qiskit's exported ``_x_0_`` is an input);
- each kind is ordered by the numbers in the names, numerically, then by name:
  x2 before x10, ``_x_0_`` before ``_x_1_``;
- any other name is refused, naming it and the rule.

Custom ``gate`` definitions are resolved to table gates (``backends.importers.
qiskit_circuit``): a custom gate named "rzz" whose matrix is RZZ becomes RZZ,
any other custom gate its body. OpenQASM has no observables: the outputs are
<Z> on every qubit, one output each (the command line's ``--observables``
replaces them). Final measurements are dropped.

OpenQASM 2 cannot carry free parameters (``qasm2.loads`` refuses ``rx(theta)``),
and a circuit without parameters has no inputs and no weights: its outputs are
constants, so there is nothing to feed or to train. Both are refused, saying so.
"""
from __future__ import annotations

import re
from pathlib import Path

from backends.errors import UserError
from .common import Imported
from .qiskit_circuit import from_qiskit

_INPUT = ("input", "x")
_WEIGHT = ("weight", "theta", "w")
RULE = ("names starting with x or input are inputs, with w, theta or weight weights, "
        "ordered by their numbers (x2 before x10)")


def is_qasm2(text: str) -> bool:
    return re.match(r"\s*(//[^\n]*\n\s*)*OPENQASM\s+2", text) is not None


def natural_key(name: str):
    """x2 before x10: the numbers in a name compared as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)], name


def kind_of(name: str) -> str | None:
    bare = name.lstrip("_").lower()
    if bare.startswith(_INPUT):
        return "input"
    if bare.startswith(_WEIGHT):
        return "weight"
    return None


def load(path: Path, *, inputs=None, weights=None) -> Imported:
    text = path.read_text()
    if is_qasm2(text):
        raise _qasm2_refusal(path, text)
    circuit = _parse(path, text)
    params = {p.name: p for p in circuit.parameters}
    chosen_in, chosen_w = _split(path, list(params), inputs, weights)
    return from_qiskit(circuit, [params[n] for n in chosen_in], [params[n] for n in chosen_w],
                       _z_ops(circuit.num_qubits), name=path.stem, path=path, fmt="qasm3")


def _parse(path: Path, text: str):
    import contextlib
    import io
    printed = io.StringIO()      # the reference parser prints "line L:C ..." to stderr and raises an empty error
    try:
        from qiskit import qasm3
        with contextlib.redirect_stderr(printed):
            return qasm3.loads(text)
    except ImportError as err:
        raise UserError(f"{path}: reading OpenQASM 3 needs the package qiskit-qasm3-import ({err})") from None
    except Exception as err:                          # the importer's parse and conversion errors
        message = " ".join(str(err).split())
        if type(err).__name__ == "QASM3ParsingError":
            where = printed.getvalue().strip().splitlines()
            raise UserError(f"{path}: OpenQASM 3 parse error at {where[0] if where else message or '?'}") from None
        raise UserError(f"{path}: cannot import this OpenQASM 3: {message}") from None


def _split(path: Path, names: list[str], inputs, weights) -> tuple[list[str], list[str]]:
    for given in (inputs, weights):
        unknown = [n for n in (given or ()) if n not in names]
        if unknown:
            raise UserError(f"{path}: no input parameter named {unknown[0]}; "
                            f"the file declares: {', '.join(sorted(names, key=natural_key)) or 'none'}")
    if inputs is not None or weights is not None:
        inputs = list(inputs) if inputs is not None else [n for n in names if n not in (weights or ())]
        weights = list(weights) if weights is not None else [n for n in names if n not in inputs]
        left = [n for n in names if n not in inputs and n not in weights]
        if left:
            raise UserError(f"{path}: parameters {', '.join(left)} are neither inputs nor weights; name each in "
                            "inputs or weights")
        return inputs, weights
    kinds = {n: kind_of(n) for n in names}
    odd = sorted((n for n, k in kinds.items() if k is None), key=natural_key)
    if odd:
        raise UserError(f"{path}: parameters {', '.join(odd)} are neither inputs nor weights by the naming rule "
                        f"({RULE}); rename them or name the inputs and weights explicitly")
    ordered = sorted(names, key=natural_key)
    return [n for n in ordered if kinds[n] == "input"], [n for n in ordered if kinds[n] == "weight"]


def _z_ops(n_qubits: int):
    from qiskit.quantum_info import SparsePauliOp
    return [SparsePauliOp.from_sparse_list([("Z", [q], 1.0)], num_qubits=n_qubits) for q in range(n_qubits)]


def _qasm2_refusal(path: Path, text: str) -> UserError:
    try:
        from qiskit import qasm2
        circuit = qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except Exception as err:
        return UserError(f"{path}: OpenQASM 2 cannot carry free parameters, so it cannot hold a trainable "
                         f"circuit ({' '.join(str(err).split())}); write OpenQASM 3 with 'input float[64] x0;'")
    return UserError(f"{path}: an OpenQASM 2 circuit has no free parameters ({circuit.num_qubits} qubits, fixed "
                     "gates): no inputs and no weights, its outputs are constants with nothing to train; "
                     "write OpenQASM 3 with 'input float[64] x0;' declarations")
