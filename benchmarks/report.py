"""The benchmark's results as Markdown, and the README block they fill.

`markdown(result)` turns results.json into the text of results.md;
`update_readme(text)` puts it between the README's benchmark markers. Every
sentence with a verdict (goal met or missed, wins) is computed from the numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
README_START = "<!-- benchmarks:start (python -m benchmarks.run writes this) -->"
README_END = "<!-- benchmarks:end -->"


def table(header: list[str], rows: list[list]) -> list[str]:
    """A markdown table, then a blank line."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def minutes(seconds: float) -> str:
    """90.4 -> "1 min 30 s", 600.2 -> "10 min", 48.1 -> "48 s"."""
    minutes, rest = divmod(round(seconds), 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


TARGET_SPEEDUP = 2.5  # the throughput goal against the Keras example
TARGET_NATS = 1.0  # ... with a held-out -ELBO no more than this much worse
TARGET_PEAK_SHARE = 0.5  # the dense recipes' goal: half the measured peak


def _with_range(row: dict) -> str:
    """A row's seconds per epoch with the range over its rounds."""
    rounds = row.get("rounds") or [row["seconds_per_epoch"]]
    return f"{row['seconds_per_epoch']} ({min(rounds)}-{max(rounds)})"


def _bound_by(part: dict, name: str) -> str:
    """What bounds a recipe's speed, from its layer profile: the layers' own
    forward and backward passes against the whole training step."""
    profile = part.get("profile", {}).get(name)
    if not profile:
        return ""
    layers = sum(r["ms"] for r in profile if r["network"] != "-")
    whole = next(r["ms"] for r in profile if r["layer"] == "whole train_step")
    slowest = max((r for r in profile if r["network"] != "-"), key=lambda r: r["ms"])
    slow = (
        f"the slowest, {slowest['network']} {slowest['layer']}, takes "
        f"{slowest['ms']:.2f} ms"
    )
    if layers >= whole:
        return (
            f" What bounds it: the layers' own work. Timed one at a time, their "
            f"forward and backward passes add up to {layers:.2f} ms, more than the "
            f"whole {whole:.2f} ms training step (batch {part['profile_batch']}; "
            f"each timing carries its own call overhead), so nothing outside "
            f"the layers is left to cut; {slow}."
        )
    return (
        f" What bounds it: its layers' forward and backward passes take "
        f"{layers:.2f} ms of a {whole:.2f} ms training step (batch "
        f"{part['profile_batch']}; {slow}); the other {whole - layers:.2f} ms are "
        "the loss, Adam's update and the framework's work per step."
    )


def summary(result: dict) -> list[str]:
    """The headline comparisons, as Markdown bullets computed from the results."""
    lines = []
    if part := result.get("throughput"):
        rows = part["rows"]
        reference = [
            r for r in rows if r["recipe"] == "keras_example" and not r["options"]
        ]
        elbo = float(np.mean([r["neg_elbo"] for r in reference]))
        for label in ("gdl_vae conv (default)", "gdl_vae dense"):
            row = next(r for r in rows if r["row"] == label)
            worse = row["neg_elbo"] - elbo
            met = row["speedup"] >= TARGET_SPEEDUP and worse <= TARGET_NATS
            lines.append(
                f"- {label} trains at **{row['speedup']:.2f}x** the Keras example's "
                f"throughput, with a held-out -ELBO {abs(worse):.2f} nats "
                f"{'higher (worse)' if worse > 0 else 'lower (better)'} after the "
                f"same {part['images_seen']:,} images: the goal of "
                f"{TARGET_SPEEDUP}x at no more than {TARGET_NATS:g} nat worse is "
                f"{'met' if met else 'missed'}."
                + (_bound_by(part, "gdl_vae conv") if not met else "")
            )
        if "peak" in part:
            peak = max(p["gflops"] for p in part["peak"].values())
            dense = next(r for r in rows if r["row"] == "gdl_vae dense")
            met = dense["peak_share"] >= TARGET_PEAK_SHARE
            line = (
                f"- gdl_vae dense reaches {dense['gflops']:g} GFLOP/s, "
                f"**{dense['peak_share']:.0%}** of this machine's measured float32 "
                f"peak ({peak:g} GFLOP/s): the goal of "
                f"{TARGET_PEAK_SHARE:.0%} is {'met' if met else 'missed'}."
            )
            lines.append(line + (_bound_by(part, "gdl_vae dense") if not met else ""))
    if part := result.get("quality"):
        wins = [v for v in part["verdicts"] if v["margin_nats"] > 0]
        total = len(part["verdicts"])
        lines.append(
            f"- At equal time ({minutes(part['budget_s'])} per recipe), gdl_vae's "
            f"best recipe has the lower -IWAE in {len(wins)} of {total} "
            "comparisons (per latent size and binarization; details below)."
        )
    if (part := result.get("literature")) and "rows" in part:
        for goal in part["goals"]:
            rows = [r for r in part["rows"] if r.get("layers", 1) == goal["layers"]]
            if not rows:
                continue
            best = min(rows, key=lambda r: r["neg_iwae"])
            margin = best["neg_iwae"] - goal["nll"]
            met = margin <= 0 and best["train_seconds"] <= goal["minutes"] * 60 + 60
            layers = LAYER_WORDS[goal["layers"]]
            lines.append(
                f"- Best {layers}-stochastic-layer recipe, {best['recipe']}: NLL "
                f"**{best['neg_iwae']:.2f}** nats (k={best['iwae_k']}, all "
                f"{best['iwae_images']:,} test images) after "
                f"{minutes(best['train_seconds'])} of training on this machine; the "
                f"goal of {goal['nll']:.2f} ({goal['what']}) within "
                f"{goal['minutes']} min is {'met' if met else 'missed'} "
                f"({abs(margin):.2f} nats {'below' if margin <= 0 else 'above'} it)."
            )
    return [*lines, ""] if lines else []


def markdown(result: dict) -> str:
    """The results as Markdown, every figure with its data and machine."""
    env = result["environment"]
    v = env["versions"]
    lines = [
        f"Measured by `{result['command']}` on {env['date']}: {env['machine']}, "
        f"{'GPU ' + ', '.join(env['gpus']) if env['gpus'] else 'no GPU'}; Python "
        f"{v['python']}, TensorFlow {v['tensorflow']}, Keras {v['keras']}, TFP "
        f"{v['tensorflow_probability']}. Data: {result['data_source']}. Raw "
        "figures: `benchmarks/results.json`. Held-out figures are in nats per "
        "image (lower is better).",
        "",
        *summary(result),
    ]
    if part := result.get("throughput"):
        rows = part["rows"]
        repeats = part.get("repeats", 1)
        when = (
            f"Measured on {part['date']} ({part['machine']}). "
            if "date" in part
            else ""
        )
        lines += [
            "### Training throughput",
            "",
            f"{when}{part['images_seen']:,} images seen "
            f"({part['epochs']:g} epochs) by each recipe, from the same "
            f"{rows[0]['train_images']:,} dynamically binarized training images, "
            f"batch {part['batch_size']}, float32 unless the row says otherwise. "
            + (
                f"The ladder ran {repeats} times in rounds (every row once, then "
                "again), so that a slow spell of the shared machine slows every "
                "row alike; seconds per epoch are the median over the rounds of "
                "each run's median epoch after the first (tracing) one, with the "
                "rounds' range; "
                if repeats > 1
                else "Seconds per epoch are the median after the first (tracing) "
                "epoch; "
            )
            + "speed is relative to the mean of the two keras_example rows.",
            "",
        ]
        if "peak" in part:
            peak = part["peak"]
            lines += [
                "This machine's float32 peak, measured in TensorFlow (median of "
                f"{peak['matmul']['repeats']} interleaved repeats, range in "
                f"brackets): a 2048 x 2048 matrix product {peak['matmul']['gflops']:g} "
                f"GFLOP/s ({peak['matmul']['low']:g}-{peak['matmul']['high']:g}), a "
                f"3 x 3 convolution with 64 channels in and out on 14 x 14 maps "
                f"{peak['conv']['gflops']:g} GFLOP/s ({peak['conv']['low']:g}-"
                f"{peak['conv']['high']:g}). A recipe's GFLOP/s count 2 per "
                "multiply-add of its Dense and convolution layers, times 3 for a "
                "training step (forward, and backward for inputs and weights), "
                "times images per second; the element-wise work is left out, so "
                "the share of the peak (the larger of the two) is a floor.",
                "",
            ]
        lines += table(
            ["recipe", "s / epoch (range)", "images / s", "speed", "GFLOP/s",
             "share of peak", "held-out -ELBO"],
            [
                [
                    r["row"],
                    _with_range(r),
                    f"{r['images_per_second']:,}",
                    f"{r['speedup']:.2f}x",
                    r.get("gflops", "-"),
                    f"{r['peak_share']:.0%}" if "peak_share" in r else "-",
                    r["neg_elbo"],
                ]
                for r in rows
            ],
        )  # fmt: skip
        profile = part["profile"]
        names = list(profile)
        lines += [
            f"Where a training step's time goes: milliseconds for the forward and "
            f"backward pass of each layer on a batch of {part['profile_batch']} "
            f"(the tf.data pipeline alone: {part['pipeline_ms_per_batch']} ms per "
            "batch).",
            "",
        ]
        for name in names:
            lines += table(
                [f"{name}: layer (output shape)", "ms"],
                [[f"{r['network']}: {r['layer']}", r["ms"]] for r in profile[name]],
            )
    if part := result.get("quality"):
        lines += [
            "### Quality at equal time",
            "",
            f"Each recipe trained for "
            f"{minutes(part['budget_s'])} of wall time on the same split; -IWAE "
            f"is the importance-weighted bound with k={part['rows'][0]['iwae_k']} "
            f"on the first {part['rows'][0]['iwae_images']:,} held-out images, "
            "-ELBO uses all of them. gdl_vae's recipes keep the weights that did "
            "best on a slice of the training split (1/16 of it).",
            "",
            *table(
                ["binarization", "recipe", "latent", "epochs", "-ELBO", "-IWAE"],
                [
                    [
                        r["binarization"],
                        f"**{r['recipe']}**" if r["gdl_vae"] else r["recipe"],
                        r["latent_dim"],
                        r["epochs"],
                        r["neg_elbo"],
                        r["neg_iwae"],
                    ]
                    for r in part["rows"]
                ],
            ),
        ]
        for verdict in part["verdicts"]:
            margin = verdict["margin_nats"]
            lines.append(
                f"- {verdict['binarization']}, latent {verdict['latent_dim']}: "
                f"{verdict['best_gdl_vae']} is "
                + (
                    f"{margin:.2f} nats better than the best reference "
                    if margin > 0
                    else f"{-margin:.2f} nats worse than the best reference "
                )
                + f"({verdict['best_reference']})."
            )
        lines.append("")
    if (part := result.get("literature")) and "rows" in part:
        lines += literature_lines(part)
    if part := result.get("scale"):
        if "skipped" in part:
            lines += [f"**Fashion-MNIST.** Skipped: {part['skipped']}", ""]
        else:
            rows = part["rows"]
            lines += [
                "### Scale: Fashion-MNIST",
                "",
                f"{part['data_source']}; "
                f"{part['n_train']:,} training images, dynamically binarized; "
                f"-ELBO on all {part['n_test']:,} test images, -IWAE (k="
                f"{rows[0]['iwae_k']}) on the first {rows[0]['iwae_images']:,}.",
                "",
                *table(
                    ["recipe", "epochs", "s / epoch", "images / s", "-ELBO", "-IWAE"],
                    [
                        [
                            r["recipe"],
                            r["epochs"],
                            r["seconds_per_epoch"],
                            f"{r['images_per_second']:,}",
                            r["neg_elbo"],
                            r["neg_iwae"],
                        ]
                        for r in rows
                    ],
                ),
            ]
    if part := result.get("notebooks"):
        times: dict[str, dict] = {}
        for r in part["rows"]:
            times.setdefault(r["notebook"], {})[r["mode"]] = r["seconds"]
        where: dict[str, str] = {}
        for r in part["rows"]:
            if "machine" in r and (r["mode"] == "full" or r["notebook"] not in where):
                where[r["notebook"]] = f"{r['machine']}, {r['date']}"
        header = f"{env['machine']}, {env['date']}"
        lines += [
            "### Notebooks",
            "",
            "Wall time of a run top to bottom (nbclient), full "
            "and quick (`GDL_VAE_QUICK=1`) mode, and the machine and date of "
            "the full run.",
            "",
            *table(
                ["notebook", "full", "quick", "measured on"],
                [
                    [
                        name,
                        minutes(t["full"]) if "full" in t else "-",
                        minutes(t.get("quick", 0)),
                        where.get(name, header),
                    ]
                    for name, t in times.items()
                ],
            ),
        ]
    return "\n".join(lines).rstrip() + "\n"


LAYER_WORDS = {1: "one", 2: "two"}


def literature_table(part: dict) -> list[str]:
    """The kit's recipes, then the published rows, each with its number of
    stochastic layers."""
    kit = [
        [
            f"{r['recipe']} (`{r['source']}`"
            + (f", learning rate to {r['lr_decay']:g}x" if r["lr_decay"] else "")
            + f", batch {r['batch_size']})",
            "this kit, 2 CPU cores",
            r.get("layers", 1),
            f"{minutes(r['train_seconds'])}, {r['epochs']:,} epochs",
            r["neg_elbo"],
            r["neg_iwae"],
        ]
        for r in part["rows"]
    ]
    published = [
        [
            p["model"],
            p["source"],
            p["layers"],
            f"{p['epochs']:,} epochs" if p["epochs"] else "-",
            "-",
            p["nll"],
        ]
        for p in part["published"]
    ]
    columns = ["recipe", "source", "layers", "training", "-ELBO", "NLL"]
    return table(columns, kit + published)


def literature_lines(part: dict) -> list[str]:
    """The literature table with what it measures, and the best recipe's curve."""
    rows = part["rows"]
    evaluation = rows[0]
    passes = evaluation["iwae_k"] * evaluation["iwae_images"]
    lines = [
        "### Against the literature",
        "",
        "Latent 32 (with two stochastic layers: z1 and z2 of 32 each), dense "
        "networks (512-256), dynamic binarization; each recipe trains on "
        f"{rows[0]['train_images']:,} training images for a wall-clock budget "
        "on this machine and keeps the weights that did best on the other "
        f"{part['n_train'] - rows[0]['train_images']:,}. NLL is -IWAE with k="
        f"{evaluation['iwae_k']} on all {evaluation['iwae_images']:,} test "
        f"images; -ELBO is averaged over 10 samples. Data: {part['data_source']}. "
        "The published rows are on the same split, dynamically binarized, NLL "
        "with k=5000.",
        "",
        *literature_table(part),
        f"Evaluating one model ({passes:,} decoder passes for the NLL, and the "
        f"-ELBO) takes {minutes(evaluation['eval_seconds'])} here for "
        f"{evaluation['recipe']}.",
        "",
    ]
    for r in rows:
        if not r.get("curve"):
            continue
        points = ", ".join(
            f"{p['seconds'] / 60:.0f} min {p['neg_iwae']:.2f}" for p in r["curve"]
        )
        lines += [
            f"NLL against training time, {r['recipe']} (k={r['curve_k']}, first "
            f"{r['curve_images']:,} test images, the weights of that moment): "
            f"{points}.",
            "",
        ]
    return lines


def update_readme(text: str, readme: Path = ROOT / "README.md") -> None:
    """Put text between the README's benchmark markers."""
    content = readme.read_text()
    start, end = content.index(README_START), content.index(README_END)
    block = f"{README_START}\n\n{text}\n"
    readme.write_text(content[:start] + block + content[end:])
