"""Angle expressions: inputs ``x[i]``, weights ``w[j]`` and constants under + - * /, integer powers and the
elementary functions (sin, cos, tan, their inverses, exp, log, sqrt), as imported feature maps need them.

Written with ordinary Python arithmetic, one expression evaluates on floats,
on torch tensors (a whole batch at once), on numpy or JAX arrays or on Qiskit
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
    def __truediv__(self, other): return _Bin("/", self, _lift(other))
    def __rtruediv__(self, other): return _Bin("/", _lift(other), self)

    def __pow__(self, power):
        if isinstance(power, bool) or not isinstance(power, int):
            raise TypeError(f"an angle expression takes whole-number powers only; received {power!r}")
        return _Pow(self, power)


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
        if self.op == "/":
            return a / b
        return a * b

    def inputs_used(self): return self.left.inputs_used() | self.right.inputs_used()
    def weights_used(self): return self.left.weights_used() | self.right.weights_used()

    def derivative(self, kind, index):
        da, db = self.left.derivative(kind, index), self.right.derivative(kind, index)
        if self.op in "+-":
            return _fold(self.op, da, db)
        if self.op == "/":          # quotient rule: (a' b - a b') / b^2
            return _fold("/", _fold("-", _fold("*", da, self.right), _fold("*", self.left, db)),
                         _fold("*", self.right, self.right))
        # product rule
        return _fold("+", _fold("*", da, self.right), _fold("*", self.left, db))
    def __repr__(self): return f"({self.left!r} {self.op} {self.right!r})"


def _fold(op: str, a: Expr, b: Expr) -> Expr:
    """``a op b`` with constants folded, so derivatives stay as small as the angles."""
    if isinstance(a, Const) and isinstance(b, Const):
        return Const(_Bin(op, a, b).evaluate(None, None))
    if op == "*" and any(isinstance(e, Const) and e.value == 0.0 for e in (a, b)):
        return Const(0.0)
    if op == "/" and isinstance(a, Const) and a.value == 0.0:
        return Const(0.0)
    if op == "/" and isinstance(b, Const) and b.value == 1.0:
        return a
    if op == "*" and isinstance(a, Const) and a.value == 1.0:
        return b
    if op == "*" and isinstance(b, Const) and b.value == 1.0:
        return a
    if op in "+-" and isinstance(b, Const) and b.value == 0.0:
        return a
    if op == "+" and isinstance(a, Const) and a.value == 0.0:
        return b
    return _Bin(op, a, b)


@dataclass(frozen=True, eq=False)
class _Pow(Expr):
    base: Expr
    power: int

    def evaluate(self, inp, weight): return self.base.evaluate(inp, weight) ** self.power
    def inputs_used(self): return self.base.inputs_used()
    def weights_used(self): return self.base.weights_used()

    def derivative(self, kind, index):
        d = self.base.derivative(kind, index)
        if self.power == 0:
            return Const(0.0)
        inner = Const(1.0) if self.power == 1 else _Pow(self.base, self.power - 1)
        return _fold("*", _fold("*", Const(float(self.power)), inner), d)

    def __repr__(self): return f"({self.base!r} ** {self.power})"


def _call(name: str, value):
    """``name``(value) on whatever the value is: a float, a numpy array, a torch tensor, a JAX array, a Qiskit
    parameter."""
    if hasattr(value, "requires_grad"):                       # a torch tensor
        import torch
        return getattr(torch, {"asin": "arcsin", "acos": "arccos", "atan": "arctan"}.get(name, name))(value)
    if type(value).__module__.startswith(("jax", "jaxlib")):  # a JAX array or tracer (TensorCircuit's JAX backend)
        import jax.numpy as jnp
        return getattr(jnp, {"asin": "arcsin", "acos": "arccos", "atan": "arctan"}.get(name, name))(value)
    if type(value).__module__.startswith("qiskit"):           # a Qiskit ParameterExpression
        if name == "sqrt":
            return value ** 0.5
        return getattr(value, {"asin": "arcsin", "acos": "arccos", "atan": "arctan"}.get(name, name))()
    import numpy as np
    result = getattr(np, {"asin": "arcsin", "acos": "arccos", "atan": "arctan"}.get(name, name))(value)
    return float(result) if np.ndim(result) == 0 else result


@dataclass(frozen=True, eq=False)
class _Fn(Expr):
    name: str
    arg: Expr

    def evaluate(self, inp, weight): return _call(self.name, self.arg.evaluate(inp, weight))
    def inputs_used(self): return self.arg.inputs_used()
    def weights_used(self): return self.arg.weights_used()

    def derivative(self, kind, index):
        d = self.arg.derivative(kind, index)
        if isinstance(d, Const) and d.value == 0.0:
            return Const(0.0)
        a = self.arg
        outer = {
            "sin": lambda: _Fn("cos", a),
            "cos": lambda: -_Fn("sin", a),
            "tan": lambda: 1.0 / (_Fn("cos", a) ** 2),
            "asin": lambda: 1.0 / _Fn("sqrt", 1.0 - a ** 2),
            "acos": lambda: -1.0 / _Fn("sqrt", 1.0 - a ** 2),
            "atan": lambda: 1.0 / (1.0 + a ** 2),
            "exp": lambda: _Fn("exp", a),
            "log": lambda: 1.0 / a,
            "sqrt": lambda: 0.5 / _Fn("sqrt", a),
        }[self.name]()
        return _fold("*", outer, d)

    def __repr__(self): return f"{self.name}({self.arg!r})"


FUNCTIONS = ("sin", "cos", "tan", "asin", "acos", "atan", "exp", "log", "sqrt")


def function(name: str, arg) -> Expr:
    """``name``(arg) as an angle expression; ``name`` one of ``FUNCTIONS``."""
    if name not in FUNCTIONS:
        raise ValueError(f"unknown function {name!r} in an angle expression; valid: {', '.join(FUNCTIONS)}")
    arg = _lift(arg)
    if isinstance(arg, Const):
        return Const(_call(name, arg.value))
    return _Fn(name, arg)


def sin(a): return function("sin", a)
def cos(a): return function("cos", a)
def tan(a): return function("tan", a)
def asin(a): return function("asin", a)
def acos(a): return function("acos", a)
def atan(a): return function("atan", a)
def exp(a): return function("exp", a)
def log(a): return function("log", a)
def sqrt(a): return function("sqrt", a)
