"""IDX files, the format of the classic MNIST distribution, read without a network.

An IDX file is a 4-byte magic number (two zero bytes, a type byte, a dimension
count), one big-endian uint32 size per dimension, then the values in C order,
big-endian. The files are often gzip-compressed; we look at the first bytes, not
the name, because renamed and half-unpacked downloads are common.

``read_idx`` reads any IDX file; ``load_mnist_idx`` finds the four standard MNIST
files in a folder and insists on what MNIST must be (uint8 images 2051, uint8
labels 2049, 28x28, labels 0..9, as many labels as images).
"""
from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from backends.errors import UserError

GZIP_MAGIC = b"\x1f\x8b"
IMAGES_MAGIC = 0x00000803   # 2051: uint8, 3 dimensions
LABELS_MAGIC = 0x00000801   # 2049: uint8, 1 dimension

# IDX type byte -> big-endian numpy dtype
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

SPLITS = ("train", "test")
_PREFIX = {"train": "train", "test": "t10k"}
IMAGE_SIZE = 28


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"IDX file {path} does not exist") from None
    except IsADirectoryError:
        raise UserError(f"IDX file {path} is a directory, expected a file") from None
    except OSError as exc:
        raise UserError(f"cannot read IDX file {path}: {exc.strerror or exc}") from None
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise UserError(f"IDX file {path} starts like gzip but does not decompress "
                        f"(truncated or corrupt): {exc}") from None


