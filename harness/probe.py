"""Resource probes read from inside the measured process (Linux /proc).

Peak memory is the kernel's high-water mark of resident memory, VmHWM, which
starts afresh at exec; ``ru_maxrss`` would inherit the parent's peak. Threads
and child processes have no high-water mark, so a background thread samples
them every ``interval_s``.
"""
from __future__ import annotations

import glob
import os
import resource
import threading


def _status_field(name: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_rss_mb() -> float | None:
    kb = _status_field("VmHWM")
    return None if kb is None else kb / 1024


def thread_count() -> int | None:
    return _status_field("Threads")


def child_count() -> int:
    pids = set()
    for path in glob.glob(f"/proc/{os.getpid()}/task/*/children"):
        try:
            with open(path) as fh:
                pids.update(fh.read().split())
        except OSError:
            pass
    return len(pids)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Sampler:
    """Samples thread and child-process counts in the background; keeps the peaks."""

    def __init__(self, interval_s: float = 0.05):
        self.interval_s = interval_s
        self.peak_threads = 0
        self.peak_children = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="harness-sampler", daemon=True)

    def _sample(self):
        threads = thread_count() or 0
        # our own sampler thread is not the workload's
        self.peak_threads = max(self.peak_threads, threads - 1)
        self.peak_children = max(self.peak_children, child_count())

    def _loop(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval_s)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()
