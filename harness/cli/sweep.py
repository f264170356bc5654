"""`harness sweep`: a grid of configurations, each in a fresh child process; resumable."""
from __future__ import annotations

import sys

from backends import UserError


def run(*, backends=("all",), tasks=("moons",), seeds=(0,), qubits=(), layers=(), batch_sizes=(), force=False,
        rerun_other_code=False, retry_timeouts=False, rerun_busy=False, drop_slow=None, executor="local", address=None, per_node=1, circuit=None,
        observables=None, input_names=None, weight_names=None, digits=None, shots=None, threads=None, env=(), timeout=None, epochs=None, lr=None, train_size=None,
        test_size=None, data_dir=None, results="results") -> int:
    """Exit status 0 when no run failed or was killed, else 1."""
    from harness.executing.sweep import SweepConfig, run_sweep
    from harness.inputs.config import RunConfig
    from harness.inputs.validate import parse_env

    if executor == "local" and (address is not None or per_node != 1):
        raise UserError("--address and --per-node apply to --executor ray")
    base = RunConfig(circuit=circuit, observables=observables, input_names=input_names, weight_names=weight_names,
                     digits=digits, shots=shots, threads=threads, env=parse_env(env),
                     epochs=epochs, lr=lr, train_size=train_size, test_size=test_size, data_dir=data_dir,
                     timeout_s=timeout)
    counts = run_sweep(SweepConfig(backends=backends, tasks=tasks, seeds=seeds, qubits=qubits, layers=layers,
                                   batch_sizes=batch_sizes, base=base, force=force,
                                   rerun_other_code=rerun_other_code, retry_timeouts=retry_timeouts,
                                   rerun_busy=rerun_busy, drop_slow=drop_slow),
                       results_dir=results, executor=executor, address=address, per_node=per_node)
    from harness.cli.common import where_rows
    print("sweep done: " + (", ".join(f"{v} {k}" for k, v in counts.items() if v) or "nothing to run"),
          file=sys.stderr)
    print(where_rows(results), file=sys.stderr)
    return 0 if not (counts["failed"] or counts["killed"]) else 1
