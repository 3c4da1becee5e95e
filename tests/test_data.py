"""Datasets: sources and their order, checksums, the input contract, pipelines."""

import gzip
import hashlib
import http.server
import os
import shutil
import socket
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import gdl_vae
from gdl_vae.data import checks, sources, specs

# The MNIST files shipped in the repository's data/; a package installed from a
# wheel has no data/ beside it, so there the tests name the folder as a user
# would (GDL_VAE_DATA_DIR, as tests/notebooks_from_wheel.sh does).
SHIPPED = Path(os.environ.get("GDL_VAE_DATA_DIR", sources.REPO_DATA_DIR)) / "mnist"


def test_offline_mnist_is_the_standard_60000_10000_split(offline):
    ds = gdl_vae.load_dataset("mnist")
    x_train, y_train, x_test, y_test = ds
    assert x_train.shape == (60000, 28, 28, 1) and x_test.shape == (10000, 28, 28, 1)
    assert x_train.dtype == np.float32 and 0 <= x_train.min() and x_train.max() == 1
    assert y_train.dtype == np.int64
    assert "60,000 training and 10,000 test images" in ds.source
    # Inside the repository the source names data/mnist, never a machine's path.
    expected = "data/mnist" if SHIPPED.parent == sources.REPO_DATA_DIR else SHIPPED
    assert f"({expected})" in ds.source
    raw = sources.read_idx(SHIPPED / specs.TEST_IMAGES, "mnist")
    np.testing.assert_array_equal(x_test[:3, ..., 0] * 255, raw[:3])
    # Label counts of the shipped files (data/mnist/README.md).
    assert np.bincount(y_train).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert np.bincount(y_test).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]


def test_recompressed_files_are_checked_by_their_decompressed_bytes(tmp_path):
    # The shipped training files were recompressed: their .gz md5 is not the
    # published one, so only the digests of the decompressed bytes accept them.
    shipped = (SHIPPED / specs.TRAIN_LABELS).read_bytes()
    published = specs.get_spec("mnist").accepted(specs.TRAIN_LABELS)[0]
    assert (
        published.startswith("md5:")
        and hashlib.md5(shipped).hexdigest() not in published
    )
    sources.verify_file(SHIPPED / specs.TRAIN_LABELS, "mnist")
    for level in (1, 6):
        copy = tmp_path / f"level{level}" / specs.TEST_LABELS
        copy.parent.mkdir()
        raw = gzip.decompress((SHIPPED / specs.TEST_LABELS).read_bytes())
        copy.write_bytes(gzip.compress(raw, compresslevel=level, mtime=0))
        sources.verify_file(copy, "mnist")


def test_named_directory_comes_first_and_is_reported(tmp_path):
    shutil.copytree(SHIPPED, tmp_path / "mnist")
    ds = gdl_vae.load_dataset("mnist", data_dir=tmp_path)
    assert str(tmp_path) in ds.source and len(ds.x_train) == 60000


def test_a_named_folder_with_some_of_the_files_is_an_error(tmp_path):
    for name in specs.IDX_FILES[:2]:
        shutil.copy(SHIPPED / name, tmp_path / name)
    with pytest.raises(ValueError, match="needs all four files") as error:
        gdl_vae.load_dataset("mnist", data_dir=tmp_path)
    for name in specs.IDX_FILES[2:]:
        assert name in str(error.value)


def test_epoch_data_depends_on_the_seed_and_the_epoch_alone(mnist):
    x = mnist.x_train[:300]

    def epoch(data, e):
        data.on_epoch_begin(e)
        return np.concatenate(list(data.dataset.as_numpy_iterator()))

    data = gdl_vae.data.EpochData(x, 64, "dynamic", seed=4)
    first, second = epoch(data, 0), epoch(data, 1)
    assert data.steps == 5 and first.shape == x.shape
    assert not np.array_equal(first, second)  # a new order and new pixels
    fresh = gdl_vae.data.EpochData(x, 64, "dynamic", seed=4, first_epoch=1)
    np.testing.assert_array_equal(epoch(fresh, 1), second)  # as if resumed
    np.testing.assert_array_equal(epoch(data, 0), first)
    other = gdl_vae.data.EpochData(x, 64, "dynamic", seed=5)
    assert not np.array_equal(epoch(other, 0), first)
    # every image once per epoch: the pixel sums are a permutation of x's
    grey = gdl_vae.data.EpochData(x, 64, None, seed=4)
    np.testing.assert_allclose(
        np.sort(epoch(grey, 3).sum(axis=(1, 2, 3))), np.sort(x.sum(axis=(1, 2, 3)))
    )


