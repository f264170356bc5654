"""`harness check`: every backend's outputs and gradients against the torch reference."""
from __future__ import annotations

from harness.cli.common import notes


def run(*, circuits=None, backends=None, qubits=None, layers=None, batch=4, seed=0, shots=None, threads=None,
        tolerance=1e-5) -> int:
    """Print the check's table; exit status 0 when every backend agrees, 1 otherwise."""
    from harness.inputs.validate import check_check
    from harness.measuring.check import CheckConfig, format_report, run_check

    defaults = CheckConfig()
    checked = check_check(CheckConfig(
        circuits=circuits or defaults.circuits, backends=backends or defaults.backends, qubits=qubits,
        layers=layers, batch=batch, seed=seed, shots=shots, tolerance=tolerance, threads=threads))
    notes(checked.notes)
    report = run_check(checked.config)
    print(format_report(report))
    return 0 if report.ok else 1
