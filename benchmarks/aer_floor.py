"""Where a `qiskit-shift` step on `moons` goes, against the `classical` twin's step.

Trains the moons model (the task's data, model, loss and optimizer) for a few
epochs with each backend, alternating, in this one process, and times every
step. For `qiskit-shift` it also times each Aer call inside the step, and then
replays the very same angle rows on Aer back to back with nothing around them.
So it shows how much of the step is Aer's, and the ratio to the classical twin
that even a wrapper costing nothing would leave.
Usage: python benchmarks/aer_floor.py [epochs]   (default 6, as the task)
"""
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from backends import build_layer, make_circuit  # noqa: E402
from harness.inputs.config import RunConfig  # noqa: E402
from harness.tasks import task_spec  # noqa: E402
from harness.measuring.weights import initial_weights  # noqa: E402

THREADS = 2


class TimedAer:
    """Stands in for a layer's AerRows: the same calls, each timed, its rows kept for a replay."""

    def __init__(self, aer):
        self.aer, self.seconds, self.rows = aer, [], []

    def __call__(self, rows):
        start = time.perf_counter()
        out = self.aer(rows)
        self.seconds.append(time.perf_counter() - start)
        self.rows.append(rows)
        return out


def train_steps(backend: str, epochs: int):
    """Per-step seconds and, for qiskit-shift, Aer seconds per step and the Aer wrapper."""
    cfg = RunConfig(task="moons", backend=backend, seed=0, threads=THREADS, epochs=epochs).resolve()
    task = task_spec("moons").impl()
    torch.manual_seed(0)
    (x, y), _ = task.load_data(cfg)
    circuit = make_circuit(cfg.circuit, cfg.qubits, cfg.layers)
    layer = build_layer(backend, circuit, initial_weights(circuit, 0), threads=THREADS)
    aer = None
    if hasattr(layer, "aer"):
        aer = layer.aer = TimedAer(layer.aer)
    model = task.build_model(cfg, circuit, layer)
    optimizer = task.optimizer(model.parameters(), cfg.lr)
    steps, aer_per_step = [], []
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for b in range(len(x) // cfg.batch_size):
            idx = order[b * cfg.batch_size:(b + 1) * cfg.batch_size]
            calls = len(aer.seconds) if aer else 0
            start = time.perf_counter()
            optimizer.zero_grad()
            loss = task.loss(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            steps.append(time.perf_counter() - start)
            if aer:
                aer_per_step.append(sum(aer.seconds[calls:]))
    return steps, aer_per_step, aer


def replay(aer: TimedAer) -> list[float]:
    """The same Aer calls again, back to back: seconds per step (two calls a step)."""
    seconds = []
    for rows in aer.rows:
        start = time.perf_counter()
        aer.aer(rows)
        seconds.append(time.perf_counter() - start)
    return [a + b for a, b in zip(seconds[::2], seconds[1::2])]


def _median_ms(seconds: list[float]) -> float:
    return round(statistics.median(seconds) * 1e3, 3)


def main(epochs: int) -> None:
    classical, shift, aer_in_step = [], [], []
    for _ in range(2):                                  # alternate, so drifts hit both
        classical += train_steps("classical", epochs)[0]
        steps, per_step, aer = train_steps("qiskit-shift", epochs)
        shift += steps
        aer_in_step += per_step
    aer_alone = replay(aer)
    c, q, a, alone = (_median_ms(v) for v in (classical, shift, aer_in_step, aer_alone))
    print(json.dumps({
        "classical_step_ms": c,
        "qiskit_shift_step_ms": q,
        "ratio": round(q / c, 2),
        "aer_ms_per_step_in_training": a,
        "aer_ms_per_step_replayed_alone": alone,
        "qiskit_shift_step_without_aer_ms": round(q - a, 3),
        # a quantum layer whose only cost is Aer's, replayed alone, on top of the classical step
        "ratio_floor_with_aer_alone": round((c + alone) / c, 2),
        # what Aer was asked per step: the angle rows of each call, in call order
        "aer_rows_per_call_of_a_step": [len(r) for r in aer.rows[:2]],
        "aer_calls": len(aer.rows),
        "steps": len(steps),
    }, indent=1))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 6)
