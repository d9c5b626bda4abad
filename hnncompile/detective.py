"""The NaN detective: the first number that went wrong, and why (SPEC section 6).

A program given finite inputs can still compute inf or NaN: `exp(800)`
overflows, `log(0)` is -inf, `sqrt(-1)` and `0/0` are NaN, and whatever
reads such a wire goes wrong after it. Only the FIRST wire that went wrong
tells the learner what to change, so `run` computes every wire at the point
(the trace function codegen.generate_trace writes, as `trace` uses it) and
`Finding` names that wire, the operation in the program's notation, its
line, and the operation's inputs there, in the SPEC's sentence:

    t3 = exp(t2) overflowed: t2 = 800.0 at line 2
    t = log(x) is NaN: x = -1.0 at line 1
    h = exp(z) overflowed at element [1, 0]: z[1, 0] = 800.0 at line 2

"overflowed" is an infinite result of finite inputs none of which is zero
(the true number is finite, but too large for a float); "is infinite" one
with a zero among them (log(0), 1/0: the true number is infinite too); "is
NaN" a NaN of finite inputs. Where every value is finite, the first gradient
in backward's order that is not (the output's first, then each wire's as
backward completes it) is named with the line that computes it and the gate
whose local gradient it is:

    dq = 0.5 / t * dt is infinite at line 2 (the gradient of t = sqrt(q), at q = 0.0)

The python target raises instead of computing inf or NaN (OverflowError,
ZeroDivisionError, ValueError "math domain error"). The trace function
stops there; the traceback says on which generated line, and the function's
frame still holds every wire computed before it: so the same sentence comes
out, from one run, with nothing but the generated code executed. (On NumPy,
where backward adds the gradients of a wire read by several gates, the
trace runs once more with NumPy's errors raised, to tell which gate's.)

This module also holds what `trace` (trace.py) and `gradcheck` build on:
the trace function itself and `notation`.
"""

from __future__ import annotations

import math
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable

from .causes import label as _label
from .causes import operands as _operands
from .causes import spelled as _spelled
from .causes import underflow as _underflow
from .clues import (
    at,
    first_bad,
    frame_locals,
    index_text,
    is_nan,
    is_zero,
    number,
    numerical,
    statement,
    words,
)
from .codegen import TARGETS, Names, generate_trace, plan_backward
from .gates import GATES, fill
from .ir import Eqn, Wire
from .loader import load_module

if TYPE_CHECKING:
    from .compiled import CompiledFunction

OVERFLOWED = "overflowed"  # inf from finite inputs, none of them zero
INFINITE = "is infinite"  # inf from finite inputs, one of them zero
NAN = "is NaN"  # NaN from finite inputs


@dataclass(frozen=True)
class Finding:
    """The first wire whose value, or gradient, went wrong, and why."""

    wire: str  # the wire (for a gradient: the wire whose gradient it is)
    verb: str  # OVERFLOWED, INFINITE or NAN ("" for an input given inf or NaN)
    eqn: (
        Eqn | None
    )  # the gate that computed it (a gradient: whose rule); None: an input
    computes: str  # what that gate computes, in the program's notation
    operands: tuple[tuple[str, Any], ...]  # (the input as shown, its value there)
    index: tuple[int, ...] | None = None  # on arrays: the first element that did
    gradient: str | None = None  # a gradient's name in the generated code (dq)
    rule: str = ""  # ...and the local gradient as that code writes it
    raised: str | None = None  # what the python target raised there, if it did
    # Where an input of the gate is an exact 0 that the gate before it made
    # of non-zero numbers (sigmoid(-800) rounds to 0): that gate's sentence,
    # "sigmoid(margin) underflowed to 0.0: margin = -800.0 at line 6", and
    # this gate as the source spells it, log(sigmoid(margin)).
    underflow: str = ""
    spelled: str = ""

    result: str = ""  # the value that went wrong, as the sentence writes it

    @property
    def gate(self) -> str:
        return "input" if self.eqn is None else self.eqn.gate

    @property
    def line(self) -> int:
        return 0 if self.eqn is None else self.eqn.line

    @property
    def column(self) -> int:
        return 0 if self.eqn is None else self.eqn.column

    def __str__(self) -> str:
        element = "" if self.index is None else f" at element {index_text(self.index)}"
        at = ", ".join(f"{label} = {number(value)}" for label, value in self.operands)
        if self.eqn is None:
            return f"the input {self.wire}{element} is {self.operands[0][1]}, as given"
        if self.gradient is None and self.underflow:
            result = "NaN" if self.verb == NAN else self.result
            there = " there" if self.index is not None else ""
            return f"{self.underflow}, and {self.spelled} is {result}{there}"
        if self.gradient is None:
            given = f": {at}" if at else ""
            return (
                f"{self.wire} = {self.computes} {self.verb}{element}{given} "
                f"at line {self.line}"
            )
        where = f", at {at}" if at else ""
        if " if " in self.rule:  # a conditional reads badly before the verb
            return (
                f"{self.gradient} {self.verb}{element} at line {self.line} "
                f"({self.gradient} = {self.rule}; the gradient of {self.eqn.out} = "
                f"{self.computes}{where})"
            )
        element += "," if element else ""
        return (
            f"{self.gradient} = {self.rule} {self.verb}{element} at line {self.line} "
            f"(the gradient of {self.eqn.out} = {self.computes}{where})"
        )


