"""`python -m harness list`: what can run here, as a table or as JSON.

A backend is "available" only when its framework really imports: a package
that is installed but broken (a missing shared library, a wrong version of a
dependency) must not look usable. All frameworks are imported once, together,
in one throwaway subprocess, so the listing process itself stays free of them
and a crashing import cannot take it down.
"""
from __future__ import annotations

import json
import subprocess
import sys

from backends import BACKENDS, CIRCUITS, make_circuit
from backends.description.gates import GATES
from backends.registry import served_circuits

IMPORT_TIMEOUT_S = 120
# every backend trains inside torch, whatever else it needs
ALWAYS = ("torch",)

_PROBE = r"""
import importlib, json, sys
out = {}
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
        out[name] = None
    except BaseException as err:      # an import can raise anything, SystemExit included
        text = str(err).strip().splitlines()
        out[name] = type(err).__name__ + (": " + text[0] if text else "")
print(json.dumps(out))
"""


def import_errors(packages) -> dict[str, str | None]:
    """package -> None if it imports, else its one-line import error; all in one subprocess."""
    packages = sorted(set(packages))
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(packages)], capture_output=True,
                              text=True, timeout=IMPORT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return dict.fromkeys(packages, f"importing the frameworks took over {IMPORT_TIMEOUT_S} s")
    try:
        found = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        # the probe itself died (a segfault in some import): say how, for every package
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return dict.fromkeys(packages, f"the import check crashed: {last}")
    return {p: found.get(p, "not checked") for p in packages}


def backend_status() -> dict[str, str]:
    """backend -> "yes", or "no (" + the first import error among its packages + ")"."""
    needs = {name: ALWAYS + tuple(spec.requires) for name, spec in BACKENDS.items()}
    errors = import_errors(p for pkgs in needs.values() for p in pkgs)
    status = {}
    for name, pkgs in needs.items():
        failed = [f"{p}: {errors[p]}" for p in pkgs if errors[p]]
        status[name] = "yes" if not failed else f"no ({failed[0]})"
    return status


def _wrapped(text: str, width: int = 100) -> list[str]:
    import textwrap
    return ["  " + line for line in textwrap.wrap(text, width)]


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def format_listing() -> str:
    lines = ["backends:"]
    rows = [["name", "available", "simulator", "gradient", "gradient computed in", "exact", "shots", "what"]]
    status = backend_status()
    for spec in BACKENDS.values():
        rows.append([spec.name, status[spec.name], spec.simulator, spec.diff_method, spec.gradient_in, "yes",
                     "yes" if spec.shots else "no", spec.summary])
    lines += _table(rows)
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
    lines.append("gates (the description's gate table; every backend compiles from it):")
    lines += _wrapped(", ".join(f"{g.name}({g.params})" if g.params else g.name for g in GATES.values()))
    lines.append("tasks:")
    rows = [["name", "circuit", "what"]]
    for task, problem in task_status().items():
        rows.append([task.name, task.circuit, task.summary if problem is None else f"cannot load: {problem}"])
    lines += _table(rows)
    return "\n".join(lines)


def task_status() -> dict:
    """TaskSpec -> None when its module imports, else the one-line error (a broken install shows here)."""
    from harness.tasks import TASKS
    status = {}
    for task in TASKS.values():
        try:
            task.impl()
            status[task] = None
        except Exception as err:        # noqa: BLE001 - any import failure is what this reports
            status[task] = f"{type(err).__name__}: {err}"
    return status


def listing_data() -> dict:
    """The listing as plain data: backends, circuits and tasks with what each needs and offers."""
    backends = []
    status = backend_status()
    for spec in BACKENDS.values():
        backends.append({"name": spec.name, "available": status[spec.name] == "yes",
                         "import_error": None if status[spec.name] == "yes" else status[spec.name][4:-1],
                         "missing": spec.missing(),
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
    tasks = [{"name": t.name, "circuit": t.circuit, "summary": t.summary, "import_error": problem}
             for t, problem in task_status().items()]
    gates = [{"name": g.name, "wires": g.wires or None, "parameters": g.params, "qiskit": g.qiskit or None,
              "pennylane": g.pennylane or None, "shift_terms": len(g.shift) if g.params else 0}
             for g in GATES.values()]
    return {"backends": backends, "circuits": circuits, "gates": gates, "tasks": tasks}


def circuit_data(source) -> dict:
    """One circuit as plain data: its description, and for each backend and task whether it serves it and why not."""
    from backends.registry import refusal
    from harness.tasks import TASKS
    c = source.circuit
    status = backend_status()
    backends = {name: {"serves": refusal(spec, c) is None and status[name] == "yes",
                       "why_not": refusal(spec, c) or (None if status[name] == "yes" else status[name])}
                for name, spec in BACKENDS.items()}
    tasks = {t.name: (t.widths is None and c.n_inputs > 0) or (c.n_inputs, c.n_outputs) == t.widths
             for t in TASKS.values()}
    return {"name": c.name, "source": source.path, "format": source.format, "digest": source.digest,
            "qubits": c.n_qubits, "inputs": c.n_inputs, "weights": c.n_weights, "outputs": [o.label for o in c.observables],
            "gates": [{"name": g.name, "wires": list(g.wires), "params": [repr(p) for p in g.params]} for g in c.gates],
            "backends": backends, "tasks": tasks}


def format_circuit(data: dict) -> str:
    from harness.results.words import plural
    where = f"{data['format']} file {data['source']}" if data["source"] else "built-in"
    lines = [f"circuit {data['name']} ({where}{', digest ' + data['digest'] if data['digest'] else ''}): "
             f"{plural(data['qubits'], 'qubit')}, {plural(data['inputs'], 'input')}, "
             f"{plural(data['weights'], 'weight')}, {plural(len(data['outputs']), 'output')}, "
             f"{plural(len(data['gates']), 'gate')}",
             "gates:"]
    lines += [f"  {g['name']}({', '.join(g['params'])}) on {g['wires']}" if g["params"] else
              f"  {g['name']} on {g['wires']}" for g in data["gates"]]
    lines.append("outputs: " + ", ".join(data["outputs"]))
    lines.append("backends:")
    lines += _table([["name", "serves it", "why not"]] + [[n, "yes" if b["serves"] else "no", b["why_not"] or ""]
                                                          for n, b in data["backends"].items()])
    lines.append("tasks it fits: " + ", ".join(t for t, ok in data["tasks"].items() if ok))
    return "\n".join(lines)


def run(*, as_json: bool = False, circuit=None, observables=None, input_names=None, weight_names=None) -> int:
    """Print the listing (or one circuit's description with ``circuit``); exit status 0."""
    from harness.inputs.circuits import check_circuit_file, check_outputs, parameter_names
    if circuit is None and any(v is not None for v in (observables, input_names, weight_names)):
        from backends import UserError
        raise UserError("--observables, --inputs and --weights describe one circuit's outputs and parameters; "
                        "give --circuit NAME_OR_FILE with them")
    if circuit is not None:
        from backends.sources import load_source
        check_outputs(observables)
        check_circuit_file(circuit)
        data = circuit_data(load_source(circuit, observables=observables, inputs=parameter_names(input_names),
                                        weights=parameter_names(weight_names)))
        print(json.dumps(data, indent=2) if as_json else format_circuit(data))
        return 0
    print(json.dumps(listing_data(), indent=2) if as_json else format_listing())
    return 0
