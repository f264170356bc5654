"""Bad paths and inputs get one line before any work starts; the store is kept byte for byte and still reads.

Each case is what a demanding user tried: an output folder that cannot be written, a read-only store, explicit
store files to compare, broken figures in stores and benchmark files, variables the harness owns, the child's
view of the MNIST folder, sizes a task cannot make, a Ray head that is not there, a store another process holds.
"""
from __future__ import annotations

import fcntl
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.results import locking
from harness.results.store import read_rows, store_path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN2 = ROOT / "tests/golden/runs2.jsonl"
TINY = ["--backend", "classical", "--epochs", "1", "--train-size", "20", "--test-size", "10", "--threads", "1"]


@pytest.fixture
def store(tmp_path):
    results = tmp_path / "res"
    results.mkdir()
    store_path(results).write_bytes(GOLDEN2.read_bytes())
    return results


def _one_line_refusal(capsys, argv, *words) -> str:
    try:
        status = main(argv)
    except SystemExit as stop:                 # argparse's own refusals end the parse
        status = stop.code
    err = capsys.readouterr().err.strip()
    assert status == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and "Traceback" not in err, err
    for w in words:
        assert w in err, err
    return err


@pytest.mark.parametrize("out", ["afile/sub", "afile", "/proc/no-such/report"])
def test_report_out_that_cannot_be_written_is_one_line(store, tmp_path, capsys, out):
    (tmp_path / "afile").write_text("x")
    before = store_path(store).read_bytes()
    target = str(tmp_path / out) if not out.startswith("/") else out
    _one_line_refusal(capsys, ["report", "--results", str(store), "--out", target], "out")
    assert store_path(store).read_bytes() == before and not (store / "report").exists()


def test_a_report_of_nothing_makes_no_folder(tmp_path, capsys):
    _one_line_refusal(capsys, ["report", "--results", str(tmp_path / "empty")], "no results in")
    assert not (tmp_path / "empty").exists()


def test_a_store_on_a_read_only_filesystem_reports_elsewhere(tmp_path, capsys):
    mount = tmp_path / "ro"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        store_path(mount).write_bytes(GOLDEN2.read_bytes())
        assert subprocess.run(["mount", "-o", "remount,ro", str(mount)]).returncode == 0
        err = _one_line_refusal(capsys, ["report", "--results", str(mount)], "report folder", "--out",
                                "Read-only file system")
        assert main(["report", "--results", str(mount), "--out", str(tmp_path / "out")]) == 0, err
        assert (tmp_path / "out" / "report.md").exists()
        assert store_path(mount).read_bytes() == GOLDEN2.read_bytes()
    finally:
        subprocess.run(["umount", str(mount)])


def test_compare_reads_the_jsonl_files_it_is_given(tmp_path, capsys):
    rows = [json.loads(line) for line in GOLDEN2.read_text().splitlines()]
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    slower = [{**r, "train_s": r["train_s"] * 3} if r.get("train_s") else r for r in rows]
    (tmp_path / "b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in slower))
    store_path(tmp_path).write_text("".join(json.dumps(r) + "\n" for r in rows))     # a decoy beside them
    assert main(["compare", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl"), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "3.0" in out and ",slower" in out          # B is B, not runs.jsonl compared with itself


def test_benchmark_medians_of_zero_or_nan_are_left_out_with_a_warning(tmp_path, capsys):
    def bench(path, medians):
        path.write_text(json.dumps({"benchmarks": [
            {"group": "g", "name": n, "fullname": f"b.py::{n}", "param": None, "extra_info": {},
             "stats": {"min": m, "max": m, "median": m, "mean": m, "stddev": 0, "rounds": 20, "q1": m, "q3": m}}
            for n, m in medians.items()], "commit_info": {"id": "c"}, "machine_info": {"cpu": {"brand_raw": "X"}},
            "datetime": "2026-12-01T00:00:00"}))
        return str(path)
    a = bench(tmp_path / "a.json", {"good": 1.0, "zero": 0.0, "nan": 1.0})
    b = bench(tmp_path / "b.json", {"good": 1.0, "zero": 1.0, "nan": math.nan})
    assert main(["compare", a, b]) == 0
    out, err = capsys.readouterr()
    assert "2 benchmarks with a zero, negative or non-finite median are left out (zero, nan)" in err
    assert "| good |" in out and "| zero |" not in out and "x0.00" not in out


def test_stored_times_of_zero_or_below_are_left_out_with_a_warning(store, capsys):
    rows = [json.loads(line) for line in GOLDEN2.read_text().splitlines()]
    ok = next(r for r in rows if r["status"] == "ok")
    with open(store_path(store), "a") as fh:
        fh.write(json.dumps({**ok, "run_id": "zero", "train_s": 0.0}) + "\n")
        fh.write(json.dumps({**ok, "run_id": "negative", "steady_step_s": -1.0}) + "\n")
    read = read_rows(store)
    assert "zero" not in {r["run_id"] for r in read.rows} and "negative" not in {r["run_id"] for r in read.rows}
    assert "field 'train_s' holds 0.0, but a time that was measured is above 0; left out" in capsys.readouterr().err


@pytest.mark.parametrize("argv,words", [
    (["run", *TINY, "--results", ""], ("--results is empty",)),
    (["run", *TINY, "--env", "PYTHONUNBUFFERED=0"], ("PYTHONUNBUFFERED is set by the harness",)),
    (["run", *TINY, "--env", "HARNESS_PARENT_PID=1"], ("HARNESS_PARENT_PID is set by the harness",)),
    (["run", "--task", "mnist01", "--backend", "classical", "--env", "HARNESS_MNIST_DIR=/no/such"],
     ("HARNESS_MNIST_DIR=/no/such is not a directory",)),
    (["run", "--backend", "classical", "--test-size", "1"], ("test size must be a whole number from 2",)),
    (["check", "--backends", "qiskit-ml-sampler", "--circuits", "moons"],
     ("backend 'qiskit-ml-sampler' serves only circuits", "received circuit 'moons'")),
    (["sweep", "--executor", "ray", "--address", "127.0.0.1:1", "--backends", "classical"],
     ("cannot reach a Ray head at 127.0.0.1:1 within 5 s",)),
])
def test_refused_before_any_work(tmp_path, capsys, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)                  # a run that did start would leave results/ here
    _one_line_refusal(capsys, argv, *words)
    assert list(tmp_path.iterdir()) == []


def test_a_store_held_by_another_process_is_waited_for_with_a_bound_and_named(store, capsys, monkeypatch):
    holder = subprocess.Popen([sys.executable, "-c",
                               "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX);"
                               "print('held', flush=True); time.sleep(60)", str(store_path(store))],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        before = store_path(store).read_bytes()
        monkeypatch.setattr(locking, "LOCK_WAIT_S", 0.5)
        assert main(["run", *TINY, "--results", str(store)]) == 2
        err = capsys.readouterr().err
        assert f"held by process {holder.pid} (" in err and "stayed locked" in err
        assert store_path(store).read_bytes() == before          # refused before training: nothing written
    finally:
        holder.kill()
        holder.wait()
    with open(store_path(store), "a") as fh:                      # the lock went with its holder
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert main(["report", "--results", str(store), "--out", str(store.parent / "out")]) == 0
