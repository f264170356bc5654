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


def test_compare_list_json_and_main_exit_codes(run_cli, tmp_path):
    a, b = _store(tmp_path / "a"), _store(tmp_path / "b", _faster_lightning)
    out = run_cli("compare", str(a), str(b), "--format", "csv")
    assert out.returncode == 0, out.stderr
    import csv
    rows = {(r["configuration"], r["backend"], r["figure"]): r for r in csv.DictReader(out.stdout.splitlines())}
    row = rows[("scaling, 4 qubits", "lightning-adjoint", "steady step")]
    assert (row["A"], row["B"], float(row["B/A"]), row["verdict for B"]) == (
        "20.0 ms (19.4-20.6, n=3)", "10.0 ms (9.70-10.3, n=3)", 0.5, "faster")
    assert out.stderr == "warning: A and B differ in machine (cpu_model): Golden CPU (A) vs Other CPU (B)\n"
    bad = run_cli("compare", str(a), str(tmp_path / "nothing"))
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and bad.stderr.count("\n") == 1
    listing = run_cli("list", "--json")
    data = json.loads(listing.stdout)
    assert {"default-adjoint-vjp", "lightning-adjoint-vjp", "torch"} <= {b["name"] for b in data["backends"]}
    assert {"backends", "circuits", "tasks"} == set(data)


def test_console_script_points_at_main_which_returns_the_exit_code(capsys):
    import tomllib

    from harness.cli import main
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["harness"] == "harness.cli:main"
    assert main(["list"]) == 0
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
