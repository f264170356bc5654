"""Quantum layers for hybrid models: one circuit description, many backends.

Public surface: ``make_circuit``, ``build_layer``, the ``BACKENDS`` and
``CIRCUITS`` registries, ``BASELINES``, and ``UserError``.
"""
from .errors import ShapeError, UserError
from .library import CIRCUITS, make_circuit
from .registry import BACKENDS, BASELINES, backend_spec, build_layer, check_shots

__all__ = ["BACKENDS", "BASELINES", "CIRCUITS", "ShapeError", "UserError", "backend_spec", "build_layer",
           "check_shots", "make_circuit"]
