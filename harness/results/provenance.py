"""Where a number came from: package versions, machine, thread settings, commit."""
from __future__ import annotations

import datetime
import hashlib
import functools
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ("torch", "qiskit", "qiskit-aer", "qiskit-machine-learning", "pennylane", "pennylane-lightning",
            "numpy")
# The thread budget's own variables (set from --threads) ...
BUDGET_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
# ... and every variable of these families is recorded, whoever set it, since each
# can change a figure (OMP_WAIT_POLICY halves lightning's speed on small circuits).
THREAD_PREFIXES = ("OMP_", "GOMP_", "KMP_", "MKL_", "OPENBLAS_", "GOTO_", "BLIS_", "VECLIB_", "NUMEXPR_",
                   "TORCH_NUM_", "QISKIT_", "AER_")


def thread_env(env=None) -> dict:
    """The thread-related variables of ``env`` (default: this process's), sorted by name."""
    env = os.environ if env is None else env
    return {k: env[k] for k in sorted(env) if k.startswith(THREAD_PREFIXES)}


def versions() -> dict:
    found = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            found[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            found[pkg] = None
    return found


@functools.lru_cache(maxsize=1)
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@functools.lru_cache(maxsize=1)
def git_commit() -> str | None:
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def _cgroup_cpu_limit(root="/sys/fs/cgroup") -> int | None:
    """Whole CPUs a cgroup quota allows (v2 ``cpu.max``, else v1 ``cfs_quota_us``); None: no quota.

    A fractional quota is rounded down (at least 1): a thread budget above the
    quota would be throttled, and throttling disturbs timings.
    """
    quota = period = None
    try:
        with open(os.path.join(root, "cpu.max")) as fh:
            q, p = fh.read().split()[:2]
        if q != "max":
            quota, period = int(q), int(p)
    except (OSError, ValueError):
        try:
            with open(os.path.join(root, "cpu", "cpu.cfs_quota_us")) as fh:
                q = int(fh.read())
            with open(os.path.join(root, "cpu", "cpu.cfs_period_us")) as fh:
                p = int(fh.read())
            if q > 0:
                quota, period = q, p
        except (OSError, ValueError):
            pass
    if quota is None or not period:
        return None
    return max(1, quota // period)


def allowed_cpus(cgroup_root="/sys/fs/cgroup") -> int:
    """The CPUs this process may use: its affinity mask, capped by a cgroup CPU quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    limit = _cgroup_cpu_limit(cgroup_root)
    return min(cpus, limit) if limit else cpus


# the code that decides a figure: the layers, how a run is measured, the tasks and their data. Not the
# command line, validation messages, execution plumbing, storage or reporting: rewording an error must
# not mark every stored row as measured by other code.
MEASURING_CODE = ("backends", "harness/measuring", "harness/tasks", "harness/datasets")


def code_version(root: Path | None = None) -> str:
    """A digest of the measuring code's Python sources (``MEASURING_CODE``), 12 hex digits.

    Unlike the git commit it ignores changes elsewhere (README, tests, results,
    the command line, reporting), and it sees uncommitted edits: two rows with
    the same code version were measured by the same code.
    """
    if root is None:
        return _installed_code_version()
    root = Path(root)
    digest = hashlib.sha256()
    sources = [p for folder in MEASURING_CODE for p in (root / folder).rglob("*.py")]
    for path in sorted(sources, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


@functools.lru_cache(maxsize=1)
def _installed_code_version() -> str:
    return code_version(Path(__file__).resolve().parents[2])


def machine() -> dict:
    return {"cpu_model": cpu_model(), "cpu_count": os.cpu_count(), "cpus_allowed": allowed_cpus(),
            "hostname": platform.node(), "platform": platform.platform()}


def collect(env: dict | None = None) -> dict:
    return {
        "versions": versions(),
        "machine": machine(),
        # what the child was given; a child that reports back replaces it with what it saw
        "thread_env": thread_env(env),
        "git_commit": git_commit(),
        "code_version": code_version(),
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
