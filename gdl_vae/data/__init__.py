"""Datasets: one spec each (specs), loading with checked files (sources), the
input contract (checks) and the pipelines that binarize and batch (pipeline).

`gdl_vae.data.specs` reads without TensorFlow; the other names load on use.
"""

from gdl_vae._lazy import lazy_exports

_EXPORTS = {
    "DATASETS": "gdl_vae.data.specs",
    "IMAGE_SHAPE": "gdl_vae.data.specs",
    "SPECS": "gdl_vae.data.specs",
    "DatasetSpec": "gdl_vae.data.specs",
    "Dataset": "gdl_vae.data.sources",
    "load_dataset": "gdl_vae.data.sources",
    "read_idx": "gdl_vae.data.sources",
    "verify_file": "gdl_vae.data.sources",
    "check_images": "gdl_vae.data.checks",
    "BINARIZATIONS": "gdl_vae.data.pipeline",
    "binarize": "gdl_vae.data.pipeline",
    "held_out_images": "gdl_vae.data.pipeline",
    "make_dataset": "gdl_vae.data.pipeline",
    "EpochData": "gdl_vae.data.pipeline",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
