"""Does the precision policy that best_policy() picks train as well, and faster?

Trains the default VAE twice in one process, same data, seed and budget in
images seen: once in float32 and once in the reduced-precision policy this
machine could use. It reports steady-state seconds per epoch (the first, tracing
epoch excluded) and the held-out ELBO, and writes precision.json and
precision.md. Run: python -m benchmarks.precision [--images 180000]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import gdl_vae  # first: TensorFlow, imported next, then comes without its log lines

# isort: split
import keras

from benchmarks.report import table
from gdl_vae.data import held_out_images
from gdl_vae.precision import cpu_has_bfloat16
from gdl_vae.runs import environment
from gdl_vae.training import train

RESULTS = Path(__file__).with_name("precision.json")
COLUMNS = ("policy", "seed", "seconds_per_epoch", "images_per_second", "held_out_elbo")


def measure(policy: str, data, images: int, seed: int = 0) -> dict:
    keras.utils.set_random_seed(seed)
    vae = gdl_vae.build_vae(latent_dim=2, dtype_policy=policy, seed=seed)
    trained = train(
        vae, data.x_train, images_seen=images, binarization="dynamic", seed=seed
    )
    held_out = held_out_images(data.x_test, "dynamic", seed=0)
    steady = trained.epoch_times[1:]
    return {
        "policy": policy,
        "seed": seed,
        "seconds_per_epoch": round(sum(steady) / len(steady), 3),
        "images_per_second": round(len(data.x_train) * len(steady) / sum(steady)),
        "held_out_elbo": round(
            float(vae.elbo(held_out, n_samples=10, seed=0).mean()), 2
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=180_000, help="images seen")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    data = gdl_vae.load_dataset("mnist")
    picked = gdl_vae.best_policy()
    candidates = ["float32", "mixed_bfloat16" if cpu_has_bfloat16() else picked]
    rows = [
        measure(policy, data, args.images, seed)
        for seed in args.seeds
        for policy in dict.fromkeys(candidates)
    ]
    result = {
        "what": "default VAE: conv, latent 2, dynamic binarization, batch 128, Adam",
        "images_seen": args.images,
        "data_source": data.source,
        "picked_policy": picked,
        "rows": rows,
        **environment(),
    }
    policies = list(dict.fromkeys(row["policy"] for row in rows))
    if len(policies) == 2:
        mean = {
            p: {
                key: sum(r[key] for r in rows if r["policy"] == p) / len(args.seeds)
                for key in ("seconds_per_epoch", "held_out_elbo")
            }
            for p in policies
        }
        base, other = mean[policies[0]], mean[policies[1]]
        speedup = base["seconds_per_epoch"] / other["seconds_per_epoch"]
        gap = other["held_out_elbo"] - base["held_out_elbo"]
        result["summary"] = {"speedup": round(speedup, 2), "elbo_gap": round(gap, 2)}
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    text = report(result, args.seeds)
    RESULTS.with_suffix(".md").write_text(text)
    print(text)


def report(result: dict, seeds: list[int]) -> str:
    """precision.md: the setting, every row, and the verdict computed from them."""
    v = result["versions"]
    lines = [
        "# Precision policy: float32 against reduced precision",
        "",
        f"`python -m benchmarks.precision --images {result['images_seen']} --seeds "
        f"{' '.join(map(str, seeds))}`, {result['date']}, on {result['machine']}, "
        f"{'GPU ' + ', '.join(result['gpus']) if result['gpus'] else 'no GPU'}; "
        f"TensorFlow {v['tensorflow']}, Keras {v['keras']}. Data: "
        f"{result['data_source']}. Model: the {result['what']}; "
        f"{result['images_seen']:,} images seen per run. Seconds per epoch exclude "
        "the first (tracing) epoch; the held-out ELBO uses 10 samples per image on "
        "a fixed binarization of all the test images. Raw rows: `precision.json`. "
        f"`best_policy()` picks {result['picked_policy']} on this machine.",
        "",
        *table(
            ["policy", "seed", "s / epoch", "images / s", "held-out ELBO (nats)"],
            [[r[key] for key in COLUMNS] for r in result["rows"]],
        ),
    ]
    if summary := result.get("summary"):
        other = result["rows"][1]["policy"]
        gap = summary["elbo_gap"]
        lines += [
            f"Mean over seeds: {other} ran at {summary['speedup']:.2f}x the speed of "
            f"float32, with a held-out ELBO {abs(gap):.2f} nats "
            f"{'lower' if gap < 0 else 'higher'}.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
