"""What the figures mean: work counted by hand, spans, step statistics, the environment the child saw.

Every expected number here is worked out by hand from the circuit (its
rotation gates, its observables, the batch) or from the definition of the
statistic, not read back from the code under test.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from backends import BACKENDS, UserError, build_layer, make_circuit
from harness.results import stats
from harness.inputs.config import RunConfig
from harness.results.provenance import _cgroup_cpu_limit, allowed_cpus
from harness.executing.runner import run_config
from harness.executing.sweep import planned_key

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCH = 3

# moons: RZ(2 x0), RZ(2 x1), RY(w0), RY(w1): 4 rotation gates, 4 circuit parameters
# (x0, x1, w0, w1), 2 observables <Z0>, <Z1>. Per forward+backward of a batch of 3:
SHIFTED = 2 * 4 * BATCH                      # one +pi/2 and one -pi/2 circuit per rotation and sample
HAND_COUNTS = {                              # values, shifted circuits, adjoint passes, gradient in forward
    "qiskit-shift": (BATCH, SHIFTED, 0, False),
    # EstimatorQNN sends one PUB per observable, and its gradient one per sample, observable, parameter, sign
    "qiskit-ml": (BATCH * 2, 2 * 4 * BATCH * 2, 0, False),
    "default-backprop": (BATCH, 0, 0, False),
    # adjoint in Jacobian mode: one reverse sweep per observable (moons has two); with device_vjp one per circuit
    "default-adjoint": (BATCH, 0, BATCH * 2, True),
    "default-adjoint-vjp": (BATCH, 0, BATCH, False),
    "default-shift": (BATCH, SHIFTED, 0, False),
    "lightning-adjoint": (BATCH, 0, BATCH * 2, True),
    "lightning-adjoint-vjp": (BATCH, 0, BATCH, False),
    "lightning-shift": (BATCH, SHIFTED, 0, False),
    "kokkos-adjoint": (BATCH, 0, BATCH * 2, True),
    "kokkos-adjoint-vjp": (BATCH, 0, BATCH, False),
    "kokkos-shift": (BATCH, SHIFTED, 0, False),
    "qulacs-shift": (BATCH, SHIFTED, 0, False),
    # LinComb: one Hadamard-test circuit per sample, observable and rotation; reverse: one sweep per
    # sample and observable, in Python (qiskit.quantum_info), no circuit sent to Aer
    "qiskit-ml-lincomb": (BATCH * 2, 4 * BATCH * 2, 0, False),
    "qiskit-ml-reverse": (BATCH * 2, 0, BATCH * 2, False),
    "torch": (BATCH, 0, 0, False),
    # TensorCircuit: one vmapped call of the batch; autograd (tc-torch) simulates nothing more, while
    # tc-jax's jitted vjp in the backward call computes the batch's values again before its reverse sweep
    "tc-torch": (BATCH, 0, 0, False),
    "tc-jax": (BATCH, BATCH, 0, False),
}


def _available(name):
    # every backend's framework is a hard dependency: one that does not import fails here, never skips
    missing = BACKENDS[name].missing()
    assert not missing, f"{name} needs {', '.join(missing)}, a dependency of the project"
    if name == "qiskit-ml":
        import qiskit_machine_learning  # noqa: F401  (its find_spec can succeed while its import fails)


def test_every_circuit_backend_has_a_hand_count():
    moons = make_circuit("moons")
    assert set(HAND_COUNTS) == {n for n, s in BACKENDS.items() if n != "classical" and not s.refuses(moons)}


def test_sampler_work_is_counted_like_the_others():
    """tutorial-parity: ZZ feature map (reps 2) + RealAmplitudes (reps 1) on 2 qubits."""
    _available("qiskit-ml-sampler")
    circuit = make_circuit("tutorial-parity")
    # hand count of its rotation gates: per feature-map rep 2 P(2x) + 1 P(2(pi-x0)(pi-x1)) = 3, so 6;
    # RealAmplitudes reps 1: 2 RY layers of 2 = 4
    assert len(circuit.rotations) == 10
    layer = build_layer("qiskit-ml-sampler", circuit, torch.zeros(circuit.n_weights))
    work = layer.count_work(torch.rand(BATCH, 2, requires_grad=True))
    assert (work.values, work.gradient_circuits, work.adjoint_passes, work.gradient_in_forward) == \
        (BATCH, 2 * 10 * BATCH, 0, False)


@pytest.mark.parametrize("backend", sorted(HAND_COUNTS))
def test_work_counters_match_hand_counted_circuits(backend):
    _available(backend)
    circuit = make_circuit("moons")
    layer = build_layer(backend, circuit, torch.tensor([0.3, 0.8]))
    work = layer.count_work(torch.rand(BATCH, 2, requires_grad=True))
    assert (work.values, work.gradient_circuits, work.adjoint_passes, work.gradient_in_forward) == HAND_COUNTS[backend]
    # the registry's stated gradient location agrees with where the work was counted
    assert (BACKENDS[backend].gradient_in == "forward call") == work.gradient_in_forward


def test_work_counters_scale_with_the_circuit():
    """entangler 3 qubits x 2 layers: 3 RX(x) + 6 RY(w) = 9 rotations, 3 observables."""
    circuit = make_circuit("entangler", 3, 2)
    counts = {}
    for backend in ("qiskit-shift", "default-shift", "lightning-adjoint-vjp", "qiskit-ml-lincomb", "qiskit-ml-reverse"):
        _available(backend)
        layer = build_layer(backend, circuit, torch.zeros(circuit.n_weights))
        w = layer.count_work(torch.rand(2, 3, requires_grad=True))
        counts[backend] = (w.values, w.gradient_circuits, w.adjoint_passes)
    assert counts == {"qiskit-shift": (2, 2 * 9 * 2, 0), "default-shift": (2, 2 * 9 * 2, 0),
                      "lightning-adjoint-vjp": (2, 0, 2),
                      # EstimatorQNN's PUBs are per observable: 3 observables x 2 samples
                      "qiskit-ml-lincomb": (2 * 3, 2 * 3 * 9, 0), "qiskit-ml-reverse": (2 * 3, 0, 2 * 3)}


@pytest.mark.parametrize("backend", ["default-adjoint", "lightning-adjoint", "default-shift"])
def test_evaluation_differentiates_nothing(backend):
    """The harness evaluates under no_grad: adjoint's forward-call Jacobian must not run there."""
    _available(backend)
    from backends.pennylane.common import _DeviceCounter
    from harness.tasks import moons as task
    from harness.measuring.train import _accuracy

    layer = build_layer(backend, make_circuit("moons"), torch.tensor([0.3, 0.8]))
    model = task.build_model(None, layer.circuit, layer)
    X, y = torch.rand(7, 2), torch.tensor([0, 1, 0, 1, 1, 0, 1])
    with _DeviceCounter(layer.device, lambda: "eval") as counter:
        _accuracy(task, model, X, y)
    assert counter.get("eval", "values") == 7
    assert counter.get("eval", "adjoint") == 0
    # the same counter does see adjoint's forward-call Jacobian when gradients are on
    with _DeviceCounter(layer.device, lambda: "train") as counter:
        model(X)
    # 7 circuits, each swept back once per observable (moons has two)
    assert counter.get("train", "adjoint") == (14 if BACKENDS[backend].gradient_in == "forward call" else 0)


