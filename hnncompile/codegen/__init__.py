"""Gate list -> the module with `forward` and `backward`, as text.

The module is written in black's style directly (a 10,000-gate program
should not wait for a formatter), lines that long names push past black's
limit included: layout.py splits them as black would. The tests check that
black leaves every module unchanged.

`forward` is one gate per line. `backward` recomputes the forward values its
rules need, then walks the gates in reverse, one line per local gradient,
`+=` where a wire fans out, and only for gradients that reach a `wrt` input.

The package, one idea a module:
  plan.py           the backward planner every target shares: which local
                    gradients, in what order, which forward values they
                    read, where gradients are summed back over broadcast axes
  text.py           black's style: signatures, bodies, comments, the header
  target.py         the base `Target`: the lines of forward and backward,
                    and `refuses`, where a target says what it cannot write
  python_target.py  floats and `math`; the learner's module, the fast path,
                    the trace and the gradient checker's switches
  numpy_target.py   the same on arrays that broadcast together (`floats`,
                    `unbroadcast`, temporaries released at their last use)
  js_target.py      an ES module in the tutorial's JavaScript, wrapped as
                    prettier wraps it
  forward_mode.py   the `jvp` and `hvp` modules: forward's lines each with
                    its tangent's, and for hvp backward's lines each with
                    its tangent's (the forward mode of backward)
  numba_target.py   one loop over the elements, compiled by Numba, its body
                    the python target's lines (numba_loops.py: the loops of
                    a program with sum or mean; numba_text.py: the text)

Adding an operation is one entry in the catalogue (gates/) and, only
where a target writes it differently, a few lines in that target's module.

The entry points: `generate_module` (what the compiled object needs, once),
`generate` (the module's text), `generate_value_and_grad` (the fast path),
`generate_trace` (for the study tools), `generate_switches` (for the
gradient checker) and `generate_forward_mode` (the jvp and hvp modules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Mapping

from ..ir import Eqn, GateList
from . import forward_mode
from .js_target import JsTarget
from .numba_target import NumbaTarget
from .numpy_target import FLOATS, UNBROADCAST, NumpyTarget
from .plan import (
    BackwardPlan,
    Names,
    broadcast_sources,
    contribution_counts,
    identifiers,
    plan_backward,
    unbroadcast_points,
)
from .python_target import PythonTarget
from .target import Target
from .text import LINE_LENGTH

__all__ = [
    "FLOATS",
    "LINE_LENGTH",
    "TARGETS",
    "UNBROADCAST",
    "BackwardPlan",
    "GeneratedModule",
    "Names",
    "Target",
    "broadcast_sources",
    "contribution_counts",
    "generate",
    "generate_forward_mode",
    "generate_module",
    "generate_switches",
    "generate_trace",
    "generate_value_and_grad",
    "identifiers",
    "plan_backward",
    "unbroadcast_points",
]

TARGETS: dict[str, Target] = {
    target.name: target
    for target in (PythonTarget(), NumpyTarget(), JsTarget(), NumbaTarget())
}
# The target whose module a compiled object runs where its own cannot run
# in Python (js).
RUNNABLE = "python"


@dataclass(frozen=True)
class GeneratedModule:
    """Everything the compiled object needs from the code generator, made
    once: the module, the identifiers it gives the wires, and the Python
    module that runs (the module itself, except for a target whose modules
    run elsewhere: js)."""

    source: str  # the module, in the target's language
    target: str
    wrt: tuple[str, ...]  # the inputs backward returns gradients for, in order
    identifiers: Mapping[str, str]  # each wire's name in the generated code
    runnable: str  # the Python module whose functions the object calls...
    runs_as: str  # ...and the target it is written for


def generate_module(
    gates: GateList,
    *,
    wrt: Collection[str] | None = None,
    comments: bool = True,
    target: str = "python",
    propagate_copies: bool = False,
) -> GeneratedModule:
    """The module for `gates` in `target`'s language, with what the compiled
    object needs beside it (see GeneratedModule). Raises CompileError at a
    gate the target cannot write."""
    language = TARGETS[target]
    language.check(gates)
    chosen = frozenset(gates.inputs if wrt is None else wrt)
    names = Names.of(gates)
    source = language.module(gates, names, chosen, comments, propagate_copies)
    runs_as = target if language.runs_in_python else RUNNABLE
    runnable = source
    if runs_as != target:
        runnable = TARGETS[runs_as].module(gates, names, chosen, comments=False)
    return GeneratedModule(
        source=source,
        target=target,
        wrt=tuple(name for name in gates.inputs if name in chosen),
        identifiers=names.value,
        runnable=runnable,
        runs_as=runs_as,
    )


def generate(
    gates: GateList,
    *,
    wrt: Collection[str] | None = None,
    comments: bool = True,
    target: str = "python",
    propagate_copies: bool = False,
) -> str:
    """The standalone module for `gates` in `target`'s language, as text.

    `propagate_copies` (with optimisation on) leaves out the lines that
    only rename a gradient (see Target.backward_body)."""
    language = TARGETS[target]
    language.check(gates)
    wrt = frozenset(gates.inputs if wrt is None else wrt)
    return language.module(gates, Names.of(gates), wrt, comments, propagate_copies)


def generate_value_and_grad(
    gates: GateList, *, wrt: Collection[str] | None = None, target: str = "python"
) -> str:
    """A module with one function, `value_and_grad(*inputs, dout=1.0)`, that
    returns `(value, gradients)` from one pass. It backs
    CompiledFunction.value_and_grad, the fast path, and is not the module
    learners read: its forward folds each temporary that is used once and
    read by no gradient rule into the expression that uses it, and on
    arrays it releases each one at its last use. Both let NumPy reuse the
    memory of its temporaries, as it does for code written by hand.
    """
    wrt = frozenset(gates.inputs if wrt is None else wrt)
    return TARGETS[target].value_and_grad_module(gates, wrt)


def generate_trace(gates: GateList, target: str = "python") -> str:
    """A module with one function, `trace(*inputs, dout=1.0)`, returning two
    dicts keyed by the source's wire names: every wire's value, and every
    wire's gradient (0.0 where a wire does not reach the output). It backs
    `hnncompile.trace` and the drawings, and in JavaScript (two Maps in an
    array) the explorer page; learners read its results, not it."""
    return TARGETS[target].trace_module(gates)


def generate_switches(gates: GateList, target: str = "python") -> tuple[str, list[Eqn]]:
    """An internal module whose `switches(...)` returns, for every gate with a
    kink (relu, abs, max, min), the number (on arrays, the array) whose sign
    picks its branch.

    The gradient checker evaluates it around a point to tell whether a kink
    lies within its step. It is not part of the user's module.
    """
    return TARGETS[target].switches_module(gates)


# The targets that write jvp and hvp modules (numba: not yet).
FORWARD_MODE_TARGETS = ("python", "numpy", "js")


def generate_forward_mode(
    gates: GateList,
    mode: str,
    *,
    wrt: Collection[str] | None = None,
    comments: bool = True,
    target: str = "python",
) -> str:
    """The standalone module of `jvp` (`mode="jvp"`) or `hvp` (`"hvp"`) for
    `gates` in `target`'s language (python, numpy or js), as text: see
    forward_mode.py. Raises ValueError for another target or mode, and
    CompileError at a gate the target cannot write (or, for hvp, whose
    second derivative the catalogue lacks)."""
    if target not in FORWARD_MODE_TARGETS:
        raise ValueError(
            f"the {target} target has no {mode} module: the targets that "
            f"write one are {', '.join(FORWARD_MODE_TARGETS)}"
        )
    write = {"jvp": forward_mode.jvp_module, "hvp": forward_mode.hvp_module}
    if mode not in write:
        raise ValueError(f"unknown mode {mode!r}: jvp or hvp")
    chosen = frozenset(gates.inputs if wrt is None else wrt) - gates.data
    return write[mode](TARGETS[target], gates, chosen, comments)
