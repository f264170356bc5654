"""What this machine can hold: the memory a configuration obviously needs against what a run here may have."""
from __future__ import annotations

import os
import resource

from backends import BACKENDS, UserError

from harness.measuring import EVAL_BATCH

def machine_memory_bytes() -> int | None:
    """The most memory a run here could have: physical memory, a cgroup limit or an address-space limit."""
    limits = []
    try:
        limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        pass
    try:
        with open("/sys/fs/cgroup/memory.max") as fh:
            text = fh.read().strip()
        if text != "max":
            limits.append(int(text))
    except (OSError, ValueError):
        pass
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append(soft)
    return min(limits) if limits else None


def _gib(n: float) -> str:
    return f"{n / 2 ** 30:.1f} GiB" if n >= 2 ** 30 else f"{n / 2 ** 20:.0f} MiB"


def memory_floor(backend: str, circuit, batch: int, n_eval: int) -> tuple[int, str]:
    """A lower bound of the bytes a statevector run must hold at once, and what holds them.

    A state of n qubits is 2**n complex128 amplitudes (16 bytes each).
    Autograd and backprop keep the state after every gate for every sample of
    the batch (the circuit's own gate list: the entangler has n*(1 + 2L) gates); every other method holds
    at least the state and one working copy. Evaluation runs ``EVAL_BATCH``
    samples at once on the backends that broadcast. Only an obvious need is
    refused: the real figure is higher.
    """
    qubits = circuit.n_qubits
    state = 16 * 2 ** qubits
    spec = BACKENDS[backend]
    if backend == "classical":
        return 0, "no statevector"
    if spec.diff_method in ("autograd", "backprop"):
        gates = len(circuit.gates)
        train = state * batch * gates
        evaluate = state * 2 * min(EVAL_BATCH, n_eval)
        if train >= evaluate:
            return train, f"{batch} samples x {gates} gates of {_gib(state)} statevectors kept for backprop"
        return evaluate, f"{min(EVAL_BATCH, n_eval)} samples evaluated at once on {_gib(state)} statevectors"
    return state * 2, f"a {_gib(state)} statevector and one working copy"


def check_memory(backend: str, circuit, batch: int, n_eval: int) -> None:
    qubits = circuit.n_qubits
    need, what = memory_floor(backend, circuit, batch, n_eval)
    have = machine_memory_bytes()
    if have is not None and need > have:
        raise UserError(f"{qubits} qubits on '{backend}' need at least {_gib(need)} ({what}), more than the "
                        f"{_gib(have)} this machine allows; use fewer qubits, a smaller batch"
                        + (" or an adjoint backend" if BACKENDS[backend].diff_method in ("autograd", "backprop")
                           else ""))
