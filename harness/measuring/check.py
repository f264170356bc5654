"""`python -m harness check`: every backend against the torch reference.

Each chosen backend is evaluated on the same random inputs and weights as the
`torch` statevector reference; outputs and gradients (with respect to inputs
and weights, for one random cotangent) are compared. Exact backends must agree
to ``tolerance``; with shots, each difference must lie within ``sigmas``
standard errors, computed from the exact values (see ``_shot_bounds``).

The reference cannot vouch for itself: its own row compares it with an
independent numpy simulation (``harness.measuring.dense``). A backend that
raises a ``UserError`` gets its one-line message; any other exception is a bug,
and its row keeps the traceback, which the report prints after the table.
"""
from __future__ import annotations

import math
import time
import traceback
from dataclasses import dataclass, field

import numpy as np
import torch

from backends import BACKENDS, CIRCUITS, UserError, build_layer
from backends.layer import quantum_weights
from backends.registry import served_circuits

from harness.measuring import dense
from harness.measuring.weights import initial_weights

REFERENCE = "torch"


@dataclass(frozen=True)
class CheckConfig:
    circuits: tuple[str, ...] = tuple(CIRCUITS)     # built-in names or circuit files
    backends: tuple[str, ...] = tuple(BACKENDS)
    qubits: int | None = None          # entangler only
    layers: int | None = None          # entangler only
    batch: int = 4
    seed: int = 0
    shots: int | None = None
    tolerance: float = 1e-5
    sigmas: float = 5.0
    threads: int | None = None
    observables: str | None = None     # --observables SPEC, for every chosen circuit
    input_names: tuple[str, ...] | None = None
    weight_names: tuple[str, ...] | None = None


@dataclass
class CheckRow:
    circuit: str
    backend: str
    status: str                        # pass, FAIL, skip, unavailable, error
    out_diff: float = math.nan
    grad_x_diff: float = math.nan
    grad_w_diff: float = math.nan
    seconds: float = math.nan
    note: str = ""
    traceback: str = ""                # set when the backend raised something other than a UserError
    values: dict = field(default_factory=dict)    # outputs, grad_x, grad_w as lists (``check --json``)


@dataclass
class CheckReport:
    config: CheckConfig
    rows: list[CheckRow] = field(default_factory=list)
    points: dict = field(default_factory=dict)    # circuit -> the inputs, weights and cotangent used

    def as_json(self) -> dict:
        """Every point and every backend's outputs and gradients there, for anyone to verify independently."""
        return {"points": self.points, "cotangent_use": "gradients are of sum(cotangent * outputs)",
                "rows": [{k: v for k, v in vars(r).items() if k != "traceback"} | {"traceback": r.traceback or None}
                         for r in self.rows]}

    @property
    def ok(self) -> bool:
        """No backend disagreed or failed, and at least one was compared (skips alone prove nothing)."""
        return (all(r.status not in ("FAIL", "error") for r in self.rows)
                and any(r.status == "pass" for r in self.rows))


def _evaluate(layer, x, cotangent):
    x = x.clone().requires_grad_(True)
    out = layer(x)
    (out.double() * cotangent).sum().backward()
    w = quantum_weights(layer)
    grad_w = w.grad.detach().double().clone() if w is not None and w.grad is not None else None
    return out.detach().double(), x.grad.detach().double(), grad_w


def check_sources(cfg):
    """The chosen circuits: built-in names (``--qubits``/``--layers`` size the sizable ones) or files."""
    from backends.sources import load_source
    found = []
    for name in cfg.circuits:
        sizable = name in CIRCUITS and CIRCUITS[name].sizable
        found.append(load_source(name, cfg.qubits if sizable else None, cfg.layers if sizable else None,
                                 cfg.observables, cfg.input_names, cfg.weight_names))
    return found


def _values(out, gx, gw) -> dict:
    return {"outputs": out.tolist(), "grad_x": gx.tolist(), "grad_w": gw.tolist() if gw is not None else None}


def _max_abs(a, b) -> float:
    if a is None or b is None or a.numel() == 0:
        return math.nan
    return float((a - b).abs().max())


