"""scripts/share_rows.py: which rows one store gives another, counted by hand from the golden store.

tests/golden/runs2.jsonl holds 36 scaling rows at 1 layer: ok at 4, 6, 8 and 10 qubits for
default-backprop and lightning-adjoint (3 seeds each: 12 rows apiece), ok at 4, 6 and 8 for
default-adjoint (9 rows), and 3 timeouts; the other 15 rows are moons.
"""
import json
from pathlib import Path

from harness.results.store import read_rows, store_path
from load_script import load_script

GOLDEN = Path(__file__).parent / "golden" / "runs2.jsonl"


def _script():
    return load_script("share_rows")


def _source(tmp_path) -> Path:
    """The golden rows, plus three copies of one default-backprop row that are other configurations:
    another readout, another environment, another depth. None of them may be shared."""
    rows = [json.loads(line) for line in GOLDEN.read_text().splitlines()]
    base = next(r for r in rows if r["backend"] == "default-backprop" and r["task"] == "scaling")
    rows += [{**base, "run_id": "other-readout", "observables": "z0"},
             {**base, "run_id": "other-env", "env": {"OMP_PROC_BIND": "spread"}},
             {**base, "run_id": "other-depth", "layers": 3}]
    src = tmp_path / "src"
    src.mkdir()
    store_path(src).write_text("".join(json.dumps(r) + "\n" for r in rows))
    return src


def test_shares_ok_rows_of_the_circuits_own_readout_once(tmp_path, capsys):
    share = _script()
    src, dst = _source(tmp_path), tmp_path / "dst"
    assert share.main([str(src), str(dst), "--backends", "default-backprop,default-adjoint"]) == 0
    got = read_rows(dst, warn=False).rows
    assert len(got) == 12 + 9
    assert {r["backend"] for r in got} == {"default-backprop", "default-adjoint"}
    assert all(r["status"] == "ok" and r["layers"] == 1 and not r.get("observables") and not r["env"]
               for r in got)
    # copied whole: the same measurement, not a re-derived one
    by_id = {r["run_id"]: r for r in read_rows(src, warn=False).rows}
    assert all(by_id[r["run_id"]] == r for r in got)

    assert share.main([str(src), str(dst), "--backends", "default-backprop,default-adjoint"]) == 0
    assert len(read_rows(dst, warn=False).rows) == 21            # nothing twice
    # every backend at 10 qubits: default-backprop's three are there already, lightning-adjoint's are new
    assert share.main([str(src), str(dst), "--qubits", "10"]) == 0
    got = read_rows(dst, warn=False).rows
    assert len(got) == 24
    assert sorted(r["seed"] for r in got if r["backend"] == "lightning-adjoint") == [0, 1, 2]
    assert capsys.readouterr().out.splitlines()[-1].endswith("3 ok runs copied from " + str(src))


def test_bad_sizes_are_one_line_and_copy_nothing(tmp_path, capsys):
    share = _script()
    src, dst = _source(tmp_path), tmp_path / "dst"
    assert share.main([str(src), str(dst), "--qubits", "4,eight"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--qubits '4,eight'" in err and "whole numbers" in err
    assert not dst.exists()
    assert share.main([str(tmp_path / "missing"), str(dst)]) == 2
    assert "not a results folder" in capsys.readouterr().err
