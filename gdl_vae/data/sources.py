"""Loading a dataset from the first place that has it, with checked files.

`load_dataset` looks for a dataset in this order and says which one it used:

1. the directory you name (`data_dir=` or the `GDL_VAE_DATA_DIR` variable);
2. the repository's `data/` folder;
3. system folders named in the dataset's spec (Debian's
   `dataset-fashion-mnist` for Fashion-MNIST);
4. the Keras cache (`~/.keras/datasets`), downloading into it if needed.

The repository ships all four MNIST files in `data/mnist/`, so a clone has the
standard 60,000 / 10,000 split offline. Every file is checked against its
published checksum, or the checksum of its decompressed bytes, before use.
A download that cannot start fails within DOWNLOAD_TIMEOUT_S seconds, and the
error says where to put the files.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gdl_vae.data.specs import DatasetSpec, get_spec

REPO_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
DOWNLOAD_TIMEOUT_S = 10.0
_UNREACHABLE: set[str] = set()  # URLs that failed in this process: not retried


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images in [0, 1] of shape (N, *spec.image_shape), integer labels, and their
    source.

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
    name: str = "mnist", data_dir: str | os.PathLike | None = None
) -> Dataset:
    """Load a dataset (MNIST, Fashion-MNIST or one registered in specs) from the
    first source that has it (module doc)."""
    spec = get_spec(name)
    user_dir = data_dir if data_dir is not None else os.environ.get("GDL_VAE_DATA_DIR")
    places = []
    if user_dir:
        user_dir = Path(user_dir).expanduser()
        if not user_dir.is_dir():
            raise ValueError(
                f"data_dir {str(user_dir)!r} is not a directory. Fix: pass the folder "
                f"that holds the {spec.title} files, or leave data_dir unset."
            )
        places.append((user_dir, f"the directory {user_dir}"))
    places.append((REPO_DATA_DIR, "the repository's data/"))
    places.extend(spec.system_dirs)
    cache = _keras_cache_dir()
    places.append((cache, "the Keras cache"))

    for directory, where in places:
        found = _load_full(spec, directory, where, user_named=directory == user_dir)
        if found is not None:
            return found
    found = _download_full(spec, cache)
    if found is None:
        folder = cache / spec.folders[-1]
        raise FileNotFoundError(
            f"{spec.title} was not found in {', '.join(w for _, w in places)} and "
            f"could not be downloaded (offline?). Fix: put the four IDX files "
            f"({', '.join(spec.files)}) in {folder} or in a folder you pass as "
            f"data_dir= (or GDL_VAE_DATA_DIR), {spec.install_hint}or connect to "
            "the internet once."
        )
    return found


def _keras_cache_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"


def _folders(spec: DatasetSpec, directory: Path) -> list[Path]:
    return [directory / sub for sub in spec.folders] + [directory]


def _load_full(
    spec: DatasetSpec, directory: Path, where: str, user_named: bool = False
) -> Dataset | None:
    """The dataset from directory (or its spec's subfolders), None when absent.
    A folder the user named that holds only some of the files is an error."""
    for folder in _folders(spec, directory):
        npz = folder / spec.npz if spec.npz else None
        if npz is not None and npz.is_file():
            verify_file(npz, spec.name)
            with np.load(npz) as f:
                arrays = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
            return _dataset(spec, *arrays, where=f"{where} ({_shown(npz)})")
        present = [f for f in spec.files if (folder / f).is_file()]
        if len(present) == len(spec.files):
            arrays = [read_idx(folder / f, spec.name) for f in spec.files]
            return _dataset(spec, *arrays, where=f"{where} ({_shown(folder)})")
        if present and user_named:
            missing = [f for f in spec.files if f not in present]
            raise ValueError(
                f"{folder} holds {', '.join(present)} but not {', '.join(missing)}: "
                f"{spec.title} needs all four files. Fix: copy the missing ones "
                "there, or leave data_dir unset to use the kit's copy."
            )
    return None


def _download_full(spec: DatasetSpec, cache: Path) -> Dataset | None:
    if spec.npz:
        if download(spec.url + spec.npz, cache / spec.npz, spec.name):
            return _load_full(spec, cache, "a download into the Keras cache")
        return None
    folder = cache / spec.folders[-1]
    for f in spec.files:
        if not (folder / f).is_file() and not download(
            spec.url + f, folder / f, spec.name
        ):
            return None
    return _load_full(spec, cache, "a download into the Keras cache")


def _shown(path: Path) -> str:
    """A path as the source shows it: relative inside the repository, so that
    committed outputs name no machine's folders."""
    try:
        return str(path.relative_to(REPO_DATA_DIR.parent))
    except ValueError:
        return str(path)


def _dataset(spec: DatasetSpec, x_train, y_train, x_test, y_test, where) -> Dataset:
    def images(x: np.ndarray) -> np.ndarray:
        return (x.astype(np.float32) / 255.0).reshape(-1, *spec.image_shape)

    source = (
        f"{spec.title}, {len(x_train):,} training and {len(x_test):,} test images, "
        f"from {where}"
    )
    return Dataset(
        spec.name,
        images(x_train),
        y_train.astype(np.int64),
        images(x_test),
        y_test.astype(np.int64),
        source,
    )


def verify_file(path: Path, name: str, filename: str | None = None) -> bytes:
    """Check a dataset file against its published checksum; return its bytes.

    `filename` names the entry in the spec's checksums when the file is stored
    under another name (a partial download).
    """
    path = Path(path)
    filename = filename or path.name
    data = path.read_bytes()
    accepted = get_spec(name).accepted(filename)
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
        raw_md5 = f"raw-md5:{hashlib.md5(raw).hexdigest()}"
        if raw_md5 in accepted or f"raw-sha256:{_sha256(raw)}" in accepted:
            return data
    raise ValueError(
        f"{path} does not match its published checksum: got md5 {md5} "
        f"({len(data):,} bytes), expected {' or '.join(accepted)}. The file is "
        "truncated or altered. Fix: delete it and copy or download it again."
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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

    Not keras.utils.get_file: its file_hash is one digest of the file as
    published, while a dataset here is accepted by the digest of its
    decompressed bytes too (the repository's MNIST files are recompressed), and
    it has no limit on the time a name lookup may hang, where this must fail
    fast and fall back to the next source.
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
