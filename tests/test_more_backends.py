"""What users pick beyond default.qubit, lightning.qubit and Aer: lightning.kokkos and qiskit-machine-learning's
other gradients. Their values and gradients are checked by the table-driven tests (every gate, every observable,
every built-in circuit against the torch reference) and their work by hand counts (test_measurement); here, what
those cannot show: the install carries no CUDA package, kokkos's threads, and the libraries' own limitations that
the registry's refusals rest on (if a release lifts one, its test fails and the refusal should go)."""
from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from backends import BACKENDS, UserError, build_layer, make_circuit
from thread_probe import HEAD
from backends.description import CircuitBuilder, z_observable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEW = ("kokkos-adjoint", "kokkos-adjoint-vjp", "kokkos-shift", "qiskit-ml-lincomb", "qiskit-ml-reverse", "qulacs-shift")


def test_the_environment_holds_no_cuda_package():
    """An unpinned torch (or a framework's GPU extra) pulls nvidia-* wheels: several GB that nothing here uses."""
    names = sorted({(d.metadata["Name"] or "") for d in importlib.metadata.distributions()})
    cuda = [n for n in names if n.lower().replace("_", "-").startswith("nvidia-")]
    assert not cuda, f"CUDA packages installed: {', '.join(cuda)}"
    assert importlib.metadata.version("torch").startswith("2.13.0")


@pytest.mark.parametrize("backend", NEW)
def test_every_new_backend_is_installed_and_serves_every_built_in_circuit(backend):
    spec = BACKENDS[backend]
    assert spec.available, spec.missing()
    from backends.registry import served_circuits
    from backends.library import CIRCUITS
    assert served_circuits(spec) == list(CIRCUITS)


# kokkos's pool seen from outside: per-thread CPU time summed over the device calls only (as for lightning)
_KOKKOS_PROBE = HEAD + """
from backends.pennylane.kokkos import running_pool

def busy_threads(layer):
    busy = device_thread_ns(layer)
    most = max(busy.values())
    return sum(ns > most / 5 for ns in busy.values())

circuit = make_circuit("entangler", 10, 2)
seen = {"pool_before": running_pool()}
first = build_layer("kokkos-adjoint", circuit, torch.zeros(circuit.n_weights), threads=int(sys.argv[1]))
seen["pool_built"] = running_pool()            # Kokkos starts at the first circuit, not when the device is made
seen["busy"] = busy_threads(first)
seen["pool"] = running_pool()
later = build_layer("kokkos-adjoint", circuit, torch.zeros(circuit.n_weights), threads=int(sys.argv[2]))
seen["later_note"] = later.threads_note
seen["later_busy"] = busy_threads(later)
print(json.dumps(seen))
"""


