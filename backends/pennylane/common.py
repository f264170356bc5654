"""What the PennyLane backends share: circuit -> QNode -> TorchLayer.

The circuit description is compiled by walking ``Circuit.gates`` into a QNode
function ``qnode(inputs, weights)`` (just ``qnode(inputs)`` for a circuit
without weights, such as the textbook's). Inputs are indexed ``inputs[..., i]``
so that the whole (batch, n_inputs) tensor goes through in one call (parameter
broadcasting). The QNode is wrapped in ``qml.qnn.TorchLayer`` exactly as users
do, and the TorchLayer's weights are then set to the given initial weights, so
every backend starts from identical numbers.

Traps handled here (each checked against PennyLane 0.45):

* ``diff_method="parameter-shift"`` inside a TorchLayer with a batch fails
  ("Computing the gradient of broadcasted tapes ... not supported"); the QNode
  is wrapped in ``qml.transforms.broadcast_expand`` for that method.
* Shots go on the QNode (``qml.QNode(..., shots=N)``); device-level shots are
  deprecated. With shots the device is seeded from torch's global generator
  when the layer is built, so runs are reproducible under ``torch.manual_seed``.
* backprop through complex amplitudes warns "Casting complex values to real
  discards the imaginary part": harmless, filtered.

Threads:

* lightning.qubit runs on OpenMP threads, but not on a team sized by the
  ``OMP_NUM_THREADS`` it finds when it loads: torch is always imported first,
  and lightning's team then follows ``torch.set_num_threads``, before or after
  lightning was loaded (observed per thread, in a fresh process, by the tests).
  So ``configure_threads`` sets torch's thread count; ``OMP_NUM_THREADS`` is
  set too while lightning is not loaded yet, for the libraries it loads.
* default.qubit computes with torch, so it runs on torch's intra-op threads,
  which the harness sets (``torch.set_num_threads``); nothing is done here.
"""
from __future__ import annotations

import functools
import operator
import os
import sys
import warnings

import torch

from backends.description import Circuit
from backends.description.gates import GATES
from backends.layer import QuantumLayer, WorkCount

_CAST_WARNING = "Casting complex values to real discards the imaginary part"
warnings.filterwarnings("ignore", message=_CAST_WARNING)

_LIGHTNING_OPS = "pennylane_lightning.lightning_qubit_ops"


def configure_threads(simulator: str, threads: int | None) -> str:
    """Apply a thread request for ``simulator``; return a short note of what happened."""
    if threads is None:
        return "threads: inherited"
    if simulator != "lightning.qubit":
        return f"threads: torch intra-op threads (now {torch.get_num_threads()}), set by the harness"
    if _LIGHTNING_OPS not in sys.modules:
        os.environ["OMP_NUM_THREADS"] = str(threads)
    torch.set_num_threads(threads)
    return f"threads: {threads} (torch.set_num_threads, which lightning's OpenMP team follows)"


_PAULI_OPS = {"X": "PauliX", "Y": "PauliY", "Z": "PauliZ"}


def _z_string(qml, wires):
    if not wires:
        return qml.Identity(0)
    return functools.reduce(operator.matmul, [qml.PauliZ(w) for w in wires])


def _word(qml, word):
    """A Pauli word as a product of PennyLane's Pauli operators (one operator for one factor)."""
    return functools.reduce(operator.matmul, [getattr(qml, _PAULI_OPS[letter])(w) for w, letter in word])


def observable(qml, obs):
    """What the QNode measures for an output (``Observable.measured``): one operator in every case.

    A single Z word stays the Z product the built-in circuits always measured; any
    other single word is its Pauli product; a sum is ONE ``qml.Hamiltonian`` of its
    terms with their coefficients, so one ``expval`` per output, as a user writes it.
    """
    if obs.single:
        word = obs.measured[0].word
        return _z_string(qml, [w for w, _ in word]) if obs.z_only else _word(qml, word)
    return qml.Hamiltonian([t.coeff for t in obs.measured], [_word(qml, t.word) for t in obs.measured])


def _operation(qml, name: str):
    """PennyLane's own operation for a table gate, called as ``op(*params, wires=...)``."""
    kind, _, arg = GATES[name].pennylane.partition(":")
    if kind == "adjoint":                        # Sdg, Tdg: PennyLane writes them as adjoints
        return lambda *params, wires: qml.adjoint(getattr(qml, arg))(*params, wires=wires)
    if kind == "PauliRot":                       # RZX: a Pauli rotation of the word, Z on the first wire
        return lambda *params, wires: qml.PauliRot(*params, arg, wires=wires)
    op = getattr(qml, kind)
    return lambda *params, wires: op(*params, wires=wires if len(wires) > 1 else wires[0])


