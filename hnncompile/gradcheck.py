"""Numerical gradient checking, the way CS231n teaches it: the report.

For each input the analytic gradient (from the generated backward) is
compared with a centred difference (f(x+h) - f(x-h)) / 2h, where
h = STEP * max(1, |x|). The relative error is |a-n| / max(|a|, |n|, 1e-12).
An input passes when its relative error is at most `rtol` (default 1e-5) or
the two differ by at most `atol` (default 1e-8) in absolute terms, which
keeps gradients that are both almost zero from failing on rounding noise.

A function with a kink (relu, abs, max, min) is not differentiable where
it switches branch; when such a switch falls within the step the report says
so, and a disagreement there is reported as `kink`, not as a failure.

Near the edge of a domain (sqrt, log) or a singularity (1/x), where the
default step leaves the domain or straddles the pole, the checker looks
closer before it blames a rule: smaller steps, then one-sided differences
(slope.py has the search). The report says which difference and which step
it took. An input fails only when the slope is known and disagrees; when
no estimate settles, the verdict is `unsteady`; where the value or the
analytic gradient is not a finite real number, `not finite`. Neither is a
failure nor a pass: the report is inconclusive, and says to try another
point.

On the array target an input may be an array: the checker nudges one
element at a time, up to `samples` elements per array input (default 20,
all of them when the array is no larger), chosen at random with `seed`
(default 0), and reports each input's worst element with its index. The
arrays are copied to float64 for the check, so a float32 input is checked
at float64 precision: the check is of the rules, not of float32 rounding.
An output that is an array is checked through the sum of its elements, as
`backward` with the default dout=1.0 differentiates it.

On a program of matrices (SPEC section 5), a data input (an index array
such as `Xb` in `C[Xb]`, a length such as `n` in `P[range(n), Yb]`) is used
as it is given, integers and all, and never nudged: it has no gradient.
The report names the data inputs it left alone, and why each is data.

This module holds the report (GradcheckRow, GradcheckReport and their
wording), `gradcheck` itself, its options and the sampling of array
elements; slope.py measures each slope.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import codegen, detective
from .clues import words
from .slope import STEP, Checker, default_step, real_output, real_total

if TYPE_CHECKING:
    from .compiled import CompiledFunction

RTOL = 1e-5
ATOL = 1e-8
SAMPLES = 20  # elements checked per array input
SEED = 0
OPTIONS = ("rtol", "atol", "samples", "seed")

# How bad each verdict is: an array input's row shows its worst element.
_SEVERITY = {"FAIL": 4, "unsteady": 3, "not finite": 2, "kink": 1, "ok": 0}


@dataclass(frozen=True)
class GradcheckRow:
    input: str
    analytic: float
    numerical: float
    rel_error: float
    passed: bool  # the analytic and numerical gradients agree
    kink: str | None  # which gate switches branch within the step, if any
    index: tuple[int, ...] | None = None  # an array input's worst element
    checked: int = 1  # how many of the input's elements were checked
    size: int = 1  # how many elements the input has
    step: float = math.nan  # h of the difference in `numerical`
    method: str = "centred"  # or "forward", "backward": one-sided
    trouble: str | None = None  # "not finite" or "unsteady": inconclusive
    # Why the default step was not the one used ("domain": it leaves the
    # program's domain; "coarse": it disagrees; "fine": rounding swamps it),
    # or "shape": the analytic gradient does not have the input's shape.
    reason: str | None = None

    @property
    def verdict(self) -> str:
        return _verdict(self.passed, self.trouble, self.kink)

    @property
    def label(self) -> str:
        """The input, and for an array input the element: `x0[2]`."""
        if self.index is None:
            return self.input
        return f"{self.input}[{', '.join(str(i) for i in self.index)}]"


@dataclass(frozen=True)
class GradcheckReport:
    output: str
    point: dict[str, Any]
    value: Any
    rows: tuple[GradcheckRow, ...]
    rtol: float
    atol: float
    seed: int | None = SEED
    # The data inputs, used as given and not checked (no gradient), and
    # why each is data ("an index at line 7"), in the same order.
    data: tuple[str, ...] = ()
    data_uses: tuple[str, ...] = ()
    # Where the value or a gradient is inf or NaN: the first number that
    # went wrong, and why (detective.py).
    problem: detective.Finding | None = None

    @property
    def passed(self) -> bool:
        """True when every input agrees (a disagreement at a kink is not a
        failure); False when one fails or could not be checked."""
        return all(row.verdict in ("ok", "kink") for row in self.rows)

    @property
    def failed(self) -> bool:
        """True when an input's gradient is wrong. A report that has neither
        passed nor failed is inconclusive: see each row's verdict."""
        return any(row.verdict == "FAIL" for row in self.rows)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        lines = [f"gradient check of {self.output} at {_point_text(self.point)}"]
        lines.append(f"{self.output} = {_short(self.value, 10)}")
        header = ("input", "analytic", "numerical", "rel. error", "verdict")
        table = [header] + [
            (
                r.label,
                f"{r.analytic + 0.0:.10g}",  # + 0.0: no "-0" in the table
                f"{r.numerical + 0.0:.10g}",
                f"{r.rel_error:.2e}",
                r.verdict,
            )
            for r in self.rows
        ]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        for row in table:
            lines.append(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
            )
        value_finite = math.isfinite(real_total(self.value))
        for row in self.rows:
            lines += self._explain(row, value_finite)
        if self.problem is not None:
            lines.append(str(self.problem))
        if self.data:
            uses = ", ".join(f"{n}: {why}" for n, why in zip(self.data, self.data_uses))
            lines.append(
                f"not checked: {', '.join(self.data)}, data ({uses}), used as "
                "given: data has no gradient."
            )
        tolerance = (
            f"tolerance rel. error <= {self.rtol:g} or abs. error <= {self.atol:g}"
        )
        if self.passed:
            lines.append(f"passed: {tolerance}")
        elif self.failed:
            lines.append(f"FAILED: {tolerance}")
        elif not value_finite:
            lines.append(
                f"inconclusive: {_describe(self.output, self.value)} at this point, "
                "so no slope can be measured there; check another point."
            )
        else:
            unsure = [r.input for r in self.rows if r.trouble]
            lines.append(
                f"inconclusive: no gradient is wrong, but {', '.join(unsure)} could "
                f"not be checked here; check another point ({tolerance})."
            )
        lines.append(
            "(As CS231n reads a relative error: below 1e-7 the gradient is right; "
            "near 1e-4 suspect it unless a kink is close; above 1e-2 it is wrong.)"
        )
        return "\n".join(lines)

    def _explain(self, row: GradcheckRow, value_finite: bool) -> list[str]:
        name = row.input
        lines = []
        at = self.point[name] if row.index is None else self.point[name][row.index]
        h0 = default_step(at) if isinstance(at, numbers.Real) else STEP
        if row.index is not None:
            if row.checked < row.size:
                seed = "" if self.seed is None else f", seed {self.seed}"
                what = (
                    f"{row.checked} of {row.size} elements checked (a random "
                    f"sample{seed}; samples= and seed= change it)"
                )
            elif row.size == 1:
                what = "its one element checked"
            else:
                what = f"all {row.size} elements checked"
            lines.append(f"{name}: {what}; the row shows the worst, {row.label}.")
        how = (
            f"a one-sided ({row.method}) difference"
            if row.method != "centred"
            else "a centred difference"
        )
        verdict = row.verdict
        if verdict == "ok" and row.reason:
            detour = _DETOURS[row.reason].format(h=h0)
            lines.append(f"{name}: {detour}; {how} with h={row.step:.3g} agrees.")
        elif verdict == "FAIL" and row.reason == "shape":
            lines.append(
                f"{name}: the analytic gradient does not have the input's shape, "
                "so the backward code is wrong."
            )
        elif verdict == "FAIL":
            measured = f" (measured with {how}, h={row.step:.3g})" if row.reason else ""
            lines.append(
                f"{name}: the analytic gradient disagrees with the slope "
                f"measured by nudging the input{measured}, and no kink is near: "
                "a local-gradient rule on the way from the output to "
                f"{name} is wrong (or the function is too steep here for the step)."
            )
        elif verdict == "unsteady":
            lines.append(
                f"{name}: the numerical slope does not settle as the step "
                f"changes (centred and one-sided, from h={h0:.3g} down, and "
                "up to 100 times it): a singularity, a domain edge or a very "
                "steep stretch is within every step, or rounding in a value "
                "this large swamps it, so the numbers cannot tell whether the "
                "gradient is right. Check another point."
            )
        elif verdict == "not finite" and value_finite:
            lines.append(
                f"{name}: the analytic gradient is {_short(row.analytic, 6)} here "
                "(or not a real number): the program is not differentiable at "
                "this point, or overflows. Check another point."
            )
        elif verdict == "kink":
            lines.append(
                f"{name}: {row.kink} switches branch within the step, so "
                "the function has a kink there and no single derivative; the "
                "numerical estimate averages the two sides. Check another point."
            )
        elif row.kink:
            lines.append(f"{name}: note that {row.kink} switches within the step.")
        return lines


