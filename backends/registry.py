"""Registries: backend and circuit names -> what builds them.

Backend modules are imported only when a backend is built, so listing the
backends stays quick and a framework that is not installed disables its own
backends, not the tool.
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Callable

from backends.checks import ranged
from backends.checks import shots as check_shots
from backends.description import Circuit, parity_readout
from backends.library import CIRCUITS, make_circuit
from .errors import UserError


@dataclass(frozen=True)
class BackendSpec:
    name: str
    module: str                    # module with build(circuit, weights, shots=, threads=)
    framework: str
    simulator: str
    diff_method: str
    shots: bool                    # can it sample shots?
    requires: tuple[str, ...]      # importable top-level packages it needs
    summary: str
    device_vjp: bool = False       # PennyLane's QNode(device_vjp=True): a VJP in the backward call
    # Where the quantum gradient is computed with the library's defaults. PennyLane's
    # adjoint (grad_on_execution="best") computes the whole Jacobian inside the forward
    # call; the backward call only contracts it. Checked against counted work in tests.
    gradient_in: str = "backward call"
    serves: Callable[[Circuit], bool] | None = None   # the circuits it can run; None: every one
    serves_what: str = ""          # what those circuits' outputs are, for the refusal

    # gates this framework mis-runs, found by the gate-table tests: gate -> why (the circuit is refused)
    broken_gates: tuple[tuple[str, str], ...] = ()

    def refuses(self, circuit: Circuit) -> bool:
        return (self.serves is not None and not self.serves(circuit)) or self.broken_gate(circuit) is not None

    def broken_gate(self, circuit: Circuit) -> str | None:
        """Why this backend cannot run one of ``circuit``'s gates correctly, or None."""
        used = {g.name for g in circuit.gates if g.params}
        return next((f"{gate}: {why}" for gate, why in self.broken_gates if gate in used), None)

    def missing(self) -> list[str]:
        return [pkg for pkg in self.requires if importlib.util.find_spec(pkg) is None]

    @property
    def available(self) -> bool:
        return not self.missing()


_QISKIT = ("qiskit", "qiskit_aer")
# measured with Aer 0.18.2: its primitives bind no parameter of a controlled gate (the angle reads as 0)
_AER_CONTROLLED = tuple((g, "Aer 0.18's EstimatorV2/SamplerV2 ignore a controlled gate's parameter, so its angle "
                            "would read as 0") for g in ("CRX", "CRY", "CRZ", "CP"))
# measured with PennyLane 0.45: a batched MultiRZ fails under adjoint and parameter-shift, and lightning's
# adjoint fails on the PauliRot that RZX is
_PL_MULTIRZ = (("MultiRZ", "PennyLane 0.45 fails on a batched MultiRZ with this gradient method"),)
_PL_RZX = (("RZX", "lightning 0.45's adjoint fails on a batched PauliRot"),)
# measured with qiskit-algorithms 0.4.0 on Qiskit 2.6: ReverseEstimatorGradient's preprocessing raises KeyError
# (gradient_parameter_map[Parameter(...)]) on every controlled rotation; Aer's forward would ignore its angle too
_REVERSE_CONTROLLED = tuple((g, "qiskit-algorithms 0.4's ReverseEstimatorGradient raises KeyError: Parameter(...) "
                                "on it under Qiskit 2.6 (and Aer 0.18's EstimatorV2 ignores its angle)")
                            for g in ("CRX", "CRY", "CRZ", "CP"))
_PENNYLANE = ("pennylane",)
_LIGHTNING = ("pennylane", "pennylane_lightning")
_TC = ("tensorcircuit",)
_KOKKOS = _LIGHTNING + ("pennylane_lightning.lightning_kokkos_ops",)
_QISKIT_ML = _QISKIT + ("qiskit_machine_learning",)
_QULACS = _PENNYLANE + ("pennylane_qulacs", "qulacs")

# the references every pick is measured against, not framework choices: the plain-torch statevector (the
# floor a framework could reach) and the classical twin (no circuit at all)
BASELINES = ("torch", "classical")

