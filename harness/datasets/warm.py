"""Fill the data cache before a sweep, in a child of its own: ``python -m harness.datasets.warm < configs.json``.

Without this, the first run of each dataset on a machine (MNIST once; ``moons`` once per seed and size) makes
the arrays inside its measured setup span (its row says ``data_cache: made``). A sweep asks this child to load
each distinct data configuration of its grid first, so every measured run reads them. Its own imports (torch,
scikit-learn, mlxtend) stay out of the sweep's parent, which imports none of them.
"""
from __future__ import annotations

import json
import subprocess
import sys

# the tasks whose data the cache keeps (harness.datasets.cache); the others make theirs in milliseconds
KEPT = ("moons", "mnist01", "mnist37")
DATA_FIELDS = ("task", "seed", "train_size", "test_size", "digits", "data_dir")


def warm(configs, timeout_s: float = 300.0) -> str | None:
    """Load each distinct data configuration of ``configs`` (resolved RunConfigs) in one child; what went wrong
    in a line, or None. Nothing to do when caching is off or no configuration keeps data."""
    from harness.datasets.cache import cache_dir

    distinct = {}
    for cfg in configs:
        if cfg.task in KEPT:
            d = cfg.as_dict()
            distinct.setdefault(json.dumps([d.get(f) for f in DATA_FIELDS], default=str), d)
    if not distinct or cache_dir() is None:
        return None
    try:
        done = subprocess.run([sys.executable, "-m", __name__], input=json.dumps(list(distinct.values())),
                              capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if done.returncode != 0:
        return (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    return None


def main() -> int:
    from harness.inputs.config import RunConfig
    from harness.tasks import task_spec

    for d in json.load(sys.stdin):
        cfg = RunConfig.from_dict(d)
        task_spec(cfg.task).impl().load_data(cfg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
