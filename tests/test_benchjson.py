"""read_benchmark_json on files written here: hand-made, corrupt, and one real pytest-benchmark run."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pandas as pd
import pytest

from harness.results.benchjson import COLUMNS, read_benchmark_json


def _bench(name, group, median, extra=None, rounds=5):
    return {
        "group": group,
        "name": name,
        "fullname": f"benchmarks/test_layers.py::{name}",
        "params": {"backend": name.rsplit("-b32-", 1)[-1].rstrip("]")},
        "param": name.split("[")[-1].rstrip("]"),
        "extra_info": extra or {},
        "options": {"disable_gc": False, "timer": "perf_counter", "min_rounds": 5},
        "stats": {"min": median / 2, "max": median * 2, "mean": median * 1.1, "stddev": median / 10,
                  "rounds": rounds, "median": median, "iqr": 0.0, "q1": median, "q3": median,
                  "iqr_outliers": 0, "stddev_outliers": 0, "outliers": "0;0", "ld15iqr": median / 2,
                  "hd15iqr": median * 2, "ops": 1 / (median * 1.1), "total": median * 1.1 * rounds,
                  "iterations": 1},
    }


def _doc(benchmarks, brand="Test CPU @ 3.00GHz", stamp="2025-01-02T03:04:05.000000+00:00"):
    return {
        "machine_info": {"node": "box", "processor": "x86_64", "machine": "x86_64",
                         "cpu": {"brand_raw": brand, "count": 2}},
        "commit_info": {"id": "abc123", "dirty": True, "branch": "main"},
        "benchmarks": benchmarks,
        "datetime": stamp,
        "version": "5.3.0",
    }


def _write(path, doc):
    path.write_text(json.dumps(doc))
    return path


SHIFT = _bench("test_forward_backward[moons-fixed-b32-qiskit-shift]", "moons-q2-b32", 0.05,
               {"backend": "qiskit-shift", "batch": 32, "peak_rss_mb": 400.5,
                "simulator_calls": {"forward": 1, "backward": 1}, "circuit_executions": 288})
ML = _bench("test_forward_backward[moons-fixed-b32-qiskit-ml]", "moons-q2-b32", 0.5,
            {"backend": "qiskit-ml", "batch": 32, "peak_rss_mb": 410.0,
             "simulator_calls": {"forward": 2, "backward": 512}, "circuit_executions": 576,
             "estimator_calls": {"forward": 1, "backward": 1}})


def test_reads_stats_extra_info_and_file_fields(tmp_path):
    path = _write(tmp_path / "a.json", _doc([SHIFT, ML]))

    df = read_benchmark_json(path)

    assert list(df.columns[:len(COLUMNS)]) == list(COLUMNS)
    assert len(df) == 2
    shift, ml = df.iloc[0], df.iloc[1]
    assert shift["name"] == SHIFT["name"] and shift["group"] == "moons-q2-b32"
    assert shift["param"] == "moons-fixed-b32-qiskit-shift"
    assert (shift["stats.min"], shift["stats.median"], shift["stats.stddev"]) == (0.025, 0.05, 0.005)
    assert shift["stats.mean"] == pytest.approx(0.055)
    assert shift["stats.rounds"] == 5
    assert shift["extra_info.backend"] == "qiskit-shift" and shift["extra_info.batch"] == 32
    assert shift["extra_info.peak_rss_mb"] == 400.5
    assert shift["extra_info.simulator_calls.backward"] == 1 and ml["extra_info.simulator_calls.backward"] == 512
    assert ml["extra_info.estimator_calls.forward"] == 1
    assert math.isnan(shift["extra_info.estimator_calls.forward"])     # only qiskit-ml has that counter
    assert shift["cpu_brand"] == "Test CPU @ 3.00GHz" and shift["commit_id"] == "abc123"
    assert shift["datetime"] == pd.Timestamp("2025-01-02 03:04:05", tz="UTC")
    assert shift["source"] == str(path)
    assert ml["stats.median"] / shift["stats.median"] == pytest.approx(10.0)


def test_column_names_are_those_of_json_normalize(tmp_path):
    """The report selects columns by json_normalize's names; keep them identical."""
    doc = _doc([SHIFT, ML])
    df = read_benchmark_json(_write(tmp_path / "a.json", doc))
    plain = pd.json_normalize(doc["benchmarks"])
    for col in [c for c in plain.columns if c.startswith("extra_info.")] + [
            "group", "name", "fullname", "param", "stats.min", "stats.median", "stats.mean",
            "stats.stddev", "stats.rounds"]:
        assert col in df.columns, col
        if plain[col].dtype.kind == "f":
            assert df[col].tolist() == pytest.approx(plain[col].tolist(), nan_ok=True), col
        else:
            assert df[col].tolist() == plain[col].tolist(), col


