"""Machinery for the pytest-benchmark suites: one forward+backward of one batch.

``layer_benchmark`` builds a backend's layer once (not timed), then times
``out = layer(x); out.sum().backward()`` with ``benchmark.pedantic``: fresh
inputs every round come from ``setup`` (not timed), one warm-up round absorbs
first-call costs (transpilation, JIT, caches), and the number of rounds is
fixed per cost class, because pytest-benchmark's automatic calibration is
meant for microseconds, not for steps of seconds.

With ``--benchmark-disable`` (CI) pytest-benchmark runs each function once,
untimed; the heaviest combinations (parameter-shift backends on 8 or more
qubits, 3 to 15 s per step here) are then skipped, so the CI run stays short.
The test files hold the parametrisation and the correctness checks.

Threads: the budget (``HARNESS_BENCH_THREADS``, default every CPU this process
may use) goes into the thread variables here, before torch, numpy or any
simulator is imported, when pytest is started on ``benchmarks`` alone (``make
bench``); it is passed to every layer and recorded in ``extra_info`` with
whether it came before the imports. Peak memory is left out: the pytest
process's high-water mark only grows from test to test, so it would describe
no single benchmark; ``harness run`` measures memory per run instead.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

from harness.results.provenance import BUDGET_VARS, allowed_cpus, thread_env

THREADS = int(os.environ.get("HARNESS_BENCH_THREADS") or allowed_cpus())
# True when no thread pool can have been sized yet (pytest run on benchmarks alone)
THREADS_BEFORE_IMPORT = not any(m in sys.modules for m in ("torch", "numpy", "pennylane_lightning"))
if THREADS_BEFORE_IMPORT:
    for _var in BUDGET_VARS:
        os.environ[_var] = str(THREADS)

import pytest  # noqa: E402
import torch  # noqa: E402

from backends import BACKENDS, build_layer, make_circuit  # noqa: E402
from backends.description import Circuit  # noqa: E402
from backends.layer import quantum_weights  # noqa: E402
from backends.registry import BackendSpec, served_circuits  # noqa: E402
from harness.measuring.probe import cpu_seconds  # noqa: E402
from harness.measuring.weights import initial_weights  # noqa: E402

torch.set_num_threads(THREADS)

WARMUP_ROUNDS = 1
ROUNDS = 20                 # exact-gradient backends: milliseconds to half a second per step
SHIFT_ROUNDS = 5            # parameter-shift backends: up to a few seconds per step
HEAVY_ROUNDS = 3            # parameter-shift on HEAVY_QUBITS or more: up to ~15 s per step
HEAVY_QUBITS = 8
# untimed (--benchmark-disable, as CI runs it), each backend runs the cases that hold what the others only
# repeat: a seed document's circuit, the scaling circuit, and the parity readout one backend alone serves; the
# rest (same code, other circuits, sizes and batches, each checked against the torch reference elsewhere: the
# gate table, the observables and check) run when benchmarks are timed
UNTIMED = {("moons", None, 16), ("entangler", 4, 16), ("tutorial-parity", None, 16)}
SEED = 0


# gradients that run circuits (or Python statevector sweeps) per sample and parameter or observable:
# parameter-shift (2 x rotations x batch), LinComb (rotations x observables x batch Hadamard tests),
# qiskit-ml-reverse (one qiskit.quantum_info sweep per sample and observable, in Python)
_PER_SAMPLE = ("parameter-shift", "lincomb")


def _per_sample(spec: BackendSpec) -> bool:
    return spec.diff_method in _PER_SAMPLE or spec.name == "qiskit-ml-reverse"


def is_heavy(spec: BackendSpec, circuit: Circuit) -> bool:
    """A per-sample gradient (parameter-shift and the like) on many qubits."""
    return _per_sample(spec) and circuit.n_qubits >= HEAVY_QUBITS


def rounds_for(spec: BackendSpec, circuit: Circuit) -> int:
    if is_heavy(spec, circuit):
        return HEAVY_ROUNDS
    if _per_sample(spec):
        return SHIFT_ROUNDS
    return ROUNDS


@dataclass
class LayerRun:
    """What a test needs to check after the timing: the last round's output and input."""

    layer: torch.nn.Module
    circuit: Circuit
    weights: torch.Tensor               # the circuit weights the layer started from
    batch: int
    out: torch.Tensor
    x: torch.Tensor
    weight_grad: torch.Tensor | None    # the last round's gradient of out.sum() by the circuit weights
    extra_info: dict = field(default_factory=dict)


