"""Was the machine quiet? The rest of the machine's CPU use and the hypervisor's steal over a span.

``/proc/stat``'s first line is the whole machine's CPU time since boot, in
clock ticks, per state: user, nice, system, idle, iowait, irq, softirq, steal,
guest, guest_nice (guest time is already inside user and nice, so it is not
added again). Busy is every state but idle, iowait and steal; steal is the time
a virtual CPU wanted to run and the hypervisor ran someone else.

Over a span, the machine's busy time minus this process's own CPU time (its
threads, its children reaped or alive) is what the *rest of the machine* used;
divided by the span's wall time it is in cores. A run is busy when that eats
into the cores the run may use, or when the hypervisor stole more than a
little (``is_busy``).
"""
from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass

# Measured here (2026-12-01, moons on lightning-adjoint, 9 runs started in quiet moments): the rest of the
# machine used 0.00-0.014 cores over training (the default-policy runs kept 1.97-1.98 cores of their own
# busy spinning: none of that is counted as the others'). With one CPU burner beside it (and other
# sessions' tests) the others used 1.00-1.52 cores (n=9), with other sessions' tests alone 1.26-1.58 (n=9),
# and those runs were up to 40x slower (harness/executing/busy.py). Nothing between 0.014 and 1.00 was
# seen: 0.25 cores is 18x the quiet floor and a quarter of what one steady second process takes.
OTHER_BUSY_CORES = 0.25
# Steal over those 27 runs was 0.000-0.022 cores, busy or not: this VM's hypervisor rarely takes time.
# 0.1 cores (a tenth of a CPU gone from under the run) is 4-5x the most seen; it was never reached here,
# so it is a bound on noise, not a measured harm.
STEAL_CORES = 0.10

_BUSY_STATES = (0, 1, 2, 5, 6)        # user, nice, system, irq, softirq
_STEAL = 7
TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class MachineTimes:
    """The whole machine's CPU seconds since boot: busy, steal; and how many CPUs it counts."""
    busy_s: float
    steal_s: float
    cpus: int


def parse_stat(text: str, ticks_per_s: float = TICKS_PER_S) -> MachineTimes:
    """``/proc/stat``'s text read into seconds (a ValueError when its ``cpu`` line is missing)."""
    total, cpus = None, 0
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "cpu":
            total = [int(v) for v in parts[1:]] + [0] * 10       # older kernels have fewer columns
        elif parts[0].startswith("cpu") and parts[0][3:].isdigit():
            cpus += 1
    if total is None:
        raise ValueError("no 'cpu' line in /proc/stat")
    busy = sum(total[i] for i in _BUSY_STATES)
    return MachineTimes(busy / ticks_per_s, total[_STEAL] / ticks_per_s, cpus)


def machine_times(path: str = "/proc/stat") -> MachineTimes | None:
    try:
        with open(path) as fh:
            return parse_stat(fh.read())
    except (OSError, ValueError):
        return None


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in _listdir(f"/proc/{p}/task"):
            try:
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    kids = [int(k) for k in fh.read().split()]
            except (OSError, ValueError):
                continue
            found += kids
            todo += kids
    return found


def _listdir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


def _process_cpu_s(pid: int) -> float:
    """A live process's CPU seconds (its threads) plus those of the children it reaped; 0 when gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    # after the name: state is field 3, utime 14, stime 15, cutime 16, cstime 17 (1-based in proc(5))
    return sum(int(v) for v in fields[11:15]) / TICKS_PER_S


def own_cpu_s() -> float:
    """This process's CPU seconds: its threads, its reaped children, and its live descendants' so far.

    A child alive at both ends of a span counts by its growth; one that ended and was reaped moves from
    "live" into RUSAGE_CHILDREN with all its time; a grandchild reaped by a live child shows in that
    child's cutime. A child that ended unreaped (a zombie) keeps its own time in /proc until reaped.
    """
    me = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    live = sum(_process_cpu_s(pid) for pid in _descendants(os.getpid()))
    return me.ru_utime + me.ru_stime + reaped.ru_utime + reaped.ru_stime + live


@dataclass(frozen=True)
class Mark:
    wall: float
    own_s: float
    machine: MachineTimes | None


def mark() -> Mark:
    """One end of a span; two marks give ``figures``."""
    return Mark(time.perf_counter(), own_cpu_s(), machine_times())


# /proc/stat counts whole ticks per CPU: each read floors every CPU's counter, and tick-sampled accounting
# can charge a tick to the wrong side of a state change, so a span's busy time is uncertain by about two
# ticks per CPU (0.04 CPU-s here): 0.04 cores over a 1 s span, 8 cores over the 5 ms a tiny test trains.
TICK_SLACK = 2


def figures(start: Mark, end: Mark, threads: int) -> dict:
    """The span's other-busy and steal cores and whether they mark it busy (None each where /proc is missing).

    The figures are clamped to what a machine can hold (0 to its CPUs: getrusage is finer than the ticks,
    so a quiet span can come out a hair below zero). ``busy`` is None when the span is too short for the
    ticks to tell (``judge``).
    """
    wall = end.wall - start.wall
    if start.machine is None or end.machine is None or wall <= 0:
        return {"train_other_busy_cores": None, "train_steal_cores": None, "busy": None}
    cpus = end.machine.cpus or threads
    other = (end.machine.busy_s - start.machine.busy_s - (end.own_s - start.own_s)) / wall
    steal = (end.machine.steal_s - start.machine.steal_s) / wall
    error = TICK_SLACK * cpus / TICKS_PER_S / wall
    return {"train_other_busy_cores": min(max(0.0, other), cpus), "train_steal_cores": min(max(0.0, steal), cpus),
            "busy": judge(other, steal, threads, cpus, error)}


def judge(other_busy_cores: float, steal_cores: float, threads: int, cpus: int, error: float = 0.0) -> bool | None:
    """``is_busy`` with the figures uncertain by ``error`` cores: True or False only when the whole
    interval says so, None (cannot tell) when it straddles a threshold."""
    low = is_busy(other_busy_cores - error, steal_cores - error, threads, cpus)
    high = is_busy(other_busy_cores + error, steal_cores + error, threads, cpus)
    return low if low == high else None


def is_busy(other_busy_cores: float, steal_cores: float, threads: int, cpus: int) -> bool:
    """Busy: the rest of the machine took more than OTHER_BUSY_CORES of the cores the run may use, or
    more than STEAL_CORES were stolen.

    The cores the run may use are its threads; what the others use on the CPUs left over
    (``cpus - threads``, none on this 2-core machine at the default budget) takes nothing from it.
    """
    spare = max(0, (cpus or threads) - threads)
    return other_busy_cores > spare + OTHER_BUSY_CORES or steal_cores > STEAL_CORES
