"""One look per backend, the same on every plot of every report.

A backend's colour must not depend on which backends a store happens to hold (a cycle over the present
ones would repaint lightning-adjoint between two reports), so it is a fixed table. Backends of one family
share a hue, darkest for the family's first: PennyLane's default.qubit blues, lightning.qubit greens,
lightning.kokkos oranges, qulacs teal, qiskit purples, TensorCircuit reds; torch black, classical grey. Within a family
the gradient method tells them apart by marker and line style (adjoint o solid, -vjp s dashed, shift ^
dotted), so lines stay distinguishable where shades are close or the page is printed in grey.
"""
from __future__ import annotations

import hashlib
from typing import NamedTuple


class Style(NamedTuple):
    color: str
    marker: str
    linestyle: str
    family: str


STYLES: dict[str, Style] = {
    "default-backprop": Style("#08306b", "D", "-", "default.qubit"),
    "default-adjoint": Style("#2171b5", "o", "-", "default.qubit"),
    "default-adjoint-vjp": Style("#4a98d3", "s", "--", "default.qubit"),
    "default-shift": Style("#8cc0e6", "^", ":", "default.qubit"),
    "lightning-adjoint": Style("#00541f", "o", "-", "lightning.qubit"),
    "lightning-adjoint-vjp": Style("#2a9a4e", "s", "--", "lightning.qubit"),
    "lightning-shift": Style("#74c476", "^", ":", "lightning.qubit"),
    "kokkos-adjoint": Style("#a63603", "o", "-", "lightning.kokkos"),
    "kokkos-adjoint-vjp": Style("#e6550d", "s", "--", "lightning.kokkos"),
    "kokkos-shift": Style("#fd9b4a", "^", ":", "lightning.kokkos"),
    "qulacs-shift": Style("#01665e", "^", ":", "qulacs"),
    "qiskit-shift": Style("#3f007d", "^", "-", "qiskit"),
    "qiskit-ml": Style("#6a51a3", "v", "-", "qiskit"),
    "qiskit-ml-sampler": Style("#8c6bb1", "P", "--", "qiskit"),
    "qiskit-ml-lincomb": Style("#b07cc6", "*", "-.", "qiskit"),
    "qiskit-ml-reverse": Style("#c9a3de", "h", ":", "qiskit"),
    "tc-torch": Style("#a50f15", "p", "-", "tensorcircuit"),
    "tc-jax": Style("#ef3b2c", "H", "--", "tensorcircuit"),
    "torch": Style("#000000", "o", "-", "reference"),
    "classical": Style("#9a9a9a", "d", "-", "reference"),
}

_SPARE_MARKERS = "o s ^ v D P * h p H".split()


def style(backend: str) -> Style:
    """The backend's style; one not in the table (a backend added later) gets a grey fixed by its name."""
    if backend in STYLES:
        return STYLES[backend]
    digest = int(hashlib.sha1(backend.encode()).hexdigest(), 16)
    shade = 0x40 + digest % 0x60
    return Style(f"#{shade:02x}{shade:02x}{shade:02x}", _SPARE_MARKERS[digest % len(_SPARE_MARKERS)], "-.", "other")


def line_kw(backend: str, ms: float = 4.5) -> dict:
    """Keyword arguments for ax.plot / ax.errorbar drawing this backend's line."""
    s = style(backend)
    return {"color": s.color, "marker": s.marker, "linestyle": s.linestyle, "ms": ms, "label": backend}
