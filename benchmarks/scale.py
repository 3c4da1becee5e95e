"""Part 4, scale: full Fashion-MNIST (60,000 images), seconds per epoch and NLL."""

from __future__ import annotations

import gdl_vae
from benchmarks import recipes
from benchmarks.settings import Settings
from benchmarks.training import held_out, train
from gdl_vae.data import held_out_images


def scale(settings: Settings) -> dict:
    try:
        data = gdl_vae.load_dataset("fashion_mnist")
    except (FileNotFoundError, ValueError, OSError) as error:
        print(f"  skipped: {error}")
        return {"skipped": str(error)}
    x_train = data.x_train[: settings.scale_train]
    x_test = held_out_images(data.x_test[: settings.n_test], "dynamic")
    rows = []
    for recipe in (recipes.GDL_CONV, recipes.GDL_DENSE_32):
        model, stats = train(recipe, x_train, "dynamic", epochs=settings.scale_epochs)
        scores = held_out(
            model, x_test, settings.scale_iwae_k, settings.scale_test_iwae
        )
        rows.append({"recipe": recipe.name, **stats, **scores})
        print(
            f"  {recipe.name}: {stats['seconds_per_epoch']} s/epoch, "
            f"-IWAE {scores['neg_iwae']}",
            flush=True,
        )
    return {
        "data_source": data.source,
        "n_train": len(x_train),
        "n_test": len(x_test),
        "rows": rows,
    }
