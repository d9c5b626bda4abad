"""The numerical slope of a program along one coordinate, found carefully.

gradcheck.py asks, for each input (or each sampled element of an array
input), whether the analytic gradient `a` agrees with the slope measured by
nudging that coordinate; `Checker.check` answers with the fields of the
report's row. First a centred difference (f(x+h) - f(x-h)) / 2h with the
default step h = STEP * max(1, |x|) (`default_step`), and a look at the
gates with a kink (relu, abs, max, min): when one switches branch within
the step, a disagreement is a `kink`, not a failure.

Near the edge of a domain (sqrt, log) or a singularity (1/x) the default
step may leave the domain or straddle the pole. When the centred difference
cannot be taken there, or disagrees, the checker looks closer before it
blames a rule: it shrinks the step by tens (down to a millionth of it, and
relative to |x| near 0), then tries one-sided differences of second order,
(-3f(x) + 4f(x+h) - f(x+2h)) / 2h forward and its mirror backward, and
last, in case rounding in a large value swamps the default step, centred
differences with 10 and 100 times it. The first estimate that agrees passes
the coordinate, and the row says which difference and which step it took.
It fails only when two estimates at steps a factor 10 apart agree with each
other (to SETTLED) and differ from the analytic gradient by more than
rounding in the output could explain: then the slope is known and the rule
is wrong. (A step far below the default that leaves the output exactly as
it was is below the output's resolution, and says nothing.) When no
estimate settles, the row's trouble is `unsteady`; where the value or the
analytic gradient is not a finite real number, `not finite`.

On an array output the differences are taken element by element and
summed: the output is checked through the sum of its elements.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

from .codegen import generate_switches
from .gates import GATES
from .loader import load_module

STEP = 1e-5  # the default step, relative to |x| beyond 1
SHRINK = 6  # the step is divided by 10 up to this many times
SETTLED = 1e-4  # two estimates this close (relatively) have found the slope
ROUNDING = 64 * 2.0**-52  # a few dozen roundings of each output value


def default_step(t: float) -> float:
    """The step of the first centred difference at a coordinate's value t."""
    return STEP * max(1.0, abs(t))


class Checker:
    """Checks one coordinate at a time: an input, or an element of one."""

    def __init__(self, f, x, base, rtol: float, atol: float, arrays: bool) -> None:
        self.f, self.x, self.base = f, x, base
        self.rtol, self.atol = rtol, atol
        source, self.kinked = generate_switches(
            f.gates, "numpy" if arrays else "python"
        )
        self.switches = load_module(source, "switches")["switches"]
        self.switches_at = self._switches(x) if self.kinked else None

    def check(self, i: int, index: tuple[int, ...] | None, a: float) -> dict:
        """A GradcheckRow's fields for one coordinate (its index is None for
        a number), `a` being the analytic gradient there."""
        nudge = _Nudge(self.f, self.x, i, index)
        t = nudge.at
        h0 = default_step(t)

        def row(numerical, step, passed, kink=None, trouble=None, **more):
            error = abs(a - numerical)
            return dict(
                analytic=a,
                numerical=numerical,
                rel_error=error / max(abs(a), abs(numerical), 1e-12),
                passed=passed,
                kink=kink,
                index=index,
                step=step,
                trouble=trouble,
                **more,
            )

        def agrees(numerical: float) -> bool:
            error = abs(a - numerical)
            limit = max(abs(a), abs(numerical), 1e-12)
            return error / limit <= self.rtol or error <= self.atol

        if not math.isfinite(real_total(self.base)) or not math.isfinite(a):
            return row(math.nan, h0, False, trouble="not finite")
        estimate0 = self.estimate(nudge, "centred", h0, h0)
        slope0 = math.nan if estimate0 is None else estimate0.slope
        kink = None
        if self.kinked:
            around = [self._switches(nudge.args(t + s)) for s in (h0, -h0)]
            kink = _kink_within(self.switches_at, *around, self.kinked)
        if estimate0 is not None and agrees(slope0):
            return row(slope0, h0, True, kink)
        if kink:
            return row(slope0, h0, False, kink)
        # Look closer before blaming a rule: smaller steps, then one-sided
        # differences. Two estimates a factor 10 apart that agree with each
        # other, and differ from the gradient by more than rounding can
        # explain, have found the slope; a step that cannot be evaluated
        # breaks the pair.
        reason = "domain" if estimate0 is None else "coarse"
        steps = _smaller_steps(t, h0)
        for method in ("centred", "forward", "backward"):
            previous = (h0, estimate0 if method == "centred" else None)
            for h in steps if method == "centred" else [h0, *steps]:
                estimate = self.estimate(nudge, method, h, h0)
                if estimate is not None and agrees(estimate.slope):
                    return row(estimate.slope, h, True, method=method, reason=reason)
                if self.found_slope(a, previous[1], estimate):
                    by_default = (method, previous[0]) == ("centred", h0)
                    return row(
                        previous[1].slope,
                        previous[0],
                        False,
                        method=method,
                        reason=None if by_default else reason,
                    )
                previous = (h, estimate)
        for h in (10 * h0, 100 * h0):  # in case rounding swamps the default step
            estimate = self.estimate(nudge, "centred", h, h0)
            if estimate is not None and agrees(estimate.slope):
                return row(estimate.slope, h, True, reason="fine")
        return row(slope0, h0, False, trouble="unsteady", reason=reason)

    def estimate(
        self, nudge: _Nudge, method: str, h: float, h0: float
    ) -> _Estimate | None:
        """A difference quotient at step h, or None where it cannot be taken
        (the program raises, or gives a value that is not a finite real),
        or where a step well below the default one (h0) leaves the output
        exactly as it was: that step is below the output's resolution.

        On an array output the differences are taken element by element
        before they are summed, so the elements the nudge does not reach add
        nothing, not even rounding."""
        t, base = nudge.at, self.base
        try:
            if method == "centred":
                up, down = nudge(t + h), nudge(t - h)
                moved = [up - down]
                size = abs(up) + abs(down)
                slope = real_total(moved[0]) / ((t + h) - (t - h))
            else:
                sign = 1 if method == "forward" else -1
                one, two = nudge(t + sign * h), nudge(t + sign * 2 * h)
                moved = [one - base, two - base]
                size = 3 * abs(base) + 4 * abs(one) + abs(two)
                slope = sign * real_total(4 * moved[0] - moved[1]) / (2 * h)
        except (ArithmeticError, ValueError, TypeError):
            return None
        changed = _changed(moved)
        if not _any(changed):  # below the output's resolution, or flat
            if h < h0 / 20:
                return None
            changed = 1.0
        if not math.isfinite(slope):
            return None
        rounding = ROUNDING * real_total(size * changed) / (2 * h)
        return _Estimate(slope, rounding)

    def found_slope(
        self, a: float, first: _Estimate | None, second: _Estimate | None
    ) -> bool:
        """Whether two estimates agree with each other and not with `a`."""
        if first is None or second is None:
            return False
        e1, e2 = first.slope, second.slope
        difference = abs(e1 - e2)
        settled = (
            difference <= SETTLED * max(abs(e1), abs(e2)) or difference <= self.atol
        )
        return settled and all(abs(a - e.slope) > e.rounding for e in (first, second))

    def _switches(self, args) -> tuple | None:
        try:
            return self.switches(*args)
        except (ArithmeticError, ValueError, TypeError):
            return None


