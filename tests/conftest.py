import os
import sys
from pathlib import Path

import pytest

from held import Holder

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


@pytest.fixture(scope="session", autouse=True)
def _data_cache(tmp_path_factory):
    """The test session keeps prepared data in a cache of its own (its children too), not in the user's."""
    folder = tmp_path_factory.mktemp("data-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARNESS_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="session", autouse=True)
def _no_warm_up():
    """In-process sweeps start no data warm-up child (about 5 s of imports each; module-scoped fixtures' sweeps
    too): their runs make their data in setup (``data_cache: made``), which no test but the ``warm`` ones reads."""
    from harness.executing import sweep
    real = sweep._warm
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sweep, "_warm", lambda configs, out: None)
        yield sweep, real


@pytest.fixture(autouse=True)
def _warm_up_where_marked(request, monkeypatch, _no_warm_up):
    if request.node.get_closest_marker("warm") is not None:
        sweep, real = _no_warm_up
        monkeypatch.setattr(sweep, "_warm", real)


@pytest.fixture
def bad_mnist_dir(tmp_path):
    """A folder with the four standard MNIST file names holding garbage, not IDX data."""
    folder = tmp_path / "bad-mnist"
    folder.mkdir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (folder / name).write_bytes(b"\x00\x00\x08\x03garbage")
    return folder


@pytest.fixture
def run_cli(tmp_path):
    """Run `python -m harness ...` in a real child process from the project root."""
    import subprocess

    def run(*args, timeout=600, env=None):
        full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        return subprocess.run([PYTHON, "-m", "harness", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout, env=full_env)
    return run


@pytest.fixture
def held(tmp_path, monkeypatch):
    """Every measured child started while this is in use waits at its start until it is ended.

    It is the user's PYTHONPATH, so children of this process and of a ``python -m harness``
    started with this environment both see it (see ``tests/held.py``).
    """
    holder = Holder(tmp_path / "held")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(holder.path), os.environ.get("PYTHONPATH")])))
    yield holder
    holder.end_leftovers()
