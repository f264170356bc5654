"""Run configuration: a frozen dataclass, validated and completed in one place.

The command line and the sweep only fill in a ``RunConfig``; ``resolve()``
has ``harness.inputs.validate`` check every value against what is accepted and fill
the task's defaults, so a child process never meets a bad value.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from harness.tasks import TASKS


@dataclass(frozen=True)
class RunConfig:
    task: str = "moons"
    backend: str = "torch"
    circuit: str | None = None         # a built-in name or a circuit file; None: the task's default
    observables: str | None = None     # --observables SPEC: the outputs instead of the circuit's own
    input_names: tuple[str, ...] | None = None    # a circuit file's input parameters, by name (--inputs)
    weight_names: tuple[str, ...] | None = None   # and its weights (--weights)
    circuit_digest: str | None = None  # filled by resolve: the file's (or changed outputs') digest
    circuit_format: str | None = None  # filled by resolve: "built-in", "qiskit", "qasm3", "pennylane"
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
        for key in ("input_names", "weight_names"):
            d[key] = list(d[key]) if d[key] is not None else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        if d.get("digits") is not None:
            d["digits"] = tuple(d["digits"])
        for key in ("input_names", "weight_names"):
            if d.get(key) is not None:
                d[key] = tuple(d[key])
        if isinstance(d.get("env"), dict):
            d["env"] = tuple(d["env"].items())
        return cls(**d)


def resolve(cfg: RunConfig) -> RunConfig:
    """The checked, completed config; the checks live in ``harness.inputs.validate`` (notes there too)."""
    from harness.inputs.validate import check_run
    return check_run(cfg).config


__all__ = ["RunConfig", "resolve", "TASKS"]