@pytest.mark.parametrize("first,later", [(1, 2)])
def test_kokkos_sizes_its_pool_once_from_torchs_threads(first, later):
    """A fresh process without OpenMP variables (so OpenMP would take both cores): the first thread count
    holds for the process. (2 then 1 was seen too, by hand: 2 busy threads both times.)"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "MKL_", "OPENBLAS_"))}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    res = subprocess.run([sys.executable, "-c", _KOKKOS_PROBE, str(first), str(later)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stderr
    assert "OMP_PROC_BIND" in res.stderr            # Kokkos's own advice, left for the user to follow (--env)
    seen = json.loads(res.stdout.strip().splitlines()[-1])
    assert (seen["pool_before"], seen["pool_built"], seen["pool"], seen["busy"]) == (None, None, first, first)
    assert f"Kokkos already runs {first} threads in this process and cannot change" in seen["later_note"]
    assert seen["later_busy"] == first


def _probe(gate: str):
    b = CircuitBuilder(f"probe-{gate}", 2, 2, 1)
    b.ry(b.x[0], 0)
    b.ry(b.x[1], 1)
    b.gate(gate, (0, 1), b.w[0] + 0.5 * b.x[0])
    b.h(0)
    return b.build([z_observable((0,)), z_observable((0, 1))])


@pytest.mark.parametrize("gate", ["CRX", "CRY", "CRZ", "CP"])
def test_reverse_gradient_raises_keyerror_on_every_controlled_rotation(gate):
    """qiskit-algorithms 0.4 under Qiskit 2.6, straight from the library (no Aer): the reason for the refusal."""
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_algorithms.gradients import ReverseEstimatorGradient
    from backends.qiskit.common import expression_circuit

    qc, x, w = expression_circuit(_probe(gate))
    with pytest.raises(KeyError, match="Parameter"):
        ReverseEstimatorGradient().run([qc], [SparsePauliOp("ZZ")], [[0.3, -0.4, 0.7]]).result()
    with pytest.raises(UserError, match=f"cannot run circuit 'probe-{gate}' correctly .{gate}: "
                                        "qiskit-algorithms 0.4's ReverseEstimatorGradient raises KeyError"):
        build_layer("qiskit-ml-reverse", _probe(gate), torch.zeros(1))


@pytest.mark.parametrize("gate", ["RX", "RZZ", "RXX", "RZX"])
def test_reverse_gradient_runs_the_other_rotations(gate):
    circuit = _probe(gate) if gate != "RX" else make_circuit("moons")
    x = torch.rand(2, circuit.n_inputs, generator=torch.Generator().manual_seed(4)).requires_grad_()
    grads = {}
    for backend in ("qiskit-ml-reverse", "torch"):
        layer = build_layer(backend, circuit, torch.full((circuit.n_weights,), 0.4))
        xx = x.detach().clone().requires_grad_()
        layer(xx).sum().backward()
        grads[backend] = xx.grad
    assert torch.allclose(grads["qiskit-ml-reverse"], grads["torch"], atol=1e-5)


def test_reverse_refuses_shots():
    with pytest.raises(UserError, match="'qiskit-ml-reverse' cannot sample shots .adjoint differentiation"):
        build_layer("qiskit-ml-reverse", make_circuit("moons"), torch.zeros(2), shots=100)


def test_lincomb_transpiles_only_the_circuits_aer_cannot_run_as_written():
    """Without the pass manager its Hadamard test of RZZ is an instruction Aer does not know."""
    moons = build_layer("qiskit-ml-lincomb", make_circuit("moons"), torch.zeros(2))
    assert moons.qnn.gradient._pass_manager is None           # nothing added where it is not needed
    layer = build_layer("qiskit-ml-lincomb", _probe("RZZ"), torch.zeros(1))
    assert layer.qnn.gradient._pass_manager is not None
    layer.qnn.gradient._pass_manager = None
    x = torch.rand(2, 2, requires_grad=True)
    with pytest.raises(Exception, match="unknown instruction: circuit-"):
        layer(x).sum().backward()


@pytest.mark.parametrize("backend", ["qiskit-ml-lincomb"])
def test_lincomb_samples_its_gradient_too(backend):
    """With shots the Hadamard tests are sampled: the gradient is near the exact one, not equal to it."""
    circuit = make_circuit("moons")
    x = torch.rand(4, 2, generator=torch.Generator().manual_seed(1))
    grads = {}
    for shots in (None, 4000):
        torch.manual_seed(0)
        layer = build_layer(backend, circuit, torch.tensor([0.3, 0.8]), shots=shots)
        layer(x).sum().backward()
        grads[shots] = layer.weights.grad.double().numpy()
    assert np.all(np.abs(grads[4000] - grads[None]) < 5 * 2 * 4 / np.sqrt(4000))
    assert not np.allclose(grads[4000], grads[None], atol=1e-6)


def test_every_dependency_is_pinned_and_installed_at_its_pin():
    """`make setup` installs pyproject's ranges under constraints.txt's exact pins: each dependency has a pin,
    the pin lies in its range, and this environment holds that very version (a local build tag aside)."""
    import tomllib
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    with open(os.path.join(ROOT, "constraints.txt")) as f:
        pins = dict(line.strip().split("==") for line in f if line.strip() and not line.startswith("#"))
    pins = {canonicalize_name(n): v for n, v in pins.items()}
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        deps = [Requirement(d) for d in tomllib.load(f)["project"]["dependencies"]]
    for req in deps:
        pin = pins.get(canonicalize_name(req.name))
        assert pin is not None and req.specifier.contains(pin), (req, pin)
    for name, pin in pins.items():
        installed = importlib.metadata.version(name)
        assert installed.split("+")[0] == pin, (name, pin, installed)