class _Estimate(NamedTuple):
    slope: float
    rounding: float  # how far rounding in the program's output may move it


class _Nudge:
    """The program's output as one coordinate (an input, or one element of
    an array input) moves; nan where the output is complex."""

    def __init__(self, f, x, i: int, index: tuple[int, ...] | None) -> None:
        self.f, self.x, self.i, self.index = f, x, i, index
        self.at = float(x[i] if index is None else x[i][index])

    def args(self, t: float) -> list:
        args = list(self.x)
        if self.index is None:
            args[self.i] = t
        else:
            array = self.x[self.i].copy()
            array[self.index] = t
            args[self.i] = array
        return args

    def __call__(self, t: float) -> Any:
        return real_output(self.f.forward(*self.args(t)))


def _smaller_steps(t: float, h0: float) -> list[float]:
    """Steps below h0, largest first: h0 shrunk by tens, and near 0 steps
    relative to |t| too, so that one stays on one side of a pole at 0."""
    steps = {f"{h0 / 10**k:.6g}": h0 / 10**k for k in range(1, SHRINK + 1)}
    if t != 0.0:
        for k in range(2, SHRINK + 2):
            h = abs(t) / 10**k
            if h < h0:
                steps.setdefault(f"{h:.6g}", h)
    return sorted(steps.values(), reverse=True)


def real_output(value: Any) -> Any:
    """The output as a float or a float array; nan where it is complex."""
    if isinstance(value, float):
        return value
    if isinstance(value, complex):
        return math.nan
    if isinstance(value, numbers.Real):
        return float(value)
    import numpy as np

    return math.nan if np.iscomplexobj(value) else np.asarray(value, dtype=float)


def real_total(value: Any) -> float:
    """The output (summed, if an array) as a float; nan where complex."""
    real = real_output(value)
    if isinstance(real, float):
        return real
    import numpy as np

    return float(np.sum(real))


def _kink_within(at, up, down, kinked) -> str | None:
    """The first kinked gate whose switch value changes sign around the
    point (on arrays: in any element)."""
    if at is None:
        return None
    for k, eqn in enumerate(kinked):
        for near in (up, down):
            if near is not None and _sign_changes(at[k], near[k]):
                gate = GATES[eqn.gate].title  # `max`, not the inner `maxc`
                return f"the {gate} gate on line {eqn.line} ({eqn.out})"
    return None


def _sign_changes(a: Any, b: Any) -> bool:
    def sign(v):
        return (v > 0) * 1 - (v < 0) * 1

    return _any(sign(a) != sign(b))


def _changed(moved: list) -> Any:
    """1 where a nudge moved the output (each element of an array output)."""
    changed = moved[0] != 0
    for change in moved[1:]:
        changed = changed | (change != 0)
    return changed * 1.0


def _any(value: Any) -> bool:
    """bool() of a number, or whether any element of an array is true."""
    return bool(value.any()) if hasattr(value, "any") else bool(value)
