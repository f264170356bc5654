"""The circuit of a run, checked: a built-in name or a file, its outputs, its widths against the task.

Called by ``harness.inputs.validate`` (and ``check``), in the parent, before
any child starts. A file is imported here once (it is the user's own Python
code, or QASM read by Qiskit's importer); the child imports it again and
refuses to run if its digest changed in between.
"""
from __future__ import annotations

from dataclasses import dataclass

from backends import CIRCUITS, UserError, backend_spec
from backends.description.readouts import READOUTS
from backends.registry import refusal
from backends.library import DEFAULT_LAYERS, DEFAULT_QUBITS
from backends.sources import Source, is_file, load_source

from harness.results.words import did_you_mean


@dataclass(frozen=True)
class Chosen:
    name: str                     # the built-in name, or the file's absolute path
    source: Source
    qubits: int | None            # the entangler's sizes; None for every other circuit
    layers: int | None


def parameter_names(values) -> tuple[str, ...] | None:
    """``--inputs``/``--weights``: parameter names, comma-separated text or a sequence."""
    if values is None:
        return None
    items = values.split(",") if isinstance(values, str) else list(values)
    items = tuple(str(v).strip() for v in items)
    if not items or any(not v for v in items):
        raise UserError(f"parameter names {values!r} hold an empty name; give names such as 'x0,x1'")
    return items


OUTPUTS_EXAMPLE = "outputs such as 'Z0, 0.5*X0Z1 + Y2'"


def check_outputs(observables, *, axis: bool = False) -> None:
    """``--observables`` as typed, refused in one line where the outputs' parser would misread it or say too little.

    Before any parsing: only ASCII (``Z٣`` would read as ``Z3``, a pasted minus sign as nothing); no wire with
    a leading zero (``Z01`` reads as Z on wire 1, where ``Z0Z1`` was likely meant); readout names in lowercase;
    names not mixed with outputs; several names only where they are an axis (``sweep``, ``axis=True``).
    """
    import re
    if not isinstance(observables, str):
        return
    valid = f"valid: {', '.join(READOUTS)}, or {OUTPUTS_EXAMPLE}"
    odd = next((ch for ch in observables if not ch.isascii()), None)
    if odd is not None:
        raise UserError(f"--observables: {odd!r} is not an ASCII character; write letters, digits and signs "
                        f"in ASCII ({valid})")
    zero = re.search(r"[IXYZixyz]\s*(0[0-9]+)", observables)
    if zero:
        raise UserError(f"--observables: wire number '{zero.group(1)}' has a leading zero; write each wire's "
                        f"factor on its own, such as Z0Z1 for Z on wires 0 and 1, or Z1 for wire 1")
    parts = [p.strip() for p in observables.split(",")]
    for part in parts:
        if part not in READOUTS and part.lower() in READOUTS and not _reads(part):
            raise UserError(f"--observables: readout names are lowercase: '{part.lower()}', not '{part}'; {valid}")
    # 'z0' reads as a readout and as an output (Z on wire 0): only names that cannot be outputs tell a list
    # of readouts from outputs ('z0, x1' stays outputs)
    only_names = [p for p in parts if p in READOUTS and not _reads(p)]
    if only_names and not all(parts):       # (outputs alone get the parser's line: 'output 2 of ... is empty')
        raise UserError(f"--observables: entry {parts.index('') + 1} of {observables!r} is empty; give one "
                        f"readout, several readouts (a sweep's axis) or {OUTPUTS_EXAMPLE}")
    if only_names:
        others = [p for p in parts if p not in READOUTS]
        if others:
            raise UserError(f"--observables: readout names ({', '.join(only_names)}) and outputs "
                            f"({', '.join(others)}) cannot be mixed; give one readout, several readouts (a "
                            f"sweep's axis) or {OUTPUTS_EXAMPLE}")
        if len(parts) > 1 and not axis:
            raise UserError(f"--observables: several readouts ({', '.join(parts)}) are an axis of `harness "
                            f"sweep`; this command takes one readout or {OUTPUTS_EXAMPLE}")
    check_readout_names(observables)


