"""The results store: one JSON object per line in ``<dir>/runs.jsonl``, append-only.

Schema history (``schema_version``):
  1  first version: config, timings, resources, quality, provenance, status.
  2  figures name their span and unit: ``run_peak_rss_mib`` (was ``peak_rss_mb``,
     the whole child), ``train_peak_rss_mib`` and ``setup_peak_rss_mib`` (new),
     ``train_effective_cores`` (was ``effective_cores``), ``run_peak_threads`` /
     ``run_peak_children`` (were ``peak_threads`` / ``peak_children``) and their
     ``train_`` twins (new), ``run_cpu_s`` / ``child_wall_s`` (were ``cpu_s`` /
     ``wall_s``); ``steady_step_stats_s``; ``env`` (explicit environment) and
     ``thread_env`` as the child saw it; ``code_version`` (a digest of harness/ and
     backends/); ``gradient_computed_in``; work per
     forward+backward (``value_executions_per_eval``, ``gradient_executions_per_eval``,
     ``adjoint_passes_per_eval``, ``simulator_calls_per_eval``) replacing the run
     totals ``circuit_executions`` / ``simulator_calls``, which counted different
     things on different backends; ``backend_settings``. Schema-1 rows are read
     through ``upgrade_row`` (renamed fields; the new ones absent).

Writing takes an exclusive lock and writes each row as one complete line in a
single ``write``, then fsyncs, so rows from concurrent writers never interleave;
if an earlier writer died mid-line, the new row starts on a fresh line.
Reading never rewrites: a corrupt line, or a row from an unknown schema, is
reported and skipped.
"""
from __future__ import annotations

import fcntl
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA_VERSION = 2
_RENAMED_IN_2 = {"peak_rss_mb": "run_peak_rss_mib", "effective_cores": "train_effective_cores",
                 "peak_threads": "run_peak_threads", "peak_children": "run_peak_children",
                 "cpu_s": "run_cpu_s", "wall_s": "child_wall_s"}
_DROPPED_IN_2 = ("circuit_executions", "simulator_calls")


def upgrade_row(row: dict) -> dict:
    """A row of an older schema in today's names; figures it never had stay absent."""
    if row.get("schema_version") == 1:
        row = {_RENAMED_IN_2.get(k, k): v for k, v in row.items() if k not in _DROPPED_IN_2}
        row["schema_version"] = 2
        row["upgraded_from_schema"] = 1
    return row
STORE_FILE = "runs.jsonl"
STATUSES = ("ok", "failed", "timeout", "killed")


def store_path(results_dir) -> Path:
    return Path(results_dir) / STORE_FILE


def append_row(results_dir, row: dict) -> Path:
    path = store_path(results_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(row, sort_keys=False, default=str) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size:
            with open(path, "rb") as fh:
                fh.seek(size - 1)
                if fh.read(1) != b"\n":
                    line = b"\n" + line       # a torn line stays alone; this row starts afresh
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


@dataclass
class StoreRead:
    rows: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_rows(results_dir, warn=True) -> StoreRead:
    """All rows of the store; bad lines are reported in ``problems`` (and on stderr when ``warn``)."""
    out = StoreRead()
    path = store_path(results_dir)
    if not path.exists():
        return out
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            text = raw.strip()
            if not text:
                continue
            try:
                row = json.loads(text)
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                out.problems.append(f"{path}:{number}: not a JSON row ({err.msg if hasattr(err, 'msg') else err}); skipped")
                continue
            if isinstance(row, dict):
                row = upgrade_row(row)
            if not isinstance(row, dict) or row.get("schema_version") != SCHEMA_VERSION:
                version = row.get("schema_version") if isinstance(row, dict) else None
                out.problems.append(f"{path}:{number}: not a harness row of schema {SCHEMA_VERSION} "
                                    f"(schema_version={version!r}); skipped")
                continue
            out.rows.append(row)
    if warn:
        for problem in out.problems:
            print(f"warning: {problem}", file=sys.stderr)
    return out


def read_frame(results_dir, warn=True):
    """The store as a pandas DataFrame, nested fields flattened with dots (``versions.torch``)."""
    import pandas as pd

    rows = read_rows(results_dir, warn=warn).rows
    if not rows:
        return pd.DataFrame()
    return pd.json_normalize(rows, sep=".")
