"""What the validation boundary and the durable store add to a run, in the parent.

The training child is untouched by both (its only new work is one prctl call
before its clock's setup span ends), so their whole cost is parent time around
the run: checking the config (and MNIST files by header), opening and checking
the store, registering as active, clearing stale temp folders, and appending
one fsynced row. Each is timed here on its own, median of ``repeats``.

    .venv/bin/python benchmarks/boundary_cost.py [repeats]
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from harness.executing.concurrency import Active, others_active  # noqa: E402
from harness.inputs.config import RunConfig  # noqa: E402
from harness.executing.runner import _remove_stale_run_dirs  # noqa: E402
from harness.results.store import Store  # noqa: E402
from harness.inputs.validate import _LABELS_CACHE, check_run, writable_folder  # noqa: E402
from harness.results.rows import fit  # noqa: E402


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1e3, 3)


def main(repeats: int = 20) -> dict:
    from test_datasets import make_mnist_dir     # synthetic IDX files at full MNIST size
    import numpy as np

    row = json.loads((ROOT / "tests" / "golden" / "runs.jsonl").read_text().splitlines()[0])
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(0)
        mnist = make_mnist_dir(Path(tmp) / "mnist", rng.integers(0, 10, 60000), rng.integers(0, 10, 10000),
                               compress=True)

        def mnist_check():
            _LABELS_CACHE.clear()                  # a first run pays the label read; a sweep's others do not
            check_run(RunConfig(task="mnist01", data_dir=str(mnist)))

        def store_cycle():
            with Store(Path(tmp) / "res") as store:
                store.append(row)

        figures = {
            "resolve_moons_ms": _median_ms(lambda: check_run(RunConfig()), repeats),
            "resolve_scaling_16q_ms": _median_ms(lambda: check_run(RunConfig(task="scaling", qubits=16)), repeats),
            "resolve_mnist_full_idx_gz_ms": _median_ms(mnist_check, max(3, repeats // 4)),
            "store_open_append_fsync_close_ms": _median_ms(store_cycle, repeats),
            "active_register_and_scan_ms": _median_ms(lambda: (Active("bench").release(), others_active()), repeats),
            "stale_run_dir_scan_ms": _median_ms(_remove_stale_run_dirs, repeats),
            # what issue 17 added: the row fitted to the readers' limit, the report folder's write check
            "row_fit_ms": _median_ms(lambda: fit(row), repeats),
            "report_folder_check_ms": _median_ms(lambda: writable_folder(Path(tmp) / "report", "out"), repeats),
        }
    # the heaviest check (full MNIST files) plus everything every run pays
    figures["total_worst_case_ms"] = round(sum(figures[k] for k in (
        "resolve_mnist_full_idx_gz_ms", "store_open_append_fsync_close_ms", "active_register_and_scan_ms",
        "stale_run_dir_scan_ms", "row_fit_ms")), 3)
    print(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
