"""Shared by the tests: an independent numerical derivative."""

from __future__ import annotations

from typing import Callable, Sequence


def numerical_gradient(
    f: Callable[..., float], point: Sequence[float], h: float = 1e-6
) -> list[float]:
    """Centred differences, written here independently of hnncompile.gradcheck."""
    grads = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        grads.append((f(*up) - f(*down)) / (2 * h))
    return grads
