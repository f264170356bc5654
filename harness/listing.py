"""`python -m harness list`: what can run here, without importing any framework."""
from __future__ import annotations

from backends import BACKENDS, CIRCUITS, make_circuit


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def format_listing() -> str:
    lines = ["backends:"]
    rows = [["name", "available", "simulator", "gradient", "exact", "shots", "what"]]
    for spec in BACKENDS.values():
        avail = "yes" if spec.available else "no (missing " + ", ".join(spec.missing()) + ")"
        rows.append([spec.name, avail, spec.simulator, spec.diff_method, "yes", "yes" if spec.shots else "no",
                     spec.summary])
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


def listing_data() -> dict:
    """The listing as plain data: backends, circuits and tasks with what each needs and offers."""
    from backends.registry import served_circuits
    backends = []
    for spec in BACKENDS.values():
        backends.append({"name": spec.name, "available": spec.available, "missing": spec.missing(),
                         "framework": spec.framework, "simulator": spec.simulator, "gradient": spec.diff_method,
                         "device_vjp": spec.device_vjp, "gradient_computed_in": spec.gradient_in,
                         "exact": True, "shots": spec.shots, "summary": spec.summary,
                         "circuits": served_circuits(spec) if spec.serves is not None else None})
    circuits = []
    for spec in CIRCUITS.values():
        c = make_circuit(spec.name)
        circuits.append({"name": spec.name, "sizable": spec.sizable,
                         "qubits": None if spec.sizable else c.n_qubits, "inputs": None if spec.sizable else c.n_inputs,
                         "weights": None if spec.sizable else c.n_weights,
                         "outputs": None if spec.sizable else c.n_outputs, "summary": spec.summary})
    try:
        from .tasks import TASKS
    except ImportError:
        TASKS = {}
    tasks = [{"name": t.name, "circuit": t.circuit, "summary": t.summary} for t in TASKS.values()]
    return {"backends": backends, "circuits": circuits, "tasks": tasks}


def listing_json() -> str:
    import json
    return json.dumps(listing_data(), indent=2)
