"""`check` compares against the reference and fails loudly when a backend disagrees."""
from pathlib import Path

from harness.measuring.check import CheckConfig, format_report, run_check

ROOT = Path(__file__).resolve().parents[1]


def test_check_passes_for_the_reference_and_skips_the_classical_twin():
    report = run_check(CheckConfig(circuits=("moons",), backends=("torch", "classical")))
    assert report.ok
    assert [r.status for r in report.rows] == ["pass", "skip"]


def test_check_fails_when_a_backend_differs_beyond_the_tolerance(monkeypatch):
    import harness.measuring.check as check
    from backends import build_layer

    def off_by_a_little(name, circuit, weights, **kw):   # a backend whose weights drifted by 1e-3
        return build_layer("torch", circuit, weights + (1e-3 if name != "torch" else 0.0))
    monkeypatch.setattr(check, "build_layer", off_by_a_little)
    report = run_check(CheckConfig(circuits=("moons",), backends=("default-backprop",)))
    assert not report.ok and report.rows[0].status == "FAIL"
    assert 1e-4 < report.rows[0].grad_x_diff < 1e-2
    assert "1 disagree or failed" in format_report(report)
    loose = run_check(CheckConfig(circuits=("moons",), backends=("default-backprop",), tolerance=1e-1))
    assert loose.ok


def test_check_command_exit_status(run_cli):
    ok = run_cli("check", "--circuits", "textbook,entangler", "--backends", "torch,default-backprop",
                 "--qubits", "3", "--layers", "2")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "all checked backends agree" in ok.stdout
    rows = [line.split() for line in ok.stdout.splitlines()[3:-1]]
    assert [(r[0], r[1], r[2]) for r in rows] == [(c, b, "pass") for c in ("textbook", "entangler")
                                                  for b in ("torch", "default-backprop")]


def test_shots_mode_passes_within_standard_errors_and_skips_exact_only_backends():
    report = run_check(CheckConfig(circuits=("moons",), backends=("qiskit-shift", "default-adjoint"),
                                   shots=3000, batch=3))
    assert [(r.backend, r.status) for r in report.rows] == [("qiskit-shift", "pass"), ("default-adjoint", "skip")]
    assert report.rows[0].out_diff > 0           # really sampled, not the exact value


def test_list_says_available_only_when_the_framework_imports(run_cli, tmp_path):
    """A framework that is installed but broken: its backends are 'no', with the import error in one line."""
    fake = tmp_path / "site" / "pennylane_lightning"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('liblightning.so: cannot open shared object file')\n")
    result = run_cli("list", env={"PYTHONPATH": f"{tmp_path / 'site'}:{ROOT}"})
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  ")}
    broken = "no (pennylane_lightning: ImportError: liblightning.so: cannot open shared object file)"
    assert broken in rows["lightning-adjoint"] and broken in rows["lightning-shift"]
    assert rows["default-backprop"].split()[1] == "yes" and rows["torch"].split()[1] == "yes"
