"""One spec per dataset: its files and their checksums, folders and image shape.

Plain Python, importable without TensorFlow or NumPy, so that the command line
reads its choices from here. A new dataset in the IDX format is one spec: its
name, where to download it from (`url`), its four files and their checksums;
`register(spec)` adds it, and `load_dataset`, `gdl-vae train --dataset` and
the run folders take it from there (tests/test_data.py adds one this way).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

IMAGE_SHAPE = (28, 28, 1)
KERAS_DATASETS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
IDX_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


@dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset may be found and how its files are checked.

    checksums: accepted digests per file name. "md5"/"sha256" hash the file as
    published; "raw-md5"/"raw-sha256" hash the decompressed IDX bytes, so a
    recompressed copy still matches (Debian recompresses Fashion-MNIST; the
    repository's MNIST training files were recompressed too).
    npz: a single-file form of the whole dataset (Keras' mnist.npz), if any;
    downloads fetch it instead of the four IDX files.
    url: the folder a download fetches the files from (url + file name).
    files: the IDX files: training images and labels, test images and labels.
    """

    name: str
    title: str
    checksums: dict[str, tuple[str, ...]]
    folders: tuple[str, ...]  # sub-folder names a data directory may use
    image_shape: tuple[int, int, int] = IMAGE_SHAPE
    npz: str | None = None
    system_dirs: tuple[tuple[Path, str], ...] = field(default_factory=tuple)
    install_hint: str = ""  # how to get the files without a download
    url: str = KERAS_DATASETS_URL
    files: tuple[str, str, str, str] = IDX_FILES

    def __post_init__(self) -> None:
        missing = [f for f in (*self.files, *[self.npz] * bool(self.npz))
                   if not self.checksums.get(f)]  # fmt: skip
        if missing:
            raise ValueError(
                f"dataset {self.name!r} has no checksum for {', '.join(missing)}. "
                "Fix: give each file its md5 or sha256 (or those of its "
                "decompressed bytes, raw-md5 / raw-sha256)."
            )

    def accepted(self, filename: str) -> tuple[str, ...]:
        """The digests a file of this name may have."""
        return self.checksums[filename]


SPECS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            name="mnist",
            title="MNIST",
            folders=("mnist",),
            npz="mnist.npz",
            checksums={
                TRAIN_IMAGES: (
                    "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873",
                    "raw-md5:6bbc9ace898e44ae57da46a324031adb",
                    "raw-sha256:ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                ),
                TRAIN_LABELS: (
                    "md5:d53e105ee54ea40749a09fcbcd1e9432",
                    "raw-md5:a25bea736e30d166cdddb491f175f624",
                    "raw-sha256:65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                ),
                TEST_IMAGES: (
                    "md5:9fb629c4189551a2d022fa330f9573f3",
                    "raw-md5:2646ac647ad5339dbf082846283269ea",
                    "raw-sha256:0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                ),
                TEST_LABELS: (
                    "md5:ec29112dd5afa0611ce80d1b7f02629c",
                    "raw-md5:27ae3e4e09519cfbb04c329615203637",
                    "raw-sha256:ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
                ),
                "mnist.npz": (
                    "sha256:731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
                ),
            },
        ),
        DatasetSpec(
            name="fashion_mnist",
            title="Fashion-MNIST",
            folders=("fashion_mnist", "fashion-mnist"),
            system_dirs=(
                (
                    Path("/usr/share/datasets/fashion-mnist"),
                    "Debian's dataset-fashion-mnist",
                ),
            ),
            install_hint="or `apt-get install dataset-fashion-mnist`, ",
            checksums={
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
        ),
    )
}
DATASETS = tuple(SPECS)  # the kit's own; names() includes those registered since


def register(spec: DatasetSpec) -> DatasetSpec:
    """Add a dataset (replacing one of that name); returns its spec."""
    SPECS[spec.name] = spec
    return spec


def names() -> tuple[str, ...]:
    """Every dataset's name, the kit's first."""
    return tuple(SPECS)


def get_spec(name: str) -> DatasetSpec:
    """The spec of a dataset by name, or a ValueError that lists the names."""
    if name not in SPECS:
        raise ValueError(
            f"unknown dataset {name!r}; expected one of {', '.join(SPECS)}. "
            f"Fix: load_dataset({DATASETS[0]!r}), or register yours with "
            "gdl_vae.data.specs.register."
        )
    return SPECS[name]
