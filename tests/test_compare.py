"""`harness compare`: two stores or two pytest-benchmark files, verdicts by the report's rule."""
import json
from pathlib import Path

import pytest

from backends import UserError
from harness.reporting.compare import compare, format_comparison
from harness.results.store import store_path

GOLDEN2 = Path(__file__).parent / "golden" / "runs2.jsonl"


def _store(folder: Path, change=None) -> Path:
    folder.mkdir()
    rows = [json.loads(line) for line in GOLDEN2.read_text().splitlines()]
    store_path(folder).write_text("".join(json.dumps(change(r) if change else r) + "\n" for r in rows))
    return folder


def _faster_lightning(row):
    """B: lightning-adjoint's steps take half as long; torch moons 1% slower (inside its spread)."""
    row = dict(row)
    if row["backend"] == "lightning-adjoint" and row["task"] == "scaling":
        row["steady_step_s"] *= 0.5
        row["train_s"] *= 0.5
        row["steady_step_stats_s"] = {k: v * 0.5 if k != "n" else v for k, v in row["steady_step_stats_s"].items()}
    if row["backend"] == "torch" and row["task"] == "moons":
        row["train_s"] *= 1.01
    row["machine"] = dict(row["machine"], cpu_model="Other CPU")
    return row


def test_compare_two_stores_gives_ratios_and_verdicts(tmp_path):
    a, b = _store(tmp_path / "a"), _store(tmp_path / "b", _faster_lightning)
    result = compare(a, b)
    t = result.table.set_index(["configuration", "backend", "figure"])
    half = t.loc[("scaling, 4 qubits", "lightning-adjoint", "steady step")]
    assert half["B/A"] == pytest.approx(0.5) and half["verdict for B"] == "faster"
    assert half["A"] == "20.0 ms (19.4-20.6, n=3)" and half["B"] == "10.0 ms (9.70-10.3, n=3)"
    same = t.loc[("moons, 2 threads, OMP_NUM_THREADS=2", "torch", "training time")]
    assert same["B/A"] == pytest.approx(1.01) and same["verdict for B"] == "not distinguishable"
    assert t.loc[("scaling, 4 qubits", "default-backprop", "steady step"), "verdict for B"] == "not distinguishable"
    # the timed-out group has no figure on either side and no row; the two machines are named
    assert ("scaling, 10 qubits", "default-adjoint", "steady step") not in t.index
    assert result.warnings == ["A and B differ in machine (cpu_model): Golden CPU (A) vs Other CPU (B)"]
    md = format_comparison(result, "md")
    assert "| scaling, 4 qubits | lightning-adjoint | steady step | 20.0 ms (19.4-20.6, n=3) | 10.0 ms (9.70-10.3, n=3) | x0.50 | faster |" in md


def _bench(path: Path, medians: dict, commit="c1") -> Path:
    benchmarks = [{"group": "g", "name": name, "fullname": f"bench.py::{name}", "param": None,
                   "stats": {"min": m * 0.9, "max": m * 1.2, "median": m, "mean": m, "stddev": m * 0.05,
                             "rounds": 20, "q1": m * 0.97, "q3": m * 1.03}, "extra_info": {}}
                  for name, m in medians.items()]
    path.write_text(json.dumps({"benchmarks": benchmarks, "commit_info": {"id": commit},
                                "machine_info": {"cpu": {"brand_raw": "Golden CPU"}}, "datetime": "2026-11-25T00:00:00"}))
    return path


def test_compare_two_benchmark_files(tmp_path):
    a = _bench(tmp_path / "a.json", {"t[torch]": 0.010, "t[lightning]": 0.020})
    b = _bench(tmp_path / "b.json", {"t[torch]": 0.0101, "t[lightning]": 0.030}, commit="c2")
    result = compare(a, b)
    t = result.table.set_index("benchmark")
    assert t.loc["t[lightning]", "verdict for B"] == "slower" and t.loc["t[lightning]", "B/A"] == pytest.approx(1.5)
    assert t.loc["t[torch]", "verdict for B"] == "not distinguishable"
    assert result.warnings == ["A and B differ in code version (commit): c1 (A) vs c2 (B)"]
    csv = format_comparison(result, "csv")
    assert csv.splitlines()[0] == "group,benchmark,A,B,B/A,verdict for B"


def test_compare_refuses_unlike_or_missing_inputs(tmp_path):
    store = _store(tmp_path / "s")
    bench = _bench(tmp_path / "x.json", {"t": 0.01})
    with pytest.raises(UserError, match="compare like with like"):
        compare(store, bench)
    with pytest.raises(UserError, match="does not exist"):
        compare(store, tmp_path / "nothing")


def test_compare_csv_and_exit_codes(run_cli, tmp_path):
    a, b = _store(tmp_path / "a"), _store(tmp_path / "b", _faster_lightning)
    out = run_cli("compare", str(a), str(b), "--format", "csv")
    assert out.returncode == 0, out.stderr
    import csv
    rows = {(r["configuration"], r["backend"], r["figure"]): r for r in csv.DictReader(out.stdout.splitlines())}
    row = rows[("scaling, 4 qubits", "lightning-adjoint", "steady step")]
    assert (row["A"], row["B"], float(row["B/A"]), row["verdict for B"]) == (
        "20.0 ms (19.4-20.6, n=3)", "10.0 ms (9.70-10.3, n=3)", 0.5, "faster")
    # the totals, counted by hand: 16 configuration-backend groups with two figures each; lightning-adjoint's
    # four scaling sizes halve (8 figures faster), nothing else moves beyond its spread
    assert out.stderr == ("warning: A and B differ in machine (cpu_model): Golden CPU (A) vs Other CPU (B)\n"
                          "compare: of 32 figures in 16 groups (configuration and backend), B is faster in 8, "
                          "slower in 0, not distinguishable in 24\n")
    bad = run_cli("compare", str(a), str(tmp_path / "nothing"))
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and bad.stderr.count("\n") == 1


