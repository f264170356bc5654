"""The circuit description: angle expressions, gates, observables and the circuit itself."""
from .circuit import ROTATIONS, Circuit, CircuitBuilder, Gate, parity_readout
from .expressions import Const, Expr, Input, Weight
from .observables import Observable, Term, parse_observables, pauli_sum, z_observable

__all__ = ["ROTATIONS", "Circuit", "CircuitBuilder", "Gate", "Observable", "Term", "parity_readout",
           "parse_observables", "pauli_sum", "z_observable", "Const", "Expr", "Input", "Weight"]
