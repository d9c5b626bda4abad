"""Numerical gradient checking, the way CS231n teaches it.

For each input the analytic gradient (from the generated backward) is
compared with a centred difference (f(x+h) - f(x-h)) / 2h, where
h = STEP * max(1, |x|). The relative error is |a-n| / max(|a|, |n|, 1e-12).
An input passes when its relative error is at most `rtol` (default 1e-5) or
the two differ by at most `atol` (default 1e-8) in absolute terms, which
keeps gradients that are both almost zero from failing on rounding noise.

A function with a kink (relu, abs, max, min) is not differentiable where
it switches branch; when such a switch falls within the step the report says
so, and a disagreement there is reported as `kink`, not as a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .codegen import generate_switches
from .compiled import load_module

if TYPE_CHECKING:
    from .compiled import CompiledFunction

STEP = 1e-5
RTOL = 1e-5
ATOL = 1e-8


@dataclass(frozen=True)
class GradcheckRow:
    input: str
    analytic: float
    numerical: float
    rel_error: float
    passed: bool
    kink: str | None  # which gate switches branch within the step, if any

    @property
    def verdict(self) -> str:
        if self.passed:
            return "ok"
        return "kink" if self.kink else "FAIL"


@dataclass(frozen=True)
class GradcheckReport:
    output: str
    point: dict[str, float]
    value: float
    rows: tuple[GradcheckRow, ...]
    rtol: float
    atol: float

    @property
    def passed(self) -> bool:
        """True when no input failed (a disagreement at a kink is not a failure)."""
        return all(row.verdict != "FAIL" for row in self.rows)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        point = ", ".join(f"{k}={v:.6g}" for k, v in self.point.items())
        lines = [f"gradient check of {self.output} at {point or 'no inputs'}"]
        lines.append(f"{self.output} = {self.value:.10g}")
        header = ("input", "analytic", "numerical", "rel. error", "verdict")
        table = [header] + [
            (
                r.input,
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
        for row in self.rows:
            if row.verdict == "FAIL":
                lines.append(
                    f"{row.input}: the analytic gradient disagrees with the slope "
                    "measured by nudging the input, and no kink is near: a "
                    "local-gradient rule on the way from the output to "
                    f"{row.input} is wrong (or the function is too steep here "
                    "for the step)."
                )
            elif row.kink and not row.passed:
                lines.append(
                    f"{row.input}: {row.kink} switches branch within the step, so "
                    "the function has a kink there and no single derivative; the "
                    "numerical estimate averages the two sides. Check another point."
                )
            elif row.kink:
                lines.append(
                    f"{row.input}: note that {row.kink} switches within the step."
                )
        verdict = "passed" if self.passed else "FAILED"
        lines.append(
            f"{verdict}: tolerance rel. error <= {self.rtol:g} or abs. error <= {self.atol:g}"
        )
        lines.append(
            "(As CS231n reads a relative error: below 1e-7 the gradient is right; "
            "near 1e-4 suspect it unless a kink is close; above 1e-2 it is wrong.)"
        )
        return "\n".join(lines)


def gradcheck(
    f: CompiledFunction,
    *args: float,
    rtol: float = RTOL,
    atol: float = ATOL,
    **kwargs: float,
) -> GradcheckReport:
    """Compare f's analytic gradients with centred differences at one point.

    The point is given like a call to f: positionally, by keyword, or both.
    """
    point = f.bind(*args, **kwargs)
    x = [float(point[name]) for name in f.inputs]
    value = f.forward(*x)
    analytic = dict(zip(f.wrt, f.backward(*x)))
    switches, kinked = _switch_function(f)
    rows = []
    position = {name: i for i, name in enumerate(f.inputs)}
    for name in f.wrt:
        i = position[name]
        h = STEP * max(1.0, abs(x[i]))
        up, down = list(x), list(x)
        up[i] += h
        down[i] -= h
        numerical = (f.forward(*up) - f.forward(*down)) / (2 * h)
        a = float(analytic[name])
        error = abs(a - numerical)
        rel_error = error / max(abs(a), abs(numerical), 1e-12)
        kink = _kink_within(switches(*x), switches(*up), switches(*down), kinked)
        passed = rel_error <= rtol or error <= atol
        rows.append(GradcheckRow(name, a, numerical, rel_error, passed, kink))
    return GradcheckReport(
        f.output, dict(zip(f.inputs, x)), value, tuple(rows), rtol, atol
    )


def _switch_function(f: CompiledFunction):
    source, kinked = generate_switches(f.gates)
    return load_module(source, "switches")["switches"], kinked


def _kink_within(at, up, down, kinked) -> str | None:
    """The first kinked gate whose switch value changes sign around the point."""

    def sign(v: float) -> int:
        return (v > 0) - (v < 0)

    for eqn, s0, s_up, s_down in zip(kinked, at, up, down):
        if len({sign(s0), sign(s_up), sign(s_down)}) > 1:
            return f"the {eqn.gate} gate on line {eqn.line} ({eqn.out})"
    return None
