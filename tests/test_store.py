"""The store reads anything it can hold, and never writes what JSON cannot carry.

The round trip writes a row of every status the runner produces (real runs in
real child processes) and has the real ``report`` command read them.
"""
from __future__ import annotations

import json
import math
import os
import resource
import signal
import subprocess
import sys

import pytest
from held import Holder

from harness.inputs.config import RunConfig
from harness.reporting.report import build_report
from harness.executing.runner import run_config
from harness.results.store import SCHEMA_VERSION, Store, clean, encode, read_rows, row_problem, store_path
from test_faults import ROOT, TINY, _child_of, _finish, _start

BASE = {"schema_version": 2, "run_id": "r", "status": "failed", "task": "moons", "backend": "torch", "seed": 0}
OK = dict(BASE, status="ok", train_s=1.0, steady_step_s=0.01, first_step_s=0.02, quantum_forward_s=0.1,
          quantum_backward_s=0.1, run_peak_rss_mib=400.0, run_peak_threads=3, run_peak_children=0, train_accuracy=0.9,
          test_accuracy=0.8)

BAD_ROWS = [
    ('[1, 2]', "not a harness row (a JSON list)"),
    ('"text"', "not a harness row (a JSON text)"),
    (json.dumps({k: v for k, v in BASE.items() if k != "task"}), "missing field 'task'"),
    (json.dumps({k: v for k, v in OK.items() if k != "train_s"}), "missing field 'train_s'"),
    (json.dumps(dict(BASE, schema_version=3)), "written by a newer harness (schema 3; this one reads 2); "
                                               "update the harness to read it"),
    (json.dumps(dict(BASE, schema_version="1")), "not a harness row of schema 2 (schema_version='1')"),
    (json.dumps(dict(BASE, schema_version=True)), "not a harness row of schema 2 (schema_version=True)"),
    (json.dumps(dict(BASE, status="weird")), "unknown status 'weird'"),
    (json.dumps(dict(BASE, seed="0")), "field 'seed' holds text '0', expected integer"),
    (json.dumps(dict(BASE, qubits=4.5)), "field 'qubits' holds number 4.5, expected integer or null"),
    (json.dumps(dict(BASE, qubits=True)), "field 'qubits' holds boolean True, expected integer or null"),
    (json.dumps(dict(BASE, error=42)), "field 'error' holds integer 42, expected text or null"),
    (json.dumps(dict(OK, train_s=[1])), "field 'train_s' holds list [1], expected number"),
    (json.dumps(dict(OK, train_s=1e300)), "field 'train_s' holds a huge number 1e+300"),
    ('{"schema_version": 2, "run_id": "r", "status": "failed", "task": "moons", "backend": "torch", "seed": 0, '
     '"timeout_s": Infinity}', "field 'timeout_s' holds a non-finite number inf"),
    (json.dumps(OK)[:-1] + ', "final_loss": NaN}', "field 'final_loss' holds a non-finite number nan"),
    (json.dumps(dict(OK, loss_per_epoch=[0.5, "x"])), "field 'loss_per_epoch' holds a list with text 'x'"),
    (json.dumps(dict(BASE, digits=[3])), "field 'digits' holds [3], expected two digits"),
    (json.dumps(dict(BASE, seed=10 ** 30)), "field 'seed' holds a huge number"),
    ('{"a": ' + '[' * 100000 + ']' * 100000 + '}', "not a JSON row (RecursionError)"),
]


@pytest.mark.parametrize("line,why", BAD_ROWS)
def test_every_odd_row_is_left_out_with_its_reason(tmp_path, line, why):
    store_path(tmp_path).write_text(json.dumps(OK) + "\n" + line + "\n" + json.dumps(dict(OK, run_id="z")) + "\n")
    read = read_rows(tmp_path, warn=False)
    assert [r["run_id"] for r in read.rows] == ["r", "z"]
    assert len(read.problems) == 1 and read.problems[0].startswith(f"{store_path(tmp_path)}:2: {why}"), read.problems


def test_odd_rows_are_warned_about_once_per_reason_and_the_report_still_reads(tmp_path, capsys):
    good = [json.loads(line) for line in (ROOT / "tests" / "golden" / "runs.jsonl").read_text().splitlines()]
    lines = [json.dumps(r) for r in good]
    lines += [line for line, _ in BAD_ROWS] * 3            # every bad kind, three times each
    store_path(tmp_path).write_text("\n".join(lines) + "\n")
    report = build_report(tmp_path)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == len(BAD_ROWS)                        # one warning per reason, not per line
    assert all(line.startswith("warning: ") and " lines " in line and line.endswith("; left out") for line in err)
    assert len(report.summary) > 0


