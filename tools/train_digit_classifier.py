"""Train the shipped digit classifier (the course's judge) and write its weights.

Trains gdl_vae.measure.classifier.build_classifier() on the 60,000 MNIST training
images (with blurred copies and no-digit images, see train_digit_classifier),
measures it on the 10,000 test images, and writes
gdl_vae/measure/weights/digit_classifier.weights.h5 and digit_classifier.json (the
measurements, the data and the versions). tests/test_classifier.py checks that
the shipped weights load and still measure what the JSON says.

Run from the repository: python tools/train_digit_classifier.py [--epochs N]
"""

from __future__ import annotations

import argparse
import json
import time

import gdl_vae  # first: TensorFlow, imported next, then comes without its log lines

# isort: split
from gdl_vae.measure import classifier
from gdl_vae.runs import environment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=classifier.SHIPPED_EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    data = gdl_vae.load_dataset("mnist")
    start = time.perf_counter()
    judge = classifier.train_digit_classifier(
        data.x_train, data.y_train, epochs=args.epochs, seed=args.seed
    )
    seconds = time.perf_counter() - start
    report = judge.report(data.x_test, data.y_test)
    classifier.WEIGHTS.parent.mkdir(exist_ok=True)
    shipped = classifier.build_classifier()  # the weights alone, no optimizer state
    shipped.set_weights(judge.model.get_weights())
    shipped.save_weights(classifier.WEIGHTS)
    record = {
        "command": "python tools/train_digit_classifier.py "
        f"--epochs {args.epochs} --seed {args.seed}",
        "data_source": data.source,
        "train_images": len(data.x_train),
        "test_images": len(data.x_test),
        "epochs": args.epochs,
        "train_seconds": round(seconds, 1),
        "threshold": judge.threshold,
        "test": {key: round(value, 4) for key, value in report.items()},
        **environment(),
    }
    path = classifier.WEIGHTS.with_name("digit_classifier.json")
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record["test"], indent=1))
    print(f"wrote {classifier.WEIGHTS} and {path} ({seconds:.0f} s of training)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
