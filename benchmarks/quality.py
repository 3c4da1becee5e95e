"""Part 2, quality at equal time: each recipe trained for the same wall-clock
budget; held-out negative ELBO and importance-weighted NLL, in nats, under
dynamic and static binarization."""

from __future__ import annotations

from benchmarks import recipes
from benchmarks.settings import Settings
from benchmarks.training import held_out, train
from gdl_vae.data import held_out_images

QUALITY = (  # (recipe, gdl_vae's own recipe?)
    (recipes.KERAS_EXAMPLE, False),
    (recipes.TF_CVAE_TUTORIAL, False),
    (recipes.GDL_CONV, True),
    (recipes.GDL_DENSE, True),
    (recipes.PYTORCH_EXAMPLE, False),
    (recipes.GDL_DENSE_20, True),
)


def quality(data, settings: Settings) -> dict:
    rows = []
    for binarization in ("dynamic", "static"):
        x_test = held_out_images(data.x_test, binarization)
        for recipe, ours in QUALITY:
            model, stats = train(
                recipe,
                data.x_train,
                binarization,
                budget_s=settings.budget_s,
                keep_best=ours,
            )
            scores = held_out(
                recipes.as_gdl_vae(model, recipe),
                x_test,
                settings.iwae_k,
                settings.iwae_images,
            )
            rows.append(
                {
                    "recipe": recipe.name,
                    "source": recipe.source,
                    "gdl_vae": ours,
                    "latent_dim": recipe.latent_dim,
                    "binarization": binarization,
                    **stats,
                    **scores,
                }
            )
            print(
                f"  {binarization} {recipe.name}: {stats['epochs']} epochs, "
                f"-ELBO {scores['neg_elbo']}, -IWAE {scores['neg_iwae']}",
                flush=True,
            )
    verdicts = []
    for binarization in ("dynamic", "static"):
        for latent in sorted({r["latent_dim"] for r in rows}):
            group = [
                r
                for r in rows
                if r["binarization"] == binarization and r["latent_dim"] == latent
            ]
            best = min((r for r in group if r["gdl_vae"]), key=lambda r: r["neg_iwae"])
            rival = min(
                (r for r in group if not r["gdl_vae"]), key=lambda r: r["neg_iwae"]
            )
            verdicts.append(
                {
                    "binarization": binarization,
                    "latent_dim": latent,
                    "best_gdl_vae": best["recipe"],
                    "best_reference": rival["recipe"],
                    "margin_nats": round(rival["neg_iwae"] - best["neg_iwae"], 2),
                }
            )
    return {"budget_s": settings.budget_s, "rows": rows, "verdicts": verdicts}