def test_numbers_json_cannot_carry_are_stored_as_null_and_named(tmp_path):
    row = dict(OK, final_loss=float("nan"), loss_per_epoch=[0.5, float("inf")], machine={"x": float("-inf")})
    cleaned = clean(row)
    assert cleaned["final_loss"] is None and cleaned["loss_per_epoch"] == [0.5, None]
    # a list is named once ("[]"), not per item: a diverged set of 10^5 points must not make a huge row
    assert cleaned["nonfinite"] == ["final_loss", "loss_per_epoch[]", "machine.x"]
    line = encode(row)
    assert b"NaN" not in line and b"Infinity" not in line
    with Store(tmp_path) as store:
        store.append(row)
    stored = read_rows(tmp_path).rows
    assert stored == [cleaned]
    assert math.isnan(row["final_loss"])                    # the caller's row is not changed behind its back


def test_a_short_write_is_undone(tmp_path):
    """In a child process limited to the store's size + 10 bytes: the store stays as it was.

    The limit holds for every file, so no fallback file can take the row either: it goes to stderr.
    """
    store_path(tmp_path).write_bytes(b"x" * 100 + b"\n")
    code = ("import resource, sys; from harness.results.store import Store;"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (111, 111));"
            "s = Store(sys.argv[1]);"
            "exec('try:\\n s.append({\"run_id\": \"q\", \"status\": \"ok\", \"pad\": \"y\" * 200})\\n'"
            "     'except Exception as e: print(type(e).__name__, e.fallback is not None)')")
    (tmp_path / "t").mkdir()
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(tmp_path / "t"), HOME=str(tmp_path)))
    assert done.stdout.strip() == "RowNotStored False", done.stderr
    assert store_path(tmp_path).read_bytes() == b"x" * 100 + b"\n"
    assert json.loads(done.stderr.strip().splitlines()[-1])["run_id"] == "q"
    assert list((tmp_path / "unstored").iterdir()) == []     # no half-written fallback left behind


def test_round_trip_every_status_the_runner_produces_then_report(tmp_path, run_cli):
    results = tmp_path / "res"
    tiny = dict(task="moons", epochs=1, train_size=20, test_size=10, threads=1)
    ok = run_config(RunConfig(backend="classical", **tiny), results, echo=None)
    holder = Holder(tmp_path / "held")         # this child waits at its start: the timeout always wins
    timeout = run_config(RunConfig(backend="torch", timeout_s=0.5, env=(("PYTHONPATH", str(holder.path)),), **tiny),
                         results, echo=None)
    assert len(holder.pids()) == 1
    limit = 400 * 2 ** 20
    failed = _finish(_start("run", "--backend", "torch", "--seed", "1", *TINY, "--results", str(results),
                            preexec=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))))
    proc = _start("run", "--backend", "torch", "--seed", "2", *TINY, "--results", str(results))
    os.kill(_child_of(proc.pid), signal.SIGKILL)
    killed = _finish(proc)
    with Store(results) as store:           # a diverged ok run: what the runner stores for a NaN loss
        store.append(dict(ok, run_id="nan", seed=3, final_loss=float("nan"),
                          loss_per_epoch=[float("inf")]))
    assert failed[0] == 1 and killed[0] == 1
    rows = read_rows(results).rows
    assert [r["status"] for r in rows] == ["ok", "timeout", "failed", "killed", "ok"]
    assert rows[0]["run_id"] == ok["run_id"] and rows[1]["run_id"] == timeout["run_id"]
    assert all(r["schema_version"] == SCHEMA_VERSION and row_problem(r) is None for r in rows)
    assert b"NaN" not in store_path(results).read_bytes()
    result = run_cli("report", "--results", str(results), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "left out" not in result.stderr
    text = (tmp_path / "out" / "report.md").read_text()
    assert "timed out after 0.5 s" in text and "killed by SIGKILL" in text
    assert rows[2]["error"].splitlines()[0] in text            # the child's own cause, not "exited with status"


def test_a_schema_1_row_is_read_under_todays_names(tmp_path):
    old = dict(OK, schema_version=1, peak_rss_mb=512.0, peak_threads=4, peak_children=0, effective_cores=1.5,
               circuit_executions=40)
    for new in ("run_peak_rss_mib", "run_peak_threads", "run_peak_children"):
        del old[new]
    store_path(tmp_path).write_text(json.dumps(old) + "\n")
    (row,) = read_rows(tmp_path, warn=False).rows
    assert (row["schema_version"], row["upgraded_from_schema"]) == (2, 1)
    assert (row["run_peak_rss_mib"], row["run_peak_threads"], row["train_effective_cores"]) == (512.0, 4, 1.5)
    # the old run total counted different things on different backends: it is not carried over
    assert "circuit_executions" not in row and "peak_rss_mb" not in row