def circuit_function(circuit: Circuit):
    """The QNode's quantum function, compiled from the gate list.

    ``qnode(inputs, weights)``, or ``qnode(inputs)`` when the circuit has no
    weights: TorchLayer requires every non-input argument to have a shape.
    """
    import pennylane as qml

    gates = circuit.gates
    observables = circuit.observables

    def body(inputs, weights):
        inp = lambda i: inputs[..., i]          # noqa: E731  (batch-friendly indexing)
        wgt = lambda j: weights[j]              # noqa: E731
        for gate in gates:
            params = [p.evaluate(inp, wgt) for p in gate.params]
            _operation(qml, gate.name)(*params, wires=list(gate.wires))
        return [qml.expval(observable(qml, obs)) for obs in observables]

    if circuit.n_weights:
        def qnode(inputs, weights):
            return body(inputs, weights)
    else:
        def qnode(inputs):
            return body(inputs, None)
    qnode.__name__ = f"{circuit.name}_circuit"
    return qnode


def make_torch_layer(circuit: Circuit, weights: torch.Tensor, *, simulator: str, diff_method: str,
                     device_vjp: bool = False, shots: int | None = None, seed: int | None = None):
    """A ``qml.qnn.TorchLayer`` for ``circuit`` whose weights start at ``weights``."""
    import pennylane as qml

    device_kwargs = {"wires": circuit.n_qubits}
    if seed is not None:
        device_kwargs["seed"] = seed
    dev = qml.device(simulator, **device_kwargs)
    qnode_kwargs = {"interface": "torch", "diff_method": diff_method}
    if device_vjp:
        # the gradient as a vector-Jacobian product in the backward call, instead of
        # the whole Jacobian in the forward call (PennyLane's default for adjoint)
        qnode_kwargs["device_vjp"] = True
    if shots is not None:
        qnode_kwargs["shots"] = shots
    qnode = qml.QNode(circuit_function(circuit), dev, **qnode_kwargs)
    if diff_method == "parameter-shift":
        # parameter-shift cannot differentiate a broadcasted tape: split the batch first
        qnode = qml.transforms.broadcast_expand(qnode)
    if circuit.n_weights:
        initial = torch.as_tensor(weights, dtype=torch.float32).detach().clone()
        layer = qml.qnn.TorchLayer(qnode, {"weights": (circuit.n_weights,)},
                                   init_method={"weights": initial})
        with torch.no_grad():           # set explicitly too: identical numbers whatever init did
            layer.weights.copy_(initial)
    else:
        layer = qml.qnn.TorchLayer(qnode, {})
    return layer


# Device methods and what the circuits they receive are for. Counting through
# these methods, rather than ``qml.Tracker``, counts every device the same way:
# lightning.qubit's tracker counts each call twice (its class and its base
# class are both wrapped by ``simulator_tracking``), and default.qubit's
# tracker computes each tape's resources, which costs time of its own.
_DEVICE_METHODS = {
    "execute": ("values",),
    "execute_and_compute_derivatives": ("values", "adjoint"),
    "compute_derivatives": ("adjoint",),
    "execute_and_compute_vjp": ("values", "adjoint-vjp"),
    "compute_vjp": ("adjoint-vjp",),
}


def _n_circuits(circuits, kind: str) -> int:
    """Circuits in a device call; for derivatives, the reverse sweeps, only where a parameter is differentiated.

    An adjoint Jacobian sweeps back once per observable of each circuit
    (default.qubit keeps one bra per observable, lightning one state per
    observable); a vector-Jacobian product folds the cotangents into one
    observable: one sweep per circuit, whatever the readout. With
    grad_on_execution, PennyLane calls the device's derivative method even when
    nothing requires a gradient (evaluation with every parameter frozen); the
    device then differentiates nothing, and nothing is counted.
    """
    tapes = [circuits] if hasattr(circuits, "operations") else list(circuits)
    if kind.startswith("adjoint"):
        tapes = [t for t in tapes if len(t.trainable_params)]
    per_circuit = (lambda t: len(t.measurements)) if kind == "adjoint" else (lambda t: 1)
    return sum((getattr(t, "batch_size", None) or 1) * per_circuit(t) for t in tapes)


