"""`check` compares against the reference and fails loudly when a backend disagrees.

The reference's own row is checked against a numpy simulation, which is in
turn checked here against values worked out by hand. The command-line tests
call ``harness.cli.main`` in this process: what they test is the option
mapping and the exit status, not Python's start-up.
"""
import math
from pathlib import Path

import pytest
import torch

import harness.measuring.check as check
from backends import UserError, build_layer, make_circuit
from backends.torch_statevector import TorchStatevectorLayer
from harness.cli import main
from harness.measuring import dense
from harness.measuring.check import CheckConfig, format_report, run_check

ROOT = Path(__file__).resolve().parents[1]


def _hand(circuit_name, x, w):
    """Outputs and their derivatives, worked out on paper, for circuits small enough to do so.

    textbook: H then RY(x) gives <Z> = -sin x, so P(|1>) = (1 + sin x) / 2.
    tutorial-regress: RY(x) RY(w) gives <Z> = cos(x + w).
    entangler(2, 1): RX(a) then RY(b) takes |0> to a Bloch vector with z = cos a cos b;
    the CNOT maps Z1 to Z0 Z1 of a product state, so <Z1> = z0 z1.
    """
    if circuit_name == "textbook":
        return (1 + torch.sin(x)) / 2, torch.cos(x) / 2, None
    if circuit_name == "tutorial-regress":
        s = x[:, 0] + w[0]
        return torch.cos(s)[:, None], -torch.sin(s)[:, None], -torch.sin(s)[:, None]
    z = torch.cos(x) * torch.cos(w)                                     # (batch, 2)
    out = torch.stack([z[:, 0], z[:, 0] * z[:, 1]], dim=1)
    dz_dx, dz_dw = -torch.sin(x) * torch.cos(w), -torch.cos(x) * torch.sin(w)
    return out, (dz_dx, z), (dz_dw, z)


def _vjp_of_hand(name, x, w, v):
    out, dx, dw = _hand(name, x, w)
    if name != "entangler":
        return out, v * dx, None if dw is None else (v * dw).sum(dim=0)
    (dzx, z), (dzw, _) = dx, dw
    # d out0 = dz0; d out1 = dz0 z1 + z0 dz1 (each input and weight moves one z)
    gx = torch.stack([v[:, 0] * dzx[:, 0] + v[:, 1] * dzx[:, 0] * z[:, 1], v[:, 1] * z[:, 0] * dzx[:, 1]], 1)
    gw = torch.stack([v[:, 0] * dzw[:, 0] + v[:, 1] * dzw[:, 0] * z[:, 1], v[:, 1] * z[:, 0] * dzw[:, 1]], 1)
    return out, gx, gw.sum(dim=0)


@pytest.mark.parametrize("name,size", [("textbook", {}), ("tutorial-regress", {}),
                                       ("entangler", {"qubits": 2, "layers": 1})])
def test_numpy_reference_matches_values_worked_out_by_hand(name, size):
    circuit = make_circuit(name, **size)
    gen = torch.Generator().manual_seed(3)
    x = (torch.rand(5, circuit.n_inputs, generator=gen, dtype=torch.float64) * 2 - 1) * math.pi
    w = (torch.rand(circuit.n_weights, generator=gen, dtype=torch.float64) * 2 - 1) * math.pi
    v = torch.randn(5, circuit.n_outputs, generator=gen, dtype=torch.float64)
    got = dense.reference(circuit, x, w, v)
    for mine, hand in zip(got, _vjp_of_hand(name, x, w, v)):
        if hand is None:
            assert mine is None
        else:
            torch.testing.assert_close(mine, hand, rtol=0, atol=1e-8)


def test_check_passes_for_the_reference_and_skips_the_classical_twin():
    report = run_check(CheckConfig(circuits=("moons", "tutorial"), backends=("torch", "classical")))
    assert report.ok
    assert [r.status for r in report.rows] == ["pass", "skip"] * 2
    # really compared, against something that is not itself: float32 outputs differ in the last bits
    assert all(0 < r.out_diff < 1e-6 and 0 < r.grad_w_diff < 1e-5 for r in report.rows[::2])


def test_a_broken_torch_reference_fails_its_own_row(monkeypatch):
    monkeypatch.setattr("backends.torch_statevector._apply_cnot", lambda state, control, target: state)
    report = run_check(CheckConfig(circuits=("textbook", "moons"), backends=("torch",)))
    # the textbook circuit has no CNOT, so it still passes; moons does not
    assert [(r.circuit, r.status) for r in report.rows] == [("textbook", "pass"), ("moons", "FAIL")]
    assert report.rows[1].out_diff > 0.01
    assert not report.ok


def test_check_fails_when_a_backend_differs_beyond_the_tolerance(monkeypatch):
    def off_by_a_little(name, circuit, weights, **kw):   # a backend whose weights drifted by 1e-3
        return build_layer("torch", circuit, weights + (1e-3 if name != "torch" else 0.0))
    monkeypatch.setattr(check, "build_layer", off_by_a_little)
    report = run_check(CheckConfig(circuits=("moons",), backends=("default-backprop",)))
    assert not report.ok and report.rows[0].status == "FAIL"
    assert 1e-4 < report.rows[0].grad_x_diff < 1e-2
    assert "1 disagree or failed" in format_report(report)
    loose = run_check(CheckConfig(circuits=("moons",), backends=("default-backprop",), tolerance=1e-1))
    assert loose.ok


