"""Fault injection with real processes and real files: signals, full disks, read-only and broken stores.

After each fault the store is checked byte for byte (what was there stays,
at most one whole row is added) and the report reads it. Runs are tiny
(``classical`` or ``torch`` on moons, one short epoch) so the suite stays quick;
most faults strike while the child is still starting, which is enough to
exercise the same paths as a fault in the middle of training. Where the order
of events matters, children are held at their start (``held`` fixture,
tests/held.py) and ended by the timeout or by the test, instead of raced.
"""
from __future__ import annotations

import glob
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from harness.reporting.report import build_report
from harness.executing.runner import RUN_DIR_PREFIX, _cause, _remove_stale_run_dirs
from harness.results.store import Store, read_rows, row_problem, store_path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "runs.jsonl"
TINY = ["--epochs", "1", "--train-size", "20", "--test-size", "10", "--threads", "1"]
LONG = ["--epochs", "400", "--train-size", "40", "--test-size", "10", "--threads", "1"]   # outlives any fault


def _env():
    # the project first; the user's own PYTHONPATH (a test's held children, tests/held.py) after it
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))


def _start(*args, preexec=None):
    return subprocess.Popen([sys.executable, "-m", "harness", *args], cwd=ROOT, env=_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=preexec)


def _finish(proc, timeout=120):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")   # a zombie has ended
    except OSError:
        return False


def _child_of(pid: int, timeout=60) -> int:
    """The pid of the harness.measuring.child process started by ``pid``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in glob.glob(f"/proc/{pid}/task/*/children"):
            try:
                kids = open(path).read().split()
            except OSError:
                continue
            for kid in kids:
                try:
                    cmd = open(f"/proc/{kid}/cmdline", "rb").read()
                except OSError:
                    continue
                if b"harness.measuring.child" in cmd:
                    return int(kid)
        time.sleep(0.05)
    raise AssertionError(f"process {pid} started no child within {timeout} s")


def _wait_gone(pid: int, timeout=20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _wait_mapped(pid: int, library: str, timeout=60) -> None:
    """Wait until ``library`` is mapped into process ``pid`` (it has got that far in its imports)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if library in open(f"/proc/{pid}/maps").read():
                return
        except OSError:
            raise AssertionError(f"process {pid} ended before loading {library}") from None
        time.sleep(0.02)
    raise AssertionError(f"process {pid} did not load {library} within {timeout} s")


def _run_dirs(pid: int) -> list[str]:
    return glob.glob(os.path.join(tempfile.gettempdir(), f"{RUN_DIR_PREFIX}{pid}-*"))


@pytest.fixture
def store(tmp_path):
    """A results folder whose store already holds the golden rows; returns (folder, bytes before)."""
    results = tmp_path / "res"
    results.mkdir()
    shutil.copy(GOLDEN, store_path(results))
    return results, store_path(results).read_bytes()


def _added(results, before: bytes) -> list[dict]:
    """The rows after ``before``, which must be kept byte for byte; each added line whole."""
    data = store_path(results).read_bytes()
    assert data.startswith(before)
    tail = data[len(before):]
    assert tail == b"" or tail.endswith(b"\n")
    return [json.loads(line) for line in tail.splitlines()]


def _report_reads(results) -> None:
    report = build_report(results)
    assert not report.summary.empty


# --- signals --------------------------------------------------------------------

@pytest.mark.parametrize("sig,words", [(signal.SIGTERM, "interrupted by SIGTERM (asked to stop)"),
                                       (signal.SIGHUP, "interrupted by SIGHUP (its terminal closed)")])
def test_sigterm_or_sighup_to_the_parent_acts_like_ctrl_c(store, sig, words):
    results, before = store
    proc = _start("run", "--backend", "torch", *LONG, "--results", str(results))
    child = _child_of(proc.pid)
    proc.send_signal(sig)
    status, _, err = _finish(proc)
    assert status == 128 + sig
    assert err.strip().splitlines()[-1] == words
    assert _wait_gone(child, 10), "the child outlived its parent's cleanup"
    added = _added(results, before)
    assert [(r["status"], r["error"].splitlines()[0]) for r in added] == [("killed", words)]
    assert _run_dirs(proc.pid) == []
    _report_reads(results)


def test_a_stop_signal_is_held_while_a_row_is_stored_and_acts_at_once_in_the_wait():
    from harness.executing.signals import Interrupted, deferred, stop_signals, stoppable
    handlers = [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)]
    reached = []
    with pytest.raises(Interrupted) as stop:
        with stop_signals(), deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            reached.append("after the signal")        # held: the body goes on to its end
    assert reached == ["after the signal"] and stop.value.name == "SIGTERM" and stop.value.exit_status == 143
    with pytest.raises(Interrupted):
        with stop_signals(), deferred(), stoppable():
            os.kill(os.getpid(), signal.SIGHUP)
            time.sleep(5)                              # acts at once: the sleep is cut short
            reached.append("never")
    assert reached == ["after the signal"]
    assert [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)] == handlers