def test_without_the_files_offline_fails_fast_and_says_where_to_put_them(
    offline, monkeypatch, tmp_path
):
    # A wheel installed without data/: nothing in the repository folder, the
    # Keras cache empty, no download possible.
    monkeypatch.setattr(sources, "REPO_DATA_DIR", tmp_path / "no_data")
    monkeypatch.delenv("GDL_VAE_DATA_DIR", raising=False)
    start = time.perf_counter()
    with pytest.raises(FileNotFoundError) as error:
        gdl_vae.load_dataset("mnist")
    assert time.perf_counter() - start < 5
    message = str(error.value)
    assert specs.TRAIN_IMAGES in message and "data_dir=" in message
    assert str(sources._keras_cache_dir() / "mnist") in message


def test_truncated_file_is_named_with_its_mismatch(tmp_path):
    shutil.copytree(SHIPPED, tmp_path / "mnist")
    path = tmp_path / "mnist" / specs.TEST_IMAGES
    path.write_bytes(path.read_bytes()[:100_000])
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte\.gz is damaged.*md5"):
        gdl_vae.load_dataset("mnist", data_dir=tmp_path)


def test_altered_file_is_named_with_its_mismatch(tmp_path):
    shutil.copytree(SHIPPED, tmp_path / "mnist")
    path = tmp_path / "mnist" / specs.TEST_LABELS
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[100] = (raw[100] + 1) % 10  # one label changed, still a valid gzip file
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(ValueError, match=r"t10k-labels.*does not match.*expected md5"):
        gdl_vae.load_dataset("mnist", data_dir=tmp_path)


def test_unknown_dataset_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"expected one of mnist, fashion_mnist"):
        gdl_vae.load_dataset("cifar10")


def test_missing_data_dir_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="not a directory"):
        gdl_vae.load_dataset("mnist", data_dir=tmp_path / "nowhere")


def test_download_from_a_silent_server_gives_up_within_the_timeout(
    monkeypatch, tmp_path
):
    monkeypatch.delenv("GDL_VAE_OFFLINE")
    server = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    url = f"http://127.0.0.1:{server.getsockname()[1]}/mnist.npz"
    start = time.perf_counter()
    try:
        assert not sources.download(url, tmp_path / "mnist.npz", "mnist", timeout=1.0)
    finally:
        server.close()
    assert time.perf_counter() - start < 3.0
    assert not (tmp_path / "mnist.npz").exists()
    # A failed address is not tried again in this process.
    start = time.perf_counter()
    assert not sources.download(url, tmp_path / "mnist.npz", "mnist", timeout=1.0)
    assert time.perf_counter() - start < 0.1


def test_download_with_a_wrong_checksum_is_discarded(monkeypatch, tmp_path):
    monkeypatch.delenv("GDL_VAE_OFFLINE")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"not the real file")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/mnist.npz"
    try:
        with pytest.warns(UserWarning, match="does not match its published checksum"):
            assert not sources.download(url, tmp_path / "mnist.npz", "mnist")
    finally:
        server.shutdown()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(
    not specs.SPECS["fashion_mnist"].system_dirs[0][0].is_dir(),
    reason="dataset-fashion-mnist absent",
)
def test_fashion_mnist_comes_from_debian_offline():
    ds = gdl_vae.load_dataset("fashion_mnist")
    assert ds.x_train.shape == (60000, 28, 28, 1) and ds.x_test.shape == (
        10000,
        28,
        28,
        1,
    )
    assert "Debian" in ds.source
    assert np.bincount(ds.y_train).tolist() == [6000] * 10


