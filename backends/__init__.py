"""Quantum layers for hybrid models: one circuit description, many backends.

Public surface: ``make_circuit``, ``build_layer``, the ``BACKENDS`` and
``CIRCUITS`` registries, and ``UserError``.
"""
from .errors import ShapeError, UserError
from .registry import BACKENDS, CIRCUITS, backend_spec, build_layer, check_shots, make_circuit

__all__ = ["BACKENDS", "CIRCUITS", "ShapeError", "UserError", "backend_spec", "build_layer",
           "check_shots", "make_circuit"]
