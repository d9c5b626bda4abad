"""The numba target: one loop over the elements, its body the python target's.

The module is a Python wrapper (`forward`, `backward`, `value_and_grad`,
taking what the numpy target takes: numbers and arrays that broadcast
together) around loops that Numba compiles (`@numba.njit`). Each loop
reads one element of every input, runs the python target's lines on those
numbers (the same names, comments and tie rules: `math.exp`, the
two-branch sigmoid), writes the output's element and the gradients of the
inputs that are arrays, and adds up the gradients of those that are one
number as it goes: each input is read once, and no array is written per
gate, as NumPy must. A large array is split into chunks, one per thread
(`numba.prange`), whose sums are added at the end. Where `sum` or `mean`
feeds further gates, there is one loop per level (numba_loops.py).

Programs of vectors and matrices (SPEC section 5) are refused where they
stand: lowering refuses their constructs, `refuses` the catalogue's
array-only gates, and every reduction but sum and mean (logsumexp over
all elements: the loops add elements up, and its sum is in log space).
Numba is an optional extra: without it compiling for this target raises
`NumbaMissing`, an ImportError (and a ValueError, so the command line
says it in one line) with the command that installs it.
"""

from __future__ import annotations

from typing import Collection

from .. import naming
from ..gates import Gate
from ..ir import GateList
from .numba_text import helpers, kernels
from .numba_wrappers import wrappers
from .numba_loops import ADDED_UP, plan_loops
from .numpy_target import NumpyTarget
from .plan import Names
from .python_target import PythonTarget
from .text import _header, _tuple, _wrap

INSTALL_HINT = "pip install 'hnncompile[fast]'"

_NOTE = (
    "The inputs may be NumPy arrays of shapes that broadcast together, or "
    "numbers; each gradient has the shape of its own input. Lists and tuples "
    "are taken as arrays, booleans and integers as floats; float32 stays "
    "float32 (each element is computed in float64). Each function runs one "
    "loop over the elements, compiled by Numba: its body is the python "
    "target's code for one element, every gate's value and gradient before "
    "the next element, and the gradient of an input that is one number is "
    "added up as the loop goes."
)


# Where the numba target writes a gate's rule its own way: the catalogue's
# numbers, in a form LLVM compiles without a branch. The relu's three-way
# `dout if x > 0 else 0.0 if x <= 0 else math.nan` becomes branches that a
# random sign mispredicts half the time; `abs(max(x, 0.0))` is 0.0 where
# x <= 0 (and at -0.0, and -inf) and NaN where x is NaN, so the one
# remaining choice is a select (benchmarks/fused.py measures it). Keyed by
# the catalogue's rule itself: a rule changed there is written as it now
# is. Each form reads what the catalogue's does (numba_loops.py plans from
# those).
_BRANCH_FREE = {
    "{dout} if {x} > 0 else 0.0 if {x} <= 0 else math.nan": (
        "{dout} if {x} > 0 else abs(max({x}, 0.0))"
    ),
}


class NumbaMissing(ImportError, ValueError):
    """Numba is not installed: the numba target needs it."""


def require_numba() -> None:
    """Import Numba, or say how to install it."""
    try:
        import numba  # noqa: F401
    except ImportError:
        raise NumbaMissing(
            f"target='numba' needs Numba, which is not installed: {INSTALL_HINT} "
            "(or compile with target='numpy', which needs only NumPy)"
        ) from None