def test_step_statistics_against_hand_values():
    # inclusive quartiles of 1..5: positions 1 + (n-1)/4 = 2 and 1 + 3(n-1)/4 = 4
    assert stats.summarize([5, 1, 4, 2, 3]) == {"n": 5, "median": 3.0, "q1": 2.0, "q3": 4.0, "min": 1.0, "max": 5.0}
    # 1, 2, 10, 20: positions 1.75 and 3.25 -> 1.75 and 12.5
    assert stats.summarize([20, 1, 10, 2]) == {"n": 4, "median": 6.0, "q1": 1.75, "q3": 12.5, "min": 1.0,
                                               "max": 20.0}
    assert stats.summarize([0.5])["q1"] == 0.5 and stats.summarize([]) is None


def test_training_peak_memory_leaves_out_what_setup_allocated():
    """A real process: 300 MiB touched and freed in "setup", 60 MiB in "training"."""
    script = textwrap.dedent("""
        import json, mmap
        from harness.measuring import probe
        def touch(mib):
            m = mmap.mmap(-1, mib << 20)
            for i in range(0, mib << 20, 4096):
                m[i] = 1
            return m
        big = touch(300); big.close()
        setup_peak = probe.peak_rss_mib()
        reset = probe.reset_peak_rss()
        small = touch(60)
        print(json.dumps({"setup": setup_peak, "train": probe.peak_rss_mib(), "reset": reset}))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    got = json.loads(out.stdout)
    if not got["reset"]:
        pytest.skip("this kernel does not allow resetting VmHWM")
    assert got["setup"] >= 300
    assert 60 <= got["train"] < 300


def test_sampler_keeps_span_peaks_apart():
    """A fresh process (nothing else starts threads there): 6 extra threads in "setup", none in "train"."""
    script = textwrap.dedent("""
        import json, threading, time
        from harness.measuring import probe
        release = threading.Event()
        sampler = probe.Sampler(interval_s=0.01, span="setup")
        with sampler:
            base = probe.thread_count()
            workers = [threading.Thread(target=release.wait) for _ in range(6)]
            for w in workers:
                w.start()
            sampler.span("setup")                 # sampled now, with the 6 extra threads alive
            release.set()
            for w in workers:
                w.join()
            # join() returns when Python is done with a thread, a moment before the kernel
            # drops it from /proc: wait until the kernel's count is back to base
            deadline = time.monotonic() + 10
            while probe.thread_count() != base and time.monotonic() < deadline:
                time.sleep(0.005)
            sampler.span("train")
        print(json.dumps({"spans": sampler.spans, "run": sampler.peak_threads, "base": base}))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    got = json.loads(out.stdout)
    base = got["base"] - 1                        # the sampler's own thread is left out of every count
    assert got["spans"]["setup"]["threads"] == base + 6
    assert got["spans"]["train"]["threads"] == base
    assert got["run"] == base + 6


def test_cgroup_quota_caps_the_thread_budget(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")       # 1.5 CPUs: 1 whole CPU
    assert _cgroup_cpu_limit(str(tmp_path)) == 1
    (tmp_path / "cpu.max").write_text("400000 100000\n")
    assert _cgroup_cpu_limit(str(tmp_path)) == 4
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert _cgroup_cpu_limit(str(tmp_path)) is None
    v1 = tmp_path / "v1"
    (v1 / "cpu").mkdir(parents=True)
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("200000\n")
    (v1 / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert _cgroup_cpu_limit(str(v1)) == 2
    (tmp_path / "cpu.max").write_text("100000 100000\n")
    assert allowed_cpus(str(tmp_path)) == 1


def _hand_allowed_cpus() -> list[int]:
    """The CPUs the kernel lets this process use, read from /proc/self/status ("0-3,6"), not from Python."""
    with open("/proc/self/status") as fh:
        text = next(line for line in fh if line.startswith("Cpus_allowed_list:")).split(":", 1)[1].strip()
    cpus = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        cpus.extend(range(int(low), int(high or low) + 1))
    return cpus


def test_the_thread_budget_is_the_cpus_a_process_is_pinned_to(tmp_path):
    """A fresh process pinned to a known set of CPUs: the default budget is their count, capped by a quota."""
    cpus = _hand_allowed_cpus()
    pins = [cpus[:1]] + ([cpus[:2]] if len(cpus) >= 2 else [])
    folders = {}
    for name, content in (("none", None), ("quota4", "400000 100000\n"), ("quota1", "150000 100000\n")):
        folders[name] = tmp_path / name
        folders[name].mkdir()
        if content:
            (folders[name] / "cpu.max").write_text(content)
    script = textwrap.dedent("""
        import json, os, sys
        from harness.inputs.config import RunConfig
        from harness.results.provenance import allowed_cpus
        pin, folders = json.loads(sys.argv[1]), json.loads(sys.argv[2])
        os.sched_setaffinity(0, pin)
        with open("/proc/self/status") as fh:
            seen = next(line for line in fh if line.startswith("Cpus_allowed_list:")).split(":", 1)[1].strip()
        print(json.dumps({"seen": seen, "threads": RunConfig(task="moons").resolve().threads,
                          **{name: allowed_cpus(folder) for name, folder in folders.items()}}))
    """)
    for pin in pins:
        out = subprocess.run([sys.executable, "-c", script, json.dumps(pin),
                              json.dumps({k: str(v) for k, v in folders.items()})],
                             cwd=ROOT, capture_output=True, text=True, check=True)
        got = json.loads(out.stdout)
        assert got["seen"] in {",".join(map(str, pin)), f"{pin[0]}-{pin[-1]}"}     # the pin took
        # no quota: the pinned count; a quota of 4 CPUs: still the pinned count; 1.5 CPUs: 1
        assert (got["none"], got["quota4"], got["quota1"]) == (len(pin), len(pin), 1), got
        if len(pin) == 1:
            assert got["threads"] == 1       # whatever this machine's own cgroup allows, it is at least 1 CPU
        elif not _machine_quota_below(2):
            assert got["threads"] == 2


def _machine_quota_below(n: int) -> bool:
    """Whether this machine's cgroup allows fewer than ``n`` whole CPUs (v2 cpu.max, v1 cfs quota), read by hand."""
    try:
        quota, period = open("/sys/fs/cgroup/cpu.max").read().split()[:2]
        return quota != "max" and int(quota) // int(period) < n
    except (OSError, ValueError):
        pass
    try:
        quota = int(open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read())
        period = int(open("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read())
    except (OSError, ValueError):
        return False
    return quota > 0 and quota // period < n


SMALL = dict(task="moons", epochs=1, train_size=20, test_size=10, threads=1)


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory):
    """One real ``python -m harness run`` on default-adjoint, made once: the user's environment holds
    KMP_BLOCKTIME=7 and no OMP_WAIT_POLICY, and the run sets nothing of its own. Returns (process, row)."""
    results = tmp_path_factory.mktemp("plain")
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env.update(PYTHONPATH=ROOT, KMP_BLOCKTIME="7")
    done = subprocess.run([sys.executable, "-m", "harness", "run", "--backend", "default-adjoint", "--epochs", "1",
                           "--train-size", "20", "--test-size", "10", "--threads", "1", "--results", str(results),
                           "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done, json.loads(done.stdout)


def test_the_child_sees_the_users_environment_and_the_runs_own_settings(tmp_path, monkeypatch, plain_run):
    _, plain = plain_run
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.setenv("KMP_BLOCKTIME", "7")                 # the user's own: passed through untouched
    active = run_config(RunConfig(**SMALL, backend="torch", env=(("OMP_WAIT_POLICY", "ACTIVE"),)), tmp_path,
                        echo=None)
    assert plain["status"] == active["status"] == "ok"
    # thread_env is read by the child from its own environment: nothing is forced, the run's own settings are added
    assert "OMP_WAIT_POLICY" not in plain["thread_env"] and plain["env"] == {}
    assert plain["thread_env"]["KMP_BLOCKTIME"] == "7" and plain["thread_env"]["OMP_NUM_THREADS"] == "1"
    assert active["thread_env"]["OMP_WAIT_POLICY"] == "ACTIVE" and active["env"] == {"OMP_WAIT_POLICY": "ACTIVE"}
    assert active["thread_env"]["KMP_BLOCKTIME"] == "7"
    # two configurations, and a stored run is found again under its own key
    from harness.executing.sweep import config_key
    cfg = RunConfig(**SMALL, backend="default-adjoint").resolve()
    assert planned_key(cfg) != planned_key(RunConfig(**SMALL, backend="default-adjoint",
                                                     env=(("OMP_WAIT_POLICY", "ACTIVE"),)).resolve())
    assert config_key(plain) == planned_key(cfg)
    assert config_key(active) == planned_key(RunConfig(**SMALL, backend="torch",
                                                       env=(("OMP_WAIT_POLICY", "ACTIVE"),)).resolve())


@pytest.mark.parametrize("env,message", [
    (("OMP_NUM_THREADS=4",), "OMP_NUM_THREADS is the thread budget; set it with --threads"),
    (("OMP_WAIT_POLICY",), "--env takes NAME=VALUE"),
    (("1BAD=x",), "--env needs a variable name"),
    (("A=1", "A=2"), "--env sets A twice"),
])
def test_bad_env_settings_are_refused(env, message):
    from harness.inputs.validate import parse_env
    with pytest.raises(UserError) as err:
        RunConfig(task="moons", env=parse_env(env)).resolve()
    assert message in str(err.value)


def test_run_summary_says_where_the_gradient_is_computed(plain_run):
    err = plain_run[0].stderr
    assert "forward call (holds the gradient: computed there)" in err
    assert "training 0." in err or "training 1." in err
    assert "training: peak memory" in err and "whole run: peak memory" in err and "MiB" in err
    # moons' batch of 5: 5 circuits for values, each swept back once per observable (two) by the adjoint method
    assert "5 for values, 0 shifted for the gradient, 10 adjoint passes" in err
    assert "OMP_WAIT_POLICY unset" in err


class _SlowScale(torch.autograd.Function):
    """x * w that sleeps a known time in forward and in backward (a layer with a weight, as a circuit's)."""

    @staticmethod
    def forward(ctx, x, w, backward_s):
        import time
        time.sleep(0.03)
        ctx.save_for_backward(x, w)
        ctx.backward_s = backward_s
        return x * w

    @staticmethod
    def backward(ctx, grad):
        import time
        time.sleep(ctx.backward_s)
        x, w = ctx.saved_tensors
        return grad * w, (grad * x).sum(0), None


class _SlowLayer(torch.nn.Module):
    def __init__(self, backward_s=0.06):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(3))
        self.backward_s = backward_s

    def forward(self, x):
        return _SlowScale.apply(x, self.w, self.backward_s)


@pytest.mark.parametrize("first", [False, True])
def test_timed_layer_spans_hold_the_layers_own_forward_and_backward(first):
    """0.03 s forward and 0.06 s backward inside; the classical layers around it add their own work."""
    import time

    from harness.measuring.train import TimedLayer
    timed = TimedLayer(_SlowLayer())
    tail = torch.nn.Linear(3, 1)
    model = torch.nn.Sequential(timed, tail) if first else torch.nn.Sequential(torch.nn.Linear(3, 3), timed, tail)
    loss = model(torch.rand(4, 3)).sum()
    loss.backward()
    timed.collect_backward(time.perf_counter())
    assert 0.03 <= timed.forward_s < 0.03 + 0.5
    assert 0.06 <= timed.backward_s < 0.06 + 0.5
    # the span is the layer's, not the whole backward pass: a slow classical backward after it
    # (0.6 s, far above any scheduling noise) is not counted
    timed.backward_s = 0.0
    slow_head = torch.nn.Sequential(torch.nn.Linear(3, 3), _SlowLayer(backward_s=0.6), timed, tail)
    slow_head(torch.rand(4, 3)).sum().backward()
    timed.collect_backward(time.perf_counter())
    assert 0.06 <= timed.backward_s < 0.06 + 0.4
