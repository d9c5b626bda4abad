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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .codegen import generate_trace
from .compiled import load_module
from .gates import GATES, fill
from .ir import Wire

if TYPE_CHECKING:
    from .compiled import CompiledFunction


@dataclass(frozen=True)
class TraceRow:
    wire: str  # the source's name for it, or a temporary (t1, t2, ...)
    gate: str  # "input", or the gate that made it
    computes: str  # what the gate computes, in the program's notation
    value: Any
    gradient: Any  # d(output)/d(wire), times dout


@dataclass(frozen=True)
class Trace:
    output: str
    rows: tuple[TraceRow, ...]

    @property
    def values(self) -> dict[str, Any]:
        return {row.wire: row.value for row in self.rows}

    @property
    def gradients(self) -> dict[str, Any]:
        return {row.wire: row.gradient for row in self.rows}

    def __str__(self) -> str:
        header = ("wire", "gate", "computes", "value", "gradient")
        table = [header] + [
            (r.wire, r.gate, r.computes, _number(r.value), _number(r.gradient))
            for r in self.rows
        ]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        lines = []
        for row in table:
            left = [cell.ljust(w) for cell, w in zip(row[:3], widths)]
            right = [cell.rjust(w) for cell, w in zip(row[3:], widths[3:])]
            lines.append("  ".join(left + right).rstrip())
        return "\n".join(lines)


def trace(f: CompiledFunction, *args: Any, dout: Any = 1.0, **kwargs: Any) -> Trace:
    """Every wire of `f` at one point: its value and its gradient.

    The point is given like a call to f: positionally, by keyword, or both.
    Gradients are those of the output times `dout`, for every wire, whatever
    `f.wrt` says.
    """
    point = f.bind(*args, **kwargs)
    values, gradients = _trace_function(f)(*(point[n] for n in f.inputs), dout=dout)
    rows = [
        TraceRow(name, "input", "", values[name], gradients[name]) for name in f.inputs
    ]
    eqns = sorted(f.gates.eqns, key=lambda eqn: eqn.out == f.output)  # output last
    for eqn in eqns:
        rows.append(
            TraceRow(
                eqn.out,
                GATES[eqn.gate].title,
                notation(eqn),
                values[eqn.out],
                gradients[eqn.out],
            )
        )
    return Trace(f.output, tuple(rows))


def notation(eqn) -> str:
    """What a gate computes, written with the program's own names: `x + y`."""
    gate = GATES[eqn.gate]
    values = {
        p: (a.name if isinstance(a, Wire) else a.text)
        for p, a in zip(gate.inputs, eqn.args)
    }
    values.update({p: c.text for p, c in zip(gate.params, eqn.params)})
    return fill(gate.notation, values)


def _trace_function(f: CompiledFunction):
    if f._trace is None:  # generated on first use, then kept
        f._trace = load_module(generate_trace(f.gates), "trace")["trace"]
    return f._trace


def _number(value: Any) -> str:
    try:
        return f"{value + 0.0:.10g}"  # + 0.0 turns -0.0 into 0.0
    except TypeError:
        return str(value)