def _reads(text) -> bool:
    """``text`` reads as outputs (one output: no comma in it)."""
    from backends.description.observables import parse_observables
    try:
        parse_observables(text)
        return True
    except ValueError:
        return False


def canonical_outputs(spec: str, circuit) -> str:
    """The identity of ``--observables SPEC`` on ``circuit`` (its outputs already replaced by SPEC's).

    A readout's name stays as given; outputs that are a readout's whatever the size (``Z0`` is ``z0``: equal
    at this size and the next) take its name, and other outputs their exact text (coefficients in full, terms
    in the order written, repeats merged, constants in the offset), so the same outputs written two ways
    (``Z0``, ``1*Z0 + 0``, ``z0``) are one configuration, resumed and reported as one. ``Z0Z1`` equals
    ``zz-ring`` on 2 qubits only, so it keeps its text: a sweep over sizes stays one family.
    """
    from backends.description.readouts import readout
    if spec.strip() in READOUTS:
        return spec.strip()
    outputs, n = tuple(circuit.observables), circuit.n_qubits
    for name in READOUTS:
        try:
            if readout(name, n) == outputs == readout(name, n + 1):
                return name
        except ValueError:
            continue
    return ", ".join(_exact(o) for o in outputs)


def _number(value: float) -> str:
    text = repr(float(value))           # the shortest text that reads back as the same float
    return text[:-2] if text.endswith(".0") else text


def _exact(output) -> str:
    parts = [_number(output.offset)] if output.offset else []
    for t in output.terms:
        body = t.label if abs(t.coeff) == 1 else f"{_number(abs(t.coeff))}*{t.label}"
        if parts:
            parts.append(("- " if t.coeff < 0 else "+ ") + body)
        else:
            parts.append(("-" if t.coeff < 0 else "") + body)
    return " ".join(parts)


def load_naming(circuit, several: bool, *args) -> Source:
    """``load_source(circuit, *args)``; among several circuits (``check``) a refusal names the one it was."""
    try:
        return load_source(circuit, *args)
    except UserError as err:
        if not several:
            raise
        name = circuit if isinstance(circuit, str) else getattr(circuit, "name", "the circuit")
        raise UserError(f"circuit '{name}': {err}") from None


def check_circuit_file(name) -> None:
    """A circuit argument naming a folder or an empty file gets its own line, before an importer reads it."""
    from pathlib import Path
    if not isinstance(name, str) or not is_file(name):
        return
    path = Path(name).expanduser()
    if path.is_dir():
        raise UserError(f"circuit file '{name}' is a folder; give a .py (Qiskit or PennyLane) or .qasm "
                        f"(OpenQASM 3) file")
    if path.is_file() and not path.read_bytes().strip():
        raise UserError(f"circuit file '{name}' is empty; give a .py (Qiskit or PennyLane) or .qasm "
                        f"(OpenQASM 3) file that describes a circuit")


def check_readout_names(observables) -> None:
    """A mistyped readout name (``z-al``) is refused with the closest one, before it is read as outputs.

    Only a lowercase word (letters, digits, ``-``) that does not read as outputs (``x1`` does) and is
    close to a readout's name or has its ``-`` is taken for a name; anything else (``Q1``, ``Z0Z0``) is
    left to the outputs' own parser and its more precise message.
    """
    import re
    from backends.description.observables import parse_observables
    if not isinstance(observables, str):
        return
    for part in (p.strip() for p in observables.split(",")):
        hint = did_you_mean(part, READOUTS)
        if part in READOUTS or not re.fullmatch(r"[a-z][a-z0-9_-]*", part) or not (hint or "-" in part):
            continue
        try:
            parse_observables(part)
        except ValueError:
            raise UserError(f"--observables: unknown readout '{part}'{hint}; valid: "
                            f"{', '.join(READOUTS)}, or outputs such as 'Z0, 0.5*X0Z1 + Y2'") from None