class NumbaTarget(PythonTarget):
    name = "numba"
    import_line = "import math"
    prefix = "math."
    # Arrays that broadcast together come in, as on the numpy target (the
    # compiled object and the gradient checker read this); the loop's body
    # is written on numbers, by the python target's rules.
    broadcasts = True

    def code(self, gate, fast: bool = False):
        forward, grads = gate.code("python")
        return forward, tuple(_BRANCH_FREE.get(rule, rule) for rule in grads)

    def refuses(self, gate: Gate) -> str | None:
        """Besides the array-only gates, every reduction but `sum` and `mean`:
        the loops add up a reduction's elements one by one (numba_loops.py),
        which is what those two mean and not, say, logsumexp, whose scalar
        form is its input (`{x}`) and whose sum must be taken in log space."""
        refused = super().refuses(gate)
        if refused is None and gate.reduces and gate.name not in ADDED_UP:
            return (
                f"{gate.title} over all elements (the fused loops "
                "add up only sum and mean)"
            )
        return refused

    def converted_inputs(self, params: list[str], gates: GateList) -> list[str]:
        return NumpyTarget.converted_inputs(self, params, gates)

    def forward_comments(
        self, gates: GateList, names: Names, wrt: Collection[str]
    ) -> dict[str, list[str]]:
        """The comment lines the python target's forward writes above each
        gate's line (a rewrite's note, why a line is written as it is:
        whatever codegen/target.py's module puts there), by the gate's
        output; none for most gates."""
        lines = _PythonForward().module(gates, names, wrt, comments=True)
        above: dict[str, list[str]] = {}
        pending: list[str] = []
        for key, line in lines.items():
            if line.lstrip().startswith("#"):
                pending.append(line)
            else:
                above[key], pending = pending, []
        return above

    def check(self, gates: GateList) -> None:
        super().check(gates)
        require_numba()

    def module(
        self,
        gates: GateList,
        names: Names,
        wrt: Collection[str],
        comments: bool = True,
        propagate_copies: bool = False,
    ) -> str:
        import black

        wrt = frozenset(wrt) - gates.data
        loops = plan_loops(gates, wrt)
        ids = _Identifiers(gates, names, loops)
        params = [names.value[i] for i in gates.inputs]
        grads = [names.grad[i] for i in gates.inputs if i in wrt]
        output = names.value[gates.output]
        lines: list[str] = []
        if comments:
            backward_params = ", ".join([*params, f"{naming.UPSTREAM_GRADIENT}=1.0"])
            lines += _header(
                gates, ", ".join(params), backward_params, output, _tuple(grads)
            )
            lines += _wrap(
                f"value_and_grad({backward_params}) returns ({output}, "
                f"({_tuple(grads)})) from one pass.",
                indent=0,
            )
            lines += _wrap(_NOTE, indent=0)
        lines += ["import math", "", "import numba", "import numpy as np", "", ""]
        lines += helpers(ids, comments)
        lines += kernels(self, gates, names, loops, ids, wrt, comments)
        lines += wrappers(self, gates, names, loops, ids, wrt, comments)
        text = "\n".join(lines) + "\n"
        return black.format_str(text, mode=black.Mode())

    def value_and_grad_module(self, gates: GateList, wrt: Collection[str]) -> str:
        """The module itself, without comments: it has `value_and_grad`."""
        return self.module(gates, Names.of(gates), wrt, comments=False)

    def trace_module(self, gates: GateList) -> str:
        """The study tools read every wire: the numpy target's trace."""
        return NumpyTarget().trace_module(gates)

    def switches_module(self, gates: GateList):
        return NumpyTarget().switches_module(gates)


class _PythonForward(PythonTarget):
    """The python target, its module stopped where forward's lines are done:
    `module` returns them (a dict, comment lines among them) for
    NumbaTarget.forward_comments."""

    def assemble(self, gates, comments, params, output, grads, forward_lines, _):
        return forward_lines


class _Identifiers:
    """The module's own identifiers, none a wire's or a gradient's
    (naming.fresh): the loops' functions, `i`, each input's array of
    elements (`a_all`), each gradient's array and sum (`da_all`, `da_sum`)."""

    FIXED = (
        *("floats", "unbroadcast", "elements", "element", "gradient_arrays"),
        "gradient",
        *("broadcast", "run", "PARALLEL_FROM", "in_chunks"),
        *("i", "start", "stop", "sums", "shape", "chunks", "n", "arrays"),
        *("values", "dtype", "grads"),
    )

    def __init__(self, gates: GateList, names: Names, loops) -> None:
        taken = set(names.value.values()) | set(names.grad.values())
        many = len(loops) > 1
        wanted = list(self.FIXED)
        for loop in loops:
            suffix = str(loop.level) if many else ""
            wanted += [f"forward_loop{suffix}", f"backward_loop{suffix}"]
            wanted += [f"forward_loop{suffix}_in_chunks"]
            wanted += [f"backward_loop{suffix}_in_chunks"]
        wires = [*gates.inputs, *(eqn.out for eqn in gates.eqns)]
        for wire in wires:
            wanted += [f"{names.value[wire]}_all", f"{names.value[wire]}_sum"]
            wanted += [f"{names.grad[wire]}_all", f"{names.grad[wire]}_sum"]
        self.name = naming.fresh(wanted, taken)

    def __getitem__(self, key: str) -> str:
        return self.name[key]
