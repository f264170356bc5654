"""Read pytest-benchmark's ``--benchmark-json`` files into one pandas table.

One row per benchmark: where it came from (``source``, the file's
``datetime``, ``cpu_brand``, ``commit_id``), what it was (``group``, ``name``,
``fullname``, ``param``), its timing statistics per round in seconds
(``stats.min``, ``stats.median``, ``stats.mean``, ``stats.stddev``) and
``stats.rounds``, then every ``extra_info`` field, flattened with dots as
``pandas.json_normalize`` names them (``extra_info.peak_rss_mb``,
``extra_info.simulator_calls.forward``). The names are json_normalize's on
purpose: ``pd.json_normalize(data["benchmarks"])`` gives the same columns, and
the report (harness/render.py) selects them by these names.

A file that is not a pytest-benchmark JSON file (unreadable, not JSON, no
``benchmarks`` list, an entry without its name or statistics) is reported as
one ``warning:`` line on stderr naming the file, and skipped; reading goes on.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Iterable, Union

import pandas as pd

PathLike = Union[str, os.PathLike]

# pytest-benchmark's stats fields we keep (seconds per round, and the number of rounds)
STATS = ("min", "median", "mean", "stddev", "rounds")
OPTIONAL_STATS = ("max", "q1", "q3", "iqr")      # kept when the file has them (the report states spreads with them)
BENCH_FIELDS = ("group", "name", "fullname", "param")
FILE_FIELDS = ("source", "datetime", "cpu_brand", "commit_id")
COLUMNS = FILE_FIELDS + BENCH_FIELDS + tuple(f"stats.{s}" for s in STATS)


class NotBenchmarkJSON(ValueError):
    """The file is not a pytest-benchmark JSON file; the message says why."""


def read_benchmark_json(paths: PathLike | Iterable[PathLike], warn: bool = True) -> pd.DataFrame:
    """All benchmarks of one or more ``--benchmark-json`` files (or folders of them) as one table.

    A folder stands for every ``*.json`` beneath it, as pytest-benchmark's own
    ``.benchmarks/<machine>/NNNN_*.json`` storage. Invalid files are skipped
    with a warning on stderr (when ``warn``); they never raise.
    """
    frames = []
    for path in _expand(paths):
        try:
            doc = _load(path)
        except NotBenchmarkJSON as exc:
            if warn:
                print(f"warning: skipped {path}: {exc}", file=sys.stderr)
            continue
        frames.append(_frame(path, doc))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(COLUMNS))
    return pd.concat(frames, ignore_index=True, sort=False)


def _expand(paths) -> list[Path]:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[Path] = []
    for p in map(Path, paths):
        out.extend(sorted(p.rglob("*.json")) if p.is_dir() else [p])
    return out


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _load(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as exc:
        raise NotBenchmarkJSON(f"cannot read it ({_one_line(exc.strerror or exc)})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NotBenchmarkJSON(f"not valid JSON ({_one_line(exc)})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise NotBenchmarkJSON("not a pytest-benchmark JSON file (no 'benchmarks' list)")
    for i, bench in enumerate(doc["benchmarks"]):
        if not isinstance(bench, dict) or not isinstance(bench.get("name"), str):
            raise NotBenchmarkJSON(f"benchmark #{i} has no name")
        stats = bench.get("stats")
        missing = [k for k in STATS if not isinstance(stats, dict) or not _is_number(stats.get(k))]
        if missing:
            raise NotBenchmarkJSON(f"benchmark '{bench['name']}' lacks stats {', '.join(missing)}")
        if bench.get("extra_info") is not None and not isinstance(bench["extra_info"], dict):
            raise NotBenchmarkJSON(f"benchmark '{bench['name']}' has extra_info that is not an object")
    return doc


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cpu_brand(machine_info) -> str | None:
    if not isinstance(machine_info, dict):
        return None
    cpu = machine_info.get("cpu")
    if isinstance(cpu, dict):
        # py-cpuinfo >= 7 writes brand_raw; older versions wrote brand
        for key in ("brand_raw", "brand"):
            if cpu.get(key):
                return str(cpu[key])
    return machine_info.get("processor") or None


def _frame(path: Path, doc: dict) -> pd.DataFrame:
    benchmarks = doc["benchmarks"]
    n = len(benchmarks)
    commit = doc.get("commit_info")
    stamp = pd.to_datetime(doc.get("datetime"), utc=True, errors="coerce")
    base = pd.DataFrame({
        "source": [str(path)] * n,
        "datetime": [stamp] * n,
        "cpu_brand": [_cpu_brand(doc.get("machine_info"))] * n,
        "commit_id": [commit.get("id") if isinstance(commit, dict) else None] * n,
        **{f: [b.get(f) for b in benchmarks] for f in BENCH_FIELDS},
        **{f"stats.{stat}": [b["stats"][stat] for b in benchmarks] for stat in STATS},
        **{f"stats.{stat}": [b["stats"].get(stat) for b in benchmarks] for stat in OPTIONAL_STATS
           if any(_is_number(b["stats"].get(stat)) for b in benchmarks)},
    })
    extra = pd.json_normalize([b.get("extra_info") or {} for b in benchmarks])
    extra.columns = [f"extra_info.{c}" for c in extra.columns]
    return pd.concat([base, extra], axis=1) if len(extra.columns) else base


def round_spreads(table: pd.DataFrame) -> list:
    """Each benchmark's ``stats.Spread`` over its rounds: the quartiles when recorded, else min-max."""
    from harness.results.stats import Spread

    def missing(v):
        return v is None or (isinstance(v, float) and v != v)
    out = []
    for r in table.to_dict("records"):
        low, high = r.get("stats.q1"), r.get("stats.q3")
        if missing(low) or missing(high):
            low, high = r.get("stats.min"), r.get("stats.max")
            high = r["stats.median"] if missing(high) else high
        out.append(Spread(float(r["stats.median"]), float(low), float(high), int(r["stats.rounds"])))
    return out
