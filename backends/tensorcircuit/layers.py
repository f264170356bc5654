"""TensorCircuit-NG backends: ``tc-torch`` (its PyTorch backend) and ``tc-jax`` (its JAX backend, jit).

Both wrap the one-sample function of ``compile.py`` in ``tc.TorchLayer``, as
TensorCircuit's documentation and tests do, batched with its vmap:

* ``tc-torch``: ``tc.set_backend("pytorch")``, ``TorchLayer(f, use_vmap=True,
  use_interface=False)`` (TensorCircuit's own test of the PyTorch backend): the
  circuit runs as torch operations under ``torch.vmap`` and the gradient is torch
  autograd through the statevector (backprop), in the backward call. No jit: the
  PyTorch backend's ``jit`` returns the function unchanged.
* ``tc-jax``: ``tc.set_backend("jax")``, ``TorchLayer(f, use_vmap=True,
  use_interface=True, use_jit=True)``, which is ``tc.interfaces.torch_interface(
  jax.vmap(f), jit=True)``: the forward call runs the jitted batch, the backward
  call the jitted ``jax.vjp`` of it (reverse mode), which computes the batch's
  values again before its reverse sweep. Each new batch shape compiles once
  (a second or more for the larger circuits), outside nothing: the first step pays it.

dtype: ``complex128`` (float64 angles) on both, set with ``tc.set_dtype``, which
also sets ``jax_enable_x64``. TensorCircuit's default, and its own torch examples,
are complex64; its users set complex128 where precision matters (its tests and
variational examples do), and the harness holds every exact backend to 1e-5 of
the torch reference and runs the others in double (the PennyLane layers cast to
float64). Measured here with complex64: within 1e-5 on the built-in circuits,
but by 6.7e-6 on tutorial-classify's input gradient, too thin a margin to trust
on deeper circuits; a complex64 variant would be a backend of its own. Inputs
enter as float64 like the PennyLane layers'. TensorCircuit's backend and dtype
are process-wide: a layer sets them when built, as a user's script does, and
puts them back before each call (and at each JAX trace) if another
TensorCircuit layer in the same process changed them.

Threads, observed here (jax/jaxlib 0.10.2, 2 cores, entangler 14 qubits, batch
32): the jitted calls run on XLA's own CPU worker threads, two busy ones (one
per core) while the Python thread waits, whatever ``torch.set_num_threads(1)``
or ``OMP_NUM_THREADS=1`` say, and ``XLA_FLAGS="--xla_cpu_multi_thread_eigen=false
intra_op_parallelism_threads=1"`` did not change it either. JAX's users set no
such flag, so the harness forces none: ``tc-jax`` records in its settings that
the thread budget was not applied. ``tc-torch`` computes with torch, on the
intra-op threads the harness sets.

Work: one simulator call of B circuits per forward; ``tc-jax``'s backward call
simulates the B circuits again inside its vjp (counted as gradient circuits),
``tc-torch``'s backward simulates nothing (autograd).
"""
from __future__ import annotations

import torch

from backends.description import Circuit
from backends.layer import QuantumLayer

DTYPE = "complex128"
BACKENDS = {"tc pytorch": "pytorch", "tc jax": "jax"}     # registry simulator -> TensorCircuit backend


def _ensurer(backend: str, dtype: str):
    import tensorcircuit as tc

    def ensure():
        if tc.backend.name != backend:
            tc.set_backend(backend)
        if tc.dtypestr != dtype:
            tc.set_dtype(dtype)
    return ensure


def threads_note(backend: str, threads: int | None) -> str:
    if threads is None:
        return "threads: inherited"
    if backend == "pytorch":
        return f"threads: torch intra-op threads (now {torch.get_num_threads()}), set by the harness"
    return (f"threads: {threads} requested, not applied: XLA's CPU worker pool takes one thread per core "
            "and follows neither torch's thread count nor OMP_NUM_THREADS")


class TensorCircuitLayer(QuantumLayer):
    """``tc.TorchLayer`` on TensorCircuit's PyTorch or JAX backend, behind the common interface."""

    def __init__(self, circuit: Circuit, weights: torch.Tensor, *, backend: str, threads: int | None = None):
        super().__init__(circuit)
        import tensorcircuit as tc
        from .compile import circuit_function

        self.tc_backend = backend
        self._ensure = _ensurer(backend, DTYPE)
        self._ensure()
        self.threads_note = threads_note(backend, threads)
        initial = weights.detach().clone()
        jax = backend == "jax"
        # a circuit without weights keeps a (0,)-shaped one: TorchLayer wants a weight argument
        self.qlayer = tc.TorchLayer(circuit_function(circuit, self._ensure), [circuit.n_weights],
                                    initializer=lambda shape: initial.clone(), use_vmap=True,
                                    use_interface=jax, use_jit=jax)

    def expectations(self, x):
        self._ensure()
        out = self.qlayer(x.to(torch.float64))
        batch = x.shape[0]
        self.simulator_calls["forward"] += 1
        self.executions["forward"] += batch
        if self.tc_backend == "jax" and out.requires_grad:
            out.register_hook(lambda grad: self._count_backward(batch))
        return out

    def _count_backward(self, batch: int) -> None:
        # the jitted vjp runs when the output's gradient arrives: it simulates the batch again
        self._ensure()
        self.simulator_calls["backward"] += 1
        self.executions["backward"] += batch

    def settings(self) -> dict:
        jax = self.tc_backend == "jax"
        return {"tc_backend": self.tc_backend, "dtype": DTYPE, "jit": jax, "vmap": "jax.vmap" if jax else "torch.vmap",
                "threads_note": self.threads_note}

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, tensorcircuit backend={self.tc_backend}, dtype={DTYPE}"


def build(circuit: Circuit, weights: torch.Tensor, *, spec=None, shots=None, threads=None) -> TensorCircuitLayer:
    if spec is None or spec.simulator not in BACKENDS:
        raise ValueError(f"a TensorCircuit backend needs its registry spec (got {spec!r})")
    return TensorCircuitLayer(circuit, weights, backend=BACKENDS[spec.simulator], threads=threads)
