"""Does the precision policy that best_policy() picks train as well, and faster?

Trains the default VAE twice in one process, same data, seed and epochs: once
in float32 and once under the policy best_policy() picks for this machine. It
reports steady-state seconds per epoch (the first, tracing epoch excluded) and
the held-out ELBO. Run: python -m benchmarks.precision [--epochs 20]
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import gdl_vae  # first: TensorFlow, imported next, then comes without its log lines

# isort: split
import keras

from gdl_vae.data import held_out_images
from gdl_vae.precision import cpu_has_bfloat16
from gdl_vae.runs import environment
from gdl_vae.training import train

RESULTS = Path(__file__).with_name("precision.json")


def measure(policy: str, data, epochs: int, seed: int = 0) -> dict:
    keras.utils.set_random_seed(seed)
    vae = gdl_vae.build_vae(latent_dim=2, dtype_policy=policy, seed=seed)
    trained = train(vae, data.x_train, epochs=epochs, binarization="dynamic", seed=seed)
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
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        data = gdl_vae.load_dataset("mnist")
    picked = gdl_vae.best_policy()
    candidates = ["float32", "mixed_bfloat16" if cpu_has_bfloat16() else picked]
    rows = [
        measure(policy, data, args.epochs, seed)
        for seed in args.seeds
        for policy in dict.fromkeys(candidates)
    ]
    result = {
        "what": "default VAE: conv, latent 2, dynamic binarization, batch 128, Adam",
        "epochs": args.epochs,
        "data_source": data.source,
        "picked_policy": picked,
        "rows": rows,
        **environment(),
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{result['machine']}, {result['date']}; {args.epochs} epochs; {data.source}")
    print(f"best_policy() picks {picked} here")
    print("| policy | seed | s / epoch | images / s | held-out ELBO (nats) |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        print(
            f"| {row['policy']} | {row['seed']} | {row['seconds_per_epoch']} | "
            f"{row['images_per_second']} | {row['held_out_elbo']} |"
        )
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
        print(
            f"mean over seeds: {policies[1]} runs at {speedup:.2f}x the speed of "
            f"float32, held-out ELBO {gap:+.2f} nats"
        )


if __name__ == "__main__":
    main()
