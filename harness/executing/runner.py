"""Run one configuration in a fresh child process and record its row.

Each run gets a new interpreter (``python -m harness.measuring.child``), never a fork, in
its own session so a timeout kills the whole process group. Thread variables
go into its environment before it starts. Whatever happens to the child (a
crash, an exception, a timeout, the out-of-memory killer, Ctrl-C) the run ends
as one row in the store with its status and the tail of its error output.

The store is opened before the child starts (a bad ``--results`` costs no
training), and a finished row is stored before success is reported. SIGTERM
and SIGHUP are handled like Ctrl-C (``harness.executing.signals``); the child dies with
its parent even when the parent is killed outright.
"""
from __future__ import annotations

import collections
import dataclasses
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from harness.results import provenance
from harness.executing.concurrency import Active
from harness.inputs.config import RunConfig
from harness.results.provenance import BUDGET_VARS
from harness.executing.signals import Interrupted, deferred, stop_signals, stoppable
from harness.measuring import deadline, marks
from harness.measuring.child import PARENT_PID_ENV
from harness.results.rows import clean, fit
from harness.results.store import SCHEMA_VERSION, RowNotStored, Store
from harness.executing.run_summary import summary  # noqa: F401  (the run's lines for a person; cli/run.py)

ROOT = Path(__file__).resolve().parents[2]
TAIL_LINES = 30


def child_env(threads: int, explicit=()) -> dict:
    """The child's environment: the user's own, the thread budget, and the run's explicit settings.

    Nothing else is forced: an OpenMP wait policy, for one, is left to the user
    (or to ``--env``), since it changes lightning's timings by 2x on small
    circuits; whatever the child sees is recorded in its row.
    """
    env = dict(os.environ)
    for var in BUDGET_VARS:
        env[var] = str(threads)
    env.update(dict(explicit))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONWARNINGS"] = env.get("PYTHONWARNINGS", "ignore::DeprecationWarning")
    return env


# the child's progress within an epoch (slow steps only): progress, never part of a failure's tail
STEP_LINE = re.compile(r"^epoch \d+/\d+  step \d+/\d+  ")
STEP_LINES_EVERY_S = 30.0           # to a file or pipe, one step line per this many seconds at most


def _pump(stream, tail: collections.deque, echo, heard: dict | None = None):
    """Drain the child's output to the end, whatever happens to ``echo``: a child blocked on a full pipe
    would look like a hang, and its run like a timeout.

    Step lines update one line in place on a terminal; elsewhere (a log file) they are thinned out.
    The child's marks (``harness.measuring.marks``) go to ``heard`` (mark -> time.monotonic()), nowhere else.
    """
    in_place, last_step_line = _isatty(echo), None
    open_line = False                  # a step line is on the terminal without its newline
    for line in iter(stream.readline, ""):
        mark, before = marks.heard(line)
        if mark is not None:
            if heard is not None:
                heard.setdefault(mark, time.monotonic())
            if not before.strip():
                continue
            line = before + "\n"          # a library's unfinished line, ended by the mark: still its line
        step = bool(STEP_LINE.match(line))
        if not step:
            tail.append(line.rstrip("\n"))
        if not echo:
            continue
        if step and not in_place:
            now = time.monotonic()
            if last_step_line is not None and now - last_step_line < STEP_LINES_EVERY_S:
                continue
            last_step_line = now
        text = line.rstrip("\n") if step and in_place else line
        try:
            echo.write(("\r\033[K" if open_line else "") + text)
            echo.flush()
            open_line = step and in_place
        except (OSError, ValueError):
            echo = None                # the display is gone; the run goes on
    if echo and open_line:
        try:
            echo.write("\n")
        except (OSError, ValueError):
            pass
    stream.close()


class StepsOnly:
    """A sweep's echo of its child: on a terminal, only the step line, in place, cleared when it is done.

    The sweep's own lines say the rest (each run's start and outcome); a slow epoch still shows it moves.
    """

    CLEAR = "\r\033[K"

    def __init__(self, out):
        self.out, self.open = out, False

    def isatty(self) -> bool:
        return True                     # the pump then writes step lines without their newline

    def write(self, text: str) -> None:
        text = text.removeprefix(self.CLEAR)
        if STEP_LINE.match(text) and not text.endswith("\n"):
            self.out.write(self.CLEAR + text)
            self.open = True
        elif self.open:
            self.out.write(self.CLEAR)
            self.open = False

    def flush(self) -> None:
        self.out.flush()


