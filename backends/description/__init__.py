"""The circuit description: angle expressions, gates, observables and the circuit itself."""
from .circuit import ROTATIONS, Circuit, CircuitBuilder, Gate, Observable, parity_readout
from .expressions import Const, Expr, Input, Weight

__all__ = ["ROTATIONS", "Circuit", "CircuitBuilder", "Gate", "Observable", "parity_readout",
           "Const", "Expr", "Input", "Weight"]