def read_idx(path: str | os.PathLike, *, magic: int | None = None) -> np.ndarray:
    """Read an IDX file, plain or gzip-compressed, into a native-endian numpy array.

    ``magic``: if given, the file's magic number must equal it (e.g. 2051 for
    MNIST images), which fixes both the value type and the dimension count.
    Any mismatch between the header and the payload size is a ``UserError``.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise UserError(f"IDX file {path}: expected at least a 4-byte magic number, "
                        f"found {len(data)} bytes")
    found = int.from_bytes(data[:4], "big")
    if magic is not None and found != magic:
        raise UserError(f"IDX file {path}: expected magic number {magic} (0x{magic:08x}), "
                        f"found {found} (0x{found:08x})")
    if data[0] != 0 or data[1] != 0:
        raise UserError(f"IDX file {path}: expected a magic number starting with two zero bytes, "
                        f"found 0x{found:08x}; not an IDX file")
    type_byte, ndim = data[2], data[3]
    if type_byte not in IDX_DTYPES:
        valid = ", ".join(f"0x{t:02x}" for t in IDX_DTYPES)
        raise UserError(f"IDX file {path}: expected a type byte in {valid}, found 0x{type_byte:02x}")
    if ndim == 0:
        raise UserError(f"IDX file {path}: expected at least one dimension, found 0")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise UserError(f"IDX file {path}: expected a {header_len}-byte header for {ndim} dimensions, "
                        f"found {len(data)} bytes (truncated)")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = IDX_DTYPES[type_byte]
    payload = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != header_len + payload:
        what = "truncated" if len(data) < header_len + payload else "trailing bytes"
        dims = "x".join(map(str, shape))
        raise UserError(f"IDX file {path}: expected {header_len + payload} bytes ({header_len}-byte header "
                        f"+ {payload} for a {dims} array of {dtype.name}), found {len(data)} ({what})")
    array = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(shape)
    return array.astype(dtype.newbyteorder("="))   # a native-endian, writable copy


def mnist_file_candidates(data_dir: str | os.PathLike, split: str) -> dict[str, list[Path]]:
    """The file names looked for, per kind ("images", "labels"), in order of preference."""
    if split not in SPLITS:
        raise UserError(f"unknown MNIST split '{split}'; valid: {', '.join(SPLITS)}")
    base = Path(data_dir)
    prefix = _PREFIX[split]
    names = {"images": f"{prefix}-images-idx3-ubyte", "labels": f"{prefix}-labels-idx1-ubyte"}
    return {kind: [base / name, base / f"{name}.gz"] for kind, name in names.items()}


def _find(candidates: list[Path]) -> Path | None:
    return next((p for p in candidates if p.is_file()), None)


def _mnist_files(base: Path, split: str) -> tuple[Path, Path]:
    candidates = mnist_file_candidates(base, split)   # checks the split name first
    if not base.is_dir():
        raise UserError(f"MNIST directory {base} does not exist or is not a directory")
    found = {kind: _find(paths) for kind, paths in candidates.items()}
    missing = [kind for kind, p in found.items() if p is None]
    if missing:
        looked = "; ".join(" or ".join(p.name for p in candidates[kind]) for kind in missing)
        raise UserError(f"MNIST {split} files missing in {base}: looked for {looked}")
    return found["images"], found["labels"]


def _check_mnist_pair(images_path: Path, image_shape: tuple, labels_path: Path, labels: np.ndarray,
                      split: str) -> None:
    if tuple(image_shape[1:]) != (IMAGE_SIZE, IMAGE_SIZE):
        raise UserError(f"IDX file {images_path}: expected {IMAGE_SIZE}x{IMAGE_SIZE} images, "
                        f"found {image_shape[1]}x{image_shape[2]}")
    if image_shape[0] != len(labels):
        raise UserError(f"MNIST {split} files disagree: {images_path.name} has {image_shape[0]} images "
                        f"but {labels_path.name} has {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise UserError(f"IDX file {labels_path}: expected labels 0..9, found {int(labels.max())}")


def read_mnist_idx_raw(data_dir: str | os.PathLike, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """The MNIST files of one split as stored: images uint8 (N, 28, 28), labels uint8 (N,)."""
    images_path, labels_path = _mnist_files(Path(data_dir), split)
    images = read_idx(images_path, magic=IMAGES_MAGIC)
    labels = read_idx(labels_path, magic=LABELS_MAGIC)
    _check_mnist_pair(images_path, images.shape, labels_path, labels, split)
    return images, labels


def idx_shape(path: str | os.PathLike, *, magic: int) -> tuple[int, ...]:
    """The shape an IDX file declares, checked against its size without reading the payload.

    For the parent's checks before a run: the 47 MB of MNIST images need not be
    decompressed to know whether the file is whole. A gzip file's last four
    bytes hold its uncompressed size (mod 2**32), which a truncated or corrupt
    download does not get right; the child's full read still checks the CRC.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            compressed = fh.read(2) == GZIP_MAGIC
            fh.seek(0, os.SEEK_END)
            stored = fh.tell()
            trailer = b""
            if compressed and stored >= 4:
                fh.seek(stored - 4)
                trailer = fh.read(4)
        if compressed:
            with gzip.open(path, "rb") as gz:
                head = gz.read(4)
                head += gz.read(4 * head[3]) if len(head) == 4 else b""
            size = int.from_bytes(trailer, "little") if len(trailer) == 4 else -1
        else:
            with open(path, "rb") as fh:
                head = fh.read(4)
                head += fh.read(4 * head[3]) if len(head) == 4 else b""
            size = stored
    except FileNotFoundError:
        raise UserError(f"IDX file {path} does not exist") from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise UserError(f"IDX file {path} starts like gzip but does not decompress "
                        f"(truncated or corrupt): {exc}") from None
    except OSError as exc:
        raise UserError(f"cannot read IDX file {path}: {exc.strerror or exc}") from None
    if len(head) < 4:
        raise UserError(f"IDX file {path}: expected at least a 4-byte magic number, found {len(head)} bytes")
    found = int.from_bytes(head[:4], "big")
    if found != magic:
        raise UserError(f"IDX file {path}: expected magic number {magic} (0x{magic:08x}), "
                        f"found {found} (0x{found:08x})")
    ndim = head[3]
    header_len = 4 + 4 * ndim
    if len(head) < header_len:
        raise UserError(f"IDX file {path}: expected a {header_len}-byte header for {ndim} dimensions, "
                        f"found {len(head)} bytes (truncated)")
    shape = tuple(int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = header_len + int(np.prod(shape, dtype=np.int64)) * IDX_DTYPES[head[2]].itemsize
    if size != (expected % 2 ** 32 if compressed else expected):
        if compressed:
            raise UserError(f"IDX file {path}: its gzip trailer does not give the {expected} bytes its header "
                            f"promises (truncated or corrupt)")
        what = "truncated" if size < expected else "trailing bytes"
        raise UserError(f"IDX file {path}: expected {expected} bytes for a {'x'.join(map(str, shape))} array, "
                        f"found {size} ({what})")
    return shape


def mnist_labels_checked(data_dir: str | os.PathLike, split: str = "train") -> np.ndarray:
    """The labels of one MNIST split, with both files checked as the full read would, images by header."""
    images_path, labels_path = _mnist_files(Path(data_dir), split)
    shape = idx_shape(images_path, magic=IMAGES_MAGIC)
    labels = read_idx(labels_path, magic=LABELS_MAGIC)
    _check_mnist_pair(images_path, shape, labels_path, labels, split)
    return labels


def load_mnist_idx(data_dir: str | os.PathLike, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """MNIST from IDX files in ``data_dir``: images float32 (N, 28, 28) in [0, 1], labels int64 (N,).

    ``split`` is "train" (train-*-idx?-ubyte[.gz]) or "test" (t10k-*-idx?-ubyte[.gz]).
    """
    images, labels = read_mnist_idx_raw(data_dir, split)
    return images.astype(np.float32) / np.float32(255.0), labels.astype(np.int64)