@dataclass(frozen=True)
class Run:
    """What the trace function computed at one point, by wire name.

    Where the generated code raised (`error`), `values` and `gradients`
    hold only the wires computed before it, and `stopped` is the wire whose
    value (or, with `in_backward`, whose gradient) raised."""

    values: dict[str, Any]
    gradients: dict[str, Any]
    finding: Finding | None
    error: BaseException | None = None
    stopped: str | None = None
    in_backward: bool = False
    data: frozenset[str] = field(default_factory=frozenset)


def trace_function(f: CompiledFunction) -> Callable[..., Any]:
    """`trace(*inputs, dout)` of f's generated trace module, made on first
    use and then kept on f."""
    if f._trace is None:
        source = generate_trace(f.gates, target=f._runs_as)
        f._trace = load_module(source, "trace")["trace"]
    return f._trace


def run(f: CompiledFunction, inputs: list[Any], dout: Any = 1.0) -> Run:
    """Every wire's value and gradient at `inputs` (in f.inputs' order),
    with the first that went wrong; an exception that is not about a
    number (an index out of range, a wrong shape) is raised as it is."""
    function = trace_function(f)
    names = Names.of(f.gates)
    data = f.gates.data_wires() if f.gates.data else frozenset()
    try:
        with _quiet(f):
            values, gradients = function(*inputs, dout)
    except (ArithmeticError, ValueError) as error:
        if not numerical(error):
            raise
        return _stopped(f, names, function, error, data)
    finding = _first_value(f, values, _wires(f))
    if finding is None:
        finding = _first_gradient(f, names, values, gradients, data, inputs, dout)
    return Run(values, gradients, finding, data=data)


def find(f: CompiledFunction, inputs: list[Any], dout: Any = 1.0) -> Finding | None:
    """The first wire whose value or gradient is inf or NaN at `inputs`,
    or None where every one is finite."""
    return run(f, inputs, dout).finding


def where(f: CompiledFunction, inputs: list[Any], error: BaseException) -> str:
    """For a message about `error`, raised by one of f's generated
    functions at `inputs`: "; " and the finding, where it is about a number
    (else nothing)."""
    if not numerical(error):
        return ""
    try:
        found = find(f, inputs)
    except (ArithmeticError, ValueError, IndexError, TypeError):
        return ""
    return "" if found is None else f"; {found}"


def went_wrong(*numbers: Any) -> bool:
    """Whether one of these numbers (or arrays) is inf or NaN."""
    return any(first_bad(value) is not False for value in numbers)


def notation(eqn: Eqn) -> str:
    """What a gate computes, written with the program's own names: `x + y`."""
    gate = GATES[eqn.gate]
    values = {
        p: (a.name if isinstance(a, Wire) else a.text)
        for p, a in zip(gate.inputs, eqn.args)
    }
    values.update({p: c.text for p, c in zip(gate.params, eqn.params)})
    return fill(gate.notation, values)


# -- the values ---------------------------------------------------------


def _wires(f: CompiledFunction) -> list[str]:
    return [*f.inputs, *(eqn.out for eqn in f.gates.eqns)]


