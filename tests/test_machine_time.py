"""scripts/machine_time.py: what a store cost, and --not-in leaving out rows another store holds (counted by hand).

tests/golden/runs2.jsonl holds 51 rows: 36 scaling rows at 1 layer (12 of them default-backprop's, ok at 4,
6, 8 and 10 qubits over 3 seeds) and 15 moons rows.
"""
import json
from pathlib import Path

from harness.results.store import store_path
from load_script import load_script

GOLDEN = Path(__file__).parent / "golden" / "runs2.jsonl"


def _script():
    return load_script("machine_time")


def _store(folder: Path, rows: list[dict]) -> Path:
    folder.mkdir()
    store_path(folder).write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def _lines(out: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:]}


def test_rows_another_store_holds_are_left_out(tmp_path, capsys):
    # each run costs one minute of wall time here (the golden rows predate the field), so minutes count rows
    rows = [{**json.loads(line), "run_wall_s": 60.0} for line in GOLDEN.read_text().splitlines()]
    copied = [r for r in rows if r["backend"] == "default-backprop" and r["task"] == "scaling"]
    assert (len(rows), len(copied)) == (51, 12)
    whole = _store(tmp_path / "whole", rows)
    other = _store(tmp_path / "other", copied)

    assert _script().main([str(whole), "--by", "backend"]) == 0
    every = _lines(capsys.readouterr().out)
    assert every["total"][:2] == ["51", "51.0"] and every["default-backprop"][:2] == ["15", "15.0"]  # 12 + 3 moons

    assert _script().main([str(whole), "--by", "backend", "--not-in", str(other)]) == 0
    left = _lines(capsys.readouterr().out)
    assert left["total"][:2] == ["39", "39.0"] and left["default-backprop"][:2] == ["3", "3.0"]  # its moons rows


def test_a_store_that_is_not_there_is_one_line_not_an_empty_total(tmp_path, capsys):
    whole = _store(tmp_path / "whole", [json.loads(line) for line in GOLDEN.read_text().splitlines()])
    assert _script().main([str(whole), "--not-in", str(tmp_path / "typo")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"machine_time: no results store at {tmp_path / 'typo'} "
                            "(a folder holding runs.jsonl, or a .jsonl file)\n")