BACKENDS: dict[str, BackendSpec] = {s.name: s for s in [
    BackendSpec("qiskit-shift", "backends.qiskit.shift", "qiskit", "aer", "parameter-shift", True,
                _QISKIT, "Aer + our batched parameter-shift autograd function"),
    BackendSpec("qiskit-ml", "backends.qiskit.ml", "qiskit-machine-learning", "aer", "parameter-shift", True,
                _QISKIT + ("qiskit_machine_learning",), "EstimatorQNN + TorchConnector, as its tutorial",
                broken_gates=_AER_CONTROLLED),
    BackendSpec("qiskit-ml-sampler", "backends.qiskit.ml_sampler", "qiskit-machine-learning",
                "qiskit statevector / aer", "parameter-shift", True, _QISKIT + ("qiskit_machine_learning",),
                "SamplerQNN (parity) + TorchConnector, as its tutorial; exact: QMLSampler, shots: Aer",
                serves=parity_readout, serves_what="parity probabilities of all qubits"),
    BackendSpec("default-backprop", "backends.pennylane.default", "pennylane", "default.qubit", "backprop",
                False, _PENNYLANE, "TorchLayer on default.qubit, backprop"),
    BackendSpec("default-adjoint", "backends.pennylane.default", "pennylane", "default.qubit", "adjoint",
                False, _PENNYLANE, "TorchLayer on default.qubit, adjoint (Jacobian in the forward call)",
                gradient_in="forward call", broken_gates=_PL_MULTIRZ),
    BackendSpec("default-adjoint-vjp", "backends.pennylane.default", "pennylane", "default.qubit", "adjoint",
                False, _PENNYLANE, "TorchLayer on default.qubit, adjoint with device_vjp=True", device_vjp=True, broken_gates=_PL_MULTIRZ),
    BackendSpec("default-shift", "backends.pennylane.default", "pennylane", "default.qubit", "parameter-shift",
                True, _PENNYLANE, "TorchLayer on default.qubit, parameter-shift", broken_gates=_PL_MULTIRZ),
    BackendSpec("lightning-adjoint", "backends.pennylane.lightning", "pennylane", "lightning.qubit", "adjoint",
                False, _LIGHTNING, "TorchLayer on lightning.qubit, adjoint (Jacobian in the forward call)",
                gradient_in="forward call", broken_gates=_PL_MULTIRZ + _PL_RZX),
    BackendSpec("lightning-adjoint-vjp", "backends.pennylane.lightning", "pennylane", "lightning.qubit",
                "adjoint", False, _LIGHTNING, "TorchLayer on lightning.qubit, adjoint with device_vjp=True",
                device_vjp=True, broken_gates=_PL_MULTIRZ + _PL_RZX),
    BackendSpec("lightning-shift", "backends.pennylane.lightning", "pennylane", "lightning.qubit",
                "parameter-shift", True, _LIGHTNING, "TorchLayer on lightning.qubit, parameter-shift", broken_gates=_PL_MULTIRZ),
    BackendSpec("tc-torch", "backends.tensorcircuit.layers", "tensorcircuit-ng", "tc pytorch", "backprop", False,
                _TC, "tc.TorchLayer on TensorCircuit-NG's PyTorch backend, torch.vmap, autograd"),
    BackendSpec("tc-jax", "backends.tensorcircuit.layers", "tensorcircuit-ng", "tc jax", "backprop", False,
                _TC + ("jax",), "tc.TorchLayer on TensorCircuit-NG's JAX backend: jit, jax.vmap, vjp in the "
                "backward call"),
    BackendSpec("kokkos-adjoint", "backends.pennylane.kokkos", "pennylane", "lightning.kokkos", "adjoint",
                False, _KOKKOS, "TorchLayer on lightning.kokkos (OpenMP), adjoint (Jacobian in the forward call)",
                gradient_in="forward call", broken_gates=_PL_MULTIRZ + _PL_RZX),
    BackendSpec("kokkos-adjoint-vjp", "backends.pennylane.kokkos", "pennylane", "lightning.kokkos", "adjoint",
                False, _KOKKOS, "TorchLayer on lightning.kokkos (OpenMP), adjoint with device_vjp=True",
                device_vjp=True, broken_gates=_PL_MULTIRZ + _PL_RZX),
    BackendSpec("kokkos-shift", "backends.pennylane.kokkos", "pennylane", "lightning.kokkos", "parameter-shift",
                True, _KOKKOS, "TorchLayer on lightning.kokkos (OpenMP), parameter-shift", broken_gates=_PL_MULTIRZ),
    BackendSpec("qulacs-shift", "backends.pennylane.qulacs", "pennylane", "qulacs.simulator", "parameter-shift",
                True, _QULACS, "TorchLayer on PennyLane-Qulacs' qulacs.simulator, parameter-shift (its only "
                "gradient)", broken_gates=_PL_MULTIRZ),
    BackendSpec("qiskit-ml-lincomb", "backends.qiskit.ml", "qiskit-machine-learning", "aer", "lincomb", True,
                _QISKIT_ML, "EstimatorQNN + TorchConnector with LinCombEstimatorGradient (Hadamard tests)",
                broken_gates=_AER_CONTROLLED),
    BackendSpec("qiskit-ml-reverse", "backends.qiskit.ml", "qiskit-machine-learning", "aer + qiskit statevector",
                "adjoint", False, _QISKIT_ML + ("qiskit_algorithms",),
                "EstimatorQNN + TorchConnector with qiskit-algorithms' ReverseEstimatorGradient",
                broken_gates=_REVERSE_CONTROLLED),
    BackendSpec("torch", "backends.torch_statevector", "torch", "torch statevector", "autograd", False,
                (), "plain torch batched statevector: the reference"),
    BackendSpec("classical", "backends.classical", "torch", "none", "autograd", False,
                (), "classical twin: Linear + tanh, no circuit"),
]}


