"""Resource probes read from inside the measured process (Linux /proc).

Peak memory is the kernel's high-water mark of resident memory, VmHWM, which
starts afresh at exec; ``ru_maxrss`` would inherit the parent's peak. Writing
5 to /proc/self/clear_refs resets VmHWM to the current resident size, which
is how a span (training) gets a peak of its own. Threads and child processes
have no high-water mark, so a background thread samples them every
``interval_s``, keeping the peaks of each named span apart.
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


def peak_rss_mib() -> float | None:
    """The high-water mark of resident memory since exec or the last reset, MiB."""
    kb = _status_field("VmHWM")
    return None if kb is None else kb / 1024


def reset_peak_rss() -> bool:
    """Restart VmHWM from the current resident size; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


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
    """Samples thread and child-process counts in the background; keeps the peaks per span.

    ``span(name)`` starts a named span (sampled at once, so even a short span
    has a sample); the whole run's peaks cover every span.
    """

    def __init__(self, interval_s: float = 0.05, span: str = "setup"):
        self.interval_s = interval_s
        self.peak_threads = 0            # the whole run
        self.peak_children = 0
        self.spans: dict[str, dict[str, int]] = {}
        self._span = span
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="harness-sampler", daemon=True)

    def span(self, name: str) -> None:
        with self._lock:
            self._span = name
        self._sample()

    def _sample(self):
        # the span is read before counting: a count the background thread took in one span and recorded after
        # a preemption would otherwise land in the next span (6 threads of "setup" seen in "train", under load)
        with self._lock:
            span = self._span
        # our own sampler thread is not the workload's
        threads = (thread_count() or 1) - 1
        children = child_count()
        with self._lock:
            peaks = self.spans.setdefault(span, {"threads": 0, "children": 0})
            peaks["threads"] = max(peaks["threads"], threads)
            peaks["children"] = max(peaks["children"], children)
            self.peak_threads = max(self.peak_threads, threads)
            self.peak_children = max(self.peak_children, children)

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
