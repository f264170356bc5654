"""What happens to the display must not happen to the work: closed pipes, a hung-up terminal, nohup.

Real processes, real pipes and a real pseudo-terminal. A child is made chatty or slow on purpose by a
``sitecustomize.py`` on PYTHONPATH that acts only in the measured child (the parent sets
HARNESS_PARENT_PID for it alone), so nothing in the harness knows about the test.
"""
from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

from harness.results.store import store_path

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--backend", "classical", "--epochs", "1", "--train-size", "20", "--test-size", "10", "--threads", "1"]


def _site(tmp_path, body: str) -> dict:
    """An environment whose measured children first run ``body`` (the parent is left alone)."""
    folder = tmp_path / "site"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        "import os, sys, time\nif os.environ.get('HARNESS_PARENT_PID'):\n"
        + "".join(f"    {line}\n" for line in body.splitlines()))
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(folder)]))


def _rows(results) -> list[dict]:
    path = store_path(results)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_closed_pipe_neither_blocks_the_child_nor_fails_the_run(tmp_path):
    # 400 kB at the child's start: far beyond a pipe's buffer, so a parent that stopped draining hangs it
    env = _site(tmp_path, "sys.stderr.write(('x' * 99 + '\\n') * 4000); sys.stderr.flush()")
    results = tmp_path / "res"
    proc = subprocess.Popen([sys.executable, "-m", "harness", "run", *TINY, "--timeout", "120",
                             "--results", str(results)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    proc.stdout.readline()                       # as `| head -1` does: one line, then the reader is gone
    proc.stdout.close()
    assert proc.wait(timeout=180) == 0
    assert [r["status"] for r in _rows(results)] == ["ok"]


def test_a_sweep_whose_output_closes_finishes_its_grid(tmp_path):
    results = tmp_path / "res"
    proc = subprocess.Popen([sys.executable, "-m", "harness", "sweep", "--backends", "classical",
                             "--seeds", "0,1", *TINY[2:], "--results", str(results)], cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=300) == 0
    rows = _rows(results)
    assert sorted((r["seed"], r["status"]) for r in rows) == [(0, "ok"), (1, "ok")]


def test_nohup_keeps_a_sweep_alive_through_a_hang_up(tmp_path):
    # each child waits 1.5 s, so the hang-up lands while a run is in flight
    env = _site(tmp_path, "time.sleep(1.5)")
    results = tmp_path / "res"
    proc = subprocess.Popen([sys.executable, "-m", "harness", "sweep", "--backends", "classical",
                             "--seeds", "0,1", *TINY[2:], "--results", str(results)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))   # what nohup does
    line = proc.stderr.readline()
    while "..." not in line:                     # the first run has started
        line = proc.stderr.readline()
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    assert [r["status"] for r in _rows(results)] == ["ok", "ok"]


def test_a_terminal_that_hangs_up_stops_the_run_with_its_row_and_status_129(tmp_path):
    env = _site(tmp_path, "time.sleep(60)")       # the run is in flight when the terminal goes
    results = tmp_path / "res"
    master, slave = pty.openpty()
    name = os.ttyname(slave)

    def own_terminal():
        os.setsid()                              # a session whose controlling terminal is the pty
        fd = os.open(name, os.O_RDWR)
        os.close(fd)

    proc = subprocess.Popen([sys.executable, "-m", "harness", "run", *TINY, "--results", str(results)],
                            cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave, preexec_fn=own_terminal)
    os.close(slave)
    deadline = time.monotonic() + 60
    while not _child_started(proc.pid):
        assert time.monotonic() < deadline, "the run never started its child"
        time.sleep(0.2)
    os.close(master)                             # the terminal hangs up: SIGHUP, and writes fail with EIO
    assert proc.wait(timeout=60) == 128 + signal.SIGHUP
    rows = _rows(results)
    assert [r["status"] for r in rows] == ["killed"]
    assert rows[0]["error"].startswith("interrupted by SIGHUP")


def _child_started(parent: int) -> bool:
    try:
        children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    except OSError:
        return False
    return any("harness.measuring.child" in Path(f"/proc/{c}/cmdline").read_bytes().decode(errors="replace")
               for c in children if Path(f"/proc/{c}/cmdline").exists())
