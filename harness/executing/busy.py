"""What a run says about the machine it was timed on: quiet, busy (with what tends to help), or unknown.

The child measures the rest of the machine's load over training and marks
the row busy (``harness.measuring.load``); this is the parent's wording of it
for ``run``'s summary and a sweep's progress lines.
"""
from __future__ import annotations

from backends import BACKENDS
from harness.measuring.load import OTHER_BUSY_CORES, STEAL_CORES

# Measured here (2026-12-01, moons on lightning-adjoint, training wall time, median (min-max) of seeds 0-2,
# n=3 each, interleaved). Quiet: default 0.93 s (0.90-0.96), OMP_WAIT_POLICY=PASSIVE 1.94 s (1.81-2.19),
# --threads 1 0.90 s (0.87-0.91). One CPU burner beside it, with other sessions' tests: default 22.9 s
# (11.3-23.7), PASSIVE 1.51 s (1.09-2.24), --threads 1 1.48 s (0.99-2.30). Other sessions' tests alone
# (1.3-1.6 cores): default 36.5 s (31.6-41.8), PASSIVE 2.63 s (1.90-3.70), --threads 1 2.41 s (2.08-2.64).
# Spinning OpenMP threads that share their cores with another process stall the one they wait for.
SPINNING = ("its OpenMP threads spin between calls and stall when they share cores; measured on moons beside a "
            "CPU burner, 22.9 s became 1.5 s with --threads 1 (which leaves the others a core and cost nothing "
            "on a quiet machine) or with --env OMP_WAIT_POLICY=PASSIVE (2x slower on a quiet machine)")
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
    if other is None:
        return "machine load over training: not measured (no /proc/stat, or a row from before it was)"
    figures = f"the rest of the machine used {other:.2f} cores, {steal:.2f} stolen by the hypervisor"
    if row.get("busy") is None:
        return (f"machine load over training: cannot tell, {row.get('train_s', 0):.2f} s is too short for "
                f"/proc/stat's ticks ({figures})")
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