def steps_only(out):
    """``StepsOnly(out)`` when ``out`` is a terminal; else None (a log gets the sweep's own lines only)."""
    return StepsOnly(out) if _isatty(out) else None


def _isatty(stream) -> bool:
    try:
        return bool(stream) and stream.isatty()
    except (OSError, ValueError, AttributeError):
        return False


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def run_config(cfg: RunConfig, results_dir="results", echo="stderr", store: Store | None = None,
               cut: tuple[str, float] | None = None) -> dict:
    """Resolve ``cfg``, train it in a child process, store its row and return the row.

    ``store``: an open ``Store`` (a sweep keeps one); otherwise the store in
    ``results_dir`` is opened, and checked, before anything else. Raises
    ``RowNotStored`` when the finished row could not be stored. ``cut``: (a mark, seconds): the run is
    also stopped that many seconds after the child says the mark (``harness.measuring.marks``), unless it
    says its training is over first, and stored as a timeout whose ``timeout_s`` is where that left it.
    """
    cfg = cfg.resolve()
    if echo == "stderr":
        echo = sys.stderr            # looked up now: the command line may have made it safe since import
    if store is None:
        with Store(results_dir) as own:
            return run_config(cfg, results_dir, echo, own, cut)
    _remove_stale_run_dirs()
    env = child_env(cfg.threads, cfg.env)
    env[PARENT_PID_ENV] = str(os.getpid())
    tail: collections.deque = collections.deque(maxlen=TAIL_LINES)
    status, error, figures, returncode = "failed", None, {}, None
    started = time.perf_counter()
    # signals are held everywhere but in the wait for the child, so none can fall between "the
    # child finished" and "its row is stored"
    with stop_signals(), deferred(), Active(f"run {cfg.task} on {cfg.backend}"), \
            tempfile.TemporaryDirectory(prefix=f"{RUN_DIR_PREFIX}{os.getpid()}-") as tmp:
        result_path = os.path.join(tmp, "result.json")
        proc = None
        try:
            proc = subprocess.Popen([sys.executable, "-m", "harness.measuring.child", result_path], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                    start_new_session=True)
            heard: dict = {}
            pump = threading.Thread(target=_pump, args=(proc.stdout, tail, echo, heard), daemon=True)
            pump.start()
            _hand_over(proc, json.dumps(cfg.as_dict()))
            with stoppable():                  # the one place a stop signal acts at once
                returncode = _wait(proc, cfg.timeout_s, heard, cut)
        except _Cut as stopped:
            _kill_group(proc)
            status, error = "timeout", f"cut {cut[1]:.1f} s after its {cut[0]}"
            cfg = dataclasses.replace(cfg, timeout_s=math.floor(stopped.after_s * 100) / 100)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            status, error = "timeout", f"timed out after {cfg.timeout_s:g} s"
        except KeyboardInterrupt as stop:
            _kill_group(proc)
            why = stop.describe() if isinstance(stop, Interrupted) else "interrupted by the user (Ctrl-C)"
            status, figures = "killed", {}
            if proc is not None and proc.returncode == 0 and os.path.exists(result_path):
                # the child had finished when the signal came: its run is whole and is stored as such
                status, why = "ok", None
                with open(result_path) as fh:
                    figures = json.load(fh)
            try:
                _record(cfg, store, status, why, tail, figures, proc and proc.returncode, started)
            except RowNotStored as err:
                print(f"error: {err}", file=sys.stderr)
            raise
        pump.join(timeout=5)
        if status != "timeout":
            if returncode == 0 and os.path.exists(result_path):
                with open(result_path) as fh:
                    figures = json.load(fh)
                status = "ok"
                if deadline.FIELD in figures:       # the child stopped itself: it could not end in time
                    status, error = "timeout", deadline.message(figures[deadline.FIELD])
            elif returncode is not None and -returncode in CRASHES:
                # the child ended itself (an abort on std::bad_alloc, a segfault): a failure with its cause
                status = "failed"
                error = _cause(tail, None, f"crashed with {_signal_name(returncode)}")
            elif returncode is not None and returncode < 0:
                status = "killed"
                error = f"killed by {_signal_name(returncode)}" + (
                    " (often the out-of-memory killer)" if returncode == -signal.SIGKILL else "")
            else:
                status = "failed"
                error = _cause(tail, returncode)
        return _record(cfg, store, status, error, tail, figures, returncode, started)


