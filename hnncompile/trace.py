"""Follow the tug: every wire's value going forward and gradient coming back.

The tutorial draws circuits with two numbers on every wire, the value
(forward) and the gradient (backward, "the tug"). `trace` computes both for
every wire of a compiled program at one point, inputs first and the output
last, so a learner can check a circuit figure line by line:

    >>> import hnncompile
    >>> f = hnncompile.compile("q = x + y; f = q * z")
    >>> print(f.trace(x=-2, y=5, z=-4))
    wire  gate   computes  value  gradient
    x     input               -2        -4
    y     input                5        -4
    z     input               -4         3
    q     add    x + y         3        -4
    f     mul    q * z       -12         1

The numbers come from generated straight-line code (codegen.generate_trace):
the program's forward lines, then its backward lines for every input.

On matrix programs (SPEC section 5) every wire's gradient has that wire's
shape: where the generated backward lets a gradient carry the axes it was
broadcast along for a while (it sums them back only where it must), the
trace sums them back, so that `bnmeani`'s gradient is (1, 64) as
`bnmeani` is. A data wire (an index array, a length, a size, and what is
computed from them alone) has no gradient: its row's gradient is None,
shown as `data`.

Where a value or a gradient goes inf or NaN, the table says under it which
wire went wrong first, and why (detective.py: `t = exp(q) overflowed: q =
800.0 at line 2`). Where the python target's code raises instead
(OverflowError, ZeroDivisionError, a math domain error), the trace stops
there: its rows are the wires computed before it, the wire that raised
shows `raised`, a gradient never computed shows nothing, and the same
sentence is under the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import detective
from .clues import words
from .detective import Finding, notation
from .gates import GATES

if TYPE_CHECKING:
    from .compiled import CompiledFunction


@dataclass(frozen=True)
class TraceRow:
    wire: str  # the source's name for it, or a temporary (t1, t2, ...)
    gate: str  # "input", or the gate that made it
    computes: str  # what the gate computes, in the program's notation
    value: Any
    gradient: Any  # d(output)/d(wire), times dout; None for a data wire


class Missing:
    """A number the trace has not: the generated code raised computing it
    (RAISED), or stopped before it (NOT_REACHED). It shows as its words."""

    def __init__(self, words: str) -> None:
        self.words = words

    def __repr__(self) -> str:
        return self.words or "not reached"

    def __str__(self) -> str:
        return self.words


RAISED = Missing("raised")
NOT_REACHED = Missing("")


@dataclass(frozen=True)
class Trace:
    output: str
    rows: tuple[TraceRow, ...]
    # The first wire whose value or gradient went inf or NaN, if one did.
    problem: Finding | None = None
    # What the python target's code raised, where it stopped the trace.
    error: BaseException | None = None

    @property
    def values(self) -> dict[str, Any]:
        return {row.wire: row.value for row in self.rows}

    @property
    def gradients(self) -> dict[str, Any]:
        return {row.wire: row.gradient for row in self.rows}

    def complete(self) -> Trace:
        """This trace, where every number was computed; else the error that
        stopped it, raised again with the sentence saying where."""
        if self.error is None:
            return self
        error = self.error
        raise type(error)(f"{words(error)}; {self.problem}") from error

    def __str__(self) -> str:
        header = ("wire", "gate", "computes", "value", "gradient")
        reached = [r for r in self.rows if not isinstance(r.gradient, Missing | None)]
        if self.error is not None and not reached:  # it stopped going forward
            header = header[:4]
        table = [header] + [
            (r.wire, r.gate, r.computes, summary(r.value), gradient_summary(r.gradient))
            for r in self.rows
        ]
        table = [row[: len(header)] for row in table]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        lines = []
        for row in table:
            left = [cell.ljust(w) for cell, w in zip(row[:3], widths)]
            right = [cell.rjust(w) for cell, w in zip(row[3:], widths[3:])]
            lines.append("  ".join(left + right).rstrip())
        if self.problem is not None:
            lines.append(str(self.problem))
        return "\n".join(lines)


MISSING_INPUT_VALUE = 1.0  # where an input not given starts: trace, draw, explore, CLI


def trace(f: CompiledFunction, /, *args: Any, **kwargs: Any) -> Trace:
    """Every wire of `f` at one point: its value and its gradient.

    The point is given like a call to f: positionally, by keyword, or both;
    an input not given is 1. The gradients are those of the output times
    the upstream gradient, for every wire, whatever `f.wrt` says. The
    upstream gradient is `dout=` (default 1), or, as `f.backward` takes
    it, one more value after every input positionally; that is its only
    spelling when an input is itself named `dout`, since an input's name
    always means the input.

    On the array target the rows hold the arrays, and the table shows each
    array wire's shape and a summary (see `summary`); every gradient has
    its wire's shape, and a data wire's gradient is None (see above). A
    data input not given is a TypeError: it has no value to start at.

    Where a number goes wrong, `problem` says which went wrong first (see
    above); where the python target raised, `error` is what it raised, and
    the rows stop at the wire that did (`complete()` raises it again).
    """
    point, dout = point_of(f, args, kwargs)
    ran = detective.run(f, [point[n] for n in f.inputs], dout)
    values, gradients = ran.values, ran.gradients

    def row(wire: str, gate: str, computes: str) -> TraceRow:
        value = values.get(wire, RAISED)
        if wire in ran.data:
            return TraceRow(wire, gate, computes, value, None)
        if wire not in gradients:
            raised = ran.in_backward and wire == ran.stopped
            return TraceRow(
                wire, gate, computes, value, RAISED if raised else NOT_REACHED
            )
        return TraceRow(wire, gate, computes, value, _shaped(gradients[wire], value))

    rows = [row(name, "input", "") for name in f.inputs]
    eqns = sorted(f.gates.eqns, key=lambda eqn: eqn.out == f.output)  # output last
    for eqn in eqns:
        if eqn.out in values or eqn.out == ran.stopped:
            rows.append(row(eqn.out, GATES[eqn.gate].title, notation(eqn)))
    return Trace(f.output, tuple(rows), ran.finding, ran.error)


def _shaped(gradient: Any, value: Any) -> Any:
    """A wire's gradient with the wire's own shape: summed over the axes it
    carries from a broadcast downstream (the leading axes the wire lacks,
    and those where the wire has size 1), as `unbroadcast` sums an input's.
    A gradient of the wire's shape already is returned as it is."""
    shape = getattr(gradient, "shape", None)
    want = getattr(value, "shape", ())
    if shape is None or shape == want or len(shape) < len(want):
        return gradient
    leading = len(shape) - len(want)
    if leading:
        gradient = gradient.sum(axis=tuple(range(leading)))
    ones = tuple(
        axis
        for axis, (n, m) in enumerate(zip(want, gradient.shape))
        if n == 1 and m != 1
    )
    if ones:
        gradient = gradient.sum(axis=ones, keepdims=True)
    if not want and not hasattr(value, "shape"):  # a Python number
        return float(gradient)
    return gradient


