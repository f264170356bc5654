"""Angle expressions: inputs ``x[i]``, weights ``w[j]`` and constants under + - *.

Written with ordinary Python arithmetic, one expression evaluates on floats,
on torch tensors (a whole batch at once), on numpy arrays or on Qiskit
parameters, and knows its own derivatives (constants folded), so every
backend reads the same angles.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


class Expr:
    """An angle expression built from inputs, weights and constants."""

    def evaluate(self, inp: Callable[[int], Any], weight: Callable[[int], Any]) -> Any:
        raise NotImplementedError

    def inputs_used(self) -> set[int]:
        raise NotImplementedError

    def weights_used(self) -> set[int]:
        raise NotImplementedError

    def derivative(self, kind: str, index: int) -> "Expr":
        """d(self)/d(x[index]) for ``kind`` "x", d(self)/d(w[index]) for "w"; constants folded."""
        raise NotImplementedError

    def __add__(self, other): return _Bin("+", self, _lift(other))
    def __radd__(self, other): return _Bin("+", _lift(other), self)
    def __sub__(self, other): return _Bin("-", self, _lift(other))
    def __rsub__(self, other): return _Bin("-", _lift(other), self)
    def __mul__(self, other): return _Bin("*", self, _lift(other))
    def __rmul__(self, other): return _Bin("*", _lift(other), self)
    def __neg__(self): return _Bin("*", Const(-1.0), self)


def _lift(value) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, (int, float)):
        return Const(float(value))
    raise TypeError(f"cannot use {type(value).__name__} in an angle expression")


@dataclass(frozen=True, eq=False)
class Const(Expr):
    value: float

    def evaluate(self, inp, weight): return self.value
    def inputs_used(self): return set()
    def weights_used(self): return set()
    def derivative(self, kind, index): return Const(0.0)
    def __repr__(self): return repr(self.value)


@dataclass(frozen=True, eq=False)
class Input(Expr):
    index: int

    def evaluate(self, inp, weight): return inp(self.index)
    def inputs_used(self): return {self.index}
    def weights_used(self): return set()
    def derivative(self, kind, index): return Const(float(kind == "x" and index == self.index))
    def __repr__(self): return f"x{self.index}"


@dataclass(frozen=True, eq=False)
class Weight(Expr):
    index: int

    def evaluate(self, inp, weight): return weight(self.index)
    def inputs_used(self): return set()
    def weights_used(self): return {self.index}
    def derivative(self, kind, index): return Const(float(kind == "w" and index == self.index))
    def __repr__(self): return f"w{self.index}"


@dataclass(frozen=True, eq=False)
class _Bin(Expr):
    op: str
    left: Expr
    right: Expr

    def evaluate(self, inp, weight):
        a = self.left.evaluate(inp, weight)
        b = self.right.evaluate(inp, weight)
        if self.op == "+":
            return a + b
        if self.op == "-":
            return a - b
        return a * b

    def inputs_used(self): return self.left.inputs_used() | self.right.inputs_used()
    def weights_used(self): return self.left.weights_used() | self.right.weights_used()

    def derivative(self, kind, index):
        da, db = self.left.derivative(kind, index), self.right.derivative(kind, index)
        if self.op in "+-":
            return _fold(self.op, da, db)
        # product rule
        return _fold("+", _fold("*", da, self.right), _fold("*", self.left, db))
    def __repr__(self): return f"({self.left!r} {self.op} {self.right!r})"


def _fold(op: str, a: Expr, b: Expr) -> Expr:
    """``a op b`` with constants folded, so derivatives stay as small as the angles."""
    if isinstance(a, Const) and isinstance(b, Const):
        return Const(_Bin(op, a, b).evaluate(None, None))
    if op == "*" and any(isinstance(e, Const) and e.value == 0.0 for e in (a, b)):
        return Const(0.0)
    if op == "*" and isinstance(a, Const) and a.value == 1.0:
        return b
    if op == "*" and isinstance(b, Const) and b.value == 1.0:
        return a
    if op in "+-" and isinstance(b, Const) and b.value == 0.0:
        return a
    if op == "+" and isinstance(a, Const) and a.value == 0.0:
        return b
    return _Bin(op, a, b)
