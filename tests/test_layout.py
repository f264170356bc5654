"""The shape of the code: no import circle, the reading side apart from the running side, small files, one
field registry that every row obeys and README repeats, a code version that moves only with measuring code."""
from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.results import fields

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 430          # "about 400": a module past this wants splitting


def _modules() -> dict[str, Path]:
    mods = {}
    for base in ("harness", "backends"):
        for path in (ROOT / base).rglob("*.py"):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            mods[".".join(parts)] = path
    return mods


def _imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the project modules it imports anywhere in its file (lazy imports inside functions too)."""
    edges = {}
    for mod, path in mods.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
                    for _ in range(node.level - 1):
                        package = package.rsplit(".", 1)[0]
                    target = package + ("." + node.module if node.module else "")
                else:
                    target = node.module
                candidates = [target] + [f"{target}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                candidates = [a.name for a in node.names]
            else:
                continue
            found |= {c for c in candidates if c in mods and c != mod}
        edges[mod] = found
    return edges


def _reach(edges, start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_the_import_graph_reader_sees_the_imports_written():
    # the checks below are only as good as the graph: a hand-picked module's imports, counted by hand
    edges = _imports(_modules())
    assert edges["harness.reporting.compare"] == {
        "backends", "harness.results.stats", "harness.reporting.groups", "harness.reporting.report",
        "harness.results.benchjson", "harness.reporting.render", "harness.reporting.busy", "harness.results.words"}


def test_no_import_circle():
    edges = _imports(_modules())
    circles = sorted(m for m in edges if m in _reach(edges, m))
    assert circles == []


@pytest.mark.parametrize("side,forbidden", [
    ("harness.reporting", ("harness.executing", "harness.measuring", "harness.inputs", "harness.cli")),
    ("harness.results", ("harness.executing", "harness.measuring", "harness.inputs", "harness.cli",
                         "harness.reporting")),
    ("harness.measuring", ("harness.executing", "harness.cli", "harness.reporting")),
    ("backends", ("harness",)),
])
def test_a_side_never_imports_what_it_must_not(side, forbidden):
    edges = _imports(_modules())
    bad = {(m, r) for m in edges if m == side or m.startswith(side + ".")
           for r in _reach(edges, m) if r.startswith(forbidden)}
    assert sorted(bad) == []


def test_no_module_is_long():
    long = {str(p.relative_to(ROOT)): n for p in _modules().values()
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


# --- the field registry -----------------------------------------------------------

def _stored_rows() -> list[dict]:
    """The committed rows, read as the store reads them (schema-1 rows under today's names)."""
    from harness.results.store import upgrade_row
    rows = []
    for path in [ROOT / "results/reference/runs.jsonl", *sorted((ROOT / "tests/golden").glob("*.jsonl"))]:
        rows += [upgrade_row(json.loads(line)) for line in path.read_text().splitlines() if line.strip()]
    return rows


def test_every_field_a_row_carries_is_declared():
    from harness.executing.runner import make_row
    from harness.inputs.config import RunConfig
    from harness.measuring.train import train

    # a row made now, as the runner makes it (the child's figures trained here, in this process)
    cfg = RunConfig(backend="torch", epochs=1, train_size=10, test_size=5, threads=1).resolve()
    figures = train(cfg, time.perf_counter(), progress=lambda *a, **k: None)
    fresh = make_row(cfg, "ok", None, [], figures, 0, time.perf_counter())
    for row in [fresh, *_stored_rows()]:
        assert fields.unknown(row) == [], row.get("run_id")
    # and the registry's reader would notice one that is not
    assert fields.unknown({**fresh, "peak_rss_gb": 1.0}) == ["peak_rss_gb"]


def test_every_reference_row_passes_the_types_the_registry_declares():
    from harness.results.store import row_problem, upgrade_row
    path = ROOT / "results/reference/runs.jsonl"
    rows = [upgrade_row(json.loads(line)) for line in path.read_text().splitlines() if line.strip()]
    assert len(rows) > 500 and {r["status"] for r in rows} >= {"ok", "timeout"}
    assert [(r["run_id"], row_problem(r)) for r in rows if row_problem(r)] == []


def test_identity_and_requirements_come_from_the_registry():
    from harness.executing.sweep import KEY_FIELDS
    from harness.results import store
    assert KEY_FIELDS == tuple(f.name for f in fields.FIELDS if f.identity)
    assert "seed" in KEY_FIELDS and "timeout_s" not in KEY_FIELDS and "thread_env" in KEY_FIELDS
    assert set(store.EVERY_ROW) == {"schema_version", "status", "task", "backend", "seed"}
    row = {"schema_version": 2, "status": "ok", "task": "moons", "backend": "torch", "seed": 0}
    assert store.row_problem(row) == "missing field 'train_s'"      # the first ok-row field in the registry


def test_readme_lists_exactly_the_registrys_fields():
    block = fields.readme_block((ROOT / "README.md").read_text())
    assert block == fields.markdown(), "README's field list is stale: run `make readme`"
    listed = {name for name in fields.BY_NAME if f"`{name}`" in block}
    assert listed == set(fields.BY_NAME)


def test_labels_read_as_a_person_would_say_them():
    assert fields.label("qubits", "4") == "4 qubits"
    assert fields.label("layers", "1") == "1 layer"
    assert fields.label("shots", "") == "exact"
    assert fields.label("batch_size", "16") == "batch 16"


# --- code_version ------------------------------------------------------------------

def test_code_version_moves_with_measuring_code_only(tmp_path):
    from harness.results.provenance import MEASURING_CODE, code_version

    for folder in ("harness", "backends"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "README.md").write_text("readme")
    base = code_version(tmp_path)
    assert base == code_version(ROOT), "a copy of the same code has the same version"
    assert MEASURING_CODE == ("backends", "harness/measuring", "harness/tasks", "harness/datasets")

    def edited(rel: str) -> str:
        path = tmp_path / rel
        original = path.read_text()
        path.write_text(original + "\n# edited\n")
        try:
            return code_version(tmp_path)
        finally:
            path.write_text(original)

    for rel in ("backends/qiskit/shift.py", "harness/measuring/train.py", "harness/tasks/moons.py",
                "harness/datasets/moons.py"):
        assert edited(rel) != base, rel
    for rel in ("harness/cli/run.py", "harness/inputs/validate.py", "harness/reporting/report.py",
                "harness/results/store.py", "harness/executing/sweep.py", "README.md"):
        assert edited(rel) == base, rel
    (tmp_path / "harness/tasks/new_task.py").write_text("X = 1\n")       # a new measuring file counts too
    assert code_version(tmp_path) != base


# --- the public API ------------------------------------------------------------------

def test_import_harness_pulls_in_no_framework_and_its_names_resolve():
    code = ("import sys, harness; heavy = [m for m in ('torch', 'qiskit', 'pennylane', 'pandas') if m in sys.modules];"
            "print(heavy); print(sorted(n for n in harness.__all__ if getattr(harness, n, None) is None))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["[]", "[]"]
    with pytest.raises(AttributeError, match="public names: BACKENDS"):
        import harness
        harness.not_a_name