def _shot_bounds(circuit, x, weights, exact_raw, cotangent, shots):
    """Standard errors of a shot-based output and of its parameter-shift gradients.

    A single Pauli word (eigenvalues +-1) measured N times has standard error
    sqrt((1 - E^2) / N), times |c| for its coefficient. A sum sum_k c_k P_k is
    measured term by term (or a few commuting terms from the same shots), each
    term's mean with standard error at most 1 / sqrt(N); whatever the
    correlations between terms, the standard deviation of a sum is at most the
    sum of theirs, so the output's standard error is at most
    ||c||_1 / sqrt(N) with ||c||_1 = sum_k |c_k| (its norm below; |c| for one
    word). A parameter-shift derivative (E+ - E-)/2 has standard error at most
    ||c||_1 / sqrt(2N); chaining through the angle Jacobian J, the worst case
    (fully correlated terms) of the gradient's standard error is
    sum_{b,o,k} |v_bo| ||c_o||_1 |J_bk,p| / sqrt(2N). Floors avoid zero bounds
    at the edges of the spectrum.
    """
    norm = torch.tensor([abs(o.scale) if o.single else sum(abs(t.coeff) for t in o.terms)
                         for o in circuit.observables], dtype=torch.float64)
    single = torch.tensor([o.single for o in circuit.observables])
    word_se = torch.sqrt(torch.clamp(1 - exact_raw ** 2, min=0) / shots) * norm
    se_out = torch.where(single, word_se, norm / math.sqrt(shots))
    se_out = torch.clamp(se_out, min=1.0 / shots)
    weight = (cotangent * norm).abs().sum(dim=1)                        # (batch,)
    xd, wd = x.double(), weights.double()
    jx, jw = torch.autograd.functional.jacobian(lambda a, b: circuit.angles(a, b), (xd, wd))
    sigma_d = 1.0 / math.sqrt(2 * shots)
    se_gx = torch.einsum("b,bkci->ci", weight, jx.abs()) * sigma_d       # jx: (B,K,B,I)
    se_gw = torch.einsum("b,bkw->w", weight, jw.abs()) * sigma_d if circuit.n_weights else None
    return se_out, se_gx + 1.0 / shots, (se_gw + 1.0 / shots) if se_gw is not None else None


def _within(diff, bound, sigmas):
    return diff is None or bound is None or bool(((diff.abs() <= sigmas * bound)).all())


def run_check(cfg: CheckConfig) -> CheckReport:
    from harness.inputs.validate import check_check
    cfg = check_check(cfg).config
    shots = cfg.shots
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    report = CheckReport(cfg)
    for source in check_sources(cfg):
        circuit = source.circuit
        gen = torch.Generator().manual_seed(cfg.seed)
        x = ((torch.rand(cfg.batch, circuit.n_inputs, generator=gen) * 2 - 1) * math.pi).float()
        cotangent = torch.randn(cfg.batch, circuit.n_outputs, generator=gen, dtype=torch.float64)
        weights = initial_weights(circuit, cfg.seed)
        ref_layer = build_layer(REFERENCE, circuit, weights)
        ref = _evaluate(ref_layer, x, cotangent)
        report.points[circuit.name] = {"inputs": x.double().tolist(), "weights": weights.double().tolist(),
                                       "cotangent": cotangent.tolist(), "digest": source.digest,
                                       "source": source.path, "format": source.format}
        bounds = None
        if shots is not None:
            raw = ref_layer.expectations(x.double()).detach()
            bounds = _shot_bounds(circuit, x, weights, raw, cotangent, shots)
        if source.imported is not None and shots is None:
            report.rows.append(_check_source(source, x, weights, cotangent, ref))
        for name in cfg.backends:
            report.rows.append(_check_one(name, circuit, x, weights, cotangent, ref, shots, bounds, cfg))
    return report


def _check_one(name, circuit, x, weights, cotangent, ref, shots, bounds, cfg) -> CheckRow:
    spec = BACKENDS[name]
    row = CheckRow(circuit.name, name, "skip")
    if name == "classical":
        row.note = "no circuit to compare"
        return row
    if shots is not None and not spec.shots:
        row.note = "exact only"
        return row
    if spec.refuses(circuit):
        broken = spec.broken_gate(circuit)
        row.note = f"cannot run {broken}" if broken else f"serves only {', '.join(served_circuits(spec))}"
        return row
    if not spec.available:
        row.status, row.note = "unavailable", "missing " + ", ".join(spec.missing())
        return row
    if name == REFERENCE and shots is None:
        return _check_reference(row, circuit, x, weights, cotangent, ref, cfg)
    torch.manual_seed(cfg.seed)        # shot-based simulators take their seeds from here
    start = time.perf_counter()
    try:
        layer = build_layer(name, circuit, weights, shots=shots, threads=cfg.threads)
        out, gx, gw = _evaluate(layer, x, cotangent)
    except UserError as err:
        row.status, row.note = "error", str(err)
        return row
    except Exception as err:  # a backend bug must show in the table, not stop the check, and keep its trace
        row.status, row.note = "error", f"{type(err).__name__}: {err}"
        row.traceback = traceback.format_exc()
        return row
    row.seconds = time.perf_counter() - start
    row.values = _values(out, gx, gw)
    ref_out, ref_gx, ref_gw = ref
    row.out_diff, row.grad_x_diff, row.grad_w_diff = _max_abs(out, ref_out), _max_abs(gx, ref_gx), _max_abs(gw, ref_gw)
    if circuit.n_weights and gw is None:
        row.status, row.note = "FAIL", "no gradient reached the weights"
        return row
    if shots is None:
        worst = max(v for v in (row.out_diff, row.grad_x_diff, row.grad_w_diff) if not math.isnan(v))
        row.status = "pass" if worst <= cfg.tolerance else "FAIL"
    else:
        se_out, se_gx, se_gw = bounds
        ok = (_within(out - ref_out, se_out, cfg.sigmas) and _within(gx - ref_gx, se_gx, cfg.sigmas)
              and (gw is None or _within(gw - ref_gw, se_gw, cfg.sigmas)))
        row.status = "pass" if ok else "FAIL"
        row.note = f"within {cfg.sigmas:g} standard errors at {shots} shots"
    return row


