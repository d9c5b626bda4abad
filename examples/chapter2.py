"""Data and bookkeeping shared by the chapter 2 training scripts.

The tutorial trains on six points; the batch scripts make a few thousand
with a fixed seed, so every run prints the same numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent

# The tutorial's six points and their labels.
TUTORIAL_POINTS = [(1.2, 0.7), (-0.3, -0.5), (3.0, 0.1), (-0.1, -1.0), (-1.0, 1.1)]
TUTORIAL_POINTS.append((2.1, -3.0))
TUTORIAL_LABELS = [1, -1, 1, -1, -1, 1]


def two_clouds(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n points in two overlapping Gaussian clouds, labelled +1 and -1: a
    line separates them, almost."""
    rng = np.random.default_rng(seed)
    label = rng.choice([-1.0, 1.0], size=n)
    x = rng.normal(size=n) * 0.8 + 1.2 * label
    y = rng.normal(size=n) * 0.8 + 0.8 * label
    return x, y, label


def disk_in_ring(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n points: +1 inside a disk of radius 1, -1 on a ring around it. No line
    separates them; three ReLU neurons can cut a triangle around the disk."""
    rng = np.random.default_rng(seed)
    label = rng.choice([-1.0, 1.0], size=n)
    radius = np.where(label > 0, rng.uniform(0, 1, n), rng.uniform(2.5, 3.5, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    return radius * np.cos(angle), radius * np.sin(angle), label


def accuracy(scores, labels) -> float:
    """The fraction of points whose score has the sign of their label."""
    predicted = np.where(np.asarray(scores) > 0, 1, -1)
    return float(np.mean(predicted == np.asarray(labels)))
