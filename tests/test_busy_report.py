"""Busy runs in the report, compare and a sweep's lines: left out of every claim by default, listed apart,
counted on request; rows from before the figure existed are unknown and said to be."""
import io
import json
from pathlib import Path

import pytest

from backends import UserError
from harness.cli import main
from harness.executing import busy
from harness.executing.sweep import Progress, SweepConfig
from harness.inputs.config import RunConfig
from harness.inputs.validate import check_report
from harness.reporting.compare import compare, format_comparison
from harness.reporting.render import FORMATS, write
from harness.reporting.report import build_report
from harness.results.store import store_path

GOLDEN2 = Path(__file__).parent / "golden" / "runs2.jsonl"
FOUR = ("scaling", "lightning-adjoint", 4)


def _is_four(row):
    return (row["task"], row["backend"], row.get("qubits")) == FOUR


def _measured(row):
    """Every row measured quiet but lightning-adjoint's 4-qubit seed 0: busy, and ten times slower."""
    row = dict(row, train_other_busy_cores=0.02, train_steal_cores=0.0, busy=False)
    if row["status"] == "ok" and _is_four(row) and row["seed"] == 0:
        row.update(busy=True, train_other_busy_cores=1.31, train_steal_cores=0.01, train_s=row["train_s"] * 10,
                   steady_step_s=row["steady_step_s"] * 10,
                   steady_step_stats_s={k: v * 10 if k != "n" else v for k, v in row["steady_step_stats_s"].items()})
    return row


def _store(folder: Path, change=None) -> Path:
    folder.mkdir()
    rows = [json.loads(line) for line in GOLDEN2.read_text().splitlines()]
    store_path(folder).write_text("".join(json.dumps(change(r) if change else r) + "\n" for r in rows))
    return folder


def _four(summary):
    s = summary.set_index(["config", "backend"])
    return s[[("qubits=4" in c and b == "lightning-adjoint") for c, b in s.index]].iloc[0]


def test_busy_runs_are_left_out_listed_apart_and_counted_on_request(tmp_path):
    quiet = _four(build_report(_store(tmp_path / "golden")).summary)
    store = _store(tmp_path / "measured", _measured)
    report = build_report(store)
    four = _four(report.summary)
    assert four["runs"] == quiet["runs"] - 1 and four["seeds"] == "1,2"
    assert report.busy[["backend", "seed", "others' cores", "steal cores", "counted"]].values.tolist() == [
        ["lightning-adjoint", "0", "1.31", "0.01", "no"]]
    assert report.busy["configuration"].iloc[0].startswith("scaling")
    assert any(w.startswith("1 run was timed on a busy machine and is left out") for w in report.warnings)
    assert not any("do not say whether the machine was quiet" in w for w in report.warnings)
    runs = report.runs                  # what the plots draw
    assert not len(runs[(runs["backend"] == "lightning-adjoint") & (runs["qubits"] == "4") & (runs["seed"] == "0")])
    counted = build_report(store, include_busy=True)
    assert _four(counted.summary)["runs"] == quiet["runs"]
    assert _four(counted.summary)["steady_step_high_s"] > 5 * quiet["steady_step_high_s"]   # the busy one shows
    assert counted.busy["counted"].tolist() == ["yes (--include-busy)"]
    assert any("1 run was timed on a busy machine and is counted (--include-busy)" in w for w in counted.warnings)


def test_a_quiet_rerun_of_a_busy_one_is_what_counts(tmp_path):
    store = _store(tmp_path / "s", _measured)
    rerun = next(r for r in map(json.loads, GOLDEN2.read_text().splitlines()) if _is_four(r) and r["seed"] == 0)
    with store_path(store).open("a") as fh:
        fh.write(json.dumps(dict(rerun, busy=False, train_other_busy_cores=0.0, train_steal_cores=0.0)) + "\n")
    report = build_report(store)
    assert report.busy["counted"].tolist() == ["no: a quiet run of it is counted"]
    assert _four(report.summary)["seeds"] == "0,1,2"


def test_old_rows_are_unknown_and_said_to_be(tmp_path):
    report = build_report(_store(tmp_path / "old"))
    assert report.busy.empty
    ok = int((report.rows["status"] == "ok").sum())
    assert f"{ok} of {ok} ok runs do not say whether the machine was quiet (stored before its load was " \
           f"measured, or trained too briefly to tell): they are counted as quiet" in report.warnings


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_rendering_has_the_busy_table(tmp_path, fmt):
    path = write(build_report(_store(tmp_path / "s", _measured)), tmp_path / "out", fmt)
    if fmt == "csv":
        text = (path.parent / "busy.csv").read_text()
        assert text.splitlines()[0] == "configuration,backend,seed,training s,others' cores,steal cores,counted"
        assert ",lightning-adjoint,0," in text and "1.31" in text
    else:
        text = path.read_text()
        assert "Runs on a busy machine" in text and "1.31" in text and "--include-busy" in text


