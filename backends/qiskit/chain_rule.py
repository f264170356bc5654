"""Gate angles and their chain rule on numpy arrays, for the one backend that needs them."""
from __future__ import annotations

import numpy as np

from backends.description import Circuit, Const, Expr
from backends.description.gates import GATES


class NumpyAngles:
    """A circuit's gate angles and their chain rule on numpy arrays.

    For a backend that is one autograd node of its own (``qiskit-shift``):
    building the angles from torch operations costs a dozen small autograd
    nodes per step, about a tenth of a ``moons`` training step. The
    derivatives are taken from the expressions once, here.
    """

    def __init__(self, circuit: Circuit):
        self.n_inputs, self.n_weights = circuit.n_inputs, circuit.n_weights
        self.exprs = list(circuit.slots)
        # each slot's parameter-shift rule, from its gate's row of the table
        self.rules = [GATES[g.name].shift for g in circuit.gates for _ in g.params]
        # (rotation k, variable index, d angle_k / d variable), only where it can be non-zero
        self.d_inputs = [(k, i, e.derivative("x", i)) for k, e in enumerate(self.exprs)
                         for i in sorted(e.inputs_used())]
        self.d_weights = [(k, j, e.derivative("w", j)) for k, e in enumerate(self.exprs)
                          for j in sorted(e.weights_used())]
        # the angles a gradient needs: those of inputs for the input gradient, of weights for the weights'
        self.input_angles = sorted({k for k, _, _ in self.d_inputs})
        self.weight_angles = sorted({k for k, _, _ in self.d_weights})

    def needed(self, need_x: bool, need_w: bool) -> list[int]:
        """The angle columns to shift for the gradients asked for, in order."""
        return sorted(set(self.input_angles if need_x else ()) | set(self.weight_angles if need_w else ()))

    @staticmethod
    def _column(expr: Expr, x, w):
        """One expression over the batch: a (batch,) array, or a scalar that broadcasts."""
        if isinstance(expr, Const):
            return expr.value
        return expr.evaluate(lambda i: x[:, i], lambda j: w[j])

    def values(self, x, w):
        """(batch, n_inputs), (n_weights,) float64 -> (batch, n_slots) gate angles."""
        out = np.empty((x.shape[0], len(self.exprs)))
        for k, expr in enumerate(self.exprs):
            out[:, k] = self._column(expr, x, w)
        return out

    def backprop(self, x, w, grad_angles):
        """Gradients of the inputs (batch, n_inputs) and weights (n_weights,) from the angles'."""
        grad_x = np.zeros((x.shape[0], self.n_inputs))
        grad_w = np.zeros(self.n_weights)
        for k, i, d in self.d_inputs:
            grad_x[:, i] += grad_angles[:, k] * self._column(d, x, w)
        for k, j, d in self.d_weights:
            grad_w[j] += np.sum(grad_angles[:, k] * self._column(d, x, w))
        return grad_x, grad_w