def test_sigkill_to_the_parent_ends_the_child_by_itself(store, tmp_path, monkeypatch):
    results, before = store
    # a temp folder of its own: any other harness run on the machine (another test worker's) removes a dead
    # parent's run folder first thing, as this test's own clean-up does below
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setenv("TMPDIR", str(private))
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    proc = _start("run", "--backend", "torch", *LONG, "--results", str(results))
    child = _child_of(proc.pid)
    _wait_mapped(child, "libtorch")       # torch loads after the child's first lines, where it ties itself to us
    proc.kill()
    proc.communicate(timeout=30)
    assert _wait_gone(child, 15), "the child went on training as an orphan"
    assert store_path(results).read_bytes() == before      # no row can be written by a dead parent
    leftover = _run_dirs(proc.pid)
    _remove_stale_run_dirs()                               # what the next run does first
    assert leftover and _run_dirs(proc.pid) == []
    _report_reads(results)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_to_the_child_is_a_killed_row_naming_it(store, sig):
    results, before = store
    proc = _start("run", "--backend", "torch", *LONG, "--results", str(results))
    os.kill(_child_of(proc.pid), sig)
    status, _, err = _finish(proc)
    name = signal.Signals(sig).name
    assert status == 1 and f"killed by {name}" in err
    added = _added(results, before)
    assert [r["status"] for r in added] == ["killed"] and added[0]["returncode"] == -sig
    assert added[0]["error"].startswith(f"killed by {name}")
    _report_reads(results)


def test_sigterm_stops_a_sweep_with_every_finished_run_stored(store, held):
    results, before = store
    # every child is held (tests/held.py): seed 0's run ends when this test kills its child, so seed 1's
    # is surely running, and running still, when the sweep gets the signal
    proc = _start("sweep", "--backends", "classical", "--tasks", "moons", "--seeds", "0,1", *TINY,
                  "--results", str(results))
    (first,) = held.wait_for(1)
    os.kill(first, signal.SIGKILL)
    (second,) = set(held.wait_for(2)) - {first}
    proc.terminate()
    status, _, err = _finish(proc)
    assert status == 128 + signal.SIGTERM and _wait_gone(second, 10)
    assert "sweep stopped after 1 of 2 (interrupted by SIGTERM (asked to stop)): 1 killed" in err
    added = _added(results, before)
    assert [(r["seed"], r["status"], r["error"].splitlines()[0]) for r in added] == [
        (0, "killed", "killed by SIGKILL (often the out-of-memory killer)"),
        (1, "killed", "interrupted by SIGTERM (asked to stop)")]
    _report_reads(results)


# --- a store that cannot take a row -------------------------------------------------

def _file_limit(nbytes):
    # SIGXFSZ stays ignored (Python's default), so a write past the limit fails with EFBIG
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))


def test_a_full_disk_at_the_end_saves_the_row_elsewhere_and_says_so(store, held):
    results, before = store
    # the child is held (tests/held.py) and times out: storing its row is the same step as storing an ok one's
    proc = _start("run", "--backend", "classical", *TINY, "--timeout", "0.3", "--results", str(results), "--json",
                  preexec=_file_limit(len(before) + 300))
    status, out, err = _finish(proc)
    assert status == 3, err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"error: the run finished (timeout) but the store '{store_path(results)}' could not take "
                           f"its row (File too large); it was saved to ")
    fallback = Path(last.split("it was saved to ")[1].split(";")[0])
    assert store_path(results).read_bytes() == before        # the short write was undone
    saved = [json.loads(line) for line in fallback.read_text().splitlines()]
    assert len(saved) == 1 and saved[0]["status"] == "timeout" and row_problem(saved[0]) is None
    assert json.loads(out) == saved[0]                       # --json still hands the row over
    fallback.unlink()
    _report_reads(results)


