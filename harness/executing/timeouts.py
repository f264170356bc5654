"""Which configurations a run that ran out of time speaks for, so the sweep skips them instead of waiting out
their timeout again.

A timeout speaks for its size family (``size_family``: its configuration but the size and the seed) at its own
size with every other seed, and at every size at least as large in both size axes: more qubits and more layers
mean more work for every backend (a longer statevector, more gates and more parameters to differentiate), so a
run that did not finish in time at 12 qubits with 1 layer would not finish at 12 with 3 layers or at 16 with 3
either. A timeout stored by this code counts as well, from another sweep on the store (the 1-layer grid's for
the 3-layer grid's), but only for a configuration whose own timeout is no longer: one that ran out of 60 s says
nothing about a run given 90.
"""
from __future__ import annotations

from harness.results.words import plural


def size_family(key: tuple) -> tuple:
    """The configurations a timeout speaks for: its key (``planned_key``) but the size (qubits, layers) and the
    seed. A readout, a circuit, an environment or a thread count of its own is a family of its own: an ``ising``
    run that ran out of time at 16 qubits says nothing about ``z0`` there. A built-in circuit's digest changes
    with its size (``z0`` on 8 qubits is another circuit than on 12), so, as in the report's families, only a
    file's digest (two versions of one file) stays in the family."""
    built_in = "/" not in str(dict(key).get("circuit") or "")
    return tuple((k, v) for k, v in key if k not in ("qubits", "layers", "seed")
                 and not (k == "circuit_digest" and built_in))


class TooBig:
    """The sizes that ran out of time, per size family, and whether a configuration is one of those they
    speak for."""

    def __init__(self, stored: dict[tuple, float] | None = None):
        # size family -> [(qubits, layers, seed, timeout in s or None for this sweep's own)]
        self.limits: dict[tuple, list[tuple]] = {}
        for key, timeout_s in (stored or {}).items():
            self.note(key, timeout_s)

    def note(self, key: tuple, timeout_s: float | None = None) -> None:
        """The configuration of ``key`` ran out of time (``timeout_s``: the timeout it had, for a stored row;
        None for a run of this sweep, which speaks for the sweep's own configurations whatever their timeout)."""
        fields = dict(key)
        if fields.get("qubits"):
            self.limits.setdefault(size_family(key), []).append(
                (fields["qubits"], fields.get("layers") or 1, fields.get("seed"), timeout_s))

    def speaks_for(self, key: tuple, timeout_s: float | None) -> str | None:
        """Why the configuration of ``key`` (with ``timeout_s``) is skipped, or None when it is to run."""
        fields = dict(key)
        qubits, layers, seed = fields.get("qubits"), fields.get("layers") or 1, fields.get("seed")
        if not qubits:
            return None
        for q, l, s, limit_s in self.limits.get(size_family(key), ()):
            if limit_s is not None and (timeout_s is None or limit_s < timeout_s):
                continue                    # it had less time than this run will have
            if q <= qubits and l <= layers and ((q, l) != (qubits, layers) or s != seed):
                return f"{plural(q, 'qubit')} with {plural(l, 'layer')} ran out of time (seed {s})"
        return None