class _Meter:
    """Wall and CPU seconds of each round, read in setup/teardown (outside the timing).

    CPU time is ``getrusage(RUSAGE_SELF)``: all threads of this process, so the
    simulators' OpenMP and Aer threads count too.
    """

    def __init__(self):
        self.intervals: list[tuple[float, float]] = []     # (wall_s, cpu_s) per round
        self._start: tuple[float, float] | None = None

    def start(self):
        self._start = (time.perf_counter(), cpu_seconds())

    def stop(self):
        wall0, cpu0 = self._start
        self.intervals.append((time.perf_counter() - wall0, cpu_seconds() - cpu0))

    def effective_cores(self, skip: int) -> float | None:
        timed = self.intervals[skip:]
        wall = sum(w for w, _ in timed)
        cpu = sum(c for _, c in timed)
        return cpu / wall if wall > 0 else None


@pytest.fixture
def layer_benchmark(benchmark):
    """``run(backend, circuit, qubits, layers, batch) -> LayerRun`` (or a pytest skip)."""

    def run(backend: str, circuit_name: str, qubits: int | None, layers: int | None, batch: int) -> LayerRun:
        spec = BACKENDS[backend]
        circuit = make_circuit(circuit_name, qubits, layers)
        # the one refusal the parametrisation expects; any other UserError (a missing
        # framework included: every one is a hard dependency) fails the benchmark
        if spec.refuses(circuit):
            pytest.skip(f"backend '{backend}' serves only {', '.join(served_circuits(spec))}")
        if benchmark.disabled and is_heavy(spec, circuit):
            pytest.skip(f"{backend} ({spec.diff_method}) on {circuit.n_qubits} qubits is too slow for a "
                        f"--benchmark-disable run; it runs when benchmarks are enabled")
        if benchmark.disabled and spec.simulator == "tc jax" and circuit.n_qubits >= HEAVY_QUBITS:
            # its jit compiles for seconds on these sizes; the smaller ones check it in an untimed run
            pytest.skip(f"{backend}'s jit compile on {circuit.n_qubits} qubits is too slow for a "
                        f"--benchmark-disable run; it runs when benchmarks are enabled")

        if benchmark.disabled and (circuit_name, qubits, batch) not in UNTIMED:
            pytest.skip(f"{circuit_name} at {qubits or 'its'} qubits, batch {batch}: untimed, it would repeat "
                        f"another case's check; it runs when benchmarks are enabled")

        torch.manual_seed(SEED)            # the classical twin draws its Linear from torch's generator
        weights = initial_weights(circuit, SEED)
        layer = build_layer(backend, circuit, weights, threads=THREADS)

        gen = torch.Generator().manual_seed(SEED)
        meter = _Meter()
        last: dict = {}

        def setup():
            layer.zero_grad(set_to_none=True)
            x = (torch.rand(batch, circuit.n_inputs, generator=gen) * torch.pi).requires_grad_()
            last["x"] = x
            meter.start()
            return (x,), {}

        def step(x):
            out = layer(x)
            out.sum().backward()
            return out

        def teardown(x):
            meter.stop()

        rounds = rounds_for(spec, circuit)
        benchmark.group = (f"{circuit.name}-q{circuit.n_qubits}"
                           + (f"-L{layers}" if layers is not None else "") + f"-b{batch}")
        out = benchmark.pedantic(step, setup=setup, teardown=teardown, rounds=rounds,
                                 warmup_rounds=WARMUP_ROUNDS, iterations=1)
        # read before count_work, whose backward adds to them
        held = quantum_weights(layer)
        weight_grad = None if held is None or held.grad is None else held.grad.detach().clone()

        work = layer.count_work(last["x"].detach().clone().requires_grad_())   # after the timing
        info = {
            "backend": backend,
            "framework": spec.framework,
            "diff_method": spec.diff_method,
            "device_vjp": spec.device_vjp,
            "gradient_computed_in": spec.gradient_in,
            "circuit": circuit.name,
            "qubits": circuit.n_qubits,
            "layers": layers,
            "batch": batch,
            # CPU s / wall s over the timed rounds (warm-up excluded); None when disabled
            "effective_cores": meter.effective_cores(skip=WARMUP_ROUNDS),
            "threads": THREADS,
            "threads_set_before_import": THREADS_BEFORE_IMPORT,
            "torch_threads": torch.get_num_threads(),
            "thread_env": thread_env(),
            # circuits simulated by one forward + backward of one batch, counted after the timing
            **(work.as_row() if work is not None else {}),
            "backend_settings": layer.settings(),
        }
        benchmark.extra_info.update(info)
        return LayerRun(layer=layer, circuit=circuit, weights=weights, batch=batch, out=out, x=last["x"],
                        weight_grad=weight_grad, extra_info=info)

    return run
