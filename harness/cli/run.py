"""`harness run`: one task on one backend in a fresh child process; its row is stored and summarised."""
from __future__ import annotations

import json
import sys

from harness.cli.common import notes, others_timing, where_rows


def run(*, task="moons", backend="torch", circuit=None, observables=None, input_names=None, weight_names=None,
        qubits=None, layers=None, digits=None, seed=0,
        shots=None, threads=None, env=(), epochs=None, batch_size=None, lr=None, train_size=None,
        test_size=None, data_dir=None, timeout=None, results="results", as_json=False) -> int:
    """Exit status 0 when the run is ok, 1 when it failed, timed out or was killed."""
    from harness.executing.busy import warning
    from harness.executing.runner import run_config, summary
    from harness.inputs.config import RunConfig
    from harness.inputs.validate import check_run, parse_env
    from harness.results.store import Store

    checked = check_run(RunConfig(
        task=task, backend=backend, circuit=circuit, observables=observables, input_names=input_names,
        weight_names=weight_names, qubits=qubits, layers=layers, digits=digits, seed=seed,
        shots=shots, threads=threads, env=parse_env(env), epochs=epochs, batch_size=batch_size, lr=lr,
        train_size=train_size, test_size=test_size, data_dir=data_dir, timeout_s=timeout))
    notes(checked.notes)
    with Store(results) as store:          # checked before training, not after
        others_timing()
        row = run_config(checked.config, results_dir=results, store=store)
    print(summary(row), file=sys.stderr)
    busy = warning(row)
    if busy:
        print(f"warning: {busy}", file=sys.stderr)
    print(where_rows(results, "row"), file=sys.stderr)
    if as_json:
        print(json.dumps(row))
    return 0 if row["status"] == "ok" else 1
