"""The report warns when a pick rests on two sides measured days apart (the rule's intervals cannot see that)."""
import json
from pathlib import Path

from harness.reporting.report import build_report
from harness.results.store import store_path

GOLDEN2 = Path(__file__).parent / "golden" / "runs2.jsonl"     # described in test_sweep_report.py


def _store(tmp_path, shift) -> Path:
    rows = [json.loads(line) for line in GOLDEN2.read_text().splitlines()]
    for r in rows:
        shift(r)
    store_path(tmp_path).write_text("".join(json.dumps(r) + "\n" for r in rows))
    return tmp_path


def test_a_pick_measured_days_apart_is_warned_about_and_one_measured_together_is_not(tmp_path):
    # golden2 at 8 qubits: lightning-adjoint (20 ms) faster than default-backprop (30 ms), intervals apart;
    # at 6 qubits the two overlap (15 vs 15.5 ms), so no pick is claimed there
    def earlier(r):
        if r["backend"] == "lightning-adjoint" and r.get("qubits") in (6, 8):
            r["timestamp"] = "2026-11-20" + r["timestamp"][10:]
    (line,) = [w for w in build_report(_store(tmp_path, earlier)).warnings if "apart" in w and "pick" in w]
    assert line.startswith("1 pick compares runs measured more than a day apart")
    assert line.endswith("8 qubits: lightning-adjoint (2026-11-20) against default-backprop (2026-11-25)"), line
    quiet = tmp_path / "together"
    quiet.mkdir()
    assert not [w for w in build_report(_store(quiet, lambda r: None)).warnings if "measured more than" in w]
