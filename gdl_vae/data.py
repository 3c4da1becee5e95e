"""Datasets, input checks, binarization and tf.data pipelines, with offline sources.

`load_dataset` looks for a dataset in this order and says which one it used:

1. the directory you name (`data_dir=` or the `GDL_VAE_DATA_DIR` variable);
2. the repository's `data/` folder;
3. Debian's `dataset-fashion-mnist` package (Fashion-MNIST only);
4. the Keras cache (`~/.keras/datasets`), downloading into it if needed;
5. MNIST only: the 10,000-image test set shipped in `data/mnist/`, split
   8,000 / 2,000, with a warning (the offline fallback).

Every file is checked against a published checksum before use.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
import urllib.request
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

REPO_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
KERAS_DATASETS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
DOWNLOAD_TIMEOUT_S = 10.0
IMAGE_SHAPE = (28, 28, 1)

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
IDX_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

# Accepted digests per file. "md5"/"sha256" hash the file as published;
# "raw-sha256" hashes the decompressed IDX bytes, so a recompressed copy (Debian
# recompresses Fashion-MNIST) still matches.
CHECKSUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "mnist": {
        TRAIN_IMAGES: ("md5:f68b3c2dcbeaaa9fbdd348bbdeb94873",),
        TRAIN_LABELS: ("md5:d53e105ee54ea40749a09fcbcd1e9432",),
        TEST_IMAGES: (
            "md5:9fb629c4189551a2d022fa330f9573f3",
            "raw-sha256:0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ),
        TEST_LABELS: (
            "md5:ec29112dd5afa0611ce80d1b7f02629c",
            "raw-sha256:ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ),
        "mnist.npz": (
            "sha256:731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
        ),
    },
    "fashion_mnist": {
        TRAIN_IMAGES: (
            "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "raw-sha256:c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        ),
        TRAIN_LABELS: (
            "md5:25c81989df183df01b3e8a0aad5dffbe",
            "raw-sha256:bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        ),
        TEST_IMAGES: (
            "md5:bef4ecab320f06d8554ea6380940ec79",
            "raw-sha256:5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        ),
        TEST_LABELS: (
            "md5:bb300cfdad3c16e7a12a480ee83cd310",
            "raw-sha256:0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        ),
    },
}
DATASETS = tuple(CHECKSUMS)
# Sub-folder names a data directory may use for each dataset.
_FOLDERS = {"mnist": ("mnist",), "fashion_mnist": ("fashion_mnist", "fashion-mnist")}
_PRETTY = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}
_UNREACHABLE: set[str] = set()  # URLs that failed in this process: not retried


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images in [0, 1] of shape (N, 28, 28, 1), integer labels, and their source.

    Unpacks like a tuple: `x_train, y_train, x_test, y_test = load_dataset()`.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.x_train, self.y_train, self.x_test, self.y_test))

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}: {len(self.x_train):,} train, "
            f"{len(self.x_test):,} test; source: {self.source})"
        )


def load_dataset(
    name: str = "mnist", data_dir: str | os.PathLike | None = None, warn: bool = True
) -> Dataset:
    """Load MNIST or Fashion-MNIST from the first source that has it (module doc).

    warn=False skips the offline fallback's warning, for callers that show
    `Dataset.source` themselves (the notebooks print it).
    """
    if name not in CHECKSUMS:
        raise ValueError(
            f"unknown dataset {name!r}; expected one of {', '.join(DATASETS)}. "
            f"Fix: load_dataset({DATASETS[0]!r}) or load_dataset({DATASETS[1]!r})."
        )
    user_dir = data_dir if data_dir is not None else os.environ.get("GDL_VAE_DATA_DIR")
    places = []
    if user_dir:
        user_dir = Path(user_dir).expanduser()
        if not user_dir.is_dir():
            raise ValueError(
                f"data_dir {str(user_dir)!r} is not a directory. Fix: pass the folder "
                f"that holds the {_PRETTY[name]} files, or leave data_dir unset."
            )
        places.append((user_dir, f"the directory {user_dir}"))
    places.append((REPO_DATA_DIR, "the repository's data/"))
    if name == "fashion_mnist":
        places.append((DEBIAN_FASHION_MNIST_DIR, "Debian's dataset-fashion-mnist"))
    cache = _keras_cache_dir()
    places.append((cache, "the Keras cache"))

    for directory, where in places:
        found = _load_full(name, directory, where)
        if found is not None:
            return found
    found = _download_full(name, cache)
    if found is not None:
        return found
    if name == "mnist":
        for directory, where in places:
            found = _load_test_set_split(directory, where, warn)
            if found is not None:
                return found
    raise FileNotFoundError(
        f"{_PRETTY[name]} was not found in {', '.join(w for _, w in places)} and "
        "could not be downloaded. Fix: connect to the internet once, "
        + (
            "or `apt-get install dataset-fashion-mnist`, "
            if name == "fashion_mnist"
            else ""
        )
        + "or pass data_dir= a folder holding the four IDX .gz files."
    )


def _keras_cache_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"


def _folders(name: str, directory: Path) -> list[Path]:
    return [directory / sub for sub in _FOLDERS[name]] + [directory]


def _load_full(name: str, directory: Path, where: str) -> Dataset | None:
    for folder in _folders(name, directory):
        npz = folder / "mnist.npz"
        if name == "mnist" and npz.is_file():
            verify_file(npz, name)
            with np.load(npz) as f:
                arrays = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
            return _dataset(
                name, *arrays, source=f"{_PRETTY[name]} from {where} ({npz})"
            )
        if all((folder / f).is_file() for f in IDX_FILES):
            arrays = [read_idx(folder / f, name) for f in IDX_FILES]
            return _dataset(
                name, *arrays, source=f"{_PRETTY[name]} from {where} ({folder})"
            )
    return None


def _download_full(name: str, cache: Path) -> Dataset | None:
    if name == "mnist":
        if download(KERAS_DATASETS_URL + "mnist.npz", cache / "mnist.npz", name):
            return _load_full(name, cache, "a download into the Keras cache")
        return None
    folder = cache / "fashion-mnist"
    for f in IDX_FILES:
        if not (folder / f).is_file() and not download(
            KERAS_DATASETS_URL + f, folder / f, name
        ):
            return None
    return _load_full(name, cache, "a download into the Keras cache")


def _load_test_set_split(directory: Path, where: str, warn: bool) -> Dataset | None:
    for folder in _folders("mnist", directory):
        if (folder / TEST_IMAGES).is_file() and (folder / TEST_LABELS).is_file():
            images = read_idx(folder / TEST_IMAGES, "mnist")
            labels = read_idx(folder / TEST_LABELS, "mnist")
            # Every fifth image is held out: deterministic, no random generator,
            # and it draws from both halves of the test set (written by different
            # groups of people), so both splits see both styles.
            held_out = np.arange(len(images)) % 5 == 4
            message = (
                "MNIST test set only (offline fallback): the full 60,000-image "
                "training set was not found and could not be downloaded, so the "
                f"10,000 test images from {where} ({folder}) are split "
                f"{(~held_out).sum():,} train / {held_out.sum():,} test"
            )
            if warn:
                warnings.warn(message, UserWarning, stacklevel=3)
            return _dataset(
                "mnist",
                images[~held_out],
                labels[~held_out],
                images[held_out],
                labels[held_out],
                source=message,
            )
    return None


def _dataset(name, x_train, y_train, x_test, y_test, source: str) -> Dataset:
    def images(x: np.ndarray) -> np.ndarray:
        return (x.astype(np.float32) / 255.0).reshape(-1, *IMAGE_SHAPE)

    return Dataset(
        name,
        images(x_train),
        y_train.astype(np.int64),
        images(x_test),
        y_test.astype(np.int64),
        source,
    )


def verify_file(path: Path, name: str, filename: str | None = None) -> bytes:
    """Check a dataset file against its published checksum; return its bytes.

    `filename` names the entry in CHECKSUMS when the file is stored under another
    name (a partial download).
    """
    path = Path(path)
    filename = filename or path.name
    data = path.read_bytes()
    accepted = CHECKSUMS[name][filename]
    md5, sha256 = hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest()
    if f"md5:{md5}" in accepted or f"sha256:{sha256}" in accepted:
        return data
    if filename.endswith(".gz"):
        try:
            raw = gzip.decompress(data)
        except (OSError, EOFError) as error:  # truncated, or not gzip at all
            raise ValueError(
                f"{path} is damaged ({error}; {len(data):,} bytes, md5 {md5}); "
                f"expected {' or '.join(accepted)}. Fix: delete it and copy or "
                "download it again."
            ) from None
        if f"raw-sha256:{hashlib.sha256(raw).hexdigest()}" in accepted:
            return data
    raise ValueError(
        f"{path} does not match its published checksum: got md5 {md5} "
        f"({len(data):,} bytes), expected {' or '.join(accepted)}. The file is "
        "truncated or altered. Fix: delete it and copy or download it again."
    )


def read_idx(path: Path, name: str) -> np.ndarray:
    """Read a checked IDX file (.gz): images as uint8 (N, 28, 28), labels (N,)."""
    raw = gzip.decompress(verify_file(path, name))
    magic, count = int.from_bytes(raw[0:4], "big"), int.from_bytes(raw[4:8], "big")
    if magic == 2049:  # labels
        return np.frombuffer(raw, np.uint8, count, offset=8)
    if magic == 2051:  # images
        rows, cols = int.from_bytes(raw[8:12], "big"), int.from_bytes(raw[12:16], "big")
        return np.frombuffer(raw, np.uint8, count * rows * cols, offset=16).reshape(
            count, rows, cols
        )
    raise ValueError(f"{path} is not an IDX file (magic number {magic}).")


def download(
    url: str, dest: Path, name: str, timeout: float = DOWNLOAD_TIMEOUT_S
) -> bool:
    """Download `url` to `dest` and check it; False within ~timeout seconds if offline.

    The connection is opened in a thread so that a hanging name lookup cannot
    block; every later read has the same timeout. A download that fails its
    checksum is discarded with a warning. GDL_VAE_OFFLINE=1 skips downloads.
    """
    if os.environ.get("GDL_VAE_OFFLINE") or url in _UNREACHABLE:
        return False
    opened, done = threading.Event(), threading.Event()
    result: dict[str, object] = {}

    def fetch() -> None:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                opened.set()
                result["data"] = response.read()
        except Exception as error:  # any failure means "not available"
            result["error"] = error
        finally:
            opened.set()
            done.set()

    threading.Thread(target=fetch, daemon=True).start()
    if not opened.wait(timeout):
        _UNREACHABLE.add(url)
        return False
    done.wait()  # reading: each read has its own timeout
    if "data" not in result:
        _UNREACHABLE.add(url)
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    partial.write_bytes(result["data"])
    try:
        verify_file(partial, name, filename=dest.name)
    except ValueError as error:
        partial.unlink()
        warnings.warn(f"discarded a download from {url}: {error}", stacklevel=3)
        _UNREACHABLE.add(url)
        return False
    partial.replace(dest)
    return True


def check_images(
    x, image_shape: Sequence[int] | None = IMAGE_SHAPE, name: str = "x"
) -> None:
    """Raise ValueError unless `x` is a batch of float images in [0, 1], finite.

    Symbolic tensors (inside a traced function) pass: they were checked eagerly.
    """
    if tf.is_tensor(x) and not hasattr(x, "numpy"):
        return
    arr = np.asarray(x)
    shape = tuple(image_shape) if image_shape is not None else None
    if arr.ndim != 4 or (shape is not None and arr.shape[1:] != shape):
        want = (
            f"(N, {', '.join(map(str, shape))})"
            if shape
            else "(N, height, width, channels)"
        )
        fix = "reshape it"
        if shape is not None:
            if arr.shape == shape:
                fix = f"add a batch axis: {name}[None]"
            elif arr.ndim == 3 and arr.shape[1:] == shape[:2]:
                fix = f"add the channel axis: {name}[..., None]"
            elif arr.ndim == 2 and arr.shape[1] == int(np.prod(shape)):
                fix = f"{name}.reshape(-1, {', '.join(map(str, shape))})"
        raise ValueError(
            f"{name} must be a batch of images of shape {want}; got shape "
            f"{arr.shape}. Fix: {fix}."
        )
    if not np.issubdtype(arr.dtype, np.floating):
        hint = " (pixels 0..255)" if arr.dtype == np.uint8 else ""
        raise ValueError(
            f"{name} must hold float pixels in [0, 1]; got dtype {arr.dtype}{hint}. "
            f"Fix: {name} = {name}.astype('float32') / 255."
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        images = np.unique(np.nonzero(bad)[0])
        raise ValueError(
            f"{name} must be finite; got {np.isnan(arr).sum()} NaN and "
            f"{np.isinf(arr).sum()} inf values in {len(images)} images (first: index "
            f"{images[0]}). Fix: drop those images or find where they came from."
        )
    lo, hi = float(arr.min()), float(arr.max())
    if hi > 1.0 or lo < 0.0:
        fix = (
            f"{name} = {name} / 255" if hi > 1.0 and lo >= 0.0 else "rescale to [0, 1]"
        )
        raise ValueError(
            f"{name} must hold pixels in [0, 1]; got values from {lo:g} to {hi:g}. "
            f"Fix: {fix}."
        )


def binarize(
    x: np.ndarray, method: str = "static", seed: int | None = None
) -> np.ndarray:
    """Binary images: threshold at 0.5 ("static") or one Bernoulli draw ("dynamic")."""
    check_images(x, image_shape=None)
    if method == "static":
        return (x > 0.5).astype(np.float32)
    if method == "dynamic":
        rng = np.random.default_rng(seed)
        return (rng.random(x.shape, dtype=np.float32) < x).astype(np.float32)
    raise ValueError(
        f"binarization method must be 'static' or 'dynamic'; got {method!r}."
    )


def make_dataset(
    x: np.ndarray,
    batch_size: int = 128,
    binarization: str | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """A tf.data pipeline of image batches, optionally binarized.

    "dynamic" draws fresh binary pixels every time a batch is served (each epoch
    sees a different binarization, a standard regulariser for MNIST likelihoods);
    "static" thresholds once at 0.5; None keeps grey levels. drop_remainder=True
    gives every batch the same static shape, which a TPU needs.
    """
    check_images(x, image_shape=None)
    if binarization not in (None, "static", "dynamic"):
        raise ValueError(
            f"binarization must be None, 'static' or 'dynamic'; got {binarization!r}."
        )
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1; got {batch_size}.")
    if binarization == "static":
        x = binarize(x, "static")
    ds = tf.data.Dataset.from_tensor_slices(x)
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    if binarization == "dynamic":
        # One stateless seed per batch, new on every pass over the data.
        seeds = tf.data.Dataset.random(
            seed=seed, rerandomize_each_iteration=True
        ).batch(2)
        ds = tf.data.Dataset.zip(ds, seeds).map(
            lambda images, s: tf.cast(
                tf.random.stateless_uniform(tf.shape(images), seed=s) < images,
                images.dtype,
            ),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return ds.prefetch(tf.data.AUTOTUNE)