def test_static_binarization_thresholds_at_one_half(mnist):
    x = mnist.x_test[:100]
    b = gdl_vae.binarize(x, "static")
    assert set(np.unique(b)) == {0.0, 1.0}
    np.testing.assert_array_equal(b, (x > 0.5).astype(np.float32))


def test_dynamic_binarization_draws_bernoulli_pixels(mnist):
    x = mnist.x_test[:500]
    b = gdl_vae.binarize(x, "dynamic", seed=1)
    assert set(np.unique(b)) == {0.0, 1.0}
    assert abs(b.mean() - x.mean()) < 0.002
    np.testing.assert_array_equal(b, gdl_vae.binarize(x, "dynamic", seed=1))
    assert not np.array_equal(b, gdl_vae.binarize(x, "dynamic", seed=2))


def test_dynamic_pipeline_draws_afresh_every_epoch(mnist):
    x = mnist.x_test[:256]
    ds = gdl_vae.make_dataset(x, 256, "dynamic", shuffle=False, seed=3)
    first, second = (next(iter(ds)).numpy() for _ in range(2))
    assert set(np.unique(first)) == {0.0, 1.0}
    assert not np.array_equal(first, second)
    # Pixel frequencies over many epochs approach the grey levels.
    mean = np.mean([batch.numpy() for _ in range(100) for batch in ds], axis=0)
    assert np.abs(mean - x).max() < 0.3 and np.abs(mean - x).mean() < 0.01
    # The same seed gives the same first epoch in a new pipeline.
    again = gdl_vae.make_dataset(x, 256, "dynamic", shuffle=False, seed=3)
    np.testing.assert_array_equal(first, next(iter(again)).numpy())


def test_static_pipeline_serves_thresholded_shuffled_batches(mnist):
    x = mnist.x_test[:300]
    batches = list(gdl_vae.make_dataset(x, 128, "static", seed=0))
    assert [len(b) for b in batches] == [128, 128, 44]
    served = np.concatenate([b.numpy() for b in batches])
    assert not np.array_equal(served, gdl_vae.binarize(x, "static"))  # shuffled
    np.testing.assert_array_equal(
        np.sort(served.reshape(300, -1), axis=0),
        np.sort(gdl_vae.binarize(x, "static").reshape(300, -1), axis=0),
    )


def test_drop_remainder_gives_every_batch_the_same_static_shape(mnist):
    x = mnist.x_test[:300]
    kept = list(gdl_vae.make_dataset(x, 128, "dynamic", seed=0))
    assert [len(b) for b in kept] == [128, 128, 44]
    even = gdl_vae.make_dataset(x, 128, "dynamic", seed=0, drop_remainder=True)
    assert even.element_spec.shape.as_list() == [128, 28, 28, 1]
    assert [len(b) for b in even] == [128, 128]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda x: (x * 255).astype(np.uint8), r"dtype uint8 \(pixels 0..255\).*/ 255"),
        (lambda x: x * 255, r"values from 0 to 255.*Fix: x = x / 255"),
        (lambda x: x - 0.5, "values from -0.5"),
        (
            lambda x: np.where(np.arange(x.size).reshape(x.shape) == 7, np.nan, x),
            "1 NaN",
        ),
        (
            lambda x: np.where(np.arange(x.size).reshape(x.shape) == 7, np.inf, x),
            "1 inf",
        ),
        (lambda x: x[..., 0], r"shape \(4, 28, 28\).*x\[\.\.\., None\]"),
        (lambda x: x.reshape(4, 784), r"x\.reshape\(-1, 28, 28, 1\)"),
        (lambda x: x[0], r"add a batch axis: x\[None\]"),
    ],
)
def test_bad_images_raise_a_value_error_with_the_fix(mnist, make, message):
    with pytest.raises(ValueError, match=message):
        checks.check_images(make(mnist.x_test[:4]))


