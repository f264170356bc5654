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
     Numbers JSON cannot carry (NaN, Infinity) are written as null and their
     fields named in ``nonfinite``.

Writing: ``Store`` is opened (and its folder, file, lock and free space
checked) before a run trains, so a bad ``--results`` costs nothing. A row is
appended under an exclusive lock as one line: every byte is checked written,
then flushed to disk with fsync; a short or failed write is truncated away, so
a row is stored whole or not at all. A row the store cannot take is saved to a
fallback file (``save_unstored``) and ``RowNotStored`` names it. If an earlier
writer died mid-line, the new row starts on a fresh line.

Reading never rewrites: a line that is not JSON, is too long to be a row, or
holds a row with missing fields, odd types, non-finite or huge numbers or a
schema this version does not know, is reported and left out.
"""
from __future__ import annotations

import errno
import fcntl
import json
import math
import numbers
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from backends import UserError

from harness.results.fields import EVERY_ROW, INT, ITEMS, LIST, NULL, NUM, OBJECT, OK_ROW, POSITIVE, TEXT, TYPED
from harness.results.locking import lock
from harness.results.rows import MAX_LINE_BYTES, clean, encode, fit  # noqa: F401 - clean: part of its API

SCHEMA_VERSION = 2
_RENAMED_IN_2 = {"peak_rss_mb": "run_peak_rss_mib", "effective_cores": "train_effective_cores",
                 "peak_threads": "run_peak_threads", "peak_children": "run_peak_children",
                 "cpu_s": "run_cpu_s", "wall_s": "child_wall_s"}
_DROPPED_IN_2 = ("circuit_executions", "simulator_calls")


def upgrade_row(row: dict) -> dict:
    """A row of an older schema in today's names; figures it never had stay absent."""
    version = row.get("schema_version")
    if type(version) is int and version == 1:
        row = {_RENAMED_IN_2.get(k, k): v for k, v in row.items() if k not in _DROPPED_IN_2}
        row["schema_version"] = 2
        row["upgraded_from_schema"] = 1
    return row
STORE_FILE = "runs.jsonl"
STATUSES = ("ok", "failed", "timeout", "killed")
MIN_FREE_BYTES = 256 * 1024      # a row is a few kB; less than this free and the run would be lost at the end
HUGE = 1e15                      # no measured figure comes near this; a value above it is a broken row


class StoreError(UserError):
    """The store cannot be opened or written."""


class RowNotStored(StoreError):
    """A finished run's row could not be stored; ``fallback`` is where it went instead (or None)."""

    def __init__(self, message: str, row: dict, fallback: Path | None):
        super().__init__(message)
        self.row, self.fallback = row, fallback


def store_path(results_dir) -> Path:
    """The store of a results folder; a ``.jsonl`` file named itself is read as it is (``compare a.jsonl b.jsonl``)."""
    path = Path(results_dir)
    return path if path.suffix == ".jsonl" and path.is_file() else path / STORE_FILE


def _reason(err: BaseException) -> str:
    if isinstance(err, OSError):
        return err.strerror or str(err)
    if isinstance(err, UserError):
        return str(err)
    return type(err).__name__


def no_results(results_dir) -> str:
    """The one message for a store with nothing to read."""
    return (f"no results in {store_path(results_dir)}; run 'python -m harness run' or 'python -m harness sweep' "
            f"first")