def test_check_command_exit_status(capsys, monkeypatch):
    assert main(["check", "--circuits", "textbook,entangler", "--backends", "torch,default-backprop",
                 "--qubits", "3", "--layers", "2"]) == 0
    out = capsys.readouterr().out
    assert "all checked backends agree" in out
    rows = [line.split() for line in out.splitlines()[3:-1]]
    assert [(r[0], r[1], r[2]) for r in rows] == [(c, b, "pass") for c in ("textbook", "entangler")
                                                  for b in ("torch", "default-backprop")]
    monkeypatch.setattr("backends.torch_statevector._apply_cnot", lambda state, control, target: state)
    assert main(["check", "--circuits", "moons", "--backends", "torch"]) == 1
    assert "1 disagree or failed" in capsys.readouterr().out


class _Shifted(TorchStatevectorLayer):
    """Exact values, off by a constant: a shot-based backend with a bias."""

    def expectations(self, x):
        return super().expectations(x) + 0.2


class _SkewedGradient(TorchStatevectorLayer):
    """Exact values, but an extra term with zero value and a gradient of 2 cos x per input."""

    def expectations(self, x):
        s = torch.sin(x.double()).sum(dim=1, keepdim=True)
        return super().expectations(x) + 2 * (s - s.detach())


@pytest.mark.parametrize("fake,wrong", [(_Shifted, "out_diff"), (_SkewedGradient, "grad_x_diff")])
def test_shots_mode_fails_a_backend_off_by_more_than_its_standard_errors(monkeypatch, fake, wrong):
    def biased(name, circuit, weights, shots=None, **kw):
        return fake(circuit, weights) if name == "qiskit-shift" else build_layer(name, circuit, weights)
    monkeypatch.setattr(check, "build_layer", biased)
    report = run_check(CheckConfig(circuits=("moons",), backends=("qiskit-shift",), shots=3000, batch=3))
    (row,) = report.rows
    assert row.status == "FAIL" and not report.ok
    assert getattr(row, wrong) > 0.15
    # the other numbers are exact, so only the injected fault can have failed it
    assert all(getattr(row, d) < 1e-5 for d in ("out_diff", "grad_x_diff", "grad_w_diff") if d != wrong)


def test_shots_mode_passes_within_standard_errors_and_skips_exact_only_backends():
    report = run_check(CheckConfig(circuits=("moons",), backends=("qiskit-shift", "default-adjoint"),
                                   shots=3000, batch=3))
    assert [(r.backend, r.status) for r in report.rows] == [("qiskit-shift", "pass"), ("default-adjoint", "skip")]
    assert report.rows[0].out_diff > 0           # really sampled, not the exact value


def _simulator_with_a_bug():
    return {}["missing key"]


def test_a_user_error_is_one_line_and_a_bug_keeps_its_traceback(monkeypatch, capsys):
    def failing(name, circuit, weights, **kw):
        if name == "default-backprop":
            raise UserError("backend 'default-backprop' refuses this circuit")
        if name == "default-adjoint":
            _simulator_with_a_bug()
        return build_layer(name, circuit, weights)
    monkeypatch.setattr(check, "build_layer", failing)
    report = run_check(CheckConfig(circuits=("moons",), backends=("default-backprop", "default-adjoint")))
    refused, bug = report.rows
    assert (refused.status, refused.note, refused.traceback) == (
        "error", "backend 'default-backprop' refuses this circuit", "")
    assert bug.status == "error" and bug.note == "KeyError: 'missing key'"
    assert "Traceback (most recent call last)" in bug.traceback and "_simulator_with_a_bug" in bug.traceback
    text = format_report(report)
    assert text.count("Traceback (most recent call last)") == 1
    assert "moons / default-adjoint raised:" in text and "_simulator_with_a_bug" in text
    # the command prints the same report, so the trace reaches the user
    assert main(["check", "--circuits", "moons", "--backends", "default-backprop,default-adjoint"]) == 1
    assert "_simulator_with_a_bug" in capsys.readouterr().out


def test_list_says_available_only_when_the_framework_imports(capsys, monkeypatch, tmp_path):
    """A framework that is installed but broken: its backends are 'no', with the import error in one line.

    ``list`` imports the frameworks in a child process of its own, which sees this PYTHONPATH.
    """
    fake = tmp_path / "site" / "pennylane_lightning"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('liblightning.so: cannot open shared object file')\n")
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path / 'site'}:{ROOT}")
    assert main(["list"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")}
    broken = "no (pennylane_lightning: ImportError: liblightning.so: cannot open shared object file)"
    assert broken in rows["lightning-adjoint"] and broken in rows["lightning-shift"]
    assert rows["default-backprop"].split()[1] == "yes" and rows["torch"].split()[1] == "yes"
