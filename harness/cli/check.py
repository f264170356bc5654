"""`harness check`: every backend's outputs and gradients against the torch reference."""
from __future__ import annotations

import json

from backends import UserError

from harness.cli.common import notes


def run(*, circuits=None, circuit_file=None, observables=None, input_names=None, weight_names=None, backends=None,
        qubits=None, layers=None, batch=4, seed=0, shots=None, threads=None, tolerance=1e-5, as_json=False) -> int:
    """Print the check's table (or, with ``as_json``, its points and values); 0 when every backend agrees."""
    from harness.inputs.validate import check_check
    from harness.measuring.check import CheckConfig, format_report, run_check

    if circuits and circuit_file:
        raise UserError("give --circuits or --circuit, not both")
    defaults = CheckConfig()
    chosen = (circuit_file,) if circuit_file else circuits or defaults.circuits
    checked = check_check(CheckConfig(
        circuits=chosen, backends=backends or defaults.backends, qubits=qubits, layers=layers, batch=batch,
        seed=seed, shots=shots, tolerance=tolerance, threads=threads, observables=observables,
        input_names=input_names, weight_names=weight_names))
    notes(checked.notes)
    report = run_check(checked.config)
    if as_json:
        print(json.dumps(report.as_json() | {"ok": report.ok}))
    else:
        print(format_report(report))
    return 0 if report.ok else 1
