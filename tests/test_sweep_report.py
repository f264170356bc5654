"""Sweeps resume and survive failures; the report reads committed golden stores (schema 1 and schema 2)."""
import dataclasses
import io
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from backends import BACKENDS, UserError
from harness.inputs.config import RunConfig
from harness.reporting.report import build_report
from harness.reporting.render import write
from harness.reporting.render.common import _colors
from harness.results.store import read_rows, store_path
from harness.executing.sweep import Progress, SweepConfig, expand, run_sweep
from held import Holder

GOLDEN = Path(__file__).parent / "golden" / "runs.jsonl"
# schema 2, hand-made: scaling (entangler, 1 layer, batch 16) at 4-10 qubits, 3 seeds, 25 steady steps per run:
# per-run step medians m x (0.99, 1.00, 1.01), quartiles m x 0.98 / 1.02, so each size's interval is m x [0.9702, 1.0302];
# m in ms: default-backprop 10, 15, 30, 60; lightning-adjoint 20, 15.5, 20, 25; default-adjoint 100 at 4-8, timed
# out at 10. moons: torch at 2 threads (0.40, 0.42, 0.44 s) and at 1 thread (0.60, 0.62, 0.64 s), nothing else
# different; classical 0.08-0.12 s; default-backprop 0.82-0.86 s; lightning-adjoint 1.23-1.27 s.
GOLDEN2 = Path(__file__).parent / "golden" / "runs2.jsonl"


# 20 training samples: room for the scaling task's batch of 16 too
TINY = RunConfig(epochs=1, train_size=20, test_size=5, threads=1)
# a held child (see tests/held.py) cannot finish, so this timeout always expires, on any machine
SHORT = 0.3


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """One real sweep (moons on torch and classical, seed 0), made once; tests copy its store before changing it."""
    results = tmp_path_factory.mktemp("swept")
    sweep = SweepConfig(backends=("torch", "classical"), tasks=("moons",), seeds=(0,), base=TINY)
    out = io.StringIO()
    counts = run_sweep(sweep, results, out=out)
    return sweep, results, counts, out.getvalue()