def choose_circuit(cfg, task, integer) -> Chosen:
    """The circuit ``cfg`` asks for on ``task``, or one line saying why it cannot run there."""
    check_outputs(cfg.observables)
    name = task.circuit if cfg.circuit is None else cfg.circuit
    check_circuit_file(name)
    if not isinstance(name, str) or not name:
        raise UserError(f"unknown circuit {name!r}; valid: {', '.join(CIRCUITS)}, or a circuit file (.py, .qasm)")
    qubits = None if cfg.qubits is None else integer("qubits", cfg.qubits)
    layers = None if cfg.layers is None else integer("layers", cfg.layers)
    inputs, weights = parameter_names(cfg.input_names), parameter_names(cfg.weight_names)
    if is_file(name):
        if qubits is not None or layers is not None:
            raise UserError("--qubits and --layers size the built-in entangler circuit; "
                            f"a circuit file has its own sizes ('{name}')")
        source = load_source(name, observables=cfg.observables, inputs=inputs, weights=weights)
        fits_task(task, source)
        return Chosen(source.path, source, None, None)
    if name not in CIRCUITS:
        raise UserError(f"unknown circuit '{name}'{did_you_mean(name, CIRCUITS)}; valid: {', '.join(CIRCUITS)}, "
                        f"or a circuit file (.py, .qasm)")
    if name not in task.circuits:
        raise UserError(f"task '{task.name}' runs circuits {', '.join(task.circuits)}"
                        + (" or a circuit file" if task.widths is None else "") + f"; received '{name}'")
    if CIRCUITS[name].sizable:
        qubits, layers = qubits or DEFAULT_QUBITS, layers or DEFAULT_LAYERS
    elif qubits is not None or layers is not None:
        raise UserError(f"--qubits and --layers size the entangler circuit (task 'scaling'); "
                        f"task '{task.name}' runs the fixed-size '{name}' circuit")
    source = load_source(name, qubits, layers, observables=cfg.observables, inputs=inputs, weights=weights)
    if cfg.observables is not None:
        fits_task(task, source)
    return Chosen(name, source, qubits, layers)


def fits_task(task, source: Source) -> None:
    """A task whose classical layers cannot adapt takes only a circuit of its exact widths."""
    c = source.circuit
    if task.widths is not None and (c.n_inputs, c.n_outputs) != task.widths:
        raise UserError(f"task '{task.name}' needs a circuit with {task.widths[0]} inputs and {task.widths[1]} "
                        f"outputs (its model is the tutorial's own); circuit '{c.name}' has {c.n_inputs} inputs "
                        f"and {c.n_outputs} outputs")
    if c.n_inputs == 0:
        raise UserError(f"circuit '{c.name}' has no inputs, so the data cannot reach it; "
                        f"task '{task.name}' needs a circuit with at least one input parameter")


def readout_axis(observables) -> tuple:
    """A sweep's ``--observables``: several readout names (``z0,z-all,ising``) are an axis; else one value."""
    if isinstance(observables, str) and "," in observables:
        names = [n.strip() for n in observables.split(",")]
        if all(n in READOUTS for n in names):
            return tuple(dict.fromkeys(names))
    return (observables,)


def readout_refusal(cfg) -> str | None:
    """Why ``cfg``'s backend cannot serve its circuit with its readout (a sweep over readouts skips it)."""
    from harness.tasks import task_spec
    task = task_spec(cfg.task)
    name = cfg.circuit or task.circuit
    sizable = name in CIRCUITS and CIRCUITS[name].sizable
    circuit = load_source(name, (cfg.qubits or DEFAULT_QUBITS) if sizable else None,
                          (cfg.layers or DEFAULT_LAYERS) if sizable else None, cfg.observables).circuit
    why = refusal(backend_spec(cfg.backend), circuit)
    return f"{cfg.task}, readout {cfg.observables}: backend {cfg.backend} skipped: {why}" if why else None