def _first_value(
    f: CompiledFunction, values: dict[str, Any], wires: list[str]
) -> Finding | None:
    """The first wire in forward order whose value is inf or NaN: each wire
    before it is finite, so its gate's inputs are too (unless an input was
    given inf or NaN: then that input is named)."""
    producers = {eqn.out: eqn for eqn in f.gates.eqns}
    for wire in wires:
        if wire not in values:
            continue
        index = first_bad(values[wire])
        if index is False:
            continue
        element = at(values[wire], index)
        eqn = producers.get(wire)
        if eqn is None:  # an input given inf or NaN
            return Finding(wire, "", None, "", ((wire, element),), index)
        operands = _operands(eqn, values, index, GATES[eqn.gate].elementwise)
        verb = _verb(element, operands)
        return _value_finding(f, eqn, verb, operands, values, index, element)
    return None


def _value_finding(
    f: CompiledFunction,
    eqn: Eqn,
    verb: str,
    operands,
    values: dict[str, Any],
    index,
    element: Any,
    raised: str | None = None,
) -> Finding:
    """The finding for a gate's value gone wrong; where an input of it is
    an exact 0 that the gate before made of non-zero finite numbers, the
    sentence starts there (the 0 is that gate's rounding: the cause)."""
    found = Finding(eqn.out, verb, eqn, notation(eqn), operands, index, raised=raised)
    cause = _underflow(f, eqn, values, index)
    if cause is None:
        return found
    made, made_operands, own = cause
    element_text = "" if own is None else f" at element {index_text(own)}"
    given = ", ".join(
        f"{_label(f, label)} = {number(value)}" for label, value in made_operands
    )
    underflow = (
        f"{_spelled(f, made)} underflowed to 0.0{element_text}: {given} at line "
        f"{made.line}"
    )
    result = {OVERFLOWED: "inf", INFINITE: "infinite", NAN: "NaN"}[verb]
    if isinstance(element, float) or hasattr(element, "dtype"):
        result = number(element) if element == element else "NaN"
    return replace(found, underflow=underflow, spelled=_spelled(f, eqn), result=result)


def _verb(element: Any, operands: tuple[tuple[str, Any], ...]) -> str:
    if is_nan(element):
        return NAN
    if any(is_zero(value) for _, value in operands):
        return INFINITE
    return OVERFLOWED


def _raised_verb(error: BaseException, eqn: Eqn, operands, gradient: bool) -> str:
    """The verb for what the python target raised at a gate instead of
    computing inf or NaN: what the same operation gives on floats that
    do not raise (NumPy's, JavaScript's)."""
    if isinstance(error, OverflowError):
        return OVERFLOWED
    zeros = [is_zero(value) for _, value in operands]
    if isinstance(error, ZeroDivisionError):
        # 0/0 is NaN; any other division by zero is infinite
        both = not gradient and len(eqn.args) > 1 and len(zeros) > 1 and all(zeros)
        return NAN if both else INFINITE
    return INFINITE if any(zeros) else NAN  # log(0) is -inf; log(-1), sqrt(-1) NaN


# -- the gradients ------------------------------------------------------


def _first_gradient(
    f: CompiledFunction,
    names: Names,
    values: dict[str, Any],
    gradients: dict[str, Any],
    data: frozenset[str],
    inputs: list[Any] | None = None,
    dout: Any = 1.0,
) -> Finding | None:
    """The first gradient in backward's order that is inf or NaN (every
    value being finite): the output's, then each gate's output's in
    reverse, then the inputs'. Each depends only on those before it, so
    the gate whose local gradient went wrong is one that reads the wire
    (given `inputs`, found as `_raising_line` finds it where several do)."""
    order = [eqn.out for eqn in reversed(f.gates.eqns)] + list(f.inputs)
    for wire in order:
        if wire in data or wire not in gradients:
            continue
        index = first_bad(gradients[wire])
        if index is False:
            continue
        readers = _readers(f, wire)
        if not readers:
            return None  # the upstream gradient itself, as given
        eqn, position = readers[0]
        if len(readers) > 1 and inputs is not None:
            k = _raising_line(f, names, inputs, dout, wire)
            if k is not None and 0 < k <= len(readers):
                eqn, position = readers[k - 1]
        grad = gradients[wire]
        return _gradient_finding(f, names, values, wire, (eqn, position), index, grad)
    return None


def _readers(f: CompiledFunction, wire: str) -> list[tuple[Eqn, int]]:
    """The (gate, argument position) pairs that send `wire` a gradient, in
    the order backward adds them up (codegen's plan)."""
    plan = plan_backward(f.gates, frozenset(_wires(f)), TARGETS[f._runs_as], True)
    readers = []
    for eqn, targets in plan.steps:
        for i in targets:
            if eqn.args[i].name == wire:
                readers.append((eqn, i))
    return readers


