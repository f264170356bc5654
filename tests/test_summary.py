"""The report's summary, its verdict rules (accuracy filter, best balance, least memory, growth above noise)
on small hand-built stores with hand-computed answers, and README's copy of the summary from the reference."""
import json
import shutil
from pathlib import Path

import pytest

from harness.reporting.report import build_report
from harness.reporting.summary import READOUTS_END, READOUTS_START, readme_block, readme_text, summary_lines
from harness.results.store import store_path

ROOT = Path(__file__).parent.parent
GOLDEN2 = Path(__file__).parent / "golden" / "runs2.jsonl"
REFERENCE = ROOT / "results" / "reference"


@pytest.fixture
def golden2(tmp_path):
    shutil.copy(GOLDEN2, store_path(tmp_path))
    return tmp_path


def _template() -> dict:
    for line in store_path(REFERENCE).read_text().splitlines():
        row = json.loads(line)
        if row["task"] == "tutorial-classify" and row["status"] == "ok":
            return row
    raise AssertionError("no tutorial-classify row in the reference store")


# the reference's tutorial-classify case: backprop's accuracy 45% (35-80%) overlaps lightning's 55% (40-80%)
CLASSIFY = {   # backend: (training s, test accuracy, setup peak MiB, whole-run peak MiB), one tuple per seed
    "default-backprop": [(0.135, 0.45, 422.0, 430.0), (0.140, 0.35, 422.1, 430.2), (0.146, 0.80, 422.2, 430.4)],
    "lightning-adjoint": [(0.77, 0.55, 424.4, 436.0), (0.63, 0.40, 424.5, 436.1), (0.99, 0.80, 424.6, 436.2)],
    "qiskit-shift": [(0.211, 0.45, 351.5, 362.0), (0.207, 0.35, 351.6, 362.1), (0.223, 0.80, 351.7, 362.2)],
    "qiskit-ml": [(16.0, 0.10, 300.0, 320.0), (15.0, 0.15, 300.1, 320.1), (16.5, 0.20, 300.2, 320.2)],
}


@pytest.fixture
def classify(tmp_path):
    base, rows = _template(), []
    for backend, runs in CLASSIFY.items():
        for seed, (train, acc, setup, run) in enumerate(runs):
            rows.append(dict(base, backend=backend, seed=seed, train_s=train, test_accuracy=acc,
                             setup_peak_rss_mib=setup, run_peak_rss_mib=run, run_id=f"{backend[:6]}{seed:06d}"))
    store_path(tmp_path).write_text("".join(json.dumps(r) + "\n" for r in rows))
    return tmp_path


def test_best_balance_drops_only_a_distinguishably_worse_accuracy(classify):
    adv = build_report(classify).advice.iloc[0]
    # overlapping accuracies drop nothing; qiskit-ml's 10-20% lies below lightning's 40-80% (the best median)
    assert adv["quality_dropped"] == "qiskit-ml (accuracy 15% (10-20%, n=3) against lightning-adjoint's 55% (40-80%, n=3))"
    # lightning-adjoint is beaten by backprop in time (0.63-0.99 s vs 0.135-0.146 s) and in peak (436 vs 430 MiB);
    # backprop and qiskit-shift beat each other in one figure each; geometric means:
    # backprop sqrt(1 * 430.2 / 362.1) = 1.09, qiskit-shift sqrt(0.211 / 0.140 * 1) = 1.23
    assert adv["balance_front"] == ["default-backprop", "qiskit-shift"]
    assert adv["best_balance"] == "default-backprop"
    assert adv["fastest"] == "default-backprop" and adv["fastest_vs_next"] == "faster than qiskit-shift"


def test_least_memory_ranks_the_peak_above_setup_not_the_imports(classify):
    adv = build_report(classify).advice.iloc[0]
    # raw peaks would pick qiskit-ml (320 MiB) or qiskit-shift (362); above setup backprop adds 8.0-8.2 MiB,
    # qiskit-shift 10.5, lightning 11.6, qiskit-ml 20.0: backprop, apart from qiskit-shift's interval
    assert adv["least_memory"] == "default-backprop"
    assert adv["least_memory_above"].median == pytest.approx(8.1)
    assert adv["least_memory_mib"] == pytest.approx(430.2)
    assert adv["least_memory_vs_next"] == "less than qiskit-shift"


def test_summary_names_picks_ties_and_the_flip_by_the_rule(golden2):
    lines = summary_lines(build_report(golden2))
    assert lines[1] == ("moons, 2 threads, OMP_NUM_THREADS=2 (training time): `default-backprop` 840 ms (820-860, n=3), "
                        "faster than `lightning-adjoint` 1.25 s (1.23-1.27, n=3).")
    # backprop apart at 4, overlapping at 6 (15.0 vs 15.5 ms), lightning apart at 8 and 10 (default-adjoint timed out)
    assert len(lines) == 3 and lines[2] == (
        "scaling, Z on every wire (steady step): 4 qubits `default-backprop` (10.0 ms (9.70-10.3, n=3), faster than "
        "`lightning-adjoint` 20.0 ms (19.4-20.6, n=3)); 6 qubits not distinguishable: `default-backprop` 15.0 ms "
        "(14.6-15.5, n=3), `lightning-adjoint` 15.5 ms (15.0-16.0, n=3); 8-10 qubits `lightning-adjoint` (at 8: "
        "20.0 ms (19.4-20.6, n=3), faster than `default-backprop` 30.0 ms (29.1-30.9, n=3)). The pick flips between "
        "4 and 8 qubits (`default-backprop` to `lightning-adjoint`).")