def backend_spec(name: str) -> BackendSpec:
    try:
        return BACKENDS[name]
    except KeyError:
        raise UserError(f"unknown backend '{name}'; valid: {', '.join(BACKENDS)}") from None


def shot_backends() -> list[str]:
    return [n for n, s in BACKENDS.items() if s.shots]


def refuse_shots(spec: BackendSpec, shots: int | None) -> None:
    """A backend that cannot sample refuses shots, saying why and which backends can."""
    if shots is None or spec.shots:
        return
    why = {"backprop": "backprop differentiates the exact statevector",
           "adjoint": "adjoint differentiation needs the exact statevector",
           "autograd": "it computes exact values only"}[spec.diff_method]
    raise UserError(f"backend '{spec.name}' cannot sample shots ({why}); "
                    f"backends with shots: {', '.join(shot_backends())}")


def served_circuits(spec: BackendSpec) -> list[str]:
    """Names of the registered circuits ``spec`` runs (sizable ones at their default size)."""
    return [n for n in CIRCUITS if not spec.refuses(make_circuit(n))]


def refusal(spec: BackendSpec, circuit: Circuit) -> str | None:
    """Why ``spec`` cannot run ``circuit``, in one line naming what it serves; None when it can.

    It names the outputs received too: the same circuit with other observables
    (``--observables``) keeps its name but may not be served.
    """
    broken = spec.broken_gate(circuit)
    if broken:
        return f"backend '{spec.name}' cannot run circuit '{circuit.name}' correctly ({broken})"
    if spec.refuses(circuit):
        return (f"backend '{spec.name}' serves only circuits whose outputs are {spec.serves_what} "
                f"({', '.join(served_circuits(spec))}); received circuit '{circuit.name}', "
                f"whose outputs are {', '.join(o.label for o in circuit.observables)}")
    return None


def refuse_circuit(spec: BackendSpec, circuit: Circuit) -> None:
    """A backend that serves only some circuits refuses the others in one line naming those it serves."""
    why = refusal(spec, circuit)
    if why:
        raise UserError(why)


def build_layer(name: str, circuit: Circuit, weights, *, shots=None, threads: int | None = None):
    """Build backend ``name``'s layer for ``circuit`` starting from ``weights``."""
    spec = backend_spec(name)
    shots = check_shots(shots)
    refuse_shots(spec, shots)
    refuse_circuit(spec, circuit)
    missing = spec.missing()
    if missing:
        raise UserError(f"backend '{name}' is not available here: missing {', '.join(missing)} "
                        f"(pip install the project to get it)")
    if threads is not None:
        threads = ranged("threads", threads)
    module = importlib.import_module(spec.module)
    from .layer import check_weights
    layer = module.build(circuit, check_weights(circuit, weights), spec=spec, shots=shots, threads=threads)
    layer.backend_name = name
    return layer