def _verdict(passed: bool, trouble: str | None, kink: str | None) -> str:
    if passed:
        return "ok"
    if trouble:
        return trouble
    return "kink" if kink else "FAIL"


_DETOURS = {
    "domain": "the default step h={h:.3g} leaves the program's domain "
    "(it cannot be evaluated at x+h or x-h)",
    "coarse": "the default step h={h:.3g} is too coarse here (a singularity, "
    "a domain edge or a steep stretch lies within it)",
    "fine": "the default step h={h:.3g} is too fine here (rounding swamps the "
    "difference)",
}


def gradcheck(f: CompiledFunction, /, *args: Any, **kwargs: Any) -> GradcheckReport:
    """Compare f's analytic gradients with centred differences at one point.

    The point is given like a call to f: positionally, by keyword, or both;
    or as one dict from input name to value. Options, by keyword:

        rtol=1e-5, atol=1e-8: an input passes when its relative error is at
            most rtol or its absolute error at most atol.
        samples=20, seed=0: how many elements of each array input are
            checked, and the seed of the random choice (seed=None: a fresh
            choice on each call).

    Every input name is allowed, those of the options included: a keyword
    that names an input of f is that input. To give an option whose name is
    also an input's, give the point as a dict, and every keyword is an
    option: `gradcheck(k, {"rtol": 1.0, "atol": 2.0}, rtol=1e-3)`.

    Returns a GradcheckReport: `passed`, `failed` (neither: inconclusive,
    such as a value that is not finite), one row per differentiated input,
    and a printable table. Raises ValueError when f cannot be evaluated at
    the point itself (an index out of range included), and TypeError for a
    wrong input (an array on the python target wants target="numpy").
    """
    args, point_kwargs, options = _split_options(f, args, kwargs)
    rtol = float(options.get("rtol", RTOL))
    atol = float(options.get("atol", ATOL))
    samples = options.get("samples", SAMPLES)
    seed = options.get("seed", SEED)
    if not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples must be a whole number >= 1, got {samples!r}")
    point = f.bind(*args, **point_kwargs)
    arrays = codegen.TARGETS[f.target].broadcasts
    # Data inputs (an index array, a length) go in as they are: integers.
    data = f.gates.data
    x = [
        point[name] if name in data else _as_input(name, point[name], arrays)
        for name in f.inputs
    ]
    with _quiet(arrays):
        return _check(f, x, arrays, rtol, atol, samples, seed)