class _DeviceCounter:
    """Counts the circuits handed to a device's methods while it is active (a context manager).

    Instance attributes shadow the class's methods for the duration, so nothing
    is counted, or slowed, outside it. A method the device calls from inside
    another counted method is not counted again.
    """

    def __init__(self, device, phase_of):
        self.device, self.phase_of = device, phase_of
        self.counts = {}                 # (phase, kind) -> circuits
        self._depth = 0

    def _wrap(self, name, kinds):
        method = getattr(self.device, name)

        def counted(circuits, *args, **kwargs):
            if self._depth == 0:
                phase = self.phase_of()
                for kind in kinds:
                    self.counts[phase, kind] = self.counts.get((phase, kind), 0) + _n_circuits(circuits, kind)
            self._depth += 1
            try:
                return method(circuits, *args, **kwargs)
            finally:
                self._depth -= 1
        return counted

    def __enter__(self):
        for name, kinds in _DEVICE_METHODS.items():
            if hasattr(self.device, name):
                setattr(self.device, name, self._wrap(name, kinds))
        return self

    def __exit__(self, *exc):
        for name in _DEVICE_METHODS:
            self.device.__dict__.pop(name, None)

    def get(self, phase, kind) -> int:
        return self.counts.get((phase, kind), 0)


class PennyLaneLayer(QuantumLayer):
    """A TorchLayer on a PennyLane device, behind the common QuantumLayer interface."""

    def __init__(self, circuit: Circuit, weights: torch.Tensor, *, simulator: str, diff_method: str,
                 device_vjp: bool = False, shots: int | None = None, threads: int | None = None,
                 configure=None):
        super().__init__(circuit, shots=shots)
        self.simulator = simulator
        self.diff_method = diff_method
        self.device_vjp = device_vjp
        # ``configure(threads) -> note``: a simulator's own way to apply a thread request (kokkos, qulacs),
        # before its device is made; by default lightning.qubit's and default.qubit's
        self.threads_note = configure(threads) if configure else configure_threads(simulator, threads)
        # draw the sampling seed from torch's global generator only when sampling,
        # so exact backends leave the generator where the torch reference does
        seed = int(torch.randint(0, 2 ** 31 - 1, (1,))) if shots is not None else None
        self.seed = seed
        self.qlayer = make_torch_layer(circuit, weights, simulator=simulator, diff_method=diff_method,
                                       device_vjp=device_vjp, shots=shots, seed=seed)
        self._n_out = circuit.n_outputs

    @property
    def device(self):
        return self.qlayer.qnode.device

    def expectations(self, x):
        # float64 like the torch reference: TorchLayer casts its weights to the input's
        # dtype, and float32 angles such as the tutorial's 2(pi - x0)(pi - x1) lose ~1e-6
        out = self.qlayer(x.to(torch.float64))
        return out.reshape(x.shape[0], self._n_out)

    def settings(self) -> dict:
        return {"device_vjp": self.device_vjp}

    def count_work(self, x):
        phase = {"now": "forward"}
        with _DeviceCounter(self.device, lambda: phase["now"]) as counter:
            out = self(x)
            phase["now"] = "backward"
            out.sum().backward()
        values = counter.get("forward", "values")
        # circuits run in the backward call that are not adjoint passes: shifted circuits
        shifted = counter.get("backward", "values")
        adjoint = sum(counter.get(phase, kind) for phase in ("forward", "backward")
                      for kind in ("adjoint", "adjoint-vjp"))
        return WorkCount(values=values, gradient_circuits=shifted, adjoint_passes=adjoint,
                         gradient_in_forward=counter.get("forward", "adjoint") + counter.get("forward", "adjoint-vjp") > 0,
                         simulator_calls=None)

    def extra_repr(self) -> str:
        return (f"{super().extra_repr()}, device={self.simulator}, diff_method={self.diff_method}"
                + (", device_vjp=True" if self.device_vjp else ""))


def build_pennylane(circuit: Circuit, weights: torch.Tensor, *, simulator: str, spec=None,
                    shots=None, threads=None, configure=None, layer=None) -> PennyLaneLayer:
    """The layer of a PennyLane backend: ``configure`` applies its thread request (see PennyLaneLayer),
    ``layer`` is a PennyLaneLayer subclass for a device that needs more than the common path."""
    if spec is None or spec.simulator != simulator:
        raise ValueError(f"a {simulator} backend needs its registry spec (got {spec!r})")
    return (layer or PennyLaneLayer)(circuit, weights, simulator=simulator, diff_method=spec.diff_method,
                                     device_vjp=spec.device_vjp, shots=shots, threads=threads,
                                     configure=configure)
