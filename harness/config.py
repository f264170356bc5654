"""Run configuration: a frozen dataclass, validated and completed in one place.

The command line and the sweep only fill in a ``RunConfig``; ``resolve()``
checks every value against what is accepted, fills the task's defaults and
returns a complete config, so a child process never meets a bad value.
"""
from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass

from backends import CIRCUITS, UserError, backend_spec, check_shots
from backends.registry import DEFAULT_LAYERS, DEFAULT_QUBITS, MAX_QUBITS, make_circuit, refuse_circuit, refuse_shots

from .provenance import BUDGET_VARS, allowed_cpus
from .tasks import TASKS, task_spec


@dataclass(frozen=True)
class RunConfig:
    task: str = "moons"
    backend: str = "torch"
    circuit: str | None = None         # None: the task's default
    qubits: int | None = None          # entangler only
    layers: int | None = None          # entangler only
    digits: tuple[int, int] | None = None   # MNIST tasks only
    seed: int = 0
    shots: int | None = None           # None: exact
    threads: int | None = None         # None: every CPU this process may use (affinity, cgroup quota)
    # environment variables set explicitly for the run, e.g. (("OMP_WAIT_POLICY", "ACTIVE"),);
    # everything else is the user's own environment, passed through and recorded
    env: tuple[tuple[str, str], ...] = ()
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    train_size: int | None = None
    test_size: int | None = None
    data_dir: str | None = None
    timeout_s: float | None = None

    def resolve(self) -> "RunConfig":
        return resolve(self)

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["digits"] = list(self.digits) if self.digits else None
        d["env"] = {k: v for k, v in self.env}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        if d.get("digits") is not None:
            d["digits"] = tuple(d["digits"])
        if isinstance(d.get("env"), dict):
            d["env"] = tuple(d["env"].items())
        return cls(**d)


def _positive_int(label, value, minimum=1):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UserError(f"{label} must be an integer of at least {minimum}; received {value!r}")
    return value


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_env(items) -> tuple[tuple[str, str], ...]:
    """``["NAME=VALUE", ...]`` -> ((NAME, VALUE), ...)."""
    pairs = []
    for item in items or ():
        name, sep, value = str(item).partition("=")
        if not sep:
            raise UserError(f"--env takes NAME=VALUE, such as OMP_WAIT_POLICY=ACTIVE; received '{item}'")
        pairs.append((name.strip(), value))
    return tuple(pairs)


def check_env(env) -> tuple[tuple[str, str], ...]:
    """Explicit environment settings: valid names, none twice, not the thread budget's own, sorted."""
    pairs = tuple((str(k), str(v)) for k, v in (env.items() if isinstance(env, dict) else env or ()))
    seen = set()
    for name, value in pairs:
        if not _ENV_NAME.fullmatch(name):
            raise UserError(f"--env needs a variable name of letters, digits and _; received '{name}'")
        if name in BUDGET_VARS:
            raise UserError(f"{name} is the thread budget; set it with --threads, not --env")
        if name in seen:
            raise UserError(f"--env sets {name} twice; give each variable once")
        if "\0" in value:
            raise UserError(f"--env {name}: the value holds a NUL character")
        seen.add(name)
    return tuple(sorted(pairs))


def resolve(cfg: RunConfig) -> RunConfig:
    task = task_spec(cfg.task)
    spec = backend_spec(cfg.backend)
    circuit = cfg.circuit or task.circuit
    if circuit not in CIRCUITS:
        raise UserError(f"unknown circuit '{circuit}'; valid: {', '.join(CIRCUITS)}")
    if circuit not in task.circuits:
        raise UserError(f"task '{task.name}' runs circuits {', '.join(task.circuits)}; received '{circuit}'")
    qubits, layers = _positive_int("qubits", cfg.qubits), _positive_int("layers", cfg.layers)
    if CIRCUITS[circuit].sizable:
        qubits, layers = qubits or DEFAULT_QUBITS, layers or DEFAULT_LAYERS
        if qubits > MAX_QUBITS:
            raise UserError(f"qubits must be at most {MAX_QUBITS}; received {qubits}")
    elif qubits is not None or layers is not None:
        raise UserError(f"--qubits and --layers size the entangler circuit (task 'scaling'); "
                        f"task '{task.name}' runs the fixed-size '{circuit}' circuit")
    digits = cfg.digits
    if task.digits is None:
        if digits is not None:
            raise UserError(f"--digits applies to the MNIST tasks (mnist01, mnist37); task '{task.name}' has none")
    else:
        digits = tuple(digits) if digits is not None else task.digits
        if (len(digits) != 2 or any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 9
                                    for d in digits) or digits[0] == digits[1]):
            raise UserError(f"digits must be two different digits 0-9 such as 3,7; received {digits!r}")
    shots = check_shots(cfg.shots)
    refuse_shots(spec, shots)
    refuse_circuit(spec, make_circuit(circuit, qubits, layers))    # a backend that serves only some circuits
    _positive_int("seed", cfg.seed, 0)
    threads = _positive_int("threads", cfg.threads) or allowed_cpus()
    env = check_env(cfg.env)
    lr = task.lr if cfg.lr is None else cfg.lr
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0:
        raise UserError(f"lr must be a positive number; received {lr!r}")
    if cfg.timeout_s is not None and not (isinstance(cfg.timeout_s, (int, float)) and cfg.timeout_s > 0):
        raise UserError(f"timeout must be a positive number of seconds; received {cfg.timeout_s!r}")
    train_size = _positive_int("train size", cfg.train_size) or task.train_size
    batch_size = _positive_int("batch size", cfg.batch_size) or task.batch_size
    n_train = train_size * (2 if task.digits else 1)
    if batch_size > n_train:
        raise UserError(f"batch size {batch_size} is larger than the {n_train} training samples")
    if cfg.data_dir is not None and not os.path.isdir(cfg.data_dir):
        raise UserError(f"data dir '{cfg.data_dir}' is not a folder; give a folder with the MNIST IDX files")
    return dataclasses.replace(
        cfg, circuit=circuit, qubits=qubits, layers=layers, digits=digits, shots=shots, threads=threads, env=env,
        epochs=_positive_int("epochs", cfg.epochs) or task.epochs,
        batch_size=batch_size,
        lr=float(lr),
        train_size=train_size,
        test_size=_positive_int("test size", cfg.test_size) or task.test_size,
        data_dir=str(cfg.data_dir) if cfg.data_dir else None,
    )


__all__ = ["RunConfig", "resolve", "TASKS"]
