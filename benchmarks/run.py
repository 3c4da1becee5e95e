"""Every performance figure the README quotes, measured in one run.

1. throughput: images per second and seconds per epoch of the Keras example's
   recipe and of gdl_vae, one change at a time, all for the same number of
   images seen on the same data; a layer-by-layer profile says where each
   step's time goes.
2. quality:    each recipe trained for the same wall-clock budget; held-out
   negative ELBO and importance-weighted NLL (k=1000), in nats, under dynamic
   and static binarization.
3. literature: the kit's latent-32 recipes (VAE, IWAE, VampPrior, the best
   combination) on dynamically binarized MNIST, each with its NLL (k=5000,
   all 10,000 test images), beside the published one-stochastic-layer rows.
4. scale:      full Fashion-MNIST (60,000 images): seconds per epoch and NLL.
5. notebooks:  each notebook's wall time in full and in quick mode.

Each part is a module of its own (throughput.py, quality.py, literature.py,
scale.py, notebooks.py), with its settings in settings.py, the shared
training and scoring in training.py and the recipes in recipes.py; this
module runs the parts asked for and writes the report (report.py).

    python -m benchmarks.run            # about 4 hours on 2 CPU cores
    python -m benchmarks.run --quick    # a few minutes: a smoke test

The full run writes benchmarks/results.json and benchmarks/results.md, and puts
the Markdown into README.md between the benchmark markers. A quick run writes
the same files into --out (a temporary folder unless given) and never the README.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import gdl_vae  # first: TensorFlow, imported next, then comes without its log lines

# isort: split
from benchmarks.literature import LITERATURE, SHIPPED, literature
from benchmarks.notebooks import notebooks
from benchmarks.quality import quality
from benchmarks.report import markdown, update_readme
from benchmarks.scale import scale
from benchmarks.settings import FULL, PARTS, QUICK
from benchmarks.throughput import throughput
from gdl_vae.models import pretrained
from gdl_vae.runs import environment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--out", help="folder for results.json and results.md")
    parser.add_argument(
        "--save-notebooks",
        action="store_true",
        help="write each notebook's full run into its .ipynb (the committed outputs)",
    )
    parser.add_argument(
        "--notebooks",
        nargs="+",
        metavar="NAME",
        help="with --parts notebooks: run only these notebooks (e.g. "
        "04_regularization); the others keep their rows in results.json",
    )
    parser.add_argument(
        "--rows",
        nargs="+",
        metavar="KEY",
        help="with --parts literature: train only these rows ("
        + ", ".join(key for key, _, _ in LITERATURE)
        + "); the others keep their figures in results.json",
    )
    parser.add_argument(
        "--save-weights",
        action="store_true",
        help="with --parts literature: write the models of the rows the package "
        f"ships ({', '.join(SHIPPED)}) into it (gdl_vae/models/weights; with "
        "--quick, into the output folder)",
    )
    parser.add_argument(
        "--report",
        action="store_true",
        help="run nothing: rewrite results.md (and the README) from results.json",
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    out = Path(args.out) if args.out else None
    if out is None:
        out = Path(__file__).parent
        if args.quick:
            out = Path(tempfile.mkdtemp(prefix="gdl_vae-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    weights = None
    if args.save_weights:
        weights = out / "weights" if args.quick else pretrained.WEIGHTS

    data = gdl_vae.load_dataset("mnist")
    data = replace(
        data,
        x_train=data.x_train[: settings.n_train],
        x_test=data.x_test[: settings.n_test],
    )
    previous = out / "results.json"
    result = json.loads(previous.read_text()) if previous.exists() else {}
    if args.report and not result:
        parser.error(f"--report needs {previous}; run the benchmark first.")
    # A report keeps the machine and date of its figures, and so does a run of
    # some parts over an earlier full run: the header names the full run's
    # machine, and the parts that record their own (the notebooks) say theirs.
    partial = set(args.parts) < set(PARTS) and "environment" in result
    if partial:  # a setting added since the full run: its value now
        result["settings"] = {**asdict(settings), **result.get("settings", {})}
    if not args.report and not partial:
        result.update(
            command="python -m benchmarks.run" + (" --quick" if args.quick else ""),
            settings=asdict(settings),
            data_source=f"{data.source}; {len(data.x_train):,} training, "
            f"{len(data.x_test):,} held-out images",
            environment=environment(),
        )
    runners = {
        "throughput": lambda: throughput(data, settings),
        "quality": lambda: quality(data, settings),
        "literature": lambda: literature(
            data,
            settings,
            only=args.rows,
            previous=result.get("literature"),
            save_weights=weights,
        ),
        "scale": lambda: scale(settings),
        "notebooks": lambda: notebooks(
            settings,
            save=args.save_notebooks,
            only=args.notebooks,
            previous=result.get("notebooks"),
        ),
    }
    for name in [] if args.report else args.parts:
        print(f"{name}:", flush=True)
        start = time.perf_counter()
        result[name] = runners[name]()
        result[name]["part_seconds"] = round(time.perf_counter() - start, 1)
        (out / "results.json").write_text(json.dumps(result, indent=1) + "\n")
    text = markdown(result)
    (out / "results.md").write_text(text)
    print(text)
    if out.resolve() == Path(__file__).parent.resolve():
        update_readme(text)
        print("README.md updated")
    print(f"wrote {out / 'results.json'} and {out / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
