"""Qiskit Aer with our own batched parameter-shift autograd function.

The circuit description is compiled once into a Qiskit circuit in gate-angle
form: one ``Parameter`` per parameter slot, in ``Circuit.slots`` order. The
gate angles are computed from the description's expressions, and the chain
rule from the angles back to inputs and weights uses the expressions'
derivatives (``NumpyAngles``); the Qiskit side only ever differentiates with
respect to gate angles, with each gate's parameter-shift rule from the gate
table: two terms,

    dE/dtheta_k = (E(theta + pi/2 e_k) - E(theta - pi/2 e_k)) / 2,

for generators with two eigenvalues (RX, RZZ, P, ...), four for the controlled
rotations. Only the angles whose gradient is asked for are shifted.

Every forward pass is ONE simulator call for the whole batch, and every
backward pass is ONE simulator call for all its shifted rows. Both go
straight to one ``AerSimulator`` (statevector method) through ``AerRows``,
which is built once per layer. Exact mode saves each output's expectation
value inside the simulation (``save_expectation_value`` of its word, or of its
whole weighted sum as one ``SparsePauliOp``); with ``shots=N`` Aer samples N
bitstrings per row in each measurement basis the terms need (Z-only outputs:
one, with no basis change; qubit-wise commuting terms share one), we average
the parity of each term's wires and sum the terms with their coefficients.
All bases' circuits go to Aer in the same one call.

Why not Aer's ``EstimatorV2``/``SamplerV2`` (what this backend used first)?
For the small circuits of the tasks, almost none of their time was
simulation. Measured on ``moons`` (2 qubits, 40 shifted rows), the primitive
spent ~7.5 ms per call: per-call PUB coercion and result containers, two
thread hand-offs (the primitive's job thread, then Aer's job executor), a
Python re-assembly of the circuit and of the parameter bindings on every call,
and, above all, Aer's fixed cost per experiment (~110 us: every parameter row
is a separate experiment with its own circuit copy, optimisation passes, state
allocation and result metadata). ``AerRows`` removes these costs one by one
(see its docstring); the quantum state is still evolved by Aer, gate by gate,
for every row. A ``moons`` training step (batch 5) went from ~11 ms to ~1.7 ms,
of which Aer's two calls are ~1 ms: ~120-190 us per call plus ~7-8 us per
2-qubit row, inside Aer's C++ (``benchmarks/aer_floor.py`` breaks a step down).
On this project's virtual machine, ~20 us of each call and of each experiment
is Aer building a ``std::random_device`` (CPUID traps to the hypervisor),
whatever the seed.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.autograd.function import once_differentiable

from backends.description import Circuit
from backends.description.observables import measurement_groups
from backends.errors import UserError
from backends.layer import QuantumLayer, check_batch
from backends.qiskit.chain_rule import NumpyAngles
from backends.qiskit.common import (aer_backend_options, compile_circuit, gate_angle_circuit, sparse_pauli_op,
                                    torch_seed)


# --- running many angle rows on Aer ----------------------------------------------

try:  # Aer's own compile-and-execute steps, used by the fast path of AerRows (see there)
    from qiskit_aer.backends.aer_compiler import assemble_circuits, generate_aer_config
except ImportError:  # pragma: no cover - another Aer layout: AerRows falls back to backend.run
    assemble_circuits = generate_aer_config = None

#: Use Aer's internal compile/execute steps when this Aer has them (tests switch it off
#: to check the public ``backend.run`` path gives the same numbers).
USE_AER_INTERNALS = True


def rows_per_experiment(n_qubits: int) -> int:
    """How many angle rows one exact-mode Aer experiment simulates back to back.

    Each experiment costs Aer ~40-80 us of its own (set-up, result metadata) even
    with runtime parameter binding, far more than simulating a 2-qubit row (~6 us),
    so small circuits pack up to 8 rows into one experiment. The pay-off halves
    with every extra qubit (a row costs ~2^n): measured best at 8 rows up to ~7
    qubits, 4 at 8 qubits, and nothing left to gain from ~10 qubits, where one row
    per experiment also keeps the most experiments for the threads. More than 8
    rows gains little for a training batch and pads more rows in small calls.
    """
    return max(1, min(8, 2 ** (10 - n_qubits)))


class AerRows:
    """Raw expectations of the measured operators of many angle rows, in ONE call to one AerSimulator.

    Built once per layer, it keeps everything that does not depend on the angles:

    * one ``AerSimulator`` (statevector method), its thread options and
      ``runtime_parameter_bind_enable`` (Aer binds each row's angles inside one
      compiled circuit instead of copying and re-optimising the circuit per
      row: 2.5x less per-row cost on ``moons``);
    * the Qiskit program, assembled ONCE into Aer's native circuit
      (``assemble_circuits``), with the instruction positions of its parameters.
      A call then only hands Aer the angle columns and runs it synchronously,
      skipping the per-call Python assembly, binding conversion, job thread and
      ``Result`` objects of ``backend.run`` (Aer's executor runs the same steps);
    * exact mode: a program of ``M = rows_per_experiment(n)`` copies of the
      gate-angle circuit, each followed by one ``save_expectation_value`` per
      output and separated by ``set_statevector(|0...0>)``, so M rows share one
      experiment's fixed cost. Every row is still simulated from |0...0>
      through its own gates; the last experiment of a call is padded with
      zero-angle rows, whose values are dropped.
    * shots mode: one row per experiment (the gate-angle circuit + ``measure_all``)
      so that Aer simulates each row once and samples its shots from the final
      state; mid-circuit measurements would make it simulate every shot. Terms
      with X or Y need their basis: one program per qubit-wise commuting group
      (``measurement_groups``), each the gate-angle circuit, its basis change and
      ``measure_all``, all assembled once and bound to the same rows.

    Aer's gate fusion is left at its default (off below 14 qubits): forced on
    (``fusion_threshold=1``) it made ``moons`` 5x and 8 qubits 7x slower.

    Should this Aer version lack the internal steps, the same program runs
    through the public ``backend.run(..., parameter_binds=...)`` instead.
    """

    def __init__(self, circuit: Circuit, *, shots: int | None = None, threads: int | None = None):
        from qiskit import QuantumCircuit
        from qiskit.circuit import ParameterExpression, ParameterVector
        from qiskit_aer import AerSimulator

        self.circuit, self.shots, self.threads = circuit, shots, threads
        n, k = circuit.n_qubits, len(circuit.slots)
        # exact mode reads expectation values off the state: one shot, nothing sampled
        self.simulator = AerSimulator(method="statevector", runtime_parameter_bind_enable=True,
                                      shots=shots or 1, **aer_backend_options(threads))
        if shots is None:
            m = rows_per_experiment(n)
            theta = ParameterVector("theta", m * k)          # theta[r*K + k]: row r, rotation k
            program = QuantumCircuit(n, name=circuit.name)
            zero = np.zeros(2**n, dtype=complex)
            zero[0] = 1.0
            self._labels = []
            for r in range(m):
                if r:
                    program.set_statevector(zero)
                program.compose(compile_circuit(circuit, lambda j, gate, r=r: theta[r * k + j]), inplace=True)
                for i, obs in enumerate(circuit.observables):      # a word, or a whole weighted sum
                    label = f"row{r}_obs{i}"
                    program.save_expectation_value(sparse_pauli_op(obs, n), range(n), label=label)
                    self._labels.append(label)
            programs = [program]
        else:
            m = 1
            base, theta = gate_angle_circuit(circuit)
            bases, terms, per_output = measurement_groups(circuit.observables)
            programs = [_measured_in(base, basis) for basis in bases]     # clbit i measures qubit i
            # each distinct term: its basis's program and the bit mask of its wires in the integer outcome
            self._term_group = np.array([g for g, _ in terms], dtype=np.int64)
            self._masks = np.array([sum(1 << w for w, _ in word) for _, word in terms], dtype=np.int64)
            self._coeffs = np.zeros((circuit.n_outputs, len(terms)))      # output = coeffs @ term values
            for o, pairs in enumerate(per_output):
                for t, coeff in pairs:
                    self._coeffs[o, t] += coeff
        self.rows_per_experiment, self.programs, self.theta = m, programs, list(theta)
        self._assembled, self._config_options, self._cached_config = None, None, None
        internals = assemble_circuits is not None and hasattr(self.simulator, "_execute_circuits")
        if USE_AER_INTERNALS and internals:
            aer_circuits, index_maps = assemble_circuits(programs)
            column = {p: c for c, p in enumerate(self.theta)}
            # per program, (Aer op index, parameter position) -> column of the (P, S) angle matrix; every
            # parameter of every gate (U has three; a controlled gate's is_parameterized() says False)
            self._targets = []
            for c, (aer_circuit, index_map, program) in enumerate(zip(aer_circuits, index_maps, programs)):
                aer_circuit.circ_id = c
                targets = [((index_map[i], pos), column[param])
                           for i, inst in enumerate(program.data)
                           for pos, param in enumerate(inst.operation.params)
                           if isinstance(param, ParameterExpression) and param in column]
                assert sorted(col for _, col in targets) == list(range(len(self.theta)))
                self._targets.append(targets)
            self._assembled = list(aer_circuits)
        controlled = sorted({g.name for g in circuit.gates if g.params and g.name in ("CRX", "CRY", "CRZ", "CP")})
        if self._assembled is None and controlled:
            # Aer 0.18's public run binds no parameter of a controlled gate (measured: the angle reads as 0)
            raise UserError(f"backend 'qiskit-shift' cannot run {', '.join(controlled)} through Aer's public "
                            f"backend.run (it ignores a controlled gate's parameter); this Aer's internal path, "
                            f"which binds them, is not available")

    @property
    def circuits_per_row(self) -> int:
        """Circuits Aer simulates per angle row: one per measurement basis with shots, else one."""
        return len(self.programs)

    @property
    def path(self) -> str:
        """Which way calls reach Aer: its internal compile/execute steps, or the public ``run``."""
        return "internal" if self._assembled is not None else "public backend.run"

    # Aer's native circuits cannot be pickled: copies (copy.deepcopy of a model,
    # pickling) rebuild from the description, with a fresh simulator.
    def __reduce__(self):
        return AerRows._rebuild, (self.circuit, self.shots, self.threads)

    @staticmethod
    def _rebuild(circuit, shots, threads):
        return AerRows(circuit, shots=shots, threads=threads)

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        """(R, K) gate angles -> (R, n_obs) raw expectations of the measured operators, one simulator call."""
        n_rows, k = rows.shape
        m = self.rows_per_experiment
        experiments = -(-n_rows // m)
        if experiments * m != n_rows:                     # pad the last experiment
            rows = np.concatenate([rows, np.zeros((experiments * m - n_rows, k))])
        # column theta[r*K + j] of experiment s holds rows[s*M + r, j]
        angles = rows.reshape(experiments, m * k).T       # (P, S)
        if self.shots is None:
            data = self._run(angles)
            values = np.array([[d[label] for label in self._labels] for d in data], dtype=np.float64)
            return values.reshape(experiments * m, -1)[:n_rows]
        # the seed comes from torch's global generator: reproducible under torch.manual_seed
        data = self._run(angles, seed_simulator=torch_seed())     # program-major: program g's rows, then g+1's
        values = np.empty((n_rows, len(self._masks)))
        for g in range(len(self.programs)):
            mine = self._term_group == g
            values[:, mine] = np.stack([self._parities(d["counts"], self._masks[mine])
                                        for d in data[g * n_rows:(g + 1) * n_rows]])
        return values @ self._coeffs.T

    def _run(self, angles: np.ndarray, **run_options) -> list[dict]:
        """One Aer execution of S experiments: each experiment's data dict."""
        if self._assembled is not None:
            columns = angles.tolist()
            config = self._config()
            config.parameterizations = [[[target, columns[c]] for target, c in targets] for targets in self._targets]
            for key, value in run_options.items():
                setattr(config, key, value)
            output = self.simulator._execute_circuits(self._assembled, None, config)
            if not output.get("success", False):
                raise RuntimeError(f"Aer simulation failed: {output.get('status', output)}")
            return [result["data"] for result in output["results"]]
        binds = [dict(zip(self.theta, angles))] * len(self.programs)    # public path, same programs and options
        result = self.simulator.run(self.programs, parameter_binds=binds, **run_options).result()
        if not result.success:
            raise RuntimeError(f"Aer simulation failed: {result.status}")
        return [result.data(i) for i in range(len(result.results))]

    def _config(self):
        """Aer's run configuration from the simulator's options, rebuilt only when they change.

        Building it walks every option (~20-40 us a call, ~7% of a ``moons`` step),
        so it is kept; the per-call fields (angles, seed) are set on it by ``_run``.
        """
        options = self.simulator.options.__dict__
        if options != self._config_options:
            self._config_options = dict(options)
            self._cached_config = generate_aer_config(self.programs, self.simulator.options)
        return self._cached_config

    @staticmethod
    def _parities(counts: dict, masks: np.ndarray) -> np.ndarray:
        """<P> of each term from one row's counts {hex outcome: count} in the term's basis.

        Bit i of an outcome is qubit i; after the basis change a word's sign is the parity of its wires' bits.
        """
        outcomes = np.array([int(key, 16) for key in counts], dtype=np.int64)
        weights = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        bits = outcomes[None, :] & masks[:, None]                  # (n_obs, outcomes)
        for shift in (32, 16, 8, 4, 2, 1):                              # fold: bit 0 = parity
            bits ^= bits >> shift
        return (weights * (1.0 - 2.0 * (bits & 1))).sum(axis=1) / weights.sum()


def _measured_in(circuit, basis: dict[int, str]):
    """``circuit`` rotated into ``basis`` (H for X; Sdg then H for Y) and measured on every qubit."""
    out = circuit.copy()
    for wire, letter in sorted(basis.items()):
        if letter == "Y":
            out.sdg(wire)
        if letter in "XY":
            out.h(wire)
    return out.measure_all(inplace=False)


# --- the autograd function ----------------------------------------------------

class _ParameterShift(torch.autograd.Function):
    """(x (B, n_inputs), w (n_weights,)) -> outputs (B, n_obs), numpy in between.

    The whole layer is this one autograd node: the gate angles, the Aer calls,
    the output map and the chain rule back to inputs and weights all run in
    numpy (``NumpyAngles``). Built from torch operations, the same arithmetic
    was a dozen autograd nodes costing ~0.2 ms of a ~1.9 ms ``moons`` step.
    ``mapped`` returns float32 ``offset + scale * <P>``, else the raw float64 <P>.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, w: torch.Tensor, layer: "QiskitShiftLayer", mapped: bool):
        xs = x.detach().cpu().numpy().astype(np.float64)
        ws = w.detach().cpu().numpy().astype(np.float64)
        angles = layer.angle_map.values(xs, ws)
        raw = layer._evaluate(angles, "forward")
        ctx.layer, ctx.mapped, ctx.arrays = layer, mapped, (xs, ws, angles)
        ctx.dtypes = (x.dtype, w.dtype)
        if mapped:
            # the base class's output map (its float64 buffers), applied in numpy
            return torch.from_numpy(layer._offset.numpy() + layer._scale.numpy() * raw).to(torch.float32)
        return torch.from_numpy(raw)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output: torch.Tensor):
        need_x, need_w = ctx.needs_input_grad[:2]
        if not (need_x or need_w):
            return None, None, None, None
        layer, (xs, ws, theta) = ctx.layer, ctx.arrays
        batch, k = theta.shape
        # only the angles whose gradient is asked for: an input-only angle is not shifted when the
        # inputs are plain data (a circuit first in its model), which halves the work on the scaling task
        cols = layer.angle_map.needed(need_x, need_w)
        # every term of every needed angle's rule (two for RX, four for CRX): (angle, coefficient, shift)
        terms = [(c, coeff, delta) for c in cols for coeff, delta in layer.angle_map.rules[c]]
        shift = np.zeros((len(terms), k))
        shift[np.arange(len(terms)), [c for c, _, _ in terms]] = [delta for _, _, delta in terms]
        rows = (theta[None, :, :] + shift[:, None, :]).reshape(len(terms) * batch, k)   # row (term, b)
        values = layer._evaluate(rows, "backward").reshape(len(terms), batch, -1)
        jacobian = np.zeros((k, batch, values.shape[-1]))       # (K, B, n_obs): d<P>/d angle, 0 where not asked
        for t, (c, coeff, _) in enumerate(terms):
            jacobian[c] += coeff * values[t]
        grad = grad_output.detach().cpu().numpy().astype(np.float64)
        if ctx.mapped:
            grad = grad * layer._scale.numpy()
        grad_x, grad_w = layer.angle_map.backprop(xs, ws, np.einsum("bo,kbo->bk", grad, jacobian))
        x_dtype, w_dtype = ctx.dtypes
        return (torch.from_numpy(grad_x).to(x_dtype) if need_x else None,
                torch.from_numpy(grad_w).to(w_dtype) if need_w else None, None, None)


# --- the layer ------------------------------------------------------------------

class QiskitShiftLayer(QuantumLayer):
    def __init__(self, circuit: Circuit, weights: torch.Tensor, *, shots=None, threads=None):
        super().__init__(circuit, shots=shots)
        self.weights = nn.Parameter(weights.to(torch.float32))
        self.threads = threads
        self.angle_map = NumpyAngles(circuit)
        self.aer = AerRows(circuit, shots=shots, threads=threads)
        self._circuits_per_row = self.aer.circuits_per_row

    def _evaluate(self, rows: np.ndarray, phase: str) -> np.ndarray:
        """Raw expectations (R, n_obs) of R angle rows, in one simulator call.

        Counted here: one simulator call, and R circuit executions per measurement
        basis (the rows asked for; the few zero-angle rows that pad an exact-mode
        call are not counted).
        """
        rows = np.ascontiguousarray(rows, dtype=np.float64)
        self.simulator_calls[phase] += 1
        self.executions[phase] += len(rows) * self._circuits_per_row
        return self.aer(rows)

    def settings(self) -> dict:
        return {"aer_path": self.aer.path, "aer_rows_per_experiment": self.aer.rows_per_experiment}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # the base class's output map, done inside the one autograd node
        check_batch(self.circuit, x)
        return _ParameterShift.apply(x, self.weights, self, True)

    def expectations(self, x: torch.Tensor) -> torch.Tensor:
        check_batch(self.circuit, x)
        return _ParameterShift.apply(x, self.weights, self, False)


def build(circuit: Circuit, weights: torch.Tensor, *, spec=None, shots=None, threads=None):
    return QiskitShiftLayer(circuit, weights, shots=shots, threads=threads)
