"""A sweep's estimate of the time left, from measured durations only.

Each configuration still to run is estimated by the median duration of runs of
the same configuration but another seed (the same backend, task, sizes and
settings): those this sweep finished, and ok rows this code stored on this
machine before. A configuration nobody has timed yet is not guessed at (the
durations of one backend say nothing of another's): the estimate then says
how many it leaves out, or there is none until a run has finished.
"""
from __future__ import annotations

import platform
import statistics


def _span(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


def unseeded(key: tuple) -> tuple:
    """A configuration key (``sweep.config_key``) without its seed: the runs whose durations it shares."""
    return tuple(kv for kv in key if kv[0] != "seed")


class Estimate:
    """Durations measured per configuration (without seed), and the time left for those still to run."""

    def __init__(self, lanes: int = 1):
        self.lanes = max(1, lanes)           # runs at once (Ray); the local executor runs one at a time
        self.durations: dict[tuple, list[float]] = {}

    def stored(self, rows, code_version: str, key) -> None:
        """ok rows this code measured on this machine: their ``run_wall_s`` under ``key(row)``."""
        here = platform.node()
        for r in rows:
            if (r.get("status") == "ok" and r.get("code_version") == code_version and r.get("run_wall_s")
                    and (r.get("machine") or {}).get("hostname") == here):
                self.add(unseeded(key(r)), r["run_wall_s"])

    def add(self, group: tuple, seconds: float) -> None:
        self.durations.setdefault(group, []).append(seconds)

    def left(self, groups) -> str:
        """What the progress line says for the configurations ``groups`` (one entry each) still to run."""
        groups = list(groups)
        known = [statistics.median(self.durations[g]) for g in groups if g in self.durations]
        untimed = len(groups) - len(known)
        if not groups:
            return ""
        if not known:
            return "ETA after the first run" if not self.durations else f"no ETA yet ({untimed} not timed yet)"
        total = _span(sum(known) / self.lanes)
        if untimed:
            return f"at least {total} left ({untimed} not timed yet)"
        return f"ETA {total}"
