"""A Qiskit ``ParameterExpression`` as one of our angle expressions, exactly.

Through ``expr.sympify()``: the sympy tree is walked node by node (Add, Mul,
Pow with a whole exponent, the functions the description knows, numbers and
symbols); anything else is refused in one line naming the gate and the
expression. Symbols are matched to Qiskit parameters by name inside the one
expression (names are unique in a circuit), then to inputs and weights by
parameter object, never by position.
"""
from __future__ import annotations

from typing import Callable

from backends.description import Const, Expr
from backends.description import expressions as E
from backends.errors import UserError

_FUNCTIONS = {"sin": E.sin, "cos": E.cos, "tan": E.tan, "asin": E.asin, "acos": E.acos, "atan": E.atan,
              "exp": E.exp, "log": E.log, "sqrt": E.sqrt}


def to_expr(value, lookup: Callable[[object], Expr], where: str) -> Expr:
    """``value`` (a number or a ParameterExpression) as an Expr; ``lookup`` maps a Qiskit parameter."""
    if isinstance(value, (int, float)):
        return Const(float(value))
    parameters = getattr(value, "parameters", None)
    if parameters is None:
        raise UserError(f"{where}: parameter {value!r} is neither a number nor a Qiskit parameter expression")
    if not parameters:
        number = complex(value)
        if number.imag:
            raise UserError(f"{where}: parameter {value} is complex; gate angles are real")
        return Const(number.real)
    by_name = {p.name: p for p in parameters}
    tree = value.sympify()
    return _walk(tree, by_name, lookup, where, value)


def _walk(node, by_name, lookup, where, whole) -> Expr:
    import sympy

    def again(n):
        return _walk(n, by_name, lookup, where, whole)

    if node.is_Symbol:
        return lookup(by_name[node.name])
    if node.is_Number or node in (sympy.pi, sympy.E):
        if not node.is_real:
            raise UserError(f"{where}: {whole} has the complex constant {node}; gate angles are real")
        return Const(float(node))
    if node.is_Add:
        out = again(node.args[0])
        for arg in node.args[1:]:
            out = out + again(arg)
        return out
    if node.is_Mul:
        out = again(node.args[0])
        for arg in node.args[1:]:
            out = out * again(arg)
        return out
    if node.is_Pow:
        base, power = node.args
        value = float(power) if power.is_Number else None
        if value is not None and value.is_integer():
            p = int(value)
            return 1.0 / (again(base) ** -p) if p < 0 else again(base) ** p
        if value in (0.5, -0.5):                    # sqrt, as Qiskit writes it: a float power
            root = E.sqrt(again(base))
            return root if value > 0 else 1.0 / root
        raise UserError(f"{where}: {whole} raises to the power {power}; accepted: whole powers and square roots")
    name = type(node).__name__
    if name in _FUNCTIONS and len(node.args) == 1:
        return _FUNCTIONS[name](again(node.args[0]))
    raise UserError(f"{where}: cannot import {name} in {whole}; accepted: + - * /, whole powers and "
                    f"{', '.join(_FUNCTIONS)}")