def test_corrupt_file_is_one_warning_line_and_skipped(tmp_path, capsys):
    good = _write(tmp_path / "good.json", _doc([SHIFT]))
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text(json.dumps(_doc([ML]))[:-40])          # cut off mid-file

    df = read_benchmark_json([corrupt, good])

    assert list(df["name"]) == [SHIFT["name"]]
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("warning:") and str(corrupt) in err[0] and "not valid JSON" in err[0]


@pytest.mark.parametrize("content, reason", [
    ('{"rows": []}', "no 'benchmarks' list"),
    ("[1, 2, 3]", "no 'benchmarks' list"),
    (json.dumps({"benchmarks": [{"name": "t", "stats": {"min": 1}}]}), "lacks stats median, mean, stddev, rounds"),
    (json.dumps({"benchmarks": [{"stats": {}}]}), "benchmark #0 has no name"),
    (b"\xff\xfe\x00garbage", "not valid JSON"),
])
def test_json_that_is_not_benchmark_json_is_skipped(tmp_path, capsys, content, reason):
    bad = tmp_path / "bad.json"
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content)

    df = read_benchmark_json([bad])

    assert df.empty and list(df.columns) == list(COLUMNS)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and str(bad) in err[0] and reason in err[0]


def test_missing_file_is_a_warning_too(tmp_path, capsys):
    df = read_benchmark_json([tmp_path / "nowhere.json", _write(tmp_path / "a.json", _doc([ML]))])
    assert list(df["extra_info.backend"]) == ["qiskit-ml"]
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "nowhere.json" in err[0] and "cannot read" in err[0]


def test_several_files_and_a_folder(tmp_path):
    (tmp_path / "runs").mkdir()
    old = _write(tmp_path / "runs" / "0001_old.json", _doc([SHIFT], brand="Old CPU", stamp="2024-06-01T00:00:00+00:00"))
    _write(tmp_path / "runs" / "0002_new.json", _doc([SHIFT, ML]))

    df = read_benchmark_json(tmp_path / "runs")

    assert len(df) == 3
    assert list(df["source"]) == [str(old)] + [str(tmp_path / "runs" / "0002_new.json")] * 2
    assert list(df["cpu_brand"]) == ["Old CPU", "Test CPU @ 3.00GHz", "Test CPU @ 3.00GHz"]
    assert df["datetime"].iloc[0] < df["datetime"].iloc[1]


def test_extra_info_cannot_shadow_a_column(tmp_path):
    bench = _bench("test_x", None, 1.0, {"name": "mine", "source": "elsewhere"})
    path = _write(tmp_path / "a.json", _doc([bench]))
    row = read_benchmark_json(path).iloc[0]
    assert row["name"] == "test_x" and row["source"] == str(path)
    assert row["extra_info.name"] == "mine" and row["extra_info.source"] == "elsewhere"


def test_no_files_and_no_benchmarks_give_an_empty_table(tmp_path, capsys):
    assert read_benchmark_json([]).empty
    assert read_benchmark_json(_write(tmp_path / "empty.json", _doc([]))).empty
    assert capsys.readouterr().err == ""


def test_reads_a_real_pytest_benchmark_file(tmp_path):
    """The format as pytest-benchmark itself writes it, not as we think it does."""
    (tmp_path / "test_tiny.py").write_text(
        "def test_tiny(benchmark):\n"
        "    benchmark.group = 'tiny'\n"
        "    benchmark.extra_info['backend'] = 'none'\n"
        "    benchmark.extra_info['calls'] = {'forward': 3}\n"
        "    benchmark.pedantic(sum, args=([1, 2, 3],), rounds=4, warmup_rounds=1, iterations=1)\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    out = tmp_path / "real.json"
    # a pytest of its own, as a user runs it: a pytest-xdist worker's variables would make pytest-benchmark
    # believe it runs in parallel and disable itself
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_tiny.py",
                           f"--benchmark-json={out}"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    df = read_benchmark_json(out)

    assert len(df) == 1
    row = df.iloc[0]
    assert row["name"] == "test_tiny" and row["group"] == "tiny" and row["stats.rounds"] == 4
    assert 0 < row["stats.min"] <= row["stats.median"]
    assert row["extra_info.backend"] == "none" and row["extra_info.calls.forward"] == 3
    assert isinstance(row["cpu_brand"], str) and row["cpu_brand"]
    assert row["datetime"].tzinfo is not None