SOURCE_TOLERANCE = 1e-6    # the torch reference against the circuit's own framework


def _check_source(source, x, weights, cotangent, ref) -> CheckRow:
    """The torch reference against the file's own framework: Qiskit's Statevector or PennyLane's default.qubit."""
    from backends.importers import source_outputs
    row = CheckRow(source.circuit.name, f"source ({source.format})", "skip")
    start = time.perf_counter()
    try:
        found = source_outputs(source.imported, x.double().numpy(), weights.double().numpy())
    except UserError as err:
        row.status, row.note = "error", str(err)
        return row
    row.seconds = time.perf_counter() - start
    cot = cotangent.numpy()
    out = torch.from_numpy(found.values)
    gx = torch.from_numpy(np.einsum("bk,bki->bi", cot, found.input_grads))
    gw = torch.from_numpy(np.einsum("bk,bkw->w", cot, found.weight_grads)) if source.circuit.n_weights else None
    row.values = _values(out, gx, gw)
    ref_out, ref_gx, ref_gw = ref
    row.out_diff, row.grad_x_diff, row.grad_w_diff = _max_abs(out, ref_out), _max_abs(gx, ref_gx), _max_abs(gw, ref_gw)
    worst = max(v for v in (row.out_diff, row.grad_x_diff, row.grad_w_diff) if not math.isnan(v))
    row.status = "pass" if worst <= SOURCE_TOLERANCE else "FAIL"
    row.note = (f"the torch reference against the file's own framework ({found.method}), "
                f"max |diff| <= {SOURCE_TOLERANCE:g}")
    return row


def _check_reference(row, circuit, x, weights, cotangent, ref, cfg) -> CheckRow:
    """The torch reference against the numpy one, at the same tolerance as every backend."""
    if circuit.n_qubits > dense.MAX_QUBITS:
        row.note = f"reference; the numpy cross-check stops at {dense.MAX_QUBITS} qubits"
        return row
    start = time.perf_counter()
    expected = dense.reference(circuit, x, weights, cotangent)
    row.seconds = time.perf_counter() - start
    row.values = _values(*ref)
    row.out_diff, row.grad_x_diff, row.grad_w_diff = (_max_abs(a, b) for a, b in zip(ref, expected))
    worst = max(v for v in (row.out_diff, row.grad_x_diff, row.grad_w_diff) if not math.isnan(v))
    row.status = "pass" if worst <= cfg.tolerance else "FAIL"
    row.note = "reference, against a numpy statevector with finite differences"
    return row


def format_report(report: CheckReport) -> str:
    cfg = report.config
    mode = "exact" if cfg.shots is None else f"{cfg.shots} shots"
    bound = f"max |diff| <= {cfg.tolerance:g}" if cfg.shots is None else f"within {cfg.sigmas:g} standard errors"
    head = (f"check against '{REFERENCE}': batch {cfg.batch}, seed {cfg.seed}, {mode}; pass means {bound}\n")
    cols = ["circuit", "backend", "status", "max|d out|", "max|d grad x|", "max|d grad w|", "time s", "note"]
    def fmt(v):
        return "-" if isinstance(v, float) and math.isnan(v) else (f"{v:.1e}" if isinstance(v, float) else str(v))
    table = [cols] + [[r.circuit, r.backend, r.status, fmt(r.out_diff), fmt(r.grad_x_diff), fmt(r.grad_w_diff),
                       "-" if math.isnan(r.seconds) else f"{r.seconds:.2f}", r.note] for r in report.rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(cols))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    failed = [r for r in report.rows if r.status in ("FAIL", "error")]
    compared = [r for r in report.rows if r.status in ("pass", "FAIL", "error")]
    if failed:
        tail = f"{len(failed)} disagree or failed"
    elif not compared:
        tail = "nothing was compared: every chosen backend was skipped or unavailable"
    else:
        tail = "all checked backends agree"
    traces = [f"\n{r.circuit} / {r.backend} raised:\n{r.traceback.rstrip()}" for r in report.rows if r.traceback]
    return head + "\n".join(lines) + "\n" + tail + "".join(traces)
