"""PennyLane lightning.kokkos backends: kokkos-adjoint, kokkos-adjoint-vjp, kokkos-shift.

A TorchLayer on ``lightning.kokkos`` (the OpenMP build of Kokkos on CPU) with
``diff_method=spec.diff_method``, compiled and counted exactly as the
lightning.qubit backends are (see ``pennylane/common.py``). Unlike
lightning.qubit's adjoint, which spreads the observables over OpenMP threads,
kokkos's loops over them one after another, parallelising each sweep.

Threads, observed with pennylane-lightning-kokkos 0.45.0 (Kokkos 5.1) per
thread in fresh processes, and what ``configure_threads`` does about it:

* Kokkos starts once per process, at the first circuit a lightning.kokkos
  device runs (not at import, not when the device is made), and sizes its
  OpenMP pool then from OpenMP's thread count in effect: ``OMP_NUM_THREADS``,
  or ``torch.set_num_threads`` when torch set it since (torch is always
  imported first). So the request is applied with ``torch.set_num_threads``
  (and ``OMP_NUM_THREADS`` while kokkos is not loaded yet), before that first
  circuit; its ``print_configuration`` then reads ``thread_pool_topology[ 1 x
  N x 1 ]`` with N the request.
* Once started the pool is fixed: a later ``torch.set_num_threads`` changes
  torch's threads, not kokkos's. A layer built in a process where Kokkos
  already runs on another count says so in ``threads_note`` (the harness runs
  every configuration in a fresh child, so it never meets this).
* At its start Kokkos prints a warning that ``OMP_PROC_BIND`` is unset and
  advises ``OMP_PROC_BIND=spread`` and ``OMP_PLACES=threads``. The harness
  leaves OpenMP's settings to the user, as for lightning.qubit: pass
  ``--env OMP_PROC_BIND=spread --env OMP_PLACES=threads`` to measure that
  configuration; the child's environment is recorded in its row.
"""
from __future__ import annotations

import os
import re
import sys

import torch

from backends.description import Circuit
from backends.pennylane.common import PennyLaneLayer, build_pennylane

SIMULATOR = "lightning.kokkos"
_KOKKOS_OPS = "pennylane_lightning.lightning_kokkos_ops"


def running_pool() -> int | None:
    """Threads of the Kokkos pool in this process, or None when Kokkos has not started."""
    if _KOKKOS_OPS not in sys.modules:
        return None
    ops = sys.modules[_KOKKOS_OPS]
    if not ops.kokkos_is_initialized() or ops.kokkos_is_finalized():
        return None
    found = re.search(r"thread_pool_topology\[\s*\d+\s*x\s*(\d+)\s*x", ops.print_configuration())
    return int(found.group(1)) if found else None


def configure_threads(threads: int | None) -> str:
    """Apply a thread request for lightning.kokkos; return a short note of what happened."""
    pool = running_pool()
    if threads is None:
        return "threads: inherited" + (f" (Kokkos already runs {pool})" if pool else "")
    torch.set_num_threads(threads)
    if pool is not None:
        if pool == threads:
            return f"threads: {threads} (Kokkos already runs {pool})"
        return (f"threads: Kokkos already runs {pool} threads in this process and cannot change; "
                f"{threads} were asked (torch now has {threads})")
    if _KOKKOS_OPS not in sys.modules:
        os.environ["OMP_NUM_THREADS"] = str(threads)
    return f"threads: {threads} (torch.set_num_threads, from which Kokkos sizes its pool at its first circuit)"


def build(circuit: Circuit, weights: torch.Tensor, *, spec=None, shots=None, threads=None) -> PennyLaneLayer:
    return build_pennylane(circuit, weights, simulator=SIMULATOR, spec=spec, shots=shots, threads=threads,
                           configure=configure_threads)