def _check(f, x, arrays, rtol, atol, samples, seed) -> GradcheckReport:
    shown = dict(zip(f.inputs, x))
    try:
        value = f.forward(*x)
    except (ArithmeticError, ValueError, IndexError) as error:
        raise ValueError(
            f"{f.output} cannot be evaluated at {_point_text(shown)}: {words(error)}"
            f"{detective.where(f, x, error)}"
        ) from error
    try:
        analytic = f.backward(*x)
    except (ArithmeticError, ValueError, IndexError) as error:
        raise ValueError(
            f"the gradients of {f.output} cannot be evaluated at "
            f"{_point_text(shown)}: {words(error)}{detective.where(f, x, error)}"
        ) from error
    checker = Checker(f, x, real_output(value), rtol, atol, arrays)
    if arrays:
        import numpy as np
    rng = None
    rows = []
    for name, grad in zip(f.wrt, analytic):
        i = f.inputs.index(name)
        if arrays:
            grad = np.asarray(grad)
            if grad.shape != np.shape(x[i]):
                rows.append(_wrong_shape(name, x[i]))
                continue
        if isinstance(x[i], float):
            cells, size = [(None, grad)], 1
        else:
            rng = np.random.default_rng(seed) if rng is None else rng
            cells = [(index, grad[index]) for index in _sample(x[i], samples, rng)]
            size = x[i].size
        checked = [
            GradcheckRow(
                name, **checker.check(i, index, _real(a)), checked=len(cells), size=size
            )
            for index, a in cells
        ]
        rows.append(max(checked, key=_badness))
    data = tuple(name for name in f.inputs if name in f.gates.data)
    uses = tuple(f.gates.why_data(name) for name in data)
    finite = math.isfinite(real_total(value))
    if not finite or any(row.trouble == "not finite" for row in rows):
        problem = detective.find(f, x)
    else:
        problem = None
    return GradcheckReport(
        f.output, shown, value, tuple(rows), rtol, atol, seed, data, uses, problem
    )


