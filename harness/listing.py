"""`python -m harness list`: what can run here, without importing any framework."""
from __future__ import annotations

from backends import BACKENDS, CIRCUITS, make_circuit


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def format_listing() -> str:
    lines = ["backends:"]
    rows = [["name", "available", "simulator", "gradient", "gradient computed in", "exact", "shots", "what"]]
    for spec in BACKENDS.values():
        avail = "yes" if spec.available else "no (missing " + ", ".join(spec.missing()) + ")"
        rows.append([spec.name, avail, spec.simulator, spec.diff_method, spec.gradient_in, "yes",
                     "yes" if spec.shots else "no", spec.summary])
    lines += _table(rows)
    from backends.registry import served_circuits
    for spec in BACKENDS.values():
        if spec.serves is not None:
            lines.append(f"  ({spec.name} serves only circuits whose outputs are {spec.serves_what}: "
                         f"{', '.join(served_circuits(spec))})")
    lines.append("circuits:")
    rows = [["name", "qubits", "inputs", "weights", "outputs", "what"]]
    for spec in CIRCUITS.values():
        c = make_circuit(spec.name)
        size = "--qubits N" if spec.sizable else str(c.n_qubits)
        n_in = "N" if spec.sizable else str(c.n_inputs)
        n_w = "N*L" if spec.sizable else str(c.n_weights)
        n_out = "N" if spec.sizable else str(c.n_outputs)
        rows.append([spec.name, size, n_in, n_w, n_out, spec.summary])
    lines += _table(rows)
    lines.append("tasks:")
    try:
        from .tasks import TASKS
    except ImportError:
        TASKS = {}
    if not TASKS:
        lines.append("  (none yet)")
    else:
        rows = [["name", "circuit", "what"]]
        for task in TASKS.values():
            rows.append([task.name, task.circuit, task.summary])
        lines += _table(rows)
    return "\n".join(lines)
