"""The explorer's data sets: chapter 2's six points, four generated sets,
and CSV files, with a clear error for a bad one."""

from __future__ import annotations

import math

import pytest

from hnncompile import datasets


def test_the_tutorial_set_is_chapter_2s_six_points():
    tutorial = datasets.load("tutorial")
    assert tutorial.points == (
        (1.2, 0.7),
        (-0.3, -0.5),
        (3.0, 0.1),
        (-0.1, -1.0),
        (-1.0, 1.1),
        (2.1, -3.0),
    )
    assert tutorial.labels == (1.0, -1.0, 1.0, -1.0, -1.0, 1.0)


@pytest.mark.parametrize("name", ["circle", "xor", "spiral", "moons"])
def test_a_generated_set_is_the_same_every_time(name):
    data = datasets.load(name)
    assert data == datasets.load(name) and data.name == name
    assert len(data) == datasets.SIZE
    assert set(data.labels) == {1.0, -1.0}
    assert sum(data.labels) == 0  # as many of each
    assert all(math.isfinite(v) and abs(v) < 4 for p in data.points for v in p)
    assert len(set(data.points)) == len(data)


def test_the_generated_sets_are_what_they_say():
    circle = datasets.circle()
    for (x, y), label in zip(circle.points, circle.labels):
        radius = math.hypot(x, y)
        assert radius <= 1.0001 if label > 0 else 1.9999 <= radius <= 3.0001
    xor = datasets.xor()
    assert all((x * y > 0) == (label > 0) for (x, y), label in zip(*_columns(xor)))
    moons = datasets.moons()  # the upper moon is above the lower, on average
    upper = [y for (_, y), label in zip(moons.points, moons.labels) if label > 0]
    lower = [y for (_, y), label in zip(moons.points, moons.labels) if label < 0]
    assert sum(upper) / len(upper) > sum(lower) / len(lower) + 0.5
    spiral = datasets.spiral()  # arms of growing radius
    radii = [math.hypot(*p) for p in spiral.points[::2]]
    assert radii[-1] > 2.5 > 0.3 > radii[0]


def _columns(data):
    return data.points, data.labels


def test_a_csv_file_is_read_by_its_column_names(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("note,y0,x0,class\nfirst,0.5,1.5,1\n\nsecond,-2,3e-1,-1\n")
    data = datasets.load(path, columns=("x0", "y0", "class"))
    assert data.points == ((1.5, 0.5), (0.3, -2.0))
    assert data.labels == (1.0, -1.0)
    assert data.name == "points.csv"


@pytest.mark.parametrize(
    "text, message",
    [
        ("x,label\n1,1\n", r"no column 'y' \(its header names 'x', 'label'\)"),
        ("x,y,label\n1,2,1\n3,abc,-1\n", r"row 3: 'abc' in column 'y' is not a number"),
        ("x,y,label\n1,2,1\n3,4,0\n", r"row 3: the label '0' in column 'label' is not"),
        ("x,y,label\n1,inf,1\n", "row 2: 'inf' in column 'y' is not a finite number"),
        ("x,y,label\n1,2\n", "row 2: '' in column 'label' is not a number"),
        ("", "is empty: it needs a header row"),
        ("x,y,label\n", "has a header and no points"),
    ],
)
def test_a_bad_csv_file_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(datasets.DataError, match=message):
        datasets.load(path)


def test_a_name_that_is_neither_built_in_nor_a_file(tmp_path):
    with pytest.raises(datasets.DataError, match="'spirals' is neither a built-in"):
        datasets.load("spirals")
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00x")
    with pytest.raises(datasets.DataError, match="not a text file"):
        datasets.load(tmp_path / "binary.csv")
    assert issubclass(datasets.DataError, ValueError)
