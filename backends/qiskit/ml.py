"""qiskit-machine-learning: EstimatorQNN + TorchConnector, as its TorchConnector tutorial.

Backends ``qiskit-ml`` (its default gradient, ``ParamShiftEstimatorGradient``),
``qiskit-ml-lincomb`` (``LinCombEstimatorGradient``) and ``qiskit-ml-reverse``
(qiskit-algorithms 0.4's ``ReverseEstimatorGradient``): the same QNN, only the
``gradient=`` argument differs (``GRADIENTS``, keyed by the registry's diff_method).

The circuit is compiled WITH the real angle expressions: ``ParameterVector("x")``
for inputs and ``ParameterVector("w")`` for weights, each gate's angle a Qiskit
``ParameterExpression`` (or a float for a constant). Every gradient differentiates
those expressions itself (it translates the circuit to its own gate set, gives
each gate a parameter of its own and applies the chain rule through the
expression), and ``input_gradients=True`` lets the gradient reach the layers
before this one; EstimatorQNN then asks for the gradient of every parameter,
inputs and weights alike.

* parameter-shift: two shifted circuits per gate parameter (more for controlled
  rotations), run on the estimator in the backward call.
* lincomb: one Hadamard-test circuit per gate parameter, on one more qubit (the
  observable times Y on that qubit), run on the estimator in the backward call.
* reverse: no estimator at all. It simulates with ``qiskit.quantum_info.Statevector``
  in Python, one reverse sweep per sample and observable (Jones & Gacon 2020),
  in the backward call; counted as adjoint passes. It is exact only: no shots.
  It refuses circuits it cannot split into its gates (see the registry).

Exact mode: Aer's ``EstimatorV2`` at precision 0. qiskit-machine-learning's
``EstimatorQNN`` defaults to ``default_precision=0.015625``, which makes Aer add
Gaussian noise to every forward value; we pass 0.0. The gradient has no precision
argument of its own: it runs the estimator at the estimator's default precision
(0.0 for Aer's EstimatorV2).

Shots mode: ``qiskit.primitives.BackendEstimatorV2`` on an ``AerSimulator``, which
really samples; it runs ``ceil(1 / precision**2)`` shots per circuit, so the
precision is chosen to make that exactly ``shots``. The simulator seed is drawn
from torch's global generator before every estimator call.

Counters: ``simulator_calls`` counts real ``AerSimulator.run`` calls (Aer's
EstimatorV2 makes one per PUB: EstimatorQNN sends one PUB per observable forward
and one PUB per sample, observable and shifted parameter backward);
``estimator_calls`` counts calls to the estimator primitive;
``adjoint_passes`` the reverse sweeps of ``qiskit-ml-reverse``.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch
from qiskit.primitives import BaseEstimatorV2

from backends.description import Circuit
from backends.layer import QuantumLayer, WorkCount
from backends.qiskit.common import aer_backend_options, count_backend_runs, expression_circuit, observables, torch_seed


def precision_for_shots(shots: int) -> float:
    """The precision for which BackendEstimatorV2 runs exactly ``shots`` shots.

    It runs ``ceil(1 / precision**2)``; the naive ``1 / sqrt(shots)`` rounds to
    ``shots + 1`` for about 3 in 10 values of ``shots``, so nudge it.
    """
    p = 1.0 / math.sqrt(shots)
    for _ in range(64):
        n = math.ceil(1.0 / p**2)
        if n == shots:
            return float(p)
        p = np.nextafter(p, math.inf) if n > shots else np.nextafter(p, 0.0)
    raise ValueError(f"no precision gives exactly {shots} shots")  # pragma: no cover


class _PhaseEstimator(BaseEstimatorV2):
    """Delegates to ``inner``, marking which pass (forward/backward) its calls belong to.

    In shots mode it also draws a fresh simulator seed from torch before each call.
    """

    def __init__(self, inner, layer: "QiskitMLLayer", phase: str, reseed: bool):
        self.inner, self.layer, self.phase, self.reseed = inner, layer, phase, reseed

    def run(self, pubs, *, precision=None):
        self.layer._phase = self.phase
        self.layer.estimator_calls[self.phase] += 1
        if self.reseed:
            self.inner.options.seed_simulator = torch_seed()
        job = self.inner.run(pubs, precision=precision)
        job.result()     # run to completion now, while the phase and seed are ours
        return job

    @property
    def options(self):
        return self.inner.options


class _CountedReverse:
    """Delegates to a ReverseEstimatorGradient, counting its reverse sweeps (one per circuit it is given)."""

    def __init__(self, inner, layer: "QiskitMLLayer"):
        self.inner, self.layer = inner, layer

    def run(self, circuits, *args, **kwargs):
        self.layer.adjoint_passes["backward"] += len(circuits)
        job = self.inner.run(circuits, *args, **kwargs)
        job.result()
        return job


def _param_shift(estimator, layer):
    from qiskit_machine_learning.gradients import ParamShiftEstimatorGradient
    return ParamShiftEstimatorGradient(estimator=estimator)


# LinComb writes the Hadamard test of these as a custom controlled gate that Aer's EstimatorV2 cannot run
# ("AerError: unknown instruction: circuit-..."); the library's own remedy is its pass_manager argument
LINCOMB_CUSTOM = ("RXX", "RYY", "RZX", "RZZ")


def _lincomb(estimator, layer):
    from qiskit_machine_learning.gradients import LinCombEstimatorGradient
    pass_manager = None
    if any(g.name in LINCOMB_CUSTOM and g.params for g in layer.circuit.gates):
        from qiskit.transpiler import generate_preset_pass_manager
        from qiskit_aer import AerSimulator
        # only then: it transpiles every gradient circuit in every backward call
        pass_manager = generate_preset_pass_manager(optimization_level=0, backend=AerSimulator())
    return LinCombEstimatorGradient(estimator=estimator, pass_manager=pass_manager)


def _reverse(estimator, layer):
    from qiskit_algorithms.gradients import ReverseEstimatorGradient
    return _CountedReverse(ReverseEstimatorGradient(), layer)


# diff_method in the registry -> the gradient EstimatorQNN is given (built on the backward-phase estimator)
GRADIENTS = {"parameter-shift": _param_shift, "lincomb": _lincomb, "adjoint": _reverse}


class QiskitMLLayer(QuantumLayer):
    def __init__(self, circuit: Circuit, weights: torch.Tensor, *, shots=None, threads=None,
                 gradient: str = "parameter-shift"):
        super().__init__(circuit, shots=shots)
        from qiskit_machine_learning.connectors import TorchConnector
        from qiskit_machine_learning.neural_networks import EstimatorQNN

        self.threads = threads
        self.gradient_method = gradient
        self.estimator_calls = {"forward": 0, "backward": 0}
        self.adjoint_passes = {"forward": 0, "backward": 0}
        self._phase = "forward"
        self.qiskit_circuit, x, w = expression_circuit(circuit)
        backend_options = aer_backend_options(threads)
        if shots is None:
            from qiskit_aer.primitives import EstimatorV2

            precision = 0.0
            inner = EstimatorV2(options={"default_precision": 0.0, "backend_options": backend_options})
        else:
            from qiskit.primitives import BackendEstimatorV2
            from qiskit_aer import AerSimulator

            precision = precision_for_shots(shots)
            inner = BackendEstimatorV2(backend=AerSimulator(**backend_options),
                                       options={"default_precision": precision})
        self.estimator = inner                     # the primitive that does the work
        count_backend_runs(inner._backend, self)
        reseed = shots is not None
        forward_estimator = _PhaseEstimator(inner, self, "forward", reseed)
        gradient = GRADIENTS[gradient](_PhaseEstimator(inner, self, "backward", reseed), self)
        self.qnn = EstimatorQNN(
            circuit=self.qiskit_circuit,
            estimator=forward_estimator,
            observables=observables(circuit),
            input_params=list(x),
            weight_params=list(w),
            gradient=gradient,
            input_gradients=True,
            default_precision=precision,
        )
        self.connector = TorchConnector(self.qnn, initial_weights=weights.detach().cpu().numpy().astype(np.float64))

    @property
    def weights(self) -> torch.nn.Parameter:
        """The trainable weights (the connector's float32 ``weight``)."""
        return self.connector.weight

    def expectations(self, x: torch.Tensor) -> torch.Tensor:
        # float64 so the parameter values reach Qiskit unrounded; the connector
        # returns float32 values and gradients, which autograd casts back to x's dtype.
        out = self.connector(x.to(torch.float64))
        return out.reshape(x.shape[0], self.circuit.n_outputs)

    def reset_counters(self) -> None:
        super().reset_counters()
        for key in self.adjoint_passes:
            self.adjoint_passes[key] = 0

    def count_work(self, x: torch.Tensor) -> WorkCount:
        work = super().count_work(x)
        return dataclasses.replace(work, adjoint_passes=sum(self.adjoint_passes.values()))


def build(circuit: Circuit, weights: torch.Tensor, *, spec=None, shots=None, threads=None):
    gradient = spec.diff_method if spec is not None else "parameter-shift"
    return QiskitMLLayer(circuit, weights, shots=shots, threads=threads, gradient=gradient)