def _badness(row: GradcheckRow) -> tuple[int, float]:
    error = row.rel_error
    return _SEVERITY[row.verdict], -1.0 if math.isnan(error) else error


def _split_options(f, args, kwargs):
    """The point's positional values, its keywords, and the options."""
    if args and isinstance(args[0], Mapping):
        if len(args) > 1:
            raise TypeError("give the point either as one dict or as values, not both")
        unknown = [k for k in kwargs if k not in OPTIONS]
        if unknown:
            raise TypeError(
                "with the point given as a dict, the keywords are options "
                f"({', '.join(OPTIONS)}); got {unknown[0]!r}"
            )
        return (), dict(args[0]), kwargs
    inputs = set(f.inputs)
    options = {k: v for k, v in kwargs.items() if k in OPTIONS and k not in inputs}
    point = {k: v for k, v in kwargs.items() if k not in options}
    return args, point, options


def _as_input(name: str, value: Any, arrays: bool) -> Any:
    """A float, or on the array target a float64 copy of an array. (An
    array on a target of numbers was refused by f.bind, in the words every
    study tool uses.)"""
    if isinstance(value, numbers.Real) or getattr(value, "shape", None) == ():
        return float(value)
    if not arrays:
        raise TypeError(f"input {name!r} must be a real number, got {value!r}")
    import numpy as np

    array = np.asarray(value)
    if np.iscomplexobj(array):
        raise TypeError(f"input {name!r} must be real, got {value!r}")
    if array.ndim == 0:
        return float(array)
    return array.astype(np.float64)  # a copy: the user's array is left alone


def _sample(array, samples: int, rng) -> list[tuple[int, ...]]:
    import numpy as np

    size = array.size
    flat = range(size) if size <= samples else sorted(rng.choice(size, samples, False))
    return [tuple(int(i) for i in np.unravel_index(k, array.shape)) for k in flat]


def _wrong_shape(name: str, value) -> GradcheckRow:
    nan = math.nan
    size = getattr(value, "size", 1)
    return GradcheckRow(
        name, nan, nan, nan, False, None, checked=0, size=size, reason="shape"
    )


def _real(value: Any) -> float:
    """A gradient element as a float; nan where it is complex."""
    if isinstance(value, complex) or getattr(value, "imag", 0):
        return math.nan
    return float(getattr(value, "real", value))


def _short(value: Any, digits: int) -> str:
    if isinstance(value, numbers.Real):
        return f"{float(value):.{digits}g}"
    if isinstance(value, complex):
        return str(value)
    shape = getattr(value, "shape", None)
    if shape is None:
        return repr(value)
    if shape == ():
        return _short(value[()], digits)
    if len(shape) == 1 and shape[0] <= 4:
        return "[" + ", ".join(_short(v, digits) for v in value.tolist()) + "]"
    return f"array of shape {shape}"


def _describe(output: str, value: Any) -> str:
    if isinstance(value, complex) or "complex" in str(getattr(value, "dtype", "")):
        return f"{output} is not a real number"
    total = real_total(value)
    if getattr(value, "shape", ()) != ():
        return f"{output} sums to {total:g}"
    return f"{output} is {total:g}"


def _point_text(point: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_short(v, 6)}" for k, v in point.items()) or "no inputs"


def _quiet(arrays: bool):
    """On arrays, no NumPy warnings while probing outside the domain."""
    if not arrays:
        return nullcontext()
    import numpy as np

    return np.errstate(all="ignore")