def _copy(swept, folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(store_path(swept[1]), store_path(folder))
    return folder


def test_sweep_resumes_without_repeating_work_and_survives_a_failing_run(swept, tmp_path, capsys, bad_mnist_dir,
                                                                         monkeypatch):
    sweep, _, first, printed = swept
    assert first["ok"] == 2 and sum(first.values()) == 2
    # the first line has no estimate yet; the second run's backend has not been timed, so none is guessed
    assert "] 1/2 ETA after the first run  moons " in printed and "] 2/2 no ETA yet (1 not timed yet)  moons " in printed
    assert "moons classical seed 0: ok (training " in printed
    results = _copy(swept, tmp_path / "res")
    # bad data is refused before anything runs: nothing is stored for it
    with pytest.raises(UserError, match="train-images-idx3-ubyte: expected a 16-byte header"):
        run_sweep(SweepConfig(backends=("torch",), tasks=("mnist01", "moons"), seeds=(0,),
                              base=dataclasses.replace(TINY, data_dir=str(bad_mnist_dir))), results)
    assert len(read_rows(results).rows) == 2
    with monkeypatch.context() as patch:
        holder = Holder(tmp_path / "held")
        patch.setenv("PYTHONPATH", str(holder.path))
        # a run that ends badly in the middle (here out of time) does not stop the sweep
        slow = SweepConfig(backends=("torch",), tasks=("scaling", "moons"), seeds=(0,),
                           base=dataclasses.replace(TINY, timeout_s=SHORT))
        mixed = run_sweep(slow, results)
        assert mixed["timeout"] == 1 and mixed["skipped (stored)"] == 1 and len(holder.pids()) == 1
    # resumed without the hold: a child started here would run, so none starting is what skipping means
    again = run_sweep(sweep, results)
    assert again["skipped (stored)"] == 2 and again["ok"] == 0
    rows = read_rows(results).rows
    assert len(rows) == 3 and sum(r["status"] == "timeout" for r in rows) == 1
    with monkeypatch.context() as patch:
        patch.setenv("PYTHONPATH", str(holder.path))
        # forced, a stored ok configuration starts a child again (held here, so it times out)
        forced = run_sweep(SweepConfig(backends=("classical",), tasks=("moons",), seeds=(0,), force=True,
                                       base=dataclasses.replace(TINY, timeout_s=SHORT)), results)
        assert forced["timeout"] == 1 and len(holder.pids()) == 2
    rows = read_rows(results).rows
    assert len(rows) == 4 and (rows[-1]["backend"], rows[-1]["task"], rows[-1]["seed"]) == ("classical", "moons", 0)
    err = capsys.readouterr().err
    assert f"scaling torch seed 0 q4 l2 b16: timeout: timed out after {SHORT:g} s" in err


def test_scaling_sweep_skips_larger_sizes_once_a_size_times_out(tmp_path, held):
    sweep = SweepConfig(backends=("torch",), tasks=("scaling",), seeds=(0,), qubits=(2, 3, 4), layers=(1,),
                        base=RunConfig(epochs=1, threads=1, timeout_s=SHORT))
    counts = run_sweep(sweep, tmp_path)
    assert counts["timeout"] == 1 and counts["skipped (too big)"] == 2
    assert [r["qubits"] for r in read_rows(tmp_path).rows] == [2]
    assert len(held.pids()) == 1             # the larger sizes never started a child


@pytest.fixture
def golden(tmp_path):
    shutil.copy(GOLDEN, store_path(tmp_path))
    return tmp_path


@pytest.fixture
def golden2(tmp_path):
    folder = tmp_path / "g2"
    folder.mkdir()
    shutil.copy(GOLDEN2, store_path(folder))
    return folder


def test_report_summary_from_the_schema_1_golden_store(golden):
    report = build_report(golden)
    s = report.summary[report.summary["task"] == "moons"].set_index("backend")
    assert list(s.index) == ["torch", "classical", "default-backprop", "lightning-adjoint", "qiskit-ml", "default-shift"]
    assert s.loc["torch", "train_s"] == pytest.approx(0.42)
    assert s.loc["qiskit-ml", "train_s"] == pytest.approx(25.0)
    assert s.loc["qiskit-ml", "train_spread"] == pytest.approx(10 / 25)
    assert s.loc["default-backprop", "x_torch"] == pytest.approx(0.84 / 0.42)
    assert s.loc["default-backprop", "x_classical"] == pytest.approx(0.84 / 0.11)
    assert s.loc["lightning-adjoint", "quantum_share"] == pytest.approx(0.5)
    assert s.loc["torch", "runs"] == 2 and s.loc["default-shift", "runs"] == 0 and s.loc["default-shift", "timeouts"] == 1
    adv = report.advice[report.advice["task"] == "moons"].iloc[0]
    assert (adv["fastest"], adv["least_memory"]) == ("default-backprop", "lightning-adjoint")
    # the timed-out backend is the slowest, above qiskit-ml's 25 s; two runs each are too few for a claim
    assert adv["slowest"] == "default-shift (timed out)"
    assert adv["fastest_vs_next"] == "not distinguishable from lightning-adjoint (n=2 < 3 runs)"
    # qiskit-ml spreads 40% over its two runs, but two runs decide no verdict either way: no spread warning
    assert not any("spread enough to change a verdict" in w for w in report.warnings)
    assert any("1 run did not finish ok" in w for w in report.warnings)
    assert list(report.failures["status"]) == ["timeout"]
    assert not any("mix" in w for w in report.warnings)


def test_one_run_per_size_claims_no_crossover_but_says_so(golden):
    c = build_report(golden).crossovers.set_index(["a", "b"])
    row = c.loc[("lightning-adjoint", "default-backprop")]
    assert row["crossover"] == "none claimed" and row["low"] is None
    assert row["statement"] == "lightning-adjoint and default-backprop are not distinguishable at any size measured"
    assert row["evidence"] == "n=1 < 3 runs at 2,4,6,8"


def test_groups_are_configurations_and_differ_in_threads(golden2):
    report = build_report(golden2)
    torch = report.summary[(report.summary["task"] == "moons") & (report.summary["backend"] == "torch")]
    assert sorted(torch["threads"]) == ["1", "2"] and list(torch["runs"]) == [3, 3]
    by_threads = torch.set_index("threads")
    assert by_threads.loc["2", "train_s"] == pytest.approx(0.42) and by_threads.loc["1", "train_s"] == pytest.approx(0.62)
    labels = sorted(report.configs[report.configs["task"] == "moons"]["label"])
    assert labels == ["moons, 1 thread, OMP_NUM_THREADS=1", "moons, 2 threads, OMP_NUM_THREADS=2"]


def test_steady_step_spread_uses_run_medians_widened_to_their_quartiles(golden2):
    s = build_report(golden2).summary
    bp4 = s[(s["backend"] == "default-backprop") & (s["qubits"] == "4")].iloc[0]
    assert bp4["steady_step_s"] == pytest.approx(0.010)
    assert bp4["steady_step_low_s"] == pytest.approx(0.010 * 0.99 * 0.98)
    assert bp4["steady_step_high_s"] == pytest.approx(0.010 * 1.01 * 1.02)
    assert bp4["runs"] == 3 and bp4["steady_steps_per_run"] == 25


def test_crossover_is_an_interval_claimed_only_where_spreads_part(golden2):
    c = build_report(golden2).crossovers.set_index(["a", "b"])
    row = c.loc[("lightning-adjoint", "default-backprop")]
    # backprop faster at 4, overlapping at 6 (15 vs 15.5 ms), lightning faster at 8 and 10
    assert (row["b_faster_at"], row["not_distinguishable_at"], row["a_faster_at"]) == ("4", "6", "8,10")
    assert (row["low"], row["high"]) == (4, 8)
    assert row["statement"] == "lightning-adjoint overtakes default-backprop between 4 and 8 qubits"
    assert row["evidence"].startswith("4: 20.0 ms (19.4-20.6, n=3) vs 10.0 ms (9.70-10.3, n=3); 8: ")
    # a timed-out run counts as slower than any that finished
    adj = c.loc[("default-adjoint", "default-backprop")]
    assert adj["b_faster_at"] == "4,6,8,10" and adj["statement"] == "default-backprop is faster at every size measured"
    # its evidence: the largest size (a timeout there) and, beside it, the nearest size where both were measured;
    # intervals from the golden rows' steady-step quartiles, lowest q1 to highest q3 of the three runs
    # (adjoint at 8: 97.02-103.02 ms; backprop at 8: 29.106-30.906, at 10: 58.212-61.812)
    assert adj["evidence"] == ("8: 100 ms (97.0-103, n=3) vs 30.0 ms (29.1-30.9, n=3); "
                               "10: timed out (at 10 qubits) vs 60.0 ms (58.2-61.8, n=3)")


def test_growth_names_the_points_it_fits(golden2):
    g = build_report(golden2).growth.set_index("backend")
    assert g.loc["default-backprop", "fit_qubits"] == "6,8,10"
    # 15 -> 30 -> 60 ms over 2 qubits each: sqrt(2) per qubit
    assert g.loc["default-backprop", "step_time_x_per_qubit"] == pytest.approx(2 ** 0.5, rel=1e-6)


def test_advice_ranks_scaling_by_steady_step_and_timeouts_last(golden2):
    report = build_report(golden2)
    adv = report.advice.set_index("label")
    assert adv.loc["scaling, 6 qubits", "ranked_by"] == "steady step"
    assert adv.loc["scaling, 6 qubits", "fastest"] == "default-backprop"
    assert adv.loc["scaling, 6 qubits", "fastest_vs_next"] == ("not distinguishable from lightning-adjoint "
                                                                "(intervals overlap)")
    assert adv.loc["scaling, 10 qubits", "fastest"] == "lightning-adjoint"
    assert adv.loc["scaling, 10 qubits", "slowest"] == "default-adjoint (timed out, > 60 s run)"
    assert adv.loc["moons, 2 threads, OMP_NUM_THREADS=2", "ranked_by"] == "training time"
    assert adv.loc["moons, 2 threads, OMP_NUM_THREADS=2", "fastest_vs_next"] == "faster than lightning-adjoint"
    flip = report.flips.iloc[0]
    assert flip["fastest_by_qubits"] == "default-backprop 4-6; lightning-adjoint 8-10"
    assert flip["choice_flips_between"] == "6->8" and not flip["every_winner_distinguishable"]


def test_reference_titles_its_column_and_unknown_names_are_refused(golden2):
    s = build_report(golden2, reference="default-backprop").summary
    torch2 = s[(s["backend"] == "torch") & (s["threads"] == "2")].iloc[0]
    assert torch2["x_default-backprop"] == pytest.approx(0.42 / 0.84) and "x_torch" not in s
    with pytest.raises(UserError, match=r"unknown reference backend 'nosuch'; valid: qiskit-shift, .*torch"):
        build_report(golden2, reference="nosuch")


def test_mixing_machines_or_versions_triggers_a_warning(golden):
    rows = [json.loads(line) for line in GOLDEN.read_text().splitlines()]
    rows[0]["machine"]["cpu_model"] = "Other CPU"
    rows[1]["versions"]["pennylane"] = "0.44.0"
    store_path(golden).write_text("".join(json.dumps(r) + "\n" for r in rows))
    warnings = build_report(golden).warnings
    assert any(w.startswith("results mix 2 machines") for w in warnings)
    # both moons torch runs: one on another machine, one with another pennylane; the warning names both values
    assert any(w.startswith("1 configuration group mixes machines: cpu_model Golden CPU @ 2.30GHz vs Other CPU "
                            "(e.g. moons torch)") for w in warnings)
    assert any(w.startswith("1 configuration group mixes code versions: pennylane 0.44.0 vs 0.45.1") for w in warnings)


def test_the_same_cpu_on_another_vm_build_is_another_machine(golden):
    # the committed reference's platform and the slower VM's of 2026-12-02 (same CPU model and core count)
    rows = [json.loads(line) for line in GOLDEN.read_text().splitlines()]
    for i, r in enumerate(rows):             # the first row on one build, every other on the other
        r["machine"]["platform"] = f"Linux-6.18.44-fc-{'v669' if i == 0 else 'v1098'}-x86_64-with-glibc2.36"
    store_path(golden).write_text("".join(json.dumps(r) + "\n" for r in rows))
    warnings = build_report(golden).warnings
    assert any(w.startswith("results mix 2 machines") and "fc-v1098" in w and "fc-v669" in w for w in warnings)
    assert any(w.startswith("1 configuration group mixes machines: platform Linux-6.18.44-fc-v1098") for w in warnings)


def test_scaling_groups_are_warned_about_by_their_steady_step_not_their_training_time(golden2):
    rows = [json.loads(line) for line in GOLDEN2.read_text().splitlines()]
    runs = [r for r in rows if r["task"] == "scaling" and r["backend"] == "default-backprop" and r["qubits"] == 4]
    assert len(runs) == 3
    runs[0]["train_s"] *= 3           # a slow first step: training time spreads, the steady step does not
    store_path(golden2).write_text("".join(json.dumps(r) + "\n" for r in rows))
    warning = next(w for w in build_report(golden2).warnings if "change a verdict" in w)
    # golden2's one overlap by design (15.0 vs 15.5 ms at 6 qubits) is the only verdict named: 2 groups, 1 verdict
    assert warning.startswith("2 of 16 groups with repeats spread enough to change a verdict") and "(1 verdict)" in warning
    assert ("scaling, 6 qubits: default-backprop 15.0 ms (14.6-15.5, n=3) vs lightning-adjoint 15.5 ms (15.0-16.0, "
            "n=3) (the pick, a crossover)") in warning and "4 qubits" not in warning
    # now the compared figure spreads into lightning-adjoint's 19.4-20.6 ms: backprop about 10, 20, 10 ms
    runs[1]["steady_step_s"] *= 2
    runs[1]["steady_step_stats_s"] = {k: v * 2 if k != "n" else v for k, v in runs[1]["steady_step_stats_s"].items()}
    store_path(golden2).write_text("".join(json.dumps(r) + "\n" for r in rows))
    warning = next(w for w in build_report(golden2).warnings if "change a verdict" in w)
    assert warning.startswith("4 of 16 groups") and "(2 verdicts)" in warning
    assert ("scaling, 4 qubits: default-backprop 10.1 ms (9.70-20.4, n=3) vs lightning-adjoint 20.0 ms "
            "(19.4-20.6, n=3) (the pick, a crossover)") in warning
    assert warning.count(" vs ") == 2          # only the verdicts the spread changed are named


def test_every_backend_gets_its_own_plot_colour(golden):
    report = build_report(golden)
    everyone = pd.DataFrame({"backend": list(BACKENDS)})
    report.summary = everyone             # a report holding every registered backend
    colours = _colors(report)
    assert set(colours) == set(BACKENDS) and len(set(colours.values())) == len(BACKENDS)


def test_code_versions_not_commits_decide_a_mix(golden):
    # g001/g002 are the two moons torch runs; a docs-only commit keeps the code version, a code change does not
    rows = [json.loads(line) for line in GOLDEN.read_text().splitlines()]
    for r in rows:
        r["code_version"] = "c0de00000001"
    rows[1]["git_commit"] = "docs-only"
    store_path(golden).write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert not any("mix code versions" in w for w in build_report(golden).warnings)
    rows[1]["code_version"] = "c0de00000002"
    store_path(golden).write_text("".join(json.dumps(r) + "\n" for r in rows))
    warnings = build_report(golden).warnings
    assert any(w.startswith("1 configuration group mixes code versions: code_version c0de00000001 vs "
                            "c0de00000002 (e.g. moons torch)") for w in warnings)
    # rows without a code version (old stores) fall back to their git commits
    for r in rows:
        del r["code_version"]
    store_path(golden).write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert any(w.startswith("1 configuration group mixes code versions: git_commit abc vs docs-only")
               for w in build_report(golden).warnings)

@pytest.mark.parametrize("fmt,produced", [("md", "report.md"), ("csv", "summary.csv"), ("html", "report.html")])
def test_report_formats_write_tables_and_plots(golden, tmp_path, fmt, produced):
    out = tmp_path / "out"
    path = write(build_report(golden), out, fmt)
    assert path.name == produced and path.exists()
    if fmt == "md":
        text = path.read_text()
        assert "## Which should I pick?" in text and "| moons | training time | default-backprop | 840 ms (800-880, n=2) |" in text
        assert "Golden CPU @ 2.30GHz / 2" in text
        assert {p.name for p in out.glob("*.png")} >= {"time_per_backend.png", "loss_curves.png",
                                                         "time_vs_accuracy.png", "scaling_L1_b16.png"}
    if fmt == "csv":
        assert len(pd.read_csv(out / "crossovers.csv")) >= 3
        runs = pd.read_csv(out / "runs.csv")
        assert len(runs) == len(GOLDEN.read_text().splitlines()) and set(runs["run_id"]) >= {"g001", "g002"}


def test_html_page_structure(golden2, tmp_path):
    from html.parser import HTMLParser

    out = tmp_path / "page"
    out.mkdir()
    (out / "scaling_L9_b9.png").write_bytes(b"stale")          # a plot of an older report
    page = write(build_report(golden2), out, "html").read_text()

    class Parse(HTMLParser):
        def __init__(self):
            super().__init__()
            self.h2, self.imgs, self.tables, self.captions, self._in = [], [], 0, 0, None

        def handle_starttag(self, tag, attrs):
            self._in = tag
            if tag == "img":
                self.imgs.append(dict(attrs)["src"])
            self.tables += tag == "table"
            self.captions += tag == "figcaption"

        def handle_data(self, data):
            if self._in == "h2" and data.strip():
                self.h2.append(data.strip())

    p = Parse()
    p.feed(page)
    assert p.h2[:4] == ["Summary: what to pick", "How to read this report", "Warnings", "Which should I pick?"]
    assert {"Adjoint or backprop? Does device_vjp change the answer?", "Scaling: crossovers and growth", "Memory",
            "Cores", "Accuracy", "Configurations", "Runs that did not finish"} <= set(p.h2)
    pngs = {f.name for f in out.glob("*.png")}
    assert set(p.imgs) == pngs and "scaling_L9_b9.png" not in pngs      # every plot shown, no stale one
    assert len(p.imgs) == p.captions >= 4 and p.tables >= 8
    assert all((out / src).stat().st_size > 1000 for src in p.imgs)
    for raw in ("|---", "![", "**", "`", "\n## ", "NaN", "nan "):
        assert raw not in page, raw
    assert "x torch" in page and "lightning-adjoint overtakes default-backprop between 4 and 8 qubits" in page
    assert "default-adjoint (timed out, &gt; 60 s run)" in page
    # ids are unique on the page and fixed: the same store gives the same page, so a committed report
    # regenerated from its store shows no diff
    ids = re.findall(r'<table id="([^"]+)"', page)
    assert len(ids) == p.tables and len(set(ids)) == len(ids)
    assert write(build_report(golden2), out, "html").read_text() == page


def test_report_command(golden, tmp_path, capsys):
    # the command line in this process: what is tested is the options' mapping and the exit status
    from harness.cli import main

    def report(*args):
        status = main(["report", *args])
        return status, capsys.readouterr().err

    status, err = report("--results", str(golden), "--out", str(tmp_path / "r"))
    assert status == 0, err
    assert (tmp_path / "r" / "report.md").exists()
    status, err = report("--results", str(tmp_path / "nothing"))
    assert status == 2 and err.startswith("error: no results in")
    status, err = report("--results", str(golden), "--format", "pdf")
    assert status == 2 and "valid: md, csv, html" in err
    status, err = report("--results", str(golden), "--reference", "nosuch")
    assert status == 2 and err.count("\n") == 1 and "valid: qiskit-shift" in err


def test_a_rerun_supersedes_the_row_it_re_ran(golden):
    rows = [json.loads(line) for line in GOLDEN.read_text().splitlines()]
    newer = dict(rows[0], run_id="newer", train_s=0.30)          # torch, moons, seed 0 again
    with open(store_path(golden), "a") as fh:
        fh.write(json.dumps(newer) + "\n")
    s = build_report(golden).summary.set_index(["task", "backend"])
    assert s.loc[("moons", "torch"), "train_s"] == pytest.approx((0.30 + 0.44) / 2)
    assert s.loc[("moons", "torch"), "runs"] == 2


def test_sweep_runs_seeds_as_rounds_with_backends_shuffled_per_round():
    from harness.executing.sweep import expand
    backends = ("torch", "classical", "default-backprop", "default-adjoint", "lightning-adjoint")
    sweep = SweepConfig(backends=backends, tasks=("scaling",), seeds=(0, 1, 2), qubits=(2, 3), layers=(1,),
                        base=RunConfig(epochs=1, threads=1))
    configs = expand(sweep)
    assert len(configs) == 3 * 2 * 5
    # seeds are the outer loop: ten runs of seed 0, then ten of seed 1, then ten of seed 2
    assert [c.seed for c in configs] == [0] * 10 + [1] * 10 + [2] * 10
    # within a round, sizes go up, and every size sees the round's one backend order
    for r in range(3):
        chunk = configs[10 * r:10 * (r + 1)]
        assert [c.qubits for c in chunk] == [2] * 5 + [3] * 5
        assert [c.backend for c in chunk[:5]] == [c.backend for c in chunk[5:]]
        assert sorted(c.backend for c in chunk[:5]) == sorted(backends)
    orders = [tuple(c.backend for c in configs[10 * r:10 * r + 5]) for r in range(3)]
    assert len(set(orders)) > 1                               # shuffled per round ...
    assert orders == [tuple(c.backend for c in expand(sweep)[10 * r:10 * r + 5]) for r in range(3)]  # ... fixed


def test_resume_knows_rows_from_other_code(swept, tmp_path, capsys, monkeypatch):
    from harness.results.provenance import code_version
    results = _copy(swept, tmp_path / "res")
    sweep = SweepConfig(backends=("classical",), tasks=("moons",), seeds=(0,), base=TINY)
    # the classical row, as if measured by other code
    path = store_path(results)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    classical = next(r for r in rows if r["backend"] == "classical")
    assert classical["code_version"] == code_version()
    classical["code_version"] = "0123456789ab"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    kept = run_sweep(sweep, results)
    assert kept["skipped (stored)"] == 1 and sum(kept.values()) == 1
    assert "1 stored ok run comes from other code (code version 0123456789ab" in capsys.readouterr().err
    # asked to, the sweep runs it again: a child starts (held here, so it times out), stored with this code's version
    holder = Holder(tmp_path / "held")
    monkeypatch.setenv("PYTHONPATH", str(holder.path))
    rerun = run_sweep(SweepConfig(backends=("classical",), tasks=("moons",), seeds=(0,), rerun_other_code=True,
                                  base=dataclasses.replace(TINY, timeout_s=SHORT)), results)
    assert rerun["timeout"] == 1 and len(holder.pids()) == 1
    assert read_rows(results).rows[-1]["code_version"] == code_version()


def test_resume_keeps_runs_timed_on_a_busy_machine_unless_asked(swept, tmp_path, capsys, monkeypatch):
    results = _copy(swept, tmp_path / "res")
    path = store_path(results)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    # both rows as if the machine had been busy; torch's also stored a second time, quiet (a re-run that was)
    for r in rows:
        r["busy"] = True
    quiet_torch = dict(next(r for r in rows if r["backend"] == "torch"), busy=False, run_id="quiet0000000")
    path.write_text("".join(json.dumps(r) + "\n" for r in [*rows, quiet_torch]))
    sweep = SweepConfig(backends=("classical", "torch"), tasks=("moons",), seeds=(0,), base=TINY)
    kept = run_sweep(sweep, results)
    assert kept["skipped (stored)"] == 2 and sum(kept.values()) == 2
    assert ("1 stored ok run was timed on a busy machine (the report leaves busy runs out); it is kept "
            "(re-run it with --rerun-busy)") in capsys.readouterr().err
    # asked to, only the configuration with no quiet run starts a child (held here, so it times out)
    holder = Holder(tmp_path / "held")
    monkeypatch.setenv("PYTHONPATH", str(holder.path))
    rerun = run_sweep(dataclasses.replace(sweep, rerun_busy=True, base=dataclasses.replace(TINY, timeout_s=SHORT)),
                      results)
    assert rerun["timeout"] == 1 and rerun["skipped (stored)"] == 1 and len(holder.pids()) == 1
    assert read_rows(results).rows[-1]["backend"] == "classical"
    assert "it will be re-run" in capsys.readouterr().err


def test_a_timeout_stops_its_size_in_later_rounds_too(tmp_path, held):
    sweep = SweepConfig(backends=("torch",), tasks=("scaling",), seeds=(0, 1), qubits=(2, 3), layers=(1,),
                        base=RunConfig(epochs=1, threads=1, timeout_s=SHORT))
    counts = run_sweep(sweep, tmp_path)
    # seed 0: 2 qubits times out, 3 is skipped; seed 1: both skipped, the timed-out size included
    assert counts["timeout"] == 1 and counts["skipped (too big)"] == 3
    assert [(r["qubits"], r["seed"], r["status"]) for r in read_rows(tmp_path).rows] == [(2, 0, "timeout")]
    assert len(held.pids()) == 1


def test_resume_keeps_stored_timeouts_unless_asked_or_given_longer(tmp_path, capsys, held):
    sweep = SweepConfig(backends=("torch",), tasks=("scaling",), seeds=(0, 1), qubits=(2, 3), layers=(1,),
                        base=RunConfig(epochs=1, threads=1, timeout_s=0.3))
    assert run_sweep(sweep, tmp_path)["timeout"] == 1
    # resumed: the stored timeout is a result, and it still stops the larger size and the later round
    again = run_sweep(sweep, tmp_path)
    assert again["skipped (stored)"] == 1 and again["skipped (too big)"] == 3 and again["timeout"] == 0
    assert "q2 l1 b16: stored: timed out at 0.3 s (--retry-timeouts runs it again)" in capsys.readouterr().err
    assert len(read_rows(tmp_path).rows) == 1 and len(held.pids()) == 1
    # a shorter timeout would not finish either; a longer one might, and so does asking
    shorter = dataclasses.replace(sweep, base=dataclasses.replace(sweep.base, timeout_s=0.2))
    assert run_sweep(shorter, tmp_path)["skipped (stored)"] == 1
    longer = dataclasses.replace(sweep, base=dataclasses.replace(sweep.base, timeout_s=0.4))
    assert run_sweep(longer, tmp_path)["timeout"] == 1
    assert run_sweep(dataclasses.replace(sweep, retry_timeouts=True), tmp_path)["timeout"] == 1
    assert [r["timeout_s"] for r in read_rows(tmp_path).rows] == [0.3, 0.4, 0.3] and len(held.pids()) == 3


def test_the_spread_warning_names_three_verdicts_and_counts_the_rest_which_the_table_holds():
    from harness.reporting.report import _spread_warnings, spread_table
    from harness.results.stats import spread_of
    fast, slow = spread_of([10e-3, 11e-3, 12e-3]), spread_of([11.5e-3, 12.5e-3, 13e-3])
    found = [dict(config=c, a="torch", b="default-backprop", sa=fast, sb=slow, what="the fastest") for c in "abcde"]
    labels = {c: f"moons {c}" for c in "abcde"}
    summary = pd.DataFrame({"runs": [3] * 10 + [1] * 2})
    (warning,) = _spread_warnings(summary, labels, found)
    assert warning.startswith("10 of 10 groups with repeats spread enough to change a verdict") and "(5 verdicts)" in warning
    assert warning.count(" vs ") == 3 and "moons c:" in warning and "moons d:" not in warning
    assert warning.endswith("; and 2 more (every one in spread.csv, `report --format csv`)")
    table = spread_table(labels, found)
    assert list(table["configuration"]) == [f"moons {c}" for c in "abcde"] and set(table["claim"]) == {"the fastest"}


def test_a_timeout_of_one_readout_skips_nothing_of_another(tmp_path, monkeypatch):
    """ising times out at 2 qubits (its child held, its row then given a 600 s timeout); in the next sweep z0
    at that size runs in both rounds, while ising's stored timeout stands and its later round is skipped."""
    base = RunConfig(epochs=1, threads=1, train_size=32, test_size=4)
    holder = Holder(tmp_path / "held")
    with monkeypatch.context() as patch:
        patch.setenv("PYTHONPATH", str(holder.path))
        first = run_sweep(SweepConfig(backends=("torch",), tasks=("scaling",), seeds=(0,), qubits=(2,), layers=(1,),
                                      base=dataclasses.replace(base, observables="ising", timeout_s=SHORT)), tmp_path)
    assert first["timeout"] == 1
    (row,) = read_rows(tmp_path).rows
    row["timeout_s"] = 600.0              # as if it had run out of 600 s: a longer timeout than the next sweep's
    store_path(tmp_path).write_text(json.dumps(row) + "\n")
    both = SweepConfig(backends=("torch",), tasks=("scaling",), seeds=(0, 1), qubits=(2,), layers=(1,),
                       base=dataclasses.replace(base, observables="z0,ising", timeout_s=120))
    counts = run_sweep(both, tmp_path)
    assert counts["ok"] == 2 and counts["skipped (stored)"] == 1 and counts["skipped (too big)"] == 1
    ran = [(r["observables"], r["seed"], r["status"]) for r in read_rows(tmp_path).rows]
    assert ran == [("ising", 0, "timeout"), ("z0", 0, "ok"), ("z0", 1, "ok")]


def test_a_timeout_speaks_for_more_layers_and_qubits_not_fewer_nor_other_families():
    from harness.executing.timeouts import TooBig

    def key(qubits, layers, seed=0, backend="torch", observables=None):
        return (("backend", backend), ("layers", layers), ("observables", observables), ("qubits", qubits),
                ("seed", seed), ("task", "scaling"))

    too_big = TooBig()
    too_big.note(key(8, 1))                      # this sweep's own timeout: 8 qubits, 1 layer, seed 0
    skipped = {(q, l, s) for q in (6, 8, 10) for l in (1, 3) for s in (0, 1) if too_big.speaks_for(key(q, l, s), 60)}
    # by hand: every size with at least 8 qubits and 1 layer, but the timed-out run itself (seed 0, 8, 1)
    assert skipped == {(8, 1, 1), (8, 3, 0), (8, 3, 1), (10, 1, 0), (10, 1, 1), (10, 3, 0), (10, 3, 1)}
    assert too_big.speaks_for(key(10, 3), 60) == "8 qubits with 1 layer ran out of time (seed 0)"
    assert not too_big.speaks_for(key(16, 3, backend="tc-jax"), 60)            # another backend
    assert not too_big.speaks_for(key(16, 3, observables="z0"), 60)           # another readout
    # a stored timeout speaks only for a run given no more time than it had
    stored = TooBig({key(8, 1): 60.0})
    assert stored.speaks_for(key(8, 3), 60) and stored.speaks_for(key(12, 1), 30)
    assert not stored.speaks_for(key(8, 3), 90) and not stored.speaks_for(key(8, 3), None)


def test_a_stored_one_layer_timeout_skips_the_deeper_grid_of_another_sweep(tmp_path, held):
    base = RunConfig(epochs=1, threads=1, timeout_s=SHORT)
    shallow = SweepConfig(backends=("torch",), tasks=("scaling",), seeds=(0,), qubits=(3,), layers=(1,), base=base)
    assert run_sweep(shallow, tmp_path)["timeout"] == 1
    deep = SweepConfig(backends=("torch",), tasks=("scaling",), seeds=(0, 1), qubits=(2, 3, 4), layers=(3,), base=base)
    counts = run_sweep(deep, tmp_path)
    # 3 layers at 3 and 4 qubits (both seeds) are skipped; 2 qubits is smaller than what ran out, so it runs
    # (held, it times out in seed 0, and that stops its seed 1)
    assert counts["skipped (too big)"] == 5 and counts["timeout"] == 1
    assert [(r["qubits"], r["layers"]) for r in read_rows(tmp_path).rows] == [(3, 1), (2, 3)]
    assert len(held.pids()) == 2


def test_a_built_in_circuits_timeout_speaks_across_its_digests_and_a_files_does_not():
    from harness.executing.timeouts import TooBig

    def key(circuit, digest, qubits):
        return (("backend", "torch"), ("circuit", circuit), ("circuit_digest", digest), ("layers", 1),
                ("observables", "z0"), ("qubits", qubits), ("seed", 0), ("task", "scaling"))

    too_big = TooBig()
    too_big.note(key("entangler", "aaaa", 8))
    too_big.note(key("/home/me/mine.py", "cccc", 8))
    # z0 on 12 qubits is another built-in circuit (another digest), still of the family
    assert too_big.speaks_for(key("entangler", "bbbb", 12), 60)
    assert too_big.speaks_for(key("/home/me/mine.py", "cccc", 12), 60)
    assert not too_big.speaks_for(key("/home/me/mine.py", "dddd", 12), 60)     # another version of the file


def test_a_stored_timeout_an_ok_run_replaced_stops_nothing(tmp_path):
    """torch at 2 qubits ran ok for real; its row stored again before it as a timeout of this code (a slow spell
    that --retry-timeouts re-ran): 3 qubits is still to run, while the timeout alone would stop it."""
    base = RunConfig(epochs=1, threads=1, train_size=32, test_size=4, timeout_s=60)
    grid = SweepConfig(backends=("torch",), tasks=("scaling",), seeds=(0,), qubits=(2, 3), layers=(1,), base=base)
    small = dataclasses.replace(grid, qubits=(2,))
    assert run_sweep(small, tmp_path)["ok"] == 1
    (row,) = read_rows(tmp_path).rows
    timeout = dict(row, status="timeout", run_id="timedout0000", timeout_s=60.0)
    for rows, runs in (([timeout, row], True), ([timeout], False)):
        store_path(tmp_path).write_text("".join(json.dumps(r) + "\n" for r in rows))
        configs = expand(grid)
        progress = Progress(grid, tmp_path, io.StringIO(), len(configs), configs)
        (larger,) = [c for c in configs if c.qubits == 3]
        claim = progress.decide(larger)
        assert (claim is not None) is runs
        if claim is not None:
            claim.release()
