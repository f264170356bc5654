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
    check_readout_names(cfg.observables)
    name = task.circuit if cfg.circuit is None else cfg.circuit
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
