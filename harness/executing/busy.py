"""What a run says about the machine it was timed on: quiet, busy (with what tends to help), or unknown.

The child measures the rest of the machine's load over training and marks
the row busy (``harness.measuring.load``); this is the parent's wording of it
for ``run``'s summary and a sweep's progress lines.
"""
from __future__ import annotations

from backends import BACKENDS
from harness.measuring.load import OTHER_BUSY_CORES, STEAL_CORES

# Measured here (2026-12-02, moons on lightning-adjoint, one CPU burner beside it and other sessions'
# tests, n=3 each, seeds 0-2): the default (OMP_WAIT_POLICY unset, 2 threads) trained in 20-24 s,
# OMP_WAIT_POLICY=PASSIVE in 1.5 s, --threads 1 in 1.0 s: lightning's OpenMP threads spin while they
# wait, and a spinning thread that shares its core with another process stalls the one it waits for.
SPINNING = ("OpenMP threads spin between calls and collapse when they share cores; what helped here: "
            "--threads 1 (leaving the others a core), or --env OMP_WAIT_POLICY=PASSIVE")
GENERIC = "repeat it when the machine is quiet"


def spins(backend: str) -> bool:
    """Lightning's simulators run OpenMP threads with the libraries' default (spinning) wait policy."""
    spec = BACKENDS.get(backend)
    return spec is not None and str(spec.simulator).startswith("lightning.")


def remedy(row: dict) -> str:
    """What tends to help this row's backend on a busy machine (measured for lightning, see SPINNING)."""
    env = row.get("thread_env") or {}
    if spins(row.get("backend", "")) and env.get("OMP_WAIT_POLICY", "").upper() != "PASSIVE" \
            and row.get("threads") not in (1, "1"):
        return SPINNING
    return GENERIC


def machine_line(row: dict) -> str:
    """One line for ``run``'s summary: the rest of the machine's load over training, and what it means."""
    other, steal = row.get("train_other_busy_cores"), row.get("train_steal_cores")
    if row.get("busy") is None or other is None:
        return "machine load over training: not measured (no /proc/stat, or a row from before it was)"
    figures = f"the rest of the machine used {other:.2f} cores, {steal:.2f} stolen by the hypervisor"
    if row["busy"]:
        return (f"BUSY machine over training: {figures} (busy above {OTHER_BUSY_CORES:g} of the run's cores "
                f"or {STEAL_CORES:g} stolen): these timings are disturbed, and the report leaves this run out")
    return f"machine quiet over training: {figures}"


def warning(row: dict) -> str | None:
    """The warning for a busy row: what tends to help for its backend; None for a quiet or unknown one."""
    if row.get("busy") is not True:
        return None
    return (f"the machine was busy while {row.get('backend')} trained ({row['train_other_busy_cores']:.2f} cores "
            f"used by others, {row['train_steal_cores']:.2f} stolen); {row.get('backend')}: {remedy(row)}")


def short(row: dict) -> str:
    """A few characters for a sweep's progress line; empty for a quiet or unknown row."""
    if row.get("busy") is not True:
        return ""
    return f", BUSY: others {row['train_other_busy_cores']:.2f} cores, steal {row['train_steal_cores']:.2f}"