def test_report_command_takes_include_busy(tmp_path, capsys):
    store = _store(tmp_path / "s", _measured)
    assert main(["report", "--results", str(store), "--format", "csv", "--out", str(tmp_path / "a")]) == 0
    assert "left out of every figure" in capsys.readouterr().err
    assert main(["report", "--results", str(store), "--format", "csv", "--out", str(tmp_path / "b"),
                 "--include-busy"]) == 0
    assert "1 run was timed on a busy machine and is counted (--include-busy)" in capsys.readouterr().err
    assert "yes (--include-busy)" in (tmp_path / "b" / "busy.csv").read_text()
    with pytest.raises(UserError, match="include_busy must be True or False"):
        check_report(str(store), "md", "torch", None, None, FORMATS, "yes")


def test_compare_says_how_many_of_each_side_were_busy(tmp_path, capsys):
    a, b = _store(tmp_path / "a"), _store(tmp_path / "b", _measured)
    result = compare(a, b)
    ok = sum(1 for r in map(json.loads, GOLDEN2.read_text().splitlines()) if r["status"] == "ok")
    assert result.notes[:2] == [
        f"A: 0 of {ok} ok runs were timed on a busy machine, {ok} do not say (stored before the load was "
        f"measured, or trained too briefly to tell; counted as quiet)",
        f"B: 1 of {ok} ok runs were timed on a busy machine (left out; --include-busy counts them)"]
    t = result.table.set_index(["configuration", "backend", "figure"])
    # B's two quiet seeds against A's three: about the same, not ten times slower
    assert t.loc[("scaling, 4 qubits", "lightning-adjoint", "steady step"), "B/A"] == pytest.approx(1.0, abs=0.05)
    assert "Note: B: 1 of" in format_comparison(result)
    assert t.loc[("scaling, 4 qubits", "lightning-adjoint", "steady step"), "B"].endswith("n=2)")
    counted = compare(a, b, include_busy=True).table.set_index(["configuration", "backend", "figure"])
    assert counted.loc[("scaling, 4 qubits", "lightning-adjoint", "steady step"), "B"].endswith("n=3)")
    assert main(["compare", str(a), str(b), "--format", "csv"]) == 0
    assert "note: B: 1 of" in capsys.readouterr().err


def test_a_sweep_line_shows_busy_and_warns_once_per_backend_with_what_helps(tmp_path):
    out = io.StringIO()
    progress = Progress(SweepConfig(backends=("lightning-adjoint",)), tmp_path, out, 3)
    cfg = RunConfig(backend="lightning-adjoint", threads=2)
    row = {"status": "ok", "backend": "lightning-adjoint", "threads": 2, "thread_env": {}, "train_s": 22.9,
           "test_accuracy": 0.9, "busy": True, "train_other_busy_cores": 1.33, "train_steal_cores": 0.0}
    progress.finished(cfg, row, 30.0)
    progress.finished(cfg, dict(row, seed=1), 30.0)
    progress.finished(cfg, dict(row, busy=False), 3.0)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("ok (training 22.9 s, test acc 90%, BUSY: others 1.33 cores, steal 0.00)")
    assert lines[1].startswith("warning: the machine was busy while lightning-adjoint trained (1.33 cores")
    assert "--threads 1" in lines[1] and "OMP_WAIT_POLICY=PASSIVE" in lines[1]
    assert len(lines) == 4 and "BUSY" not in lines[3]           # warned once; the quiet line says nothing
    # what helps depends on the backend and on what the run already did
    assert busy.remedy({"backend": "torch"}) == busy.GENERIC
    assert busy.remedy(dict(row, thread_env={"OMP_WAIT_POLICY": "PASSIVE"})) == busy.GENERIC
    assert busy.remedy(dict(row, threads=1)) == busy.GENERIC


def test_a_store_of_busy_runs_only_says_so_and_reports_them_on_request(tmp_path, capsys):
    store = tmp_path / "s"
    store.mkdir()
    ok = [json.loads(line) for line in GOLDEN2.read_text().splitlines() if '"status": "ok"' in line]
    store_path(store).write_text("".join(json.dumps(dict(r, busy=True, train_other_busy_cores=1.2,
                                                         train_steal_cores=0.0)) + "\n" for r in ok))
    with pytest.raises(UserError, match=r"every run in .* was timed on a busy machine.*--include-busy counts them"):
        build_report(store)
    assert main(["report", "--results", str(store), "--out", str(tmp_path / "out")]) == 2
    assert "--include-busy" in capsys.readouterr().err
    report = build_report(store, include_busy=True)
    assert not report.summary.empty and len(report.busy) == len(report.runs)
    with pytest.raises(UserError, match=r"every run in B"):
        compare(_store(tmp_path / "a"), store)
