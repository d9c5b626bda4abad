"""Chapter 3: a softmax classifier on handwritten digits, with a test set.

    pip install '.[examples]'     # scikit-learn, for its bundled digits
    python examples/chapter3_digits.py [--steps 1000] [--seed 0]

scikit-learn ships 1,797 handwritten digits, 8x8 images of 0 to 16 gray
levels (`sklearn.datasets.load_digits`: no download). Each image is a row
of 64 numbers; a quarter of the images are held out (a fixed seed picks
them) and the rest train the softmax classifier of chapter3_spiral.py, the
same program (chapter3_softmax.hnn) with 64 inputs and 10 classes, by
full-batch gradient descent on its compiled gradients. Accuracy on images
it never saw tells whether it learned digits or memorised these ones.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

import numpy as np

import hnncompile

HERE = Path(__file__).parent
CLASSES = 10
STEP_SIZE = 1.0
REG = 1e-4  # regularization strength
TEST_FRACTION = 0.25


def digits(seed: int = 0) -> tuple[np.ndarray, ...]:
    """The digits as (X_train, X_test, y_train, y_test): pixels scaled to
    0..1, a row an image; a random quarter of each digit's images held out."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    images = load_digits()
    X = images.data / 16.0
    return tuple(
        train_test_split(
            X,
            images.target.astype(np.int64),
            test_size=TEST_FRACTION,
            random_state=seed,
            stratify=images.target,
        )
    )


def train(
    steps: int = 1000, seed: int = 0, report: Callable[[str], None] = print
) -> dict:
    """Train the classifier; the loss history and the accuracy on the
    training and the held-out images."""
    X_train, X_test, y_train, y_test = digits(seed)
    report(f"{len(X_train)} training images, {len(X_test)} held out")
    loss = hnncompile.compile_file(
        HERE / "chapter3_softmax.hnn", target="numpy", wrt=["W", "b"]
    )
    rng = np.random.default_rng(seed)
    weights = {
        "W": 0.01 * rng.standard_normal((X_train.shape[1], CLASSES)),
        "b": np.zeros((1, CLASSES)),
    }
    data = {"X": X_train, "y": y_train, "num_examples": len(X_train), "reg": REG}
    every = max(steps // 10, 1)
    history = []
    for step in range(steps + 1):
        value, grads = loss.grad(**data, **weights)
        if step % every == 0 or step == steps:
            history.append({"step": step, "loss": float(value)})
            test = accuracy(X_test, y_test, weights)
            report(f"step {step:5d}: loss {float(value):.4f}, test accuracy {test:.4f}")
        if step < steps:
            for name in loss.wrt:
                weights[name] -= STEP_SIZE * grads[name]
    result = {
        "history": history,
        "train_accuracy": accuracy(X_train, y_train, weights),
        "test_accuracy": accuracy(X_test, y_test, weights),
    }
    report(
        f"training accuracy {result['train_accuracy']:.4f}, "
        f"test accuracy {result['test_accuracy']:.4f}"
    )
    return result


def accuracy(X: np.ndarray, y: np.ndarray, weights: dict[str, np.ndarray]) -> float:
    """The fraction of images whose highest score is their digit's."""
    scores = np.dot(X, weights["W"]) + weights["b"]
    return float(np.mean(np.argmax(scores, axis=1) == y))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args(argv)
    train(options.steps, options.seed)


if __name__ == "__main__":
    main()