def test_summary_says_too_few_runs_instead_of_a_pick(golden2):
    rows = [json.loads(line) for line in GOLDEN2.read_text().splitlines()]
    keep = [r for r in rows if not (r["task"] == "moons" and r["backend"] == "lightning-adjoint" and r["seed"] == 2)]
    store_path(golden2).write_text("".join(json.dumps(r) + "\n" for r in keep))
    line = summary_lines(build_report(golden2))[1]
    assert line.endswith("`default-backprop` 840 ms (820-860, n=3), the only one with enough runs; too few runs to "
                         "compare: `lightning-adjoint` 1.24 s (1.23-1.25, n=2).")


def test_memory_growth_is_fitted_only_above_noise(golden2):
    g = build_report(golden2).growth.set_index("backend")
    # backprop 400, 410, 450, 600 MiB at 4-10 qubits: 6 is within 10% of 400, so the fit is 50 -> 200 MiB over 2 qubits
    assert g.loc["default-backprop", "memory_fit_qubits"] == "8,10"
    assert g.loc["default-backprop", "memory_above_base_x_per_qubit"] == pytest.approx(2.0)
    # lightning 420 -> 430 MiB: under noise, not fitted, and said so
    assert g.loc["lightning-adjoint", "memory_above_base_x_per_qubit"] != g.loc["lightning-adjoint", "memory_above_base_x_per_qubit"]
    assert g.loc["lightning-adjoint", "memory_note"] == "+10 MiB at 10 qubits, within 10% of 4 qubits' 420 MiB"


def test_readme_summary_is_the_reference_reports_copy():
    block = readme_block((ROOT / "README.md").read_text())
    assert block == readme_text(build_report(REFERENCE)), "README's summary is stale: run `make readme`"


def test_readme_readout_summary_is_the_readout_stores_copy():
    block = readme_block((ROOT / "README.md").read_text(), (READOUTS_START, READOUTS_END))
    assert block == readme_text(build_report(ROOT / "results" / "readouts")), \
        "README's readout summary is stale: run `make readme`"


def test_step_growth_is_fitted_only_where_the_largest_size_is_distinguishably_slower(golden2):
    rows = [json.loads(line) for line in GOLDEN2.read_text().splitlines()]
    for r in rows:      # lightning-adjoint's step made the same 20 ms at every size: no growth to fit
        if r["task"] == "scaling" and r["backend"] == "lightning-adjoint":
            scale = 0.020 / r["steady_step_s"]
            r["steady_step_s"] = 0.020
            r["steady_step_stats_s"] = {k: v * scale if k != "n" else v for k, v in r["steady_step_stats_s"].items()}
    store_path(golden2).write_text("".join(json.dumps(r) + "\n" for r in rows))
    g = build_report(golden2).growth.set_index("backend")
    assert g.loc["lightning-adjoint", "step_note"] == "flat"
    assert g.loc["lightning-adjoint", "step_time_x_per_qubit"] != g.loc["lightning-adjoint", "step_time_x_per_qubit"]
    assert g.loc["default-backprop", "step_note"] == "" and g.loc["default-backprop", "step_time_x_per_qubit"] > 1.3


def test_a_readout_family_is_named_once_and_without_its_per_size_digest():
    lines = summary_lines(build_report(ROOT / "results" / "readouts"))
    # every row carries the machine's own OPENBLAS_* variables, and the kokkos rows with --env their OMP_*
    # binding too: a label names the env once and leaves the thread environment out, since it adds nothing
    assert sorted(line.split(" (steady step)")[0] for line in lines[1:]) == sorted([
        "scaling, outputs z0", "scaling, Z on every wire", "scaling, outputs ising", "scaling, outputs zz-ring",
        "scaling, outputs xyz-all", "scaling, Z on every wire, env OMP_PLACES=threads, OMP_PROC_BIND=spread"])


def test_a_label_shows_only_the_thread_variables_that_differ_and_that_env_did_not_set():
    import pandas as pd

    from harness.reporting.groups import _thread_env_shown
    df = pd.DataFrame({"config": ["a", "b", "c"],
                       "thread_env": ["OMP_NUM_THREADS=2, X=1", "OMP_NUM_THREADS=2, OMP_PROC_BIND=spread, X=1",
                                      "OMP_NUM_THREADS=1, X=1"],
                       "env": ["", "OMP_PROC_BIND=spread", ""]})
    assert _thread_env_shown(df) == {"a": "OMP_NUM_THREADS=2", "b": "OMP_NUM_THREADS=2", "c": "OMP_NUM_THREADS=1"}
