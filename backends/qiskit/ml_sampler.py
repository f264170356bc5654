"""qiskit-machine-learning: SamplerQNN with the parity interpretation + TorchConnector, as its tutorial.

What the TorchConnector tutorial builds in Part 1 (1B): the circuit, then
``SamplerQNN(circuit, input_params, weight_params, interpret=parity,
output_shape=2)`` wrapped in ``TorchConnector(qnn, initial_weights)``. The QNN
returns, per sample, the probabilities of even and odd parity of the measured
bitstring of all qubits. So this backend serves only circuits whose outputs
are those probabilities (``parity_readout``): ``tutorial-parity``, and the
textbook's P(|1>), which on one qubit is P(odd). The circuit is compiled with
its real angle expressions, as the ``qiskit-ml`` backend does, and
``input_gradients=True`` lets the gradient reach layers before this one.

Exact probabilities through a sampler, as checked with qiskit-machine-learning
0.9.1, qiskit 2.x and qiskit-aer 0.18:

* Aer's ``SamplerV2`` always samples (1024 shots unless told otherwise): it
  has no exact mode; qiskit's ``StatevectorSampler`` samples too. Two calls
  at the same point differ (by ~0.02 at 1024 shots).
* qiskit-machine-learning's own ``QMLSampler``, the sampler ``SamplerQNN``
  uses when given none, has an exact mode (``shots=None``): per parameter
  row it computes ``Statevector(...).probabilities_dict()`` with
  ``qiskit.quantum_info`` (a Python-level simulation per row, not Aer). It
  hands its probabilities back as dyadic counts (2**k in all), and
  ``SamplerQNN`` divides by their total: the probabilities come back to
  about 1e-12, then float32 through the connector.

So exact mode is ``QMLSampler()``, the library's default, and ``shots=N`` is
Aer's ``SamplerV2`` with N shots per row, seeded from torch's global
generator before every call (reproducible under ``torch.manual_seed``).
The gradient is ``ParamShiftSamplerGradient`` on the same sampler, as
``SamplerQNN`` builds it by default: one row per sample and shifted
parameter (+ and -), with the chain rule through the angle expressions.

Counters: ``simulator_calls[phase]`` is one per sampler call (one ``run``:
for Aer, one ``AerSimulator.run``; for ``QMLSampler``, one loop of
statevector simulations); ``executions[phase]`` counts the parameter rows
simulated; ``sampler_calls`` mirrors the estimator's count of ``qiskit-ml``.
"""
from __future__ import annotations

import numpy as np
import torch
from qiskit.primitives import BaseSamplerV2

from backends.description import Circuit
from backends.layer import QuantumLayer
from backends.qiskit.common import aer_backend_options, expression_circuit, torch_seed

BACKEND = "qiskit-ml-sampler"


def parity(x: int) -> int:
    """The tutorial's interpret function: the parity of the measured bitstring's integer."""
    return bin(x).count("1") % 2


def _rows(pub) -> int:
    """Parameter rows in a sampler PUB ``(circuit, values)``: how many circuits it simulates."""
    if not isinstance(pub, tuple) or len(pub) < 2 or pub[1] is None:
        return 1
    values = np.asarray(pub[1])
    width = max(1, pub[0].num_parameters)
    return max(1, values.size // width)


class _PhaseSampler(BaseSamplerV2):
    """Delegates to ``inner``, counting its calls for the pass (forward/backward) they serve.

    In shots mode it also draws a fresh simulator seed from torch before each call.
    """

    def __init__(self, inner, layer: "QiskitMLSamplerLayer", phase: str, reseed: bool):
        self.inner, self.layer, self.phase, self.reseed = inner, layer, phase, reseed

    def run(self, pubs, *, shots=None):
        pubs = list(pubs)
        self.layer.sampler_calls[self.phase] += 1
        self.layer.simulator_calls[self.phase] += 1
        self.layer.executions[self.phase] += sum(_rows(p) for p in pubs)
        if self.reseed:
            self.inner.options.run_options["seed_simulator"] = torch_seed()
        job = self.inner.run(pubs, shots=shots)
        job.result()     # run to completion now, while the seed is ours
        return job

    @property
    def options(self):
        return self.inner.options


class QiskitMLSamplerLayer(QuantumLayer):
    def __init__(self, circuit: Circuit, weights: torch.Tensor, *, shots=None, threads=None):
        super().__init__(circuit, shots=shots)
        from qiskit_machine_learning.connectors import TorchConnector
        from qiskit_machine_learning.gradients import ParamShiftSamplerGradient
        from qiskit_machine_learning.neural_networks import SamplerQNN

        self.threads = threads
        self.sampler_calls = {"forward": 0, "backward": 0}
        self.qiskit_circuit, x, w = expression_circuit(circuit, BACKEND)
        if shots is None:
            from qiskit_machine_learning.primitives import QMLSampler

            inner = QMLSampler()
        else:
            from qiskit_aer.primitives import SamplerV2

            inner = SamplerV2(default_shots=shots, options={"backend_options": aer_backend_options(threads),
                                                            "run_options": {}})
        self.sampler = inner                       # the primitive that does the work
        reseed = shots is not None
        self.qnn = SamplerQNN(
            circuit=self.qiskit_circuit,
            sampler=_PhaseSampler(inner, self, "forward", reseed),
            input_params=list(x),
            weight_params=list(w),
            interpret=parity,
            output_shape=2,
            gradient=ParamShiftSamplerGradient(sampler=_PhaseSampler(inner, self, "backward", reseed)),
            input_gradients=True,
        )
        self.connector = TorchConnector(self.qnn, initial_weights=weights.detach().cpu().numpy().astype(np.float64))
        # raw <Z_0...Z_{n-1}> = P(even) - P(odd); the base layer maps it to each output's probability
        self.register_buffer("_parity_sign", torch.tensor([1.0, -1.0], dtype=torch.float64), persistent=False)

    @property
    def weights(self) -> torch.nn.Parameter:
        """The trainable weights (the connector's float32 ``weight``)."""
        return self.connector.weight

    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, 2): P(even), P(odd), as the tutorial's QNN returns them."""
        return self.connector(x.to(torch.float64)).reshape(x.shape[0], 2)

    def expectations(self, x: torch.Tensor) -> torch.Tensor:
        z = self.probabilities(x).to(torch.float64) @ self._parity_sign
        return z.unsqueeze(1).expand(x.shape[0], self.circuit.n_outputs)


def build(circuit: Circuit, weights: torch.Tensor, *, spec=None, shots=None, threads=None):
    return QiskitMLSamplerLayer(circuit, weights, shots=shots, threads=threads)