def point_of(
    f: CompiledFunction,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    upstream: bool = True,
) -> tuple[dict[str, Any], Any]:
    """The point and the upstream gradient of a call to trace, draw or
    explore: the inputs as a call to f gives them (missing ones are
    MISSING_INPUT_VALUE) and, with `upstream`, `dout=` or one more
    positional value (see `trace`). A TypeError like a call's for a
    wrong one."""
    kwargs = dict(kwargs)
    dout = 1.0
    upstream_given = False
    if upstream and "dout" in kwargs and "dout" not in f.inputs:
        dout, upstream_given = kwargs.pop("dout"), True
    if upstream and len(args) == len(f.inputs) + 1:
        if upstream_given:
            raise TypeError("the upstream gradient given twice: positionally and dout=")
        *args, dout = args
    given = set(f.inputs[: len(args)]) | set(kwargs)
    missing_data = [n for n in f.inputs if n in f.gates.data and n not in given]
    if missing_data:
        name = missing_data[0]
        raise TypeError(
            f"{name!r} is data ({f.gates.why_data(name)}): give its value (an "
            f"input not given starts at {MISSING_INPUT_VALUE:g}, which is no "
            "index array or length)"
        )
    kwargs.update({name: MISSING_INPUT_VALUE for name in f.inputs if name not in given})
    if len(args) > len(f.inputs):
        most = len(f.inputs) + upstream
        raise TypeError(
            f"expected at most {most} values ({len(f.inputs)} inputs"
            f"{' and the upstream gradient' if upstream else ''}), got {len(args)}"
        )
    return f.bind(*args, **kwargs), dout


ELEMENTS_SHOWN = 4  # an array of up to this many elements is shown whole


def summary(value: Any, digits: int = 10, array_digits: int = 6) -> str:
    """A wire's value or gradient in a few characters: a number as a
    number; an array as its shape and its elements, or, beyond
    ELEMENTS_SHOWN of them, its mean and range: `(50,) mean 0.41 [min
    -1.2, max 3]`."""
    shape = getattr(value, "shape", ())
    if not shape:
        return _number(value, digits)
    flat = value.ravel()
    if flat.size == 0:
        return f"{shape} empty"
    if flat.size <= ELEMENTS_SHOWN:
        elements = ", ".join(_number(v, array_digits) for v in flat.tolist())
        return f"{shape} [{elements}]"
    mean, low, high = (
        _number(v, array_digits) for v in (flat.mean(), flat.min(), flat.max())
    )
    return f"{shape} mean {mean} [min {low}, max {high}]"


NO_GRADIENT = "data"  # what the table shows for a data wire's gradient


def gradient_summary(gradient: Any, digits: int = 10, array_digits: int = 6) -> str:
    """A gradient's summary; a data wire, which has none, says `data`."""
    if gradient is None:
        return NO_GRADIENT
    return summary(gradient, digits, array_digits)


def _number(value: Any, digits: int = 10) -> str:
    try:
        return f"{value + 0.0:.{digits}g}"  # + 0.0 turns -0.0 into 0.0
    except (TypeError, ValueError):
        return str(value)


def array_shape(value: Any) -> str | None:
    """What an array or a list is, in words ("an array of shape (2,)");
    None for a number, a NumPy scalar or a 0-d array."""
    if isinstance(value, (list, tuple)):
        n = len(value)
        return f"a {type(value).__name__} of {n} element{'' if n == 1 else 's'}"
    ndim = getattr(value, "ndim", 0)
    if isinstance(ndim, int) and ndim > 0:
        return f"an array of shape {tuple(getattr(value, 'shape', ()))}"
    return None
