"""The detective's clues (detective.py): what it reads off a number and off
the exception a generated function raised.

Off a number: whether it is finite, and where it is not, the index of its
first element that is inf or NaN (`first_bad`), and how the sentence
writes a number (`number`: as Python does, 800.0) or an array that a gate
reads whole (`Whole`: its shape and range).

Off an exception: whether it is about a number the python target cannot
represent (`numerical`: OverflowError, ZeroDivisionError, a math domain
error), which line of the generated function raised and what it assigns
(`statement`), and every local of the function's frame there
(`frame_locals`): the wires it had computed. Python keeps the frame with
the traceback, so nothing is run again to know them.
"""

from __future__ import annotations

import linecache
import math
import re
from typing import Any, Callable


# What the python target raises for a number it cannot represent.
def numerical(error: BaseException) -> bool:
    if isinstance(error, ArithmeticError):  # Overflow, ZeroDivision, FloatingPoint
        return True
    return isinstance(error, ValueError) and str(error) == "math domain error"


def words(error: BaseException) -> str:
    """What an exception says, in plain words: the OverflowError of `x ** y`
    carries the C library's pair, (34, 'Numerical result out of range'),
    of which the words alone are said: "numerical result out of range"."""
    if len(error.args) == 2 and isinstance(error.args[0], int):
        said = str(error.args[1])
        return said[:1].lower() + said[1:]
    return str(error)


_ASSIGNMENT = re.compile(r"^    ([A-Za-z_]\w*) (?:\+)?= ")


def statement(function: Callable, error: BaseException) -> tuple[str, int] | None:
    """The identifier the raising line of `function` assigns, and how many
    lines of its body up to that one assign it (k: the k-th addition to a
    gradient); None where the error did not come from its own lines."""
    code = function.__code__
    tb, lineno = error.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code is code:
            lineno = tb.tb_lineno
        tb = tb.tb_next
    if lineno is None:
        return None
    lines = linecache.getlines(code.co_filename)
    first = code.co_firstlineno  # the `def` line
    assigned = None
    for start in range(lineno, first, -1):  # a statement split over lines
        match = _ASSIGNMENT.match(lines[start - 1])
        if match:
            assigned, lineno = match.group(1), start
            break
    if assigned is None:
        return None
    count = sum(
        1
        for line in lines[first:lineno]
        if (m := _ASSIGNMENT.match(line)) and m.group(1) == assigned
    )
    return assigned, count


def frame_locals(function: Callable, error: BaseException) -> dict[str, Any]:
    code, tb, found = function.__code__, error.__traceback__, {}
    while tb is not None:
        if tb.tb_frame.f_code is code:
            found = dict(tb.tb_frame.f_locals)
        tb = tb.tb_next
    return found


class Whole:
    """An input shown whole: a gate that is not elementwise reads all of it."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __str__(self) -> str:
        import numpy as np

        flat = np.asarray(self.value).ravel()
        finite = flat[np.isfinite(flat)] if flat.size else flat
        if not finite.size:
            return f"an array of shape {self.value.shape}"
        return (
            f"an array of shape {self.value.shape} from {finite.min():.6g} to "
            f"{finite.max():.6g}"
        )


def first_bad(value: Any):
    """False where `value` is finite (or not a number); else None for a
    number, or the index of its first element that is inf or NaN."""
    if isinstance(value, float):
        return False if math.isfinite(value) else None
    if isinstance(value, (int, Whole)) or value is None:
        return False
    try:
        import numpy as np

        bad = ~np.isfinite(np.asarray(value))
    except TypeError:
        return False
    if not bad.any():
        return False
    if bad.ndim == 0:
        return None
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), bad.shape))


def at(value: Any, index) -> Any:
    return value if index is None else value[index]


def is_nan(value: Any) -> bool:
    return value != value  # NaN is the one number that is not itself


def is_zero(value: Any) -> bool:
    try:
        return not isinstance(value, Whole) and value == 0
    except (TypeError, ValueError):
        return False


def number(value: Any) -> str:
    """A number as Python writes it (800.0, -1.0, 0.30000000000000004)."""
    if isinstance(value, Whole):
        return str(value)
    if isinstance(value, bool) or not hasattr(value, "__float__"):
        return str(value)
    if (
        isinstance(value, int)
        or getattr(value, "dtype", None) is not None
        and (value.dtype.kind in "iu")
    ):
        return str(int(value))
    if isinstance(value, complex):
        return str(value)
    return repr(float(value) + 0.0)


def index_text(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]"