def test_pipeline_options_are_checked(mnist):
    with pytest.raises(ValueError, match="binarization must be"):
        gdl_vae.make_dataset(mnist.x_test[:4], binarization="otsu")
    with pytest.raises(ValueError, match="uint8"):
        gdl_vae.make_dataset((mnist.x_test[:4] * 255).astype(np.uint8))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gdl_vae.make_dataset(mnist.x_test[:4])


def test_held_out_images_are_seen_as_the_model_was_trained(mnist):
    x = mnist.x_test[:50]
    fixed = gdl_vae.held_out_images(x, "dynamic")
    np.testing.assert_array_equal(fixed, gdl_vae.held_out_images(x, "dynamic"))
    assert set(np.unique(fixed)) <= {0.0, 1.0}
    np.testing.assert_array_equal(
        gdl_vae.held_out_images(x, "static"), gdl_vae.binarize(x, "static")
    )
    assert gdl_vae.held_out_images(x, None) is x  # None: grey levels, the one spelling
    with pytest.raises(ValueError, match="'dynamic', 'static' or None"):
        gdl_vae.held_out_images(x, "none")


# -- a new dataset, defined here ---------------------------------------------


def _write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file, gzipped: magic 2051 for images (N, rows, cols), 2049 labels."""
    header = (2051 if array.ndim == 3 else 2049).to_bytes(4, "big")
    header += b"".join(n.to_bytes(4, "big") for n in array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


@pytest.fixture
def tiny_digits(tmp_path):
    """A dataset published in a local folder (its url a file:// address), with
    96 random 28 x 28 images, registered by its spec alone."""
    rng = np.random.default_rng(0)
    published = tmp_path / "published"
    published.mkdir()
    arrays = dict(
        zip(
            specs.IDX_FILES,
            (
                rng.integers(0, 256, (64, 28, 28)),
                rng.integers(0, 10, 64),
                rng.integers(0, 256, (32, 28, 28)),
                rng.integers(0, 10, 32),
            ),
            strict=True,
        )
    )
    for name, array in arrays.items():
        _write_idx(published / name, array)
    spec = specs.DatasetSpec(
        name="tiny_digits",
        title="Tiny digits",
        folders=("tiny_digits",),
        url=published.as_uri() + "/",
        checksums={
            name: (
                f"sha256:{hashlib.sha256((published / name).read_bytes()).hexdigest()}",
            )
            for name in arrays
        },
    )
    specs.register(spec)
    yield arrays
    del specs.SPECS["tiny_digits"]


def test_a_dataset_added_by_its_spec_downloads_checks_loads_and_trains(
    tiny_digits, monkeypatch, tmp_path, capsys
):
    monkeypatch.delenv("GDL_VAE_OFFLINE")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    data = gdl_vae.load_dataset("tiny_digits")
    assert data.source.startswith("Tiny digits, 64 training and 32 test images")
    assert "a download into the Keras cache" in data.source
    images = np.rint(data.x_train[..., 0] * 255)
    np.testing.assert_array_equal(images, tiny_digits[specs.TRAIN_IMAGES])
    np.testing.assert_array_equal(data.y_test, tiny_digits[specs.TEST_LABELS])
    again = gdl_vae.load_dataset("tiny_digits")  # from the cache, checked again
    assert "from the Keras cache" in again.source

    from gdl_vae.cli import main

    out = tmp_path / "run"
    train = "train --dataset tiny_digits --model ae --architecture dense --epochs 1"
    assert main([*train.split(), "--batch-size", "32", "--out", str(out)]) == 0
    assert "data: Tiny digits" in capsys.readouterr().out
    assert (out / "model.keras").is_file()


def test_a_spec_without_a_checksum_for_each_file_is_refused():
    with pytest.raises(ValueError, match=r"no checksum for t10k-labels-idx1-ubyte\.gz"):
        specs.DatasetSpec(
            name="unchecked",
            title="Unchecked",
            folders=("unchecked",),
            checksums={name: ("md5:0",) for name in specs.IDX_FILES[:3]},
        )