def test_console_script_points_at_main_which_returns_the_exit_code(capsys, tmp_path):
    import tomllib

    from harness.cli import main
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["harness"] == "harness.cli:main"
    a, b = _store(tmp_path / "a"), _store(tmp_path / "b", _faster_lightning)
    assert main(["compare", str(a), str(b)]) == 0
    capsys.readouterr()
    assert main(["compare", "nothing-a", "nothing-b"]) == 2
    assert capsys.readouterr().err.startswith("error: 'nothing-a' does not exist")


def test_compare_warns_about_measuring_code_not_commits(tmp_path):
    """Two commits with one code version (a docs change) are the same code; another code version is not."""
    def commit(c, version=None):
        def change(row):
            return dict(row, git_commit=c, **({"code_version": version} if version else {}))
        return change
    same = compare(_store(tmp_path / "a", commit("c1", "v1")), _store(tmp_path / "b", commit("c2", "v1")))
    assert same.warnings == []
    other = compare(tmp_path / "a", _store(tmp_path / "c", commit("c2", "v2")))
    assert other.warnings == ["A and B differ in measuring code (code_version): v1 (A) vs v2 (B)"]
    # rows without a code version fall back to the commit
    old = compare(_store(tmp_path / "d", commit("c1")), _store(tmp_path / "e", commit("c2")))
    assert old.warnings == ["A and B differ in code version (git_commit): c1 (A) vs c2 (B)"]


def _slower_lightning(row):
    """B: lightning-adjoint's scaling steps take twice as long (the spreads part: 20 ms vs 40 ms)."""
    return _faster_lightning(row) if row["backend"] != "lightning-adjoint" else {
        **row, "steady_step_s": row["steady_step_s"] * 2, "train_s": row["train_s"] * 2,
        "steady_step_stats_s": {k: v * 2 if k != "n" else v for k, v in row["steady_step_stats_s"].items()}}


@pytest.mark.parametrize("b_rows,ratio,status", [
    (_slower_lightning, "1.5", 1),        # 2x slower, distinguishably: fails a 1.5x gate
    (_slower_lightning, "3", 0),          # ... but not a 3x one
    (_faster_lightning, "1.0", 0),        # faster, and torch's +1% is inside its spread: nothing fails
    (None, "1.0", 0),                     # the same store
])
def test_fail_if_slower_gates_on_the_rule_and_the_ratio(tmp_path, capsys, b_rows, ratio, status):
    from harness.cli import main
    a, b = _store(tmp_path / "a"), _store(tmp_path / "b", b_rows)
    assert main(["compare", str(a), str(b), "--fail-if-slower", ratio]) == status
    err = capsys.readouterr().err
    slower = [line for line in err.splitlines() if line.startswith("slower: ")]
    if status:
        # counted by hand from the golden store: lightning-adjoint has four scaling sizes and moons, each
        # with a steady step and a training time, and every one of them doubles
        assert len(slower) == 10 and all(" lightning-adjoint " in line and ": x2.00 (A " in line for line in slower)
        assert "slower: scaling, 4 qubits lightning-adjoint steady step: x2.00 (A 20.0 ms (19.4-20.6, n=3), " \
               "B 40.0 ms (38.8-41.2, n=3))" in slower
        assert "compare: 10 figures of B slower than A by more than 1.5x" in err
    else:
        assert slower == []


def test_compare_names_another_vm_build_of_the_same_cpu(tmp_path):
    def build(name):
        return lambda row: dict(row, machine=dict(row["machine"], platform=f"Linux-6.18.44-fc-{name}-x86_64"))
    a, b = _store(tmp_path / "a", build("v669")), _store(tmp_path / "b", build("v1098"))
    assert compare(a, b).warnings == [
        "A and B differ in machine (platform): Linux-6.18.44-fc-v669-x86_64 (A) vs Linux-6.18.44-fc-v1098-x86_64 (B)"]


def test_compare_says_how_every_group_moved_at_once(tmp_path):
    def slower(row):             # every figure 1.5x, as on a slower machine; moons on torch 10x (an outlier)
        f = 10.0 if (row["task"], row["backend"]) == ("moons", "torch") else 1.5
        stats = {k: v * f if k != "n" else v for k, v in (row.get("steady_step_stats_s") or {}).items()}
        return dict(row, train_s=row["train_s"] * f if row.get("train_s") else row.get("train_s"),
                    steady_step_s=row["steady_step_s"] * f if row.get("steady_step_s") else row.get("steady_step_s"),
                    steady_step_stats_s=stats or row.get("steady_step_stats_s"))
    a, b = _store(tmp_path / "a"), _store(tmp_path / "b", slower)
    notes = [n for n in compare(a, b).notes if n.startswith("B/A of the")]
    # the median, not a mean: the one outlier group does not move it
    assert len(notes) == 2 and all("median x1.50 (quartiles x1.50-x" in n for n in notes)
    assert notes[0].startswith("B/A of the training time over the ")
