"""The report per readout: families per readout, amplitude updates per second by hand, the outputs plot.

Rows are written by hand (the figures are chosen, not measured), so every expected
number below is computed here from those figures.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.reporting.render import write
from harness.reporting.report import build_report

REFERENCE = Path(__file__).resolve().parents[1] / "results" / "reference" / "runs.jsonl"


def _base() -> dict:
    """A real stored scaling row, as every field of a row looks; the figures below replace its own."""
    for line in REFERENCE.read_text().splitlines():
        row = json.loads(line)
        if row.get("task") == "scaling" and row.get("status") == "ok" and row.get("layers") == 1:
            return row
    raise AssertionError("the committed reference holds no scaling row")


def _row(backend, qubits, readout, outputs, step_s, seed, gates):
    stats = {"n": 20, "median": step_s, "q1": step_s * 0.99, "q3": step_s * 1.01, "min": step_s, "max": step_s}
    return _base() | {"backend": backend, "qubits": qubits, "observables": readout, "n_outputs": outputs,
                   "n_gates": gates, "steady_step_s": step_s, "steady_step_stats_s": stats, "seed": seed,
                   "run_id": f"{backend}{qubits}{readout}{seed}", "circuit_digest": None if readout is None else
                   f"{abs(hash(readout)) % 10 ** 16:016d}", "steps": 8}


@pytest.fixture()
def store(tmp_path):
    rows = []
    for seed in range(3):
        for backend, base in (("lightning-adjoint", 0.010), ("default-backprop", 0.020)):
            for readout, outputs in ((None, 12), ("z0", 1), ("ising", 1)):
                # adjoint's step grows with the outputs; backprop's does not
                step = base * (outputs if backend == "lightning-adjoint" else 1)
                rows.append(_row(backend, 12, readout, outputs, step, seed, gates=36))
    (tmp_path / "runs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return tmp_path


def test_each_readout_is_a_family_of_its_own(store):
    report = build_report(store)
    families = set(report.scaling["family"])
    assert len(families) == 3


def test_a_built_in_circuits_digest_stays_out_of_the_labels(store):
    # the rows' digests differ per readout, as a built-in circuit's do; the readout names them already (the
    # circuit's own readout has no digest, and beside the others is named as what it is: Z on every wire)
    labels = set(build_report(store).configs["label"])
    assert labels == {"scaling, Z on every wire", "scaling, outputs z0", "scaling, outputs ising"}


def test_amplitude_updates_per_second_by_hand(store):
    s = build_report(store).scaling
    r = s[(s["backend"] == "default-backprop") & (s["observables"] == "z0")].iloc[0]
    # 16 samples x 36 gates x 3 applications x 2^12 amplitudes in 20 ms
    assert r["amplitude_updates_per_s"] == pytest.approx(16 * 36 * 3 * 2 ** 12 / 0.020)


def test_the_outputs_plot_is_drawn_at_12_qubits_and_the_rate_table_written(store, tmp_path):
    report = build_report(store)
    page = write(report, tmp_path / "out", "md").read_text()
    assert (tmp_path / "out" / "readouts_q12_L1_b16.png").stat().st_size > 5000
    assert "Steady step against the number of outputs at 12 qubits" in page
    assert "Amplitude updates per second (millions)" in page
    # the best rate at 12 qubits: lightning-adjoint with one output, 10 ms: 16*36*3*4096/0.010/1e6 = 707.8
    assert "707.8 (lightning-adjoint)" in page


def test_a_readout_across_sizes_is_one_family_though_its_digest_changes_with_the_size(tmp_path):
    """z0 on 4 and on 12 qubits are two circuits (two digests) of one family, so crossovers span the sizes."""
    rows = [_row(b, q, "z0", 1, 0.01, seed, gates=3 * q) | {"circuit_digest": f"{q:016d}"}
            for seed in range(3) for b in ("lightning-adjoint", "default-backprop") for q in (4, 12)]
    (tmp_path / "runs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    s = build_report(tmp_path).scaling
    assert s["family"].nunique() == 1 and sorted(s["q"].unique()) == [4, 12]