def test_a_full_disk_mid_sweep_stops_it_cleanly(store, held, tmp_path):
    results, before = store
    # held children (tests/held.py) time out: each run is quick, and its row is as sure to come as an ok one's
    from harness.executing.runner import run_config
    from harness.inputs.config import RunConfig
    sample = run_config(RunConfig(task="moons", backend="classical", seed=0, epochs=1, train_size=20, test_size=10,
                                  threads=1, timeout_s=0.3), tmp_path / "sample", echo=None)
    assert sample["status"] == "timeout"
    row_bytes = len(store_path(tmp_path / "sample").read_bytes())
    proc = _start("sweep", "--backends", "classical", "--tasks", "moons", "--seeds", "0,1,2", *TINY, "--timeout", "0.3",
                  "--results", str(results), preexec=_file_limit(len(before) + row_bytes * 3 // 2))   # room for one row
    status, _, err = _finish(proc)
    assert status == 3, err
    assert "sweep stopped after 1 of 3 (a row could not be stored): 1 timeout" in err
    fallback = Path(err.split("it was saved to ")[1].split(";")[0])
    assert [(r["seed"], r["status"]) for r in _added(results, before)] == [(0, "timeout")]
    assert json.loads(fallback.read_text())["seed"] == 1
    assert len(held.pids()) == 3            # the sample's child and the sweep's two: seed 2 never started
    fallback.unlink()
    _report_reads(results)


def _mount_tmpfs(path: Path, size: str) -> None:
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")


@pytest.fixture
def tmpfs(tmp_path):
    mounted = []

    def make(size):
        path = tmp_path / f"mnt{len(mounted)}"
        _mount_tmpfs(path, size)
        mounted.append(path)
        return path
    yield make
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_a_nearly_full_disk_is_refused_before_training(tmpfs, run_cli):
    disk = tmpfs("64k")
    (disk / "runs.jsonl").write_bytes(GOLDEN.read_bytes())
    before = (disk / "runs.jsonl").read_bytes()
    result = run_cli("run", "--backend", "classical", *TINY, "--results", str(disk))
    assert result.returncode == 2 and result.stderr.startswith(f"error: the disk holding '{disk / 'runs.jsonl'}' has ")
    assert "too little to be sure of storing a run" in result.stderr and "epoch" not in result.stderr
    assert (disk / "runs.jsonl").read_bytes() == before
    _report_reads(disk)


def test_a_read_only_store_is_refused_before_training(tmpfs, run_cli):
    disk = tmpfs("1m")
    (disk / "runs.jsonl").write_bytes(GOLDEN.read_bytes())
    before = (disk / "runs.jsonl").read_bytes()
    if subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True).returncode != 0:
        pytest.skip("cannot remount read-only here")
    result = run_cli("run", "--backend", "classical", *TINY, "--results", str(disk))
    assert result.returncode == 2
    assert result.stderr == (f"error: cannot write to the store '{disk / 'runs.jsonl'}' (Read-only file system); "
                             f"give --results a folder you can write to\n")
    assert (disk / "runs.jsonl").read_bytes() == before
    _report_reads(disk)


def test_a_store_path_that_is_a_file_or_a_folder_is_refused_before_training(tmp_path, run_cli):
    a_file = tmp_path / "results"
    a_file.write_bytes(b"not a folder")
    result = run_cli("run", "--backend", "classical", *TINY, "--results", str(a_file))
    assert result.returncode == 2
    assert result.stderr == f"error: results '{a_file}' is a file; give --results a folder for runs.jsonl\n"
    assert a_file.read_bytes() == b"not a folder"
    folder = tmp_path / "res"
    store_path(folder).mkdir(parents=True)
    sweep = run_cli("sweep", "--backends", "classical", *TINY, "--results", str(folder))
    assert sweep.returncode == 2 and "is not a regular file" in sweep.stderr
    assert len(sweep.stderr.strip().splitlines()) == 1


def test_a_store_deleted_mid_sweep_gets_the_row_in_a_new_file(tmp_path):
    with Store(tmp_path) as open_store:
        store_path(tmp_path).unlink()
        open_store.append({"schema_version": 1, "run_id": "x", "status": "failed", "task": "moons",
                           "backend": "torch", "seed": 0})
    assert [r["run_id"] for r in read_rows(tmp_path).rows] == ["x"]


# --- what the store may hold --------------------------------------------------------

def test_a_torn_last_line_stays_alone_and_is_left_out(store, capsys):
    results, before = store
    torn = b'{"schema_version": 1, "status": "ok", "task": "moo'
    with open(store_path(results), "ab") as fh:
        fh.write(torn)
    with Store(results) as open_store:
        open_store.append({"schema_version": 1, "run_id": "after", "status": "failed", "task": "moons",
                           "backend": "torch", "seed": 0})
    assert store_path(results).read_bytes().startswith(before + torn + b"\n")
    assert [r["run_id"] for r in _added(results, before + torn + b"\n")] == ["after"]
    report = build_report(results)
    err = capsys.readouterr().err
    assert err.count("warning: ") == 1 and "not a JSON row (Unterminated string" in err
    assert len(report.failures) == 2          # the golden timeout and the row written after the torn line


def test_a_50_mb_garbage_line_is_left_out_without_reading_it_whole(store, capsys):
    results, before = store
    garbage = b"\x00garbage" * (50 * 2 ** 20 // 8) + b"\n"
    with open(store_path(results), "ab") as fh:
        fh.write(garbage)
    with Store(results) as open_store:
        open_store.append(json.loads(before.splitlines()[0]) | {"run_id": "after-garbage"})
    read = read_rows(results)
    assert [r["run_id"] for r in read.rows][-1] == "after-garbage"
    assert read.problems == [f"{store_path(results)}:{len(before.splitlines()) + 1}: a line of "
                             f"{len(garbage):,} bytes, longer than any row"]
    assert store_path(results).read_bytes().startswith(before + garbage)
    capsys.readouterr()
    build_report(results)
    assert capsys.readouterr().err.count("longer than any row") == 1


def test_an_interpreter_that_cannot_start_is_named_by_the_loader():
    """Under a tight address-space limit the loader fails before Python runs (status 127); its words are the cause."""
    limit = 6 * 2 ** 20
    proc = subprocess.run([sys.executable, "-c", "pass"], capture_output=True, text=True,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))
    assert proc.returncode == 127, proc.stderr
    cause = _cause(proc.stderr.splitlines(), proc.returncode)
    assert cause.startswith("error while loading shared libraries: lib") and "failed to map segment" in cause
    assert cause.endswith("(exit status 127)")


def test_any_loader_abort_at_status_127_is_its_own_cause():
    """ld.so has more than one way to fail under a limit (a segment, thread-local storage): its last line."""
    tls = "cannot allocate memory for thread-local data: ABORT"
    assert _cause(["", tls, ""], 127) == f"{tls} (exit status 127)"
    assert _cause(["some output"], 3) == "exited with status 3"        # only 127 is the loader's status


def test_a_memory_limit_that_fails_the_child_shows_its_own_cause_everywhere(store):
    results, before = store
    limit = 400 * 2 ** 20              # enough for the parent, not for torch in the child
    proc = _start("run", "--backend", "classical", *TINY, "--results", str(results),
                  preexec=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))
    status, _, err = _finish(proc)
    assert status == 1, err
    added = _added(results, before)
    assert [r["status"] for r in added] == ["failed"]
    cause = added[0]["error"].splitlines()[0]
    # where the limit bites decides the cause: torch's libraries cannot be mapped (an ImportError), or
    # torch loads and a later C++ allocation aborts the child; either way its own words are the cause
    assert any(w in cause for w in ("failed to map segment", "cannot allocate memory", "MemoryError",
                                    "std::bad_alloc")), cause
    assert cause.endswith(("(exit status 1)", "(exit status 127)", "(crashed with SIGABRT)"))
    assert "exited with status" not in cause
    assert f"classical (seed 0, 1 thread, {_policy()}): failed\n  {cause}" in err          # the run summary
    report = build_report(results)
    assert cause in set(report.failures["error"])                             # the report's table


