"""Symbols that stand for inputs and weights while a PennyLane function is traced.

A ``Sym`` wraps one of our angle expressions and does arithmetic on it; numpy's
functions on object arrays call an element's method of the same name (``sin``,
``arctan``, ...), so ``np.sin(inputs[..., 0])`` and ``qml.math.sin`` give
``Sym(sin(x0))``. autoray, under ``qml.math``, is told to treat a ``Sym`` as
numpy. A ``Sym`` has no value: ``float()``, comparisons and ``bool()`` raise,
so a circuit that branches on a value is refused rather than traced wrongly.
"""
from __future__ import annotations

import numpy as np

from backends.description import expressions as E


class Sym:
    __slots__ = ("e",)

    def __init__(self, e):
        self.e = e

    def _wrap(self, other):
        return unwrap(other).e if isinstance(unwrap(other), Sym) else _number(other)

    def __add__(self, o): return Sym(self.e + self._wrap(o))
    def __radd__(self, o): return Sym(self._wrap(o) + self.e)
    def __sub__(self, o): return Sym(self.e - self._wrap(o))
    def __rsub__(self, o): return Sym(self._wrap(o) - self.e)
    def __mul__(self, o): return Sym(self.e * self._wrap(o))
    def __rmul__(self, o): return Sym(self._wrap(o) * self.e)
    def __truediv__(self, o): return Sym(self.e / self._wrap(o))
    def __rtruediv__(self, o): return Sym(self._wrap(o) / self.e)
    def __neg__(self): return Sym(-self.e)
    def __pos__(self): return self

    def __pow__(self, power):
        power = _number(power)
        if float(power).is_integer():
            return Sym(self.e ** int(power))
        if power == 0.5:
            return Sym(E.sqrt(self.e))
        raise TypeError(f"a symbolic angle takes whole powers only; received {power}")

    def sin(self): return Sym(E.sin(self.e))
    def cos(self): return Sym(E.cos(self.e))
    def tan(self): return Sym(E.tan(self.e))
    def arcsin(self): return Sym(E.asin(self.e))
    def arccos(self): return Sym(E.acos(self.e))
    def arctan(self): return Sym(E.atan(self.e))
    def exp(self): return Sym(E.exp(self.e))
    def log(self): return Sym(E.log(self.e))
    def sqrt(self): return Sym(E.sqrt(self.e))
    def conjugate(self): return self          # angles are real

    def _no_value(self, *args):
        raise TypeError(f"the value of {self.e!r} is needed (a comparison, float() or an if); "
                        "an import traces symbols, not numbers")

    __float__ = __int__ = __bool__ = __lt__ = __le__ = __gt__ = __ge__ = _no_value
    __hash__ = object.__hash__

    def __repr__(self): return f"Sym({self.e!r})"


def _number(value):
    value = unwrap(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:   # a 0-d array or tensor of a number
        return float(value.item())
    raise TypeError(f"cannot combine a symbolic angle with {type(value).__name__}")


def unwrap(value):
    """A 0-d numpy array's element; anything else as it is."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype == object:
        return value.item()
    return value


def symbol_array(exprs, shape) -> np.ndarray:
    flat = np.empty(len(exprs), dtype=object)
    for k, e in enumerate(exprs):
        flat[k] = Sym(e)
    return flat.reshape(shape)


def _register() -> None:
    import autoray
    autoray.register_backend(Sym, "numpy")


_register()
