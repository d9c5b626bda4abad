"""Points in the plane with a label each, to train a classifier on.

Chapter 2 of the tutorial trains an SVM and a 2-layer network on points
(x, y) labelled +1 or -1. `load(name)` gives one of the built-in sets, the
same every time (each is generated with a fixed seed from the standard
library's `random`), or reads a CSV file:

- `tutorial`: the six points of chapter 2, as the tutorial lists them;
- `circle`: a disc of +1 inside a ring of -1;
- `xor`: the four quadrants, +1 where x and y have the same sign;
- `spiral`: two interleaved spiral arms;
- `moons`: two interleaving half circles.

A CSV file has a header row naming its columns; `load(path, columns=("x",
"y", "label"))` reads the three named columns, in that order, as the
point's coordinates and its label (+1 or -1); other columns are ignored.
A missing column, a cell that is not a number, or a label other than +1 or
-1 is a DataError naming the file, the row and the column.
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

COLUMNS = ("x", "y", "label")  # a CSV file's columns, unless told otherwise


class DataError(ValueError):
    """A data set that cannot be read: a missing file or column, a cell
    that is not a number, a label that is not +1 or -1."""


@dataclass(frozen=True)
class Dataset:
    name: str
    points: tuple[tuple[float, float], ...]
    labels: tuple[float, ...]  # +1.0 or -1.0, one per point

    def __len__(self) -> int:
        return len(self.points)


def tutorial() -> Dataset:
    """Chapter 2's six points: `data.push([1.2, 0.7]); labels.push(1);` ..."""
    return Dataset(
        "tutorial",
        ((1.2, 0.7), (-0.3, -0.5), (3.0, 0.1), (-0.1, -1.0), (-1.0, 1.1), (2.1, -3.0)),
        (1.0, -1.0, 1.0, -1.0, -1.0, 1.0),
    )


SEED = 14  # every generated set is drawn with this seed
SIZE = 100  # points in each generated set


def circle(n: int = SIZE) -> Dataset:
    """Half the points in the disc of radius 1 (+1), half in the ring
    between radii 2 and 3 (-1)."""
    rng = random.Random(SEED)
    points, labels = [], []
    for i in range(n):
        inside = i % 2 == 0
        radius = rng.uniform(0.0, 1.0) if inside else rng.uniform(2.0, 3.0)
        angle = rng.uniform(0.0, 2 * math.pi)
        points.append((radius * math.cos(angle), radius * math.sin(angle)))
        labels.append(1.0 if inside else -1.0)
    return _dataset("circle", points, labels)


def xor(n: int = SIZE) -> Dataset:
    """Points in the square [-2, 2]^2 away from the axes, +1 where x and y
    have the same sign."""
    rng = random.Random(SEED)
    points, labels = [], []
    for i in range(n):
        label = 1.0 if i % 2 == 0 else -1.0  # as many of each
        sign = rng.choice((-1.0, 1.0))
        x = sign * rng.uniform(0.2, 2.0)
        y = sign * label * rng.uniform(0.2, 2.0)
        points.append((x, y))
        labels.append(label)
    return _dataset("xor", points, labels)


def spiral(n: int = SIZE) -> Dataset:
    """Two spiral arms of one and a half turns, one +1, one -1."""
    rng = random.Random(SEED)
    points, labels = [], []
    for i in range(n):
        arm = i % 2
        t = (i // 2) / (n // 2)  # 0 at the centre, 1 at the end of the arm
        radius = 0.2 + 2.5 * t
        angle = 3 * math.pi * t + arm * math.pi + rng.gauss(0.0, 0.1)
        points.append((radius * math.cos(angle), radius * math.sin(angle)))
        labels.append(1.0 if arm == 0 else -1.0)
    return _dataset("spiral", points, labels)


def moons(n: int = SIZE) -> Dataset:
    """Two half circles of radius 1.5, one (+1) over the other (-1),
    interleaving, with a little noise."""
    rng = random.Random(SEED)
    points, labels = [], []
    for i in range(n):
        upper = i % 2 == 0
        angle = rng.uniform(0.0, math.pi)
        if upper:
            x, y = 1.5 * math.cos(angle) - 0.75, 1.5 * math.sin(angle) - 0.4
        else:
            x, y = 0.75 - 1.5 * math.cos(angle), 0.4 - 1.5 * math.sin(angle)
        points.append((x + rng.gauss(0.0, 0.1), y + rng.gauss(0.0, 0.1)))
        labels.append(1.0 if upper else -1.0)
    return _dataset("moons", points, labels)


BUILT_IN: dict[str, Callable[[], Dataset]] = {
    "tutorial": tutorial,
    "circle": circle,
    "xor": xor,
    "spiral": spiral,
    "moons": moons,
}


def load(name_or_path: str | Path, columns: Sequence[str] = COLUMNS) -> Dataset:
    """A built-in data set by name, or the CSV file at that path (see the
    module's docstring); DataError for anything else."""
    if isinstance(name_or_path, str) and name_or_path in BUILT_IN:
        return BUILT_IN[name_or_path]()
    path = Path(name_or_path)
    if not path.is_file():
        raise DataError(
            f"{str(name_or_path)!r} is neither a built-in data set "
            f"({', '.join(BUILT_IN)}) nor a CSV file"
        )
    return read_csv(path, columns)


def read_csv(path: str | Path, columns: Sequence[str] = COLUMNS) -> Dataset:
    """The points and labels in the columns named `columns` (x, y, label)
    of the CSV file at `path`, which has a header row."""
    path = Path(path)
    if len(columns) != 3:
        raise ValueError(f"give three columns (x, y, label), not {len(columns)}")
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            rows = list(csv.reader(file))
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text file (CSV in UTF-8)") from None
    except OSError as error:
        raise DataError(f"{path}: {error.strerror or error}") from None
    except csv.Error as error:
        raise DataError(f"{path}: not CSV: {error}") from None
    if not rows:
        raise DataError(
            f"{path} is empty: it needs a header row ({', '.join(columns)})"
        )
    header = [cell.strip() for cell in rows[0]]
    missing = [name for name in columns if name not in header]
    if missing:
        raise DataError(
            f"{path}: no column {', '.join(map(repr, missing))} "
            f"(its header names {', '.join(map(repr, header))})"
        )
    where = [header.index(name) for name in columns]
    points, labels = [], []
    for row_number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        numbers = []
        for name, i in zip(columns, where):
            cell = row[i].strip() if i < len(row) else ""
            try:
                number = float(cell)
            except ValueError:
                raise DataError(
                    f"{path}, row {row_number}: {cell!r} in column {name!r} "
                    "is not a number"
                ) from None
            if not math.isfinite(number):
                raise DataError(
                    f"{path}, row {row_number}: {cell!r} in column {name!r} "
                    "is not a finite number"
                )
            numbers.append(number)
        x, y, label = numbers
        if label not in (1.0, -1.0):
            raise DataError(
                f"{path}, row {row_number}: the label {row[where[2]].strip()!r} "
                f"in column {columns[2]!r} is not +1 or -1"
            )
        points.append((x, y))
        labels.append(label)
    if not points:
        raise DataError(f"{path} has a header and no points")
    return Dataset(path.name, tuple(points), tuple(labels))


def _dataset(name: str, points: list, labels: list) -> Dataset:
    rounded = tuple((round(x, 4), round(y, 4)) for x, y in points)
    return Dataset(name, rounded, tuple(labels))
