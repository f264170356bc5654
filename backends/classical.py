"""The classical twin: no circuit, a trainable Linear + tanh of the same shape.

It lets every task also run without a quantum layer, which is what "quantum
overhead" is measured against. Its outputs pass through the circuit's
observable map, so they span the same range the circuit's would (for example
[0, 1] for the textbook's P(|1>)). Its weights come from torch's global
generator, which the harness seeds before building the model.
"""
from __future__ import annotations

import torch
from torch import nn

from backends.description import Circuit
from .layer import QuantumLayer


class ClassicalLayer(QuantumLayer):
    def __init__(self, circuit: Circuit):
        super().__init__(circuit)
        self.linear = nn.Linear(circuit.n_inputs, circuit.n_outputs)

    def expectations(self, x):
        return torch.tanh(self.linear(x))

    def count_work(self, x):
        return None          # no circuit: nothing is simulated


def build(circuit: Circuit, weights: torch.Tensor, *, spec=None, shots=None, threads=None):
    return ClassicalLayer(circuit)