# --- two writers ------------------------------------------------------------------

def test_two_sweeps_on_one_store_run_each_configuration_once(store, held):
    results, before = store
    args = ["sweep", "--backends", "classical", "--tasks", "moons", "--seeds", "0,1", *TINY,
            "--results", str(results)]
    # every child is held at its start (tests/held.py) and ended by this test, so each sweep's turn is fixed
    first = _start(*args)
    (seed0,) = held.wait_for(1)          # the first sweep has claimed seed 0
    second = _start(*args)
    (seed1,) = set(held.wait_for(2)) - {seed0}     # the second has passed seed 0 by and claimed seed 1
    os.kill(seed0, signal.SIGKILL)       # the first's run ends (a killed row); seed 1 is still claimed
    s1, _, e1 = _finish(first)
    os.kill(seed1, signal.SIGKILL)
    s2, _, e2 = _finish(second)
    assert s1 == 1 and s2 == 1, e1 + e2  # each sweep had a killed run
    added = _added(results, before)
    assert [(r["seed"], r["status"]) for r in added] == [(0, "killed"), (1, "killed")]
    assert "moons classical seed 0: skipped: another sweep on this store is running it" in e2
    assert "moons classical seed 1: skipped: another sweep on this store is running it" in e1
    assert "warning: another harness process is timing on this machine (pid " in e2
    assert len(held.pids()) == 2         # no configuration started twice
    _report_reads(results)


def _policy() -> str:
    """How the run summary names the OpenMP wait policy the child inherits from this environment."""
    value = os.environ.get("OMP_WAIT_POLICY")
    return f"OMP_WAIT_POLICY={value}" if value is not None else "OMP_WAIT_POLICY unset"
