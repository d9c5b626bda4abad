"""The numpy target: the python target's modules, on arrays.

Inputs are NumPy arrays of shapes that broadcast together (or numbers).
What this target writes beyond the python target's lines: each function
opens with `floats(...)`, which takes lists as arrays and booleans and
integers as floats; a one-number `dout` is spread over the output's shape;
a gradient is summed back to its wire's shape with `unbroadcast` where the
plan says so (plan.unbroadcast_points); a fan-out adds with `d = d + g`,
never in place (arrays are shared between gradients); and the fast path
releases each temporary at its last use, so that NumPy can reuse memory.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from .. import shapes as shape_pass
from ..gates import GATES, Gate, fill
from ..ir import Const, Eqn, GateList
from .python_target import PythonTarget
from .text import LINE_LENGTH, _wrap

# The array target's one helper, written into a module that needs it.
UNBROADCAST = '''
def unbroadcast(grad, like):
    """`grad` summed over the axes along which `like` was broadcast.

    A weight used on every data point gets the sum of the gradients from
    all of them, so each gradient has the shape of its own input.
    """
    shape = np.shape(like)
    if np.shape(grad) == shape:
        return grad
    extra = np.ndim(grad) - len(shape)  # leading axes that `like` lacks
    stretched = [extra + i for i, n in enumerate(shape) if n == 1]
    grad = np.sum(grad, axis=(*range(extra), *stretched))
    return np.reshape(grad, shape) if stretched else grad
'''.strip("\n")
# ... and the one that takes every input as floats, at the top of each function.
FLOATS = '''
def floats(*inputs):
    """The inputs as floating-point numbers: a list or tuple is an array, and
    booleans and integers become floats (so True + True is 2, and x**-1 and
    x**2 neither fail nor wrap around); float32 stays float32.
    """
    converted = []
    for x in inputs:
        if isinstance(x, (list, tuple)):
            x = np.asarray(x)
        if isinstance(x, int):  # bool is an int too
            x = float(x)
        elif getattr(x, "dtype", None) is not None and x.dtype.kind in "biu":
            x = x.astype(np.float64)  # a Dask array stays lazy
        converted.append(x)
    return converted
'''.strip("\n")

_ARRAYS_NOTE = (
    "The inputs may be NumPy arrays of shapes that broadcast together, or "
    "numbers; each gradient has the shape of its own input. Lists and "
    "tuples are taken as arrays, booleans and integers as floats."
)
_MATRICES_NOTE = (
    "The inputs are NumPy arrays whose shapes fit the program's operations, "
    "or numbers where it multiplies or adds them; each gradient has the "
    "shape of its own input. Lists and tuples are taken as arrays, booleans "
    "and integers as floats."
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class NumpyTarget(PythonTarget):
    name = "numpy"
    import_line = "import numpy as np"
    prefix = "np."
    zero = "0.0 * np.ones_like({x})"
    in_place = False
    broadcasts = True

    def refuses(self, gate: Gate) -> str | None:
        return None  # arrays are what the array-only gates need

    def notes(self, gates: GateList) -> list[str]:
        """What the inputs may be: for elementwise programs, arrays that
        broadcast together; for the matrix language, arrays whose shapes fit
        its operations, the data left as they are, and, given `shapes`, the
        shapes the module was written for."""
        matrices = gates.data or any(GATES[e.gate].array_only for e in gates.eqns)
        if not matrices:
            return _wrap(_ARRAYS_NOTE, indent=0)
        text = _MATRICES_NOTE
        if gates.data:
            listed = ", ".join(i for i in gates.inputs if i in gates.data)
            text = text[:-1] + f", except the data ({listed}), used as they are."
        if gates.shapes:
            given = ", ".join(f"{name} {shape}" for name, shape in gates.shapes)
            text += (
                f" Written for the shapes it was compiled with ({given}): right "
                "for any arrays with the same numbers of axes and the same axes "
                "of size 1."
            )
        return _wrap(text, indent=0)

    def converted_inputs(self, params: list[str], gates: GateList) -> list[str]:
        """`a, x, b = floats(a, x, b)`, as many lines as the line length
        needs (none for a program without inputs). Data inputs (an index
        array, a length) stay as they are: integers."""
        params = [p for p, i in zip(params, gates.inputs) if i not in gates.data]
        lines, group = [], []

        def line(names: list[str]) -> str:
            if len(names) == 1:
                return f"[{names[0]}] = floats({names[0]})"
            return f"{', '.join(names)} = floats({', '.join(names)})"

        for name in params:
            if group and len(line([*group, name])) + 4 > LINE_LENGTH:
                lines.append(line(group))
                group = []
            group.append(name)
        if group:
            lines.append(line(group))
        return lines

    def helpers(self, converted: bool, unbroadcast: bool) -> list[str]:
        return [
            *([FLOATS] if converted else []),
            *([UNBROADCAST] if unbroadcast else []),
        ]

    def spread_dout(self, dout: str, out: str, comments: bool) -> list[str]:
        lines = []
        if comments:
            lines.append(f"# one number for {dout} means the same for every element")
        lines.append(f"{dout} = {dout} * np.ones_like({out})")
        return lines

    def summed_back(self, contribution: str, like: str, axes: Any = None) -> str:
        if axes is None:  # shapes unknown: the helper finds the axes
            return f"unbroadcast({contribution}, {like})"
        if axes == "all":  # back to one number
            plain = contribution.isidentifier()
            return f"{contribution if plain else f'({contribution})'}.sum()"
        return shape_pass.sum_text(contribution, axes)

    def rules(self, eqn: Eqn, ranks: dict | None = None) -> tuple[str, ...]:
        """The matrix product's rule depends on its operands' axes: into A of
        `A @ B`, `dC @ B.T` when B is a matrix and the outer product
        `np.multiply.outer(dC, B)` when B is a vector (and the other way round
        into B). Where the shapes say which, that one; else both, picked at
        run time by `np.ndim`."""
        gate = GATES[eqn.gate]
        rules = self.code(gate)[1]
        if not gate.vector_grads:
            return rules
        chosen = []
        for i, (matrix, vector) in enumerate(zip(rules, gate.vector_grads)):
            other = eqn.args[1 - i]
            placeholder = gate.inputs[1 - i]
            axes = 0 if isinstance(other, Const) else (ranks or {}).get(other.name)
            if axes == 1:
                chosen.append(vector)
            elif axes is not None:
                chosen.append(matrix)
            else:
                chosen.append(
                    f"{matrix} if np.ndim({{{placeholder}}}) == 2 else {vector}"
                )
        return tuple(chosen)

    def added(self, grad: str, contribution: str) -> str:
        """`d = d + g`; a `g` that is a conditional expression (the matrix
        product's rule where ranks are unknown) is bracketed, since `d + A if
        c else B` would drop `d` when `c` is false."""
        if " if " in contribution and isinstance(
            ast.parse(contribution, mode="eval").body, ast.IfExp
        ):
            contribution = f"({contribution})"
        return super().added(grad, contribution)

    def scattered(
        self, grad: str, gate: Gate, values: dict[str, str], value: str, first: bool
    ) -> list[str]:
        """`dC = np.zeros_like(C)` and `np.add.at(dC, Xb, demb)` where rows
        may repeat (each one adds its gradient), `dx[:, 1] = dout` where they
        cannot. A gradient that already holds another branch's is copied
        first: arrays are shared between gradients."""
        index = fill(gate.scatter, values)
        x, dout = values[gate.inputs[0]], value
        start = f"{grad} = np.zeros_like({x})" if first else f"{grad} = {grad}.copy()"
        if gate.scatter_repeats:
            return [start, f"np.add.at({grad}, {index}, {dout})"]
        operator = "=" if first else "+="
        return [start, f"{grad}[{index}] {operator} {dout}"]

    def released(self, body: list[str], keep: set[str]) -> list[str]:
        """`del` each local array after the line that last reads it, so that
        its memory is free for the next one."""
        assigned = {line.split(" = ", 1)[0] for line in body if " = " in line}
        last_use: dict[str, int] = {}
        for i, line in enumerate(body):
            for name in _IDENTIFIER.findall(line):
                if name in assigned:
                    last_use[name] = i
        released: dict[int, list[str]] = {}
        for name, i in last_use.items():
            if name not in keep:
                released.setdefault(i, []).append(name)
        lines = []
        for i, line in enumerate(body):
            lines.append(line)
            if i in released:
                lines.append(f"del {', '.join(sorted(released[i]))}")
        return lines