class Store:
    """An open store: checked and kept open for appending before any training starts."""

    def __init__(self, results_dir):
        if not str(results_dir).strip():
            raise StoreError("--results is empty; give a folder for runs.jsonl (default: results)")
        self.results_dir = Path(results_dir)
        self.path = store_path(results_dir)
        folder = self.path.parent
        if folder.exists() and not folder.is_dir():
            raise StoreError(f"results '{folder}' is a file; give --results a folder for runs.jsonl")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot create the results folder '{folder}' ({_reason(err)}); "
                             f"give --results a folder you can write to") from None
        if self.path.exists() and not self.path.is_file():
            raise StoreError(f"the store '{self.path}' is not a regular file; move it away or give another "
                             f"--results folder")
        created = not self.path.exists()
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as err:
            raise StoreError(f"cannot write to the store '{self.path}' ({_reason(err)}); "
                             f"give --results a folder you can write to") from None
        try:
            self._ino = os.fstat(self.fd).st_ino
            lock(self.fd, self.path)                 # proves locking works here; released at once
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            if created:
                _fsync_dir(folder)
            st = os.statvfs(folder)
            free = st.f_bavail * st.f_frsize
            if free < MIN_FREE_BYTES:
                raise StoreError(f"the disk holding '{self.path}' has {free // 1024} KiB free, too little to be "
                                 f"sure of storing a run; free space or give another --results folder")
        except OSError as err:
            self.close()
            raise StoreError(f"cannot use the store '{self.path}' ({_reason(err)})") from None
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if getattr(self, "fd", None) is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _reopen_if_replaced(self) -> None:
        # a store moved or deleted mid-sweep: appending to the old inode would lose the row unseen
        try:
            same = os.stat(self.path).st_ino == self._ino
        except OSError:
            same = False
        if not same:
            self.close()
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            self.fd, self._ino = fd, os.fstat(fd).st_ino

    def append(self, row: dict) -> None:
        """Store ``row`` whole, or raise ``RowNotStored`` after saving it elsewhere."""
        line = encode(fit(row))
        try:
            self._reopen_if_replaced()
            _append_whole(self.fd, line, self.path)
        except BaseException as err:     # an interrupt mid-write is undone too, then goes on
            fallback = save_unstored(line, row, self.results_dir)
            where = (f"it was saved to {fallback}; append that file to the store when it can take it"
                     if fallback else "no fallback file could be written either; the row follows on stderr")
            status = row.get("status", "?")
            message = (f"the run finished ({status}) but the store '{self.path}' could not take its row "
                       f"({_reason(err)}); {where}")
            if fallback is None:
                print(line.decode(), file=sys.stderr, end="")
            if not isinstance(err, Exception):
                raise
            raise RowNotStored(message, row, fallback) from None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _append_whole(fd: int, line: bytes, path="the store") -> None:
    lock(fd, path)
    try:
        start = os.fstat(fd).st_size
        if start and os.pread(fd, 1, start - 1) != b"\n":
            line = b"\n" + line       # a torn line stays alone; this row starts afresh
        written = 0
        try:
            while written < len(line):
                n = os.write(fd, line[written:])
                if n <= 0:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                written += n
            os.fsync(fd)
        except BaseException:
            # undo the part that made it; if even that fails the line has no newline and readers skip it
            try:
                os.ftruncate(fd, start)
                os.fsync(fd)
            except OSError:
                pass
            raise
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def unstored_candidates(results_dir) -> list[Path]:
    return [Path(results_dir) / "unstored", Path(tempfile.gettempdir()) / "hybrid-harness-unstored",
            Path.home() / ".hybrid-harness-unstored"]


def save_unstored(line: bytes, row: dict, results_dir) -> Path | None:
    """Write a row the store could not take to the first folder that takes it; its path, or None."""
    name = f"unstored-{row.get('run_id') or os.getpid()}.jsonl"
    for folder in unstored_candidates(results_dir):
        path = folder / name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
            try:
                _append_whole(fd, line.lstrip(b"\n"))
            finally:
                os.close(fd)
            return path
        except OSError:
            try:
                path.unlink()
            except OSError:
                pass
            continue
    return None


# --- reading ----------------------------------------------------------------

_INT, _NUM, _STR, _LIST, _DICT, _NONE = INT, NUM, TEXT, LIST, OBJECT, NULL


def _kind(value) -> str:
    if value is None:
        return _NONE
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, numbers.Integral):
        return _INT
    if isinstance(value, numbers.Real):
        return _NUM
    return {str: _STR, list: _LIST, dict: _DICT}.get(type(value), type(value).__name__)