class _Cut(Exception):
    """The run was stopped ``after_s`` seconds from its start, at its ``cut``."""

    def __init__(self, after_s: float):
        super().__init__(after_s)
        self.after_s = after_s


POLL_S = 0.2        # how often a wait looks for the mark its cut counts from (until it has come)


def _wait(proc, timeout_s, heard: dict, cut) -> int:
    """The child's exit status; TimeoutExpired at ``timeout_s``, _Cut ``cut[1]`` s after the mark ``cut[0]``
    (no cut once the child has said its training is over: evaluation is not what a cut is for)."""
    if cut is None:
        return proc.wait(timeout=timeout_s)
    start = time.monotonic()
    end = start + timeout_s if timeout_s else float("inf")
    while True:
        said = heard.get(cut[0]) if marks.TRAINED not in heard else None
        armed = said is not None and said + cut[1] < end
        limit = said + cut[1] if armed else end
        left = limit - time.monotonic()
        if left <= 0:
            code = proc.poll()
            if code is not None:       # it ended just then: its own end, not the cut's
                return code
            if armed:
                raise _Cut(time.monotonic() - start)
            raise subprocess.TimeoutExpired(proc.args, timeout_s)
        try:                           # look again for the marks at least every POLL_S until the end
            return proc.wait(timeout=min(left, POLL_S) if marks.TRAINED not in heard else left)
        except subprocess.TimeoutExpired:
            continue


RUN_DIR_PREFIX = "harness-run-"
# signals a process sends itself when it breaks: the run failed, nobody killed it
CRASHES = (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL)
# the dynamic loader's words when a library of the interpreter cannot be mapped (a memory limit)
_LOADER = "error while loading shared libraries:"
_TRACEBACK_END = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)|MemoryError)\b")


def _hand_over(proc, config_json: str) -> None:
    """The config on the child's stdin; a child killed before reading it shows in its exit status instead."""
    for step in (lambda: proc.stdin.write(config_json), proc.stdin.close):
        try:
            step()
        except BrokenPipeError:
            pass


def _cause(tail, returncode, how: str | None = None) -> str:
    """The child's own one-line reason: its ``error:`` line, a traceback's last line, or a C++ exception's."""
    how = how or f"exit status {returncode}"
    lines = [line.strip() for line in tail if line.strip()]
    for line in reversed(lines):
        if line.startswith("error: "):
            return f"{line[len('error: '):]} ({how})"
    for line in reversed(lines):
        if _TRACEBACK_END.match(line) or line.startswith("what():"):
            return f"{line.removeprefix('what():').strip()} ({how})"
        if _LOADER in line:            # the interpreter itself could not start (status 127)
            return f"{line[line.index(_LOADER):]} ({how})"
    if returncode == 127 and lines:    # the loader's own words, whatever it failed on (TLS, a segment)
        return f"{lines[-1]} ({how})"
    return how if returncode is None else f"exited with status {returncode}"


def _remove_stale_run_dirs() -> None:
    """Temp folders of runs whose harness process died without cleaning up (SIGKILL)."""
    base = tempfile.gettempdir()
    for name in os.listdir(base):
        if not name.startswith(RUN_DIR_PREFIX):
            continue
        pid = name[len(RUN_DIR_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue                       # alive (or not ours to signal): leave it
        except ProcessLookupError:
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)
        except OSError:
            continue


def _kill_group(proc):
    if proc is None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=3)
            return
        except subprocess.TimeoutExpired:
            continue


def _record(cfg, store, status, error, tail, figures, returncode, started) -> dict:
    row = make_row(cfg, status, error, tail, figures, returncode, started)
    store.append(row)
    return row


def make_row(cfg, status, error, tail, figures, returncode, started) -> dict:
    """The result row of one run, as stored (provenance from this process: where the child ran)."""
    row = {"schema_version": SCHEMA_VERSION, "run_id": uuid.uuid4().hex[:12], "status": status}
    row.update(cfg.as_dict())
    row.pop("data_dir", None)
    row["run_wall_s"] = time.perf_counter() - started
    row.update(figures)
    row["returncode"] = returncode
    row["executor"] = "local"            # the Ray executor's driver says "ray" on the rows it stores
    row["error"] = None if status == "ok" else (error or "") + ("\n" + "\n".join(tail) if tail else "")
    row.update({k: v for k, v in provenance.collect(child_env(cfg.threads, cfg.env)).items()
                if k not in figures})      # what the child saw (its thread_env) wins
    return fit(clean(row))          # what is stored and what is shown are the same row
