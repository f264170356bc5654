"""`harness advise`: the pick for one configuration, raced within a budget (see harness.executing.advise)."""
from __future__ import annotations

import json
import re
import sys

from backends import UserError

from harness.cli.common import notes, others_timing


def parse_budget(text) -> float:
    """'10m', '90s', '1h' or plain seconds; one line naming what is accepted otherwise."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(text))
    if not found or float(found.group(1)) <= 0:
        raise UserError(f"--budget takes a positive time such as 10m, 90s or 1h (digits, then s, m or h); "
                        f"received {text!r}")
    return float(found.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[found.group(2)]


def run(*, task="scaling", backends=("all",), circuit=None, observables=None, input_names=None,
        weight_names=None, qubits=None, layers=None, batch_size=None, digits=None, shots=None, threads=None,
        env=(), epochs=None, lr=None, train_size=None, test_size=None, data_dir=None, timeout=None,
        budget="10m", results="results", as_json=False) -> int:
    """Print the pick (or, with ``as_json``, one JSON object); 0 when the rule separated a pick, else 1."""
    from harness.executing.advise import AdviseConfig, advise
    from harness.executing.advise_output import advice_json, format_advice
    from harness.inputs.config import RunConfig
    from harness.inputs.validate import parse_env

    base = RunConfig(task=task, circuit=circuit, observables=observables, input_names=input_names,
                     weight_names=weight_names, qubits=qubits, layers=layers, batch_size=batch_size, digits=digits,
                     shots=shots, threads=threads, env=parse_env(env), epochs=epochs, lr=lr, train_size=train_size,
                     test_size=test_size, data_dir=data_dir, timeout_s=timeout)
    notes([])
    others_timing()
    advice = advise(AdviseConfig(base=base, backends=tuple(backends), budget_s=parse_budget(budget)),
                    results_dir=results)
    print(format_advice(advice), file=sys.stderr)
    if as_json:
        print(json.dumps(advice_json(advice)))
    return 0 if advice.separated else 1
