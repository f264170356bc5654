"""Measured children made to wait on purpose, so a test decides when (or whether) a run gets going.

A short ``--timeout`` racing the child's import of torch fails on a fast
machine; a child that is held cannot finish, whatever the machine. The hold is
a ``sitecustomize.py`` in a folder of its own, put on the user's PYTHONPATH:
the runner passes that on to the child (after the project root) and Python
imports ``sitecustomize`` at start-up, before any of the child's own code. Only
``harness.measuring.child`` processes wait (the ``python -m harness`` parents
and any other interpreter that inherits the variable go on), each announcing
itself with a file named after its pid, until it is ended: by the runner's
timeout, by a signal from the test, or, if forgotten, after ten minutes.
Nothing in the production code knows about it.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

SITECUSTOMIZE = '''\
import os
import time


def _is_measured_child():
    try:
        with open("/proc/self/cmdline", "rb") as fh:
            return b"harness.measuring.child" in fh.read().split(b"\\0")
    except OSError:
        return False


if _is_measured_child():
    open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "held-%d" % os.getpid()), "w").close()
    time.sleep(600)       # until the runner's timeout or the test ends it; a forgotten one goes after ten minutes
    os._exit(99)
'''


class Holder:
    """The folder holding the ``sitecustomize.py``; what to put on PYTHONPATH is ``path``."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        (path / "sitecustomize.py").write_text(SITECUSTOMIZE)

    def pids(self) -> list[int]:
        """The children that have started and been held so far (ended since or not), in no order."""
        return [int(p.name.split("-", 1)[1]) for p in self.path.glob("held-*")]

    def wait_for(self, count: int, timeout: float = 60) -> list[int]:
        """Wait until ``count`` children have been held; their pids."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.pids()
            if len(pids) >= count:
                return pids
            time.sleep(0.02)
        raise AssertionError(f"{count} held children expected within {timeout} s, saw {len(self.pids())}")

    def end_leftovers(self) -> None:
        """Kill any held child still alive (a failed test's), by its pid, checking it is still that child."""
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    if b"harness.measuring.child" not in fh.read():
                        continue
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue


def alive(pid: int) -> bool:
    """The process exists and has not ended (a zombie, not yet reaped by its parent, has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False