def _gradient_finding(
    f: CompiledFunction,
    names: Names,
    values: dict[str, Any],
    wire: str,
    reader: tuple[Eqn, int],
    index: tuple[int, ...] | None,
    gradient: Any,
    error: BaseException | None = None,
) -> Finding:
    """The finding for `wire`'s gradient, gone wrong (at `index`, or where
    the python target raised computing it, `error`) in the local gradient of
    `reader` (the gate, and the argument position of the wire there)."""
    eqn, position = reader
    target = TARGETS[f._runs_as]
    plan = plan_backward(f.gates, frozenset(_wires(f)), target, True)
    rule = fill(target.rules(eqn, plan.ranks)[position], names.placeholders(eqn))
    gate = GATES[eqn.gate]
    # The element's index is the wire's own where its gradient has the
    # wire's shape (the trace's do, but where a gradient is summed back).
    same = getattr(values.get(wire), "shape", None) == getattr(gradient, "shape", 0)
    operands = _operands(eqn, values, index, gate.elementwise and same)
    if error is not None:
        verb = _raised_verb(error, eqn, operands, gradient=True)
        raised = _said(error)
    else:
        verb, raised = _verb(at(gradient, index), operands), None
    return Finding(
        wire,
        verb,
        eqn,
        notation(eqn),
        operands,
        index,
        gradient=names.grad[wire],
        rule=rule,
        raised=raised,
    )


def _raising_line(f, names, inputs, dout, wire) -> int | None:
    """On NumPy, which gate's local gradient made `wire`'s go wrong, where
    several add up: the trace once more with NumPy's errors raised, and
    which of the lines adding to that gradient raised (the k-th)."""
    if not TARGETS[f._runs_as].broadcasts:
        return None
    import numpy as np

    try:
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            trace_function(f)(*inputs, dout)
    except FloatingPointError as error:
        stop = statement(trace_function(f), error)
        if stop is not None and stop[0] == names.grad[wire]:
            return stop[1]
    except (ArithmeticError, ValueError, IndexError):
        pass
    return None


# -- where the python target raised ---------------------------------------


def _stopped(f, names, function, error, data) -> Run:
    """The Run of a trace function that raised: the wires it had computed,
    from its frame, and the finding at the line that raised (or at one that
    went wrong silently before it: 1e200 * 1e200 is inf without a word)."""
    local = frame_locals(function, error)
    stop = statement(function, error)
    if stop is None:
        raise error
    wires = _wires(f)
    values = {w: local[names.value[w]] for w in wires if names.value[w] in local}
    by_value = {names.value[w]: w for w in wires}
    by_grad = {names.grad[w]: w for w in wires}
    assigned, count = stop
    finding = _first_value(f, values, wires)
    if assigned in by_value:  # a value's line: backward never began
        wire = by_value[assigned]
        if finding is None:
            eqn = next(e for e in f.gates.eqns if e.out == wire)
            operands = _operands(eqn, values, None, True)
            verb = _raised_verb(error, eqn, operands, gradient=False)
            result = -math.inf if verb == INFINITE and eqn.gate == "log" else None
            finding = _value_finding(
                f, eqn, verb, operands, values, None, result, raised=_said(error)
            )
        return Run(values, {}, finding, error, wire, False, data)
    wire = by_grad.get(assigned)
    readers = _readers(f, wire) if wire is not None else []
    if not readers:
        raise error
    reader = readers[min(count, len(readers)) - 1]
    # Backward walks the gates in reverse: the gradients complete so far
    # are those of the gate whose rule raised and of the wires made after it.
    after = {e.out for e in f.gates.eqns[f.gates.eqns.index(reader[0]) :]}
    after.add(f.output)
    gradients = {
        w: local[names.grad[w]] for w in wires if w in after and names.grad[w] in local
    }
    if finding is None:
        finding = _first_gradient(f, names, values, gradients, data)
    if finding is None:
        finding = _gradient_finding(f, names, values, wire, reader, None, None, error)
    return Run(values, gradients, finding, error, wire, True, data)


def _said(error: BaseException) -> str:
    return f"{type(error).__name__}: {words(error)}"


def _quiet(f: CompiledFunction):
    """On NumPy, no RuntimeWarning for a number that goes wrong: the
    finding says it, and which one."""
    if not TARGETS[f._runs_as].broadcasts:
        return nullcontext()
    import numpy as np

    return np.errstate(all="ignore")
