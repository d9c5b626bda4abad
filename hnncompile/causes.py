"""What caused a finding of the NaN detective (detective.py), and how
its sentence writes the gates.

A log of 0 is -inf, but where the 0 is what sigmoid(-800) rounds to, the
cause is the gate before: `underflow` finds an input of a gate that is an
exact 0 which the gate making it computed from non-zero finite numbers
(a gate never 0 there: exp, sigmoid, a product, ...). `spelled` writes a
gate as the source spells it, its temporaries written out
(log(sigmoid(margin)), not log(t4)), with Python's parentheses; `operands`
are a gate's inputs as the sentence shows them, the element an
elementwise gate reads where the output's went wrong.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .clues import Whole, at, first_bad, index_text, is_zero
from .gates import GATES, fill
from .ir import Const, Eqn, Wire

if TYPE_CHECKING:
    from .compiled import CompiledFunction


# The gates whose output is never 0 where their inputs are non-zero and
# finite: an exact 0 out of them is rounding (an underflow).
_NEVER_ZERO = frozenset(
    {"exp", "sigmoid", "softplus", "mul", "div", "square", "powc", "fracpow"}
    | {"cpow", "pow", "sqrt", "expm1", "softmax", "softmax_axis"}
)


def underflow(f: CompiledFunction, eqn: Eqn, values: dict[str, Any], index):
    """(the gate, its operands, the element) that made an input of `eqn` an
    exact 0 of non-zero finite numbers, or None."""
    producers = {e.out: e for e in f.gates.eqns}
    elementwise = GATES[eqn.gate].elementwise
    for arg in eqn.args:
        if not isinstance(arg, Wire) or arg.name not in values:
            continue
        made = producers.get(arg.name)
        if made is None or made.gate not in _NEVER_ZERO:
            continue
        value = values[arg.name]
        shape = getattr(value, "shape", ())
        if shape and (index is None or not elementwise or len(shape) > len(index)):
            continue  # read whole: which element, the sentence cannot say
        own = _own(shape, index) if shape else None
        if not is_zero(at(value, own)):
            continue
        if any(isinstance(a, Const) and a.value == 0 for a in made.args):
            continue  # 0 * x is 0 without rounding
        shown = operands(made, values, own, GATES[made.gate].elementwise)
        if shown and all(not is_zero(v) and first_bad(v) is False for _, v in shown):
            return made, shown, own
    return None


def spelled(f: CompiledFunction, eqn: Eqn, depth: int = 6) -> str:
    """A gate as the source spells it: a temporary's gates written out
    (log(sigmoid(margin)), not log(t4)), a few deep at most; a wire the user
    named, by its name (and this gate's own, `name = ...`)."""
    producers = {e.out: e for e in f.gates.eqns}
    names = f.gates.source_names

    def text(eqn: Eqn, depth: int) -> str:  # `depth` deep, no more
        gate = GATES[eqn.gate]
        outer = _precedence(gate.notation)
        values = {}
        for p, a in zip(gate.inputs, eqn.args):
            made = producers.get(a.name) if isinstance(a, Wire) else None
            if made is None or a.name in names or depth == 0:
                values[p] = a.name if isinstance(a, Wire) else a.text
                continue
            inner = _precedence(GATES[made.gate].notation)
            right = not gate.notation.startswith("{" + p + "}")
            bare = inner > outer or (inner == outer and not right) or outer == 9
            values[p] = text(made, depth - 1)
            if not bare:
                values[p] = f"({values[p]})"
        values.update({p: c.text for p, c in zip(gate.params, eqn.params)})
        return fill(gate.notation, values)

    head = f"{eqn.out} = " if eqn.out in names else ""
    return head + text(eqn, depth)


def _precedence(notation: str) -> float:
    """How tightly a gate's notation binds, as Python's operators do: a call
    (or a name) 9, `**` 3, a unary minus 2.5, `*` `/` `@` 2, `+` `-` 1."""
    if not notation.startswith(("{", "-")):
        return 9
    if notation.startswith("-"):
        return 2.5
    for operators, binding in ((" + ", " - "), 1), ((" * ", " / ", " @ "), 2):
        if any(operator in notation for operator in operators):
            return binding
    return 3 if "**" in notation else 9


def label(f: CompiledFunction, label: str) -> str:
    """An operand's label, a temporary's (t1, t1[0]) as the source spells it."""
    name, bracket, rest = label.partition("[")
    made = next((e for e in f.gates.eqns if e.out == name), None)
    if made is None or name in f.gates.source_names:
        return label
    text = spelled(f, made)
    if bracket:
        atomic = _precedence(GATES[made.gate].notation) == 9
        text = (text if atomic else f"({text})") + bracket + rest
    return text


def operands(
    eqn: Eqn, values: dict[str, Any], index, elementwise: bool
) -> tuple[tuple[str, Any], ...]:
    """The gate's wire inputs as the sentence shows them: each one's
    element where the output's `index` reads it (an elementwise gate), or
    the whole input."""
    shown = []
    for arg in eqn.args:
        if not isinstance(arg, Wire) or arg.name not in values:
            continue
        shown.append(_operand(arg.name, values[arg.name], index, elementwise))
    return tuple(dict(shown).items())  # an input read twice (x * x) is shown once


def _operand(name: str, value: Any, index, elementwise: bool) -> tuple[str, Any]:
    shape = getattr(value, "shape", ())
    if not shape:
        return name, value
    if index is None or not elementwise or len(shape) > len(index):
        return name, Whole(value)
    own = _own(shape, index)
    return f"{name}{index_text(own)}", value[own]


def _own(shape: tuple[int, ...], index: tuple[int, ...]) -> tuple[int, ...]:
    """The element broadcasting reads: an axis of size 1 is read at 0, and
    the leading axes the input lacks are not its own."""
    return tuple(
        0 if n == 1 else i for n, i in zip(shape, index[len(index) - len(shape) :])
    )
