"""The explorer's training mode, settled before the page is written: which
inputs take a data point's x, y and label, the wire whose sign is the
decision, the parameters stochastic gradient descent moves, the inputs
held where they are, and every input's first value (see `training`).
The page that runs the training is explore.py's; the data sets are
datasets.py's."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from .. import datasets
from ..trace import MISSING_INPUT_VALUE
from . import STEP_SIZE, refuse_matrices

if TYPE_CHECKING:
    from ..compiled import CompiledFunction

DATA_INPUTS = ("x", "y", "label")  # a point's coordinates and its label
SCORE = "score"  # the wire whose sign is the classifier's decision
START_RANGE = 0.5  # a parameter not given starts in [-0.5, 0.5), as Math.random() - 0.5
MAX_POINTS = 10_000  # the page evaluates them all after every frame of training


@dataclass(frozen=True)
class Training:
    """What the page trains on and how: see `training`."""

    dataset: datasets.Dataset
    data: tuple[str, str, str]  # the inputs taking a point's x, y and label
    score: str  # the wire whose sign is the decision
    trained: tuple[str, ...]  # the parameters SGD moves: `wrt`, but for the data
    held: tuple[str, ...]  # inputs neither data nor differentiated: constants
    step: float
    seed: int
    start: dict[str, float]  # every input's first value
    chosen: tuple[str, ...]  # the parameters whose start was drawn at random


def training(
    f: CompiledFunction,
    train: str | Path | datasets.Dataset,
    data: Sequence[str] | str | None = None,
    score: str | None = None,
    step: float | None = None,
    seed: int = 0,
    point: Mapping[str, float] | None = None,
) -> Training:
    """Check what `explore(..., train=...)` was given and settle the rest.

    `data` names the three inputs that take a point's x, y and label
    (default x, y, label; "x,y,label" works too), `score` the wire whose
    sign is the decision (default score). The parameters are the `wrt`
    inputs that are not data; an input outside `wrt` is held at its
    value. `point` gives inputs their first values: a parameter not in it
    starts at a small random number (uniform in [-0.5, 0.5), seeded by
    `seed`, which also seeds the page's choice of points), a held input at
    1. ValueError (datasets.DataError for the data set) for a mistake."""
    refuse_matrices(f)
    point = dict(point or {})
    names = tuple(DATA_INPUTS if data is None else _names(data))
    if len(names) != 3 or len(set(names)) != 3:
        raise ValueError(
            f"data: give three different inputs, for a point's x, y and label "
            f"(got {', '.join(names) or 'none'})"
        )
    absent = [name for name in names if name not in f.inputs]
    if absent:
        raise ValueError(
            f"data: {', '.join(map(repr, absent))} "
            f"{'is not an input' if len(absent) == 1 else 'are not inputs'} of the "
            f"program (its inputs are {', '.join(f.inputs) or 'none'}); name the "
            "inputs that take a point's x, y and label (--data x,y,label)"
        )
    score = SCORE if score is None else score
    wires = [*f.inputs, *(eqn.out for eqn in f.gates.eqns)]
    if score not in wires:
        named = [w for w in wires if w in f.gates.source_names and w not in names]
        raise ValueError(
            f"no wire named {score!r} to take the sign of: give the wire that "
            "scores a point (--score NAME, score= in Python) or, where the score "
            "is inside an expression, name it in the program (score = ...); the "
            f"program's wires are {', '.join(named)}"
        )
    step = STEP_SIZE if step is None else float(step)
    if not (math.isfinite(step) and step > 0):
        raise ValueError(f"the step size is a positive number, not {step:g}")
    if isinstance(train, datasets.Dataset):
        dataset = train
    else:
        dataset = datasets.load(train, columns=names)
    if len(dataset) > MAX_POINTS:
        raise ValueError(
            f"{dataset.name} has {len(dataset)} points: the page trains on at "
            f"most {MAX_POINTS}"
        )
    unknown = sorted(set(point) - set(f.inputs))
    if unknown:
        raise ValueError(
            f"{', '.join(map(repr, unknown))}: not an input; "
            f"the inputs are {', '.join(f.inputs)}"
        )
    given_data = [name for name in names if name in point]
    if given_data:
        raise ValueError(
            f"{', '.join(given_data)}: data, set from each point of {dataset.name}; "
            "give values for the parameters only"
        )
    trained = tuple(name for name in f.inputs if name in f.wrt and name not in names)
    if not trained:
        raise ValueError(
            "nothing to train: every differentiated input is data "
            f"({', '.join(names)}); differentiate the parameters (wrt)"
        )
    held = tuple(name for name in f.inputs if name not in trained and name not in names)
    rng = random.Random(seed)
    start, chosen = {}, []
    (x, y), label = dataset.points[0], dataset.labels[0]
    for name in f.inputs:
        if name in point:
            start[name] = float(point[name])
        elif name in trained:
            start[name] = round(rng.uniform(-START_RANGE, START_RANGE), 3)
            chosen.append(name)
        elif name in held:
            start[name] = MISSING_INPUT_VALUE
    start.update(zip(names, (x, y, label)))
    return Training(
        dataset, names, score, trained, held, step, seed, start, tuple(chosen)
    )


def _names(data: Sequence[str] | str) -> list[str]:
    if isinstance(data, str):
        data = data.split(",")
    return [name.strip() for name in data if name.strip()]