def _number_problem(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return "non-finite"
    if abs(value) > HUGE:
        return "huge"
    return None


def row_problem(row) -> str | None:
    """Why a parsed line cannot be read as a row of this schema, or None when it can."""
    if not isinstance(row, dict):
        return f"not a harness row (a JSON {_kind(row)})"
    version = row.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        return (f"written by a newer harness (schema {version}; this one reads {SCHEMA_VERSION}); "
                f"update the harness to read it")
    if version != SCHEMA_VERSION or isinstance(version, bool):
        return f"not a harness row of schema {SCHEMA_VERSION} (schema_version={_shown(version)})"
    wanted = dict(EVERY_ROW)
    if row.get("status") == "ok":
        wanted.update(OK_ROW)
    for name, kinds in wanted.items():
        if name not in row:
            return f"missing field '{name}'"
    if row["status"] not in STATUSES:
        return f"unknown status {_shown(row['status'])}"
    for name, kinds in {**TYPED, **wanted}.items():
        if name not in row:
            continue
        value = row[name]
        kind = _kind(value)
        if kind not in kinds and not (kind == _INT and _NUM in kinds):
            return f"field '{name}' holds {kind} {_shown(value)}, expected {' or '.join(kinds)}"
        items = value if kind == _LIST else [value]
        for item in items:
            if kind == _LIST and _kind(item) not in ITEMS[name]:
                return f"field '{name}' holds a list with {_kind(item)} {_shown(item)}"
            problem = _number_problem(item)
            if problem:
                return f"field '{name}' holds a {problem} number {_shown(item)}"
    if row["status"] == "ok":
        for name in POSITIVE:
            if row[name] <= 0:
                return f"field '{name}' holds {_shown(row[name])}, but a time that was measured is above 0"
    if isinstance(row.get("digits"), list) and len(row["digits"]) != 2:
        return f"field 'digits' holds {_shown(row['digits'])}, expected two digits"
    return None


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass
class StoreRead:
    rows: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)     # one per line left out: "path:line: why"
    end: int = 0                                           # byte offset read up to

    def summary(self) -> list[str]:
        """The problems grouped by reason: each said once, with the lines it covers."""
        by_reason: dict[str, list[str]] = {}
        for p in self.problems:
            where, why = p.split(": ", 1)
            by_reason.setdefault(why, []).append(where.rsplit(":", 1)[1])
        out = []
        for why, lines in by_reason.items():
            shown = ", ".join(lines[:5]) + (f" and {len(lines) - 5} more" if len(lines) > 5 else "")
            out.append(f"{self.path_name} line{'s' if len(lines) > 1 else ''} {shown}: {why}; left out")
        return out

    path_name: str = ""


def _lines(fh, start: int):
    """(line number, bytes or None if too long) from offset ``start``; never holds an over-long line."""
    fh.seek(start)
    number = 0
    while True:
        raw = fh.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            length = len(raw)
            while True:                       # skip the rest of the line in bounded pieces
                more = fh.readline(MAX_LINE_BYTES)
                length += len(more)
                if not more or more.endswith(b"\n"):
                    break
            yield number, None, length
            continue
        yield number, raw, len(raw)


def read_rows(results_dir, warn=True, start: int = 0) -> StoreRead:
    """All rows of the store (from byte ``start``); lines left out are in ``problems``.

    With ``warn``, each kind of problem is said once on stderr.
    """
    path = store_path(results_dir)
    out = StoreRead(path_name=str(path), end=start)
    if not path.is_file():
        return out
    try:
        fh = open(path, "rb")
    except OSError as err:
        raise StoreError(f"cannot read the store '{path}' ({_reason(err)})") from None
    with fh:
        for number, raw, length in _lines(fh, start):
            if raw is None:
                out.problems.append(f"{path}:{number}: a line of {length:,} bytes, longer than any row")
                continue
            text = raw.strip()
            if not text:
                continue
            try:
                row = json.loads(text)
            except (ValueError, RecursionError) as err:
                why = err.msg if isinstance(err, json.JSONDecodeError) else type(err).__name__
                out.problems.append(f"{path}:{number}: not a JSON row ({why})")
                continue
            if isinstance(row, dict):
                row = upgrade_row(row)
            problem = row_problem(row)
            if problem:
                out.problems.append(f"{path}:{number}: {problem}")
                continue
            out.rows.append(row)
        out.end = fh.tell()
    if warn:
        for line in out.summary():
            print(f"warning: {line}", file=sys.stderr)
    return out


def read_frame(results_dir, warn=True):
    """The store as a pandas DataFrame, nested fields flattened with dots (``versions.torch``)."""
    import pandas as pd

    rows = read_rows(results_dir, warn=warn).rows
    if not rows:
        return pd.DataFrame()
    return pd.json_normalize(rows, sep=".")
