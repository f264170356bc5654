"""What every importer shares: the ``Imported`` record, running a user's Python file, one-line refusals.

A circuit file is the user's own Python code: importing it executes it, with
the same rights as the harness itself. Only open files you would run.
"""
from __future__ import annotations

import runpy
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backends.description import Circuit, Observable, z_observable
from backends.description.observables import check_wires
from backends.errors import UserError

FORMATS = ("qiskit", "qasm3", "pennylane")


@dataclass(frozen=True)
class Imported:
    """A circuit read from another framework, with what it takes to evaluate it there.

    ``source`` is the format's own record (``QiskitSource`` for qiskit and qasm3,
    ``PennyLaneSource`` for pennylane); ``source_outputs`` evaluates it in the
    source framework. ``input_names``/``weight_names`` name x[i] and w[j] as the
    source does.
    """
    circuit: Circuit
    format: str                   # one of FORMATS
    path: Path | None             # None for an in-memory import
    source: Any
    input_names: tuple[str, ...]
    weight_names: tuple[str, ...]


def refuse(where: str, what: str) -> UserError:
    """``where: what`` as one line (newlines in a framework's message folded)."""
    return UserError(f"{where}: {' '.join(str(what).split())}")


def existing_file(path) -> Path:
    path = Path(path)
    if not path.is_file():
        why = "is a folder" if path.is_dir() else "does not exist"
        raise UserError(f"circuit file {path} {why}; give a .py (Qiskit or PennyLane) or .qasm (OpenQASM 3) file")
    return path


def run_user_file(path: Path) -> dict:
    """The names a user's Python file defines, executing it; its own error and line if it raises."""
    try:
        return runpy.run_path(str(path), run_name="__circuit__")
    except SyntaxError as err:
        raise UserError(f"{path}:{err.lineno}: cannot parse the circuit file: {err.msg}") from None
    except BaseException as err:                     # the user's code: any error it raises is theirs
        if isinstance(err, KeyboardInterrupt):
            raise
        frames = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename) == path.resolve()
                  or f.filename == str(path)]
        line = f":{frames[-1].lineno}" if frames else ""
        message = " ".join(str(err).split())
        raise UserError(f"{path}{line}: the circuit file raised {type(err).__name__}: {message}") from None


def z_on_each_wire(n_qubits: int) -> tuple[Observable, ...]:
    return tuple(z_observable((w,)) for w in range(n_qubits))


def checked_observables(where: str, observables, n_qubits: int) -> tuple[Observable, ...]:
    observables = tuple(observables)
    if not observables:
        raise UserError(f"{where}: the circuit has no outputs; give at least one observable")
    try:
        check_wires(observables, n_qubits)
    except ValueError as err:
        raise refuse(where, err) from None
    return observables
