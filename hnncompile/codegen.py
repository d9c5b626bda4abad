"""Gate list -> the module with `forward` and `backward`, as text.

The module is written in black's style directly (a 10,000-gate program
should not wait for a formatter), lines that long names push past black's
limit included: layout.py splits them as black would. The tests check that
black leaves every module unchanged.

`forward` is one gate per line. `backward` recomputes the forward values its
rules need, then walks the gates in reverse, one line per local gradient,
`+=` where a wire fans out, and only for gradients that reach a `wrt` input.

Three targets read the same gate catalogue: `python` (floats and `math`),
`numpy` (arrays that broadcast together, each function opening with
`floats(...)`, which takes lists as arrays and booleans and integers as
floats; see `Target` for what differs) and `js`, an ES module in the
tutorial's JavaScript: the same lines, written with `var` and `;` and
wrapped at the same 88 columns by `_javascript_module`.

Beside the readable module: `generate_value_and_grad`, the fast path
(forward expressions folded, copies like `dc = dt2` not written, the
catalogue's `fast_forward` forms such as `x * x`), `generate_trace` for the
study tools and `generate_switches` for the gradient checker.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Collection, Sequence

from . import layout, naming
from .gates import GATES, fill
from .ir import Eqn, GateList, Wire

LINE_LENGTH = layout.LINE_LENGTH  # black's default, the one layout.py splits at


@dataclass(frozen=True)
class Target:
    """What differs between the modules the code generator writes."""

    name: str
    import_line: str  # the one module the generated code imports...
    prefix: str  # ...and how its templates refer to it
    zero: str  # a gradient that is zero, as a template on the input {x}
    # `d += g` where a wire fans out. NumPy arrays can be shared between
    # gradients (`da = dout; db = dout`), so there it is `d = d + g`.
    in_place: bool
    # Inputs may be arrays of different shapes that broadcast together, so an
    # input's gradient is summed back to its own shape (`unbroadcast`).
    broadcasts: bool
    runs_in_python: bool = True  # else the compiled object runs the python target


TARGETS = {
    "python": Target("python", "import math", "math.", "0.0", True, False),
    "numpy": Target(
        "numpy",
        "import numpy as np",
        "np.",
        "0.0 * np.ones_like({x})",
        in_place=False,
        broadcasts=True,
    ),
    "js": Target("js", "", "Math.", "0.0", True, False, runs_in_python=False),
}

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
_ECHO_LINES = 20  # how much of the source the header quotes
_ECHO_WIDTH = 76


def identifiers(gates: GateList) -> dict[str, str]:
    """The generated code's identifier for each wire (see naming.py)."""
    wires = [*gates.inputs, *(eqn.out for eqn in gates.eqns)]
    return naming.python_names(wires, gates.source_names)


@dataclass(frozen=True)
class Names:
    """The generated code's identifier for every wire and every gradient
    (`Names.of(gates)`; the explorer page reads them too).

    Each gate's placeholders are worked out once, when first asked for (the
    forward line), and read again by its backward lines: do not change the
    dicts they return, nor `grad` once they are asked for (copy the object)."""

    value: dict[str, str]
    grad: dict[str, str]
    _placeholders: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, gates: GateList) -> Names:
        value = identifiers(gates)
        return cls(value, naming.gradient_names(value, gates.output))

    def operand(self, operand) -> str:
        return self.value[operand.name] if isinstance(operand, Wire) else operand.text

    def placeholders(self, eqn: Eqn) -> dict[str, str]:
        known = self._placeholders.get(eqn.out)
        if known is not None:
            return known
        gate = GATES[eqn.gate]
        values = {p: self.operand(a) for p, a in zip(gate.inputs, eqn.args)}
        values.update({p: c.text for p, c in zip(gate.params, eqn.params)})
        values["out"] = self.value[eqn.out]
        values["dout"] = self.grad[eqn.out]
        self._placeholders[eqn.out] = values
        return values


@dataclass(frozen=True)
class BackwardPlan:
    """Which local gradients backward computes, and which values it needs.

    `steps` lists, in reverse gate order, each gate with the positions of the
    inputs it sends a gradient to: those whose gradient reaches a `wrt`
    input. `needed` holds every forward value those rules read.
    """

    steps: tuple[tuple[Eqn, tuple[int, ...]], ...]
    needed: frozenset[str]
    read: frozenset[str]  # the values the rules themselves read (in `needed`)
    # Array target: the (gate output, argument position) pairs whose gradient
    # is summed back to the argument's shape; see `unbroadcast_points`.
    summed: frozenset[tuple[str, int]] = frozenset()
    # Array target: the output may be an array, and a scalar `dout` must be
    # given its shape (so that sums over broadcast axes count every element).
    spread_dout: bool = False


def plan_backward(
    gates: GateList, wrt: Collection[str], target: str = "python"
) -> BackwardPlan:
    wrt = frozenset(wrt)
    # `wrt` names inputs; the trace names every wire, so that a wire made
    # from constants alone (`q = 3`) still gets its gradient.
    reaches_wrt = {name: name in wrt for name in gates.inputs}
    for eqn in gates.eqns:
        reaches_wrt[eqn.out] = eqn.out in wrt or any(
            isinstance(a, Wire) and reaches_wrt[a.name] for a in eqn.args
        )
    has_gradient = {gates.output}
    steps = []
    needed: set[str] = set()
    for eqn in reversed(gates.eqns):
        if eqn.out not in has_gradient:
            continue
        gate = GATES[eqn.gate]
        _, rules = gate.code(target)
        targets = tuple(
            i
            for i, a in enumerate(eqn.args)
            if isinstance(a, Wire) and reaches_wrt[a.name]
        )
        if not targets:
            continue
        steps.append((eqn, targets))
        for i in targets:
            has_gradient.add(eqn.args[i].name)
            used = gate.placeholders(rules[i])
            if "out" in used:
                needed.add(eqn.out)
            for placeholder, arg in zip(gate.inputs, eqn.args):
                if placeholder in used and isinstance(arg, Wire):
                    needed.add(arg.name)
    spread_dout, summed = False, frozenset()
    if steps and TARGETS[target].broadcasts:
        sources = broadcast_sources(gates)
        spread_dout = bool(sources[gates.output])
        if spread_dout:
            needed.add(gates.output)  # for its shape
        summed = unbroadcast_points(gates, steps, sources)
        needed.update(_summed_wires(gates, summed))
    read = frozenset(needed)
    # A needed value needs the values its own gate reads.
    for eqn in reversed(gates.eqns):
        if eqn.out in needed:
            needed.update(a.name for a in eqn.args if isinstance(a, Wire))
    return BackwardPlan(
        tuple(steps), frozenset(needed), read, summed=summed, spread_dout=spread_dout
    )


def broadcast_sources(gates: GateList) -> dict[str, frozenset[str]]:
    """For each wire, the inputs whose shapes broadcast together into its
    shape on the array target (none: it is one number).

    Two wires with the same sources have the same shape. Where a gate's
    input has fewer sources than its output, that input may have been
    broadcast, and its gradient is summed back to its shape.
    """
    sources = {name: frozenset([name]) for name in gates.inputs}
    nothing: frozenset[str] = frozenset()
    for eqn in gates.eqns:
        result = nothing
        if not GATES[eqn.gate].reduces:
            for arg in eqn.args:
                if isinstance(arg, Wire) and not sources[arg.name] <= result:
                    result = result | sources[arg.name]
        sources[eqn.out] = result
    return sources


def unbroadcast_points(
    gates: GateList,
    steps: Sequence[tuple[Eqn, tuple[int, ...]]],
    sources: dict[str, frozenset[str]],
) -> frozenset[tuple[str, int]]:
    """Where the array target sums a gradient back to its wire's shape, as
    (gate output, argument position) pairs.

    A gradient may carry the broadcast axes of the gates downstream of its
    wire for a while: the rules multiply it by values that are constant
    along those axes, so summing over them can wait. It waits as a hand
    writer would, until one of three points: an input's gradient must have
    the input's shape; a wire that fans out adds contributions that may be
    broadcast differently; and a reduction (sum, mean) needs the gradient of
    its one-number output as one number.
    """
    reduced = {eqn.out for eqn in gates.eqns if GATES[eqn.gate].reduces}
    inputs = set(gates.inputs)
    uses = _contribution_counts(steps)
    # The inputs whose shapes each gradient's array has, as it is written.
    carried = {gates.output: sources[gates.output]}
    points = set()
    for eqn, targets in steps:
        for i in targets:
            wire = eqn.args[i].name
            if GATES[eqn.gate].reduces:  # its rule spreads one number over `wire`
                carried[wire] = sources[wire]
            elif carried[eqn.out] == sources[wire]:
                carried[wire] = sources[wire]
            elif wire in inputs or wire in reduced or uses[wire] > 1:
                points.add((eqn.out, i))
                carried[wire] = sources[wire]
            else:
                carried[wire] = carried[eqn.out]
    return frozenset(points)


def _summed_wires(gates: GateList, summed: Collection[tuple[str, int]]) -> set[str]:
    """The wires whose values `unbroadcast` reads for their shapes."""
    producers = {eqn.out: eqn for eqn in gates.eqns}
    return {producers[out].args[i].name for out, i in summed}


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
    only rename a gradient (see _backward_body)."""
    language = TARGETS[target]
    wrt = frozenset(gates.inputs if wrt is None else wrt)
    names = Names.of(gates)
    params = [names.value[i] for i in gates.inputs]
    backward_params = [*params, f"{naming.UPSTREAM_GRADIENT}=1.0"]
    grads = [names.grad[i] for i in gates.inputs if i in wrt]
    output = names.value[gates.output]

    forward_lines = {eqn.out: _forward_line(eqn, names, target) for eqn in gates.eqns}
    backward_lines = _backward_body(
        gates,
        wrt,
        names,
        forward_lines,
        comments,
        language,
        propagate_copies=propagate_copies,
    )
    if target == "js":
        return _javascript_module(
            gates, comments, params, output, grads, forward_lines, backward_lines
        )
    lines = []
    if comments:
        lines += _header(
            gates, ", ".join(params), ", ".join(backward_params), output, _tuple(grads)
        )
        if language.broadcasts:
            lines += _wrap(_ARRAYS_NOTE, indent=0)
    body = [*forward_lines.values(), *backward_lines]
    if any(language.prefix in line for line in body):
        lines += [language.import_line, "", ""]
    elif lines:
        lines += ["", ""]
    converted = _converted_inputs(language, params)
    if converted:
        lines += [FLOATS, "", ""]
    if any("unbroadcast(" in line for line in backward_lines):
        lines += [UNBROADCAST, "", ""]
    lines += _def("forward", params)
    lines += _body([*converted, *forward_lines.values(), f"return {output}"])
    lines += ["", ""]
    lines += _def("backward", backward_params)
    lines += _body([*converted, *backward_lines])
    lines += _return(grads)
    return "\n".join(lines) + "\n"


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
    language = TARGETS[target]
    wrt = frozenset(gates.inputs if wrt is None else wrt)
    names = Names.of(gates)
    plan = plan_backward(gates, wrt, target)
    forward_lines = _fused_forward_lines(gates, names, plan, target)
    returned: dict[str, str] = {}  # input -> the gradient returned for it
    body = _backward_body(
        gates,
        wrt,
        names,
        forward_lines,
        False,
        language,
        recompute_all=True,
        propagate_copies=True,
        plan=plan,
        returned=returned,
    )
    grads = [returned.get(i, names.grad[i]) for i in gates.inputs if i in wrt]
    output = names.value[gates.output]
    if language.broadcasts:
        body = _released_at_last_use(body, keep={output, *grads})
    params = [names.value[i] for i in gates.inputs]
    converted = _converted_inputs(language, params)
    params.append(f"{naming.UPSTREAM_GRADIENT}=1.0")
    lines = [language.import_line, "", ""]
    if converted:
        lines += [FLOATS, "", ""]
    if language.broadcasts:
        lines += [UNBROADCAST, "", ""]
    lines += _def("value_and_grad", params)
    lines += [f"    {line}" for line in [*converted, *body]]
    lines.append(f"    return {output}, ({_tuple(grads)})")
    return "\n".join(lines) + "\n"


def generate_trace(gates: GateList, target: str = "python") -> str:
    """A module with one function, `trace(*inputs, dout=1.0)`, returning two
    dicts keyed by the source's wire names: every wire's value, and every
    wire's gradient (0.0 where a wire does not reach the output). It backs
    `hnncompile.trace` and the drawings, and in JavaScript (two Maps in an
    array) the explorer page; learners read its results, not it."""
    language = TARGETS[target]
    names = Names.of(gates)
    forward_lines = {eqn.out: _forward_line(eqn, names, target) for eqn in gates.eqns}
    wires = [*gates.inputs, *(eqn.out for eqn in gates.eqns)]
    everything = frozenset(wires)
    body = _backward_body(
        gates, everything, names, forward_lines, False, language, recompute_all=True
    )
    assigned = {line.split(" ", 1)[0] for line in body} | {naming.UPSTREAM_GRADIENT}
    value_of = {wire: names.value[wire] for wire in wires}
    grad_of = {
        wire: names.grad[wire] if names.grad[wire] in assigned else "0.0"
        for wire in wires
    }
    params = [names.value[i] for i in gates.inputs]
    if target == "js":
        # Maps, not object literals: in a literal, a wire named `__proto__`
        # would set the object's prototype instead of holding its number.
        def entries(identifiers: dict[str, str]) -> str:
            pairs = ", ".join(f"[{json.dumps(w)}, {identifiers[w]}]" for w in wires)
            return f"new Map([{pairs}])"

        params.append(f"{naming.UPSTREAM_GRADIENT} = 1.0")
        return "\n".join(
            [
                f"function trace({', '.join(params)}) {{",
                *(f"  {_javascript_statement(line)}" for line in body),
                f"  return [{entries(value_of)}, {entries(grad_of)}];",
                "}",
            ]
        )
    converted = _converted_inputs(language, params)
    params.append(f"{naming.UPSTREAM_GRADIENT}=1.0")
    lines = [language.import_line]
    if converted:
        lines += [FLOATS]
    if language.broadcasts:  # the array target's gradients are summed back
        lines += [UNBROADCAST]
    lines += _def("trace", params)
    lines += [f"    {line}" for line in [*converted, *body]]

    def literal(identifiers: dict[str, str]) -> str:
        return "{" + ", ".join(f"{w!r}: {identifiers[w]}" for w in wires) + "}"

    lines.append(f"    return {literal(value_of)}, {literal(grad_of)}")
    return "\n".join(lines) + "\n"


_FUSED_DEPTH = 8  # Python's parser allows ~200 nested brackets; stay well below


def _converted_inputs(language: Target, params: list[str]) -> list[str]:
    """The array target's first lines: `a, x, b = floats(a, x, b)`, as many
    lines as the line length needs (none for the other targets, nor for a
    program without inputs)."""
    if not language.broadcasts:
        return []
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


def _fused_forward_lines(
    gates: GateList, names: Names, plan: BackwardPlan, target: str
) -> dict[str, str]:
    """Forward lines, each temporary used once (and read by no rule) folded
    into its user: `f = 1 / (1 + np.exp(-((a * x) + (b * y))))`."""
    uses: dict[str, int] = {}
    for eqn in gates.eqns:
        for arg in eqn.args:
            if isinstance(arg, Wire):
                uses[arg.name] = uses.get(arg.name, 0) + 1
    # A template that reads an input twice (sigmoid's two branches, the fast
    # `x * x`) would compute a folded expression twice: such an input keeps
    # its line.
    read_twice = set()
    for eqn in gates.eqns:
        forward, _ = GATES[eqn.gate].code(target, fast=True)
        for placeholder, arg in zip(GATES[eqn.gate].inputs, eqn.args):
            if isinstance(arg, Wire) and forward.count(f"{{{placeholder}}}") > 1:
                read_twice.add(arg.name)
    foldable = {
        eqn.out
        for eqn in gates.eqns
        if uses.get(eqn.out) == 1
        and eqn.out not in plan.read
        and eqn.out != gates.output
        and eqn.out not in read_twice
    }
    expressions: dict[str, tuple[str, int]] = {}  # folded wire -> (text, depth)
    lines = {}
    for eqn in gates.eqns:
        values = dict(names.placeholders(eqn))  # changed below: a copy
        forward, _ = GATES[eqn.gate].code(target, fast=True)
        depth = 0
        for placeholder, arg in zip(GATES[eqn.gate].inputs, eqn.args):
            if isinstance(arg, Wire) and arg.name in expressions:
                text, inner = expressions.pop(arg.name)
                values[placeholder] = f"({text})"
                depth = max(depth, inner + 1)
        text = fill(forward, values)
        if eqn.out in foldable and depth < _FUSED_DEPTH:
            expressions[eqn.out] = (text, depth)
        else:
            lines[eqn.out] = f"{values['out']} = {text}"
    return lines


def _released_at_last_use(body: list[str], keep: set[str]) -> list[str]:
    """`del` each local array after the line that last reads it, so that its
    memory is free for the next one."""
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


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# Black's style, written directly. Signatures and the returned tuple are
# split the way black splits them, and a statement that long names push past
# the limit the way black would (layout.py); black itself runs only on a
# statement of a shape layout.py does not know, which the code generator
# does not write today.


def _def(name: str, params: list[str]) -> list[str]:
    one_line = f"def {name}({', '.join(params)}):"
    if len(one_line) <= LINE_LENGTH:
        return [one_line]
    if len(params) > 1 and len(", ".join(params)) + 4 <= LINE_LENGTH:
        return [f"def {name}(", f"    {', '.join(params)}", "):"]
    # One parameter per line, each with its comma (black adds one after a
    # lone parameter too, and then keeps it: a magic trailing comma).
    return [f"def {name}(", *(f"    {p}," for p in params), "):"]


def _return(items: list[str]) -> list[str]:
    one_line = f"    return {_tuple(items)}"
    if len(one_line) <= LINE_LENGTH:
        return [one_line]
    return ["    return (", *(f"        {item}," for item in items), "    )"]


def _body(statements: list[str]) -> list[str]:
    lines = []
    for statement in statements:
        line = f"    {statement}"
        if len(line) <= LINE_LENGTH or statement.startswith("#"):
            lines.append(line)
        else:
            lines += layout.split(statement) or _black_statement(line)
    return lines


def _black_statement(line: str) -> list[str]:
    """One over-long statement of a function body, as black splits it."""
    import black

    formatted = black.format_str(f"def _():\n{line}\n", mode=black.Mode())
    return formatted.splitlines()[1:]


def _forward_line(eqn: Eqn, names: Names, target: str = "python") -> str:
    values = names.placeholders(eqn)
    forward, _ = GATES[eqn.gate].code(target)
    return f"{values['out']} = {fill(forward, values)}"


def _backward_body(
    gates: GateList,
    wrt: frozenset[str],
    names: Names,
    forward_lines: dict[str, str],
    comments: bool,
    language: Target,
    recompute_all: bool = False,
    propagate_copies: bool = False,
    plan: BackwardPlan | None = None,
    returned: dict[str, str] | None = None,
) -> list[str]:
    """Recompute what the rules need, then one line per local gradient.

    With `propagate_copies`, a gradient that a gate passes on unchanged to a
    wire with no other use (the add gate's `dt1 = dt2`) gets no line: the
    wire's gradient is the gate's own, under its name. Given `returned` as
    well (the fast path), inputs are such wires too: `returned` is filled
    with the name each input's gradient is returned under (`dc` is `dt2`).
    """
    if plan is None:
        plan = plan_backward(gates, wrt, language.name)
    if propagate_copies:  # it renames gradients as it goes: a fresh copy
        names = Names(names.value, dict(names.grad))
    contributions = _contribution_counts(plan.steps)
    lines = []
    if recompute_all:
        recompute = list(forward_lines)
    else:
        recompute = [eqn.out for eqn in gates.eqns if eqn.out in plan.needed]
    if recompute and comments:
        lines.append("# forward pass")
    lines += [forward_lines[out] for out in recompute]
    if plan.steps and comments:
        lines.append("# backward pass, in reverse")
    if plan.spread_dout:
        dout, out = names.grad[gates.output], names.value[gates.output]
        if comments:
            lines.append(f"# one number for {dout} means the same for every element")
        lines.append(f"{dout} = {dout} * np.ones_like({out})")
    assigned: set[str] = set()
    branched: set[str] = set()
    inputs = set(gates.inputs)
    for eqn, targets in plan.steps:
        gate = GATES[eqn.gate]
        _, rules = gate.code(language.name)
        values = names.placeholders(eqn)
        if propagate_copies:
            copied = [
                i
                for i in targets
                if rules[i] == "{dout}"
                and (returned is not None or eqn.args[i].name not in inputs)
                and contributions[eqn.args[i].name] == 1
                and (eqn.out, i) not in plan.summed
            ]
            for i in copied:
                names.grad[eqn.args[i].name] = values["dout"]
            targets = tuple(i for i in targets if i not in copied)
            if not targets:
                continue
        if comments:
            # The gate as the program writes it (`f = sigmoid(q)`), which
            # names its forward line more plainly than the line itself
            # (a two-branch form that cannot overflow, a test for NaN).
            explanation = fill(gate.explanation(targets), values)
            written = f"{values['out']} = {fill(gate.notation, values)}"
            lines += _comment(f"{written}: {explanation}")
        for i in targets:
            arg = eqn.args[i].name
            grad = names.grad[arg]
            contribution = fill(rules[i], values)
            if (eqn.out, i) in plan.summed:
                contribution = f"unbroadcast({contribution}, {names.value[arg]})"
            if grad not in assigned:
                lines.append(f"{grad} = {contribution}")
                assigned.add(grad)
                continue
            if comments and grad not in branched:
                branched.add(grad)
                lines += _comment(
                    f"{names.value[arg]} is used more than once: "
                    "the gradients from its branches add up"
                )
            if language.in_place:
                lines.append(f"{grad} += {contribution}")
            else:
                lines.append(f"{grad} = {grad} + {contribution}")
    if returned is not None:
        returned.update((name, names.grad[name]) for name in gates.inputs)
    for name in gates.inputs:
        grad = names.grad[name]
        if name in wrt and grad not in assigned and contributions.get(name) != 1:
            if comments:
                lines.append(
                    f"# {names.value[name]} does not reach the output: its gradient is 0"
                )
            lines.append(f"{grad} = {fill(language.zero, {'x': names.value[name]})}")
    return lines


def _javascript_module(
    gates: GateList,
    comments: bool,
    params: list[str],
    output: str,
    grads: list[str],
    forward_lines: dict[str, str],
    backward_lines: list[str],
) -> str:
    """The same lines as the Python module, as an ES module: `var` and `;`,
    `//` comments, two-space indents, and backward returning an array. Lines
    are wrapped at 88 columns as prettier wraps them: a long signature one
    parameter a line, a long statement after its `=` and then after the
    operators that bind loosest."""
    backward_params = [*params, f"{naming.UPSTREAM_GRADIENT} = 1.0"]
    lines = []
    if comments:
        returned = f"[{', '.join(grads)}]"  # an array, not a tuple
        lines += _header(
            gates,
            ", ".join(params),
            ", ".join(backward_params),
            output,
            returned,
            marker="//",
        )
        lines += [""]
    lines += _javascript_signature("forward", params)
    for line in forward_lines.values():
        lines += _javascript_lines(line)
    lines += [f"  return {output};", "}", ""]
    lines += _javascript_signature("backward", backward_params)
    for line in backward_lines:
        lines += _javascript_lines(line)
    returned_line = f"  return [{', '.join(grads)}];"
    if len(returned_line) <= LINE_LENGTH:
        lines.append(returned_line)
    else:
        lines += ["  return [", *(f"    {grad}," for grad in grads), "  ];"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _javascript_signature(name: str, params: list[str]) -> list[str]:
    one_line = f"export function {name}({', '.join(params)}) {{"
    if len(one_line) <= LINE_LENGTH or not params:
        return [one_line]
    return [f"export function {name}(", *(f"  {p}," for p in params), ") {"]


def _javascript_lines(statement: str) -> list[str]:
    """One body line as JavaScript, wrapped at the line length: after the
    `=`, then at the loosest operators outside brackets, each line ending
    with its operator (a ternary's `?` and `:` lead theirs, indented)."""
    line = f"  {_javascript_statement(statement)}"
    if len(line) <= LINE_LENGTH or statement.startswith("#"):
        return [line]
    name, operator, expression = statement.split(" ", 2)
    head = f"  var {name} =" if operator == "=" else f"  {name} {operator}"
    return [head, *_javascript_expression(f"{expression};", 4)]


# Operators outside brackets, loosest first; the generated code spaces
# every binary operator and no unary one.
_JS_LEVELS = (("?", ":"), ("<", ">", "<=", ">="), ("+", "-"), ("*", "/"))


def _javascript_expression(expression: str, indent: int) -> list[str]:
    if indent + len(expression) <= LINE_LENGTH:
        return [" " * indent + expression]
    words = expression.split(" ")
    top = []  # the positions of the words outside brackets
    depth = 0
    for i, word in enumerate(words):
        if depth == 0 and 0 < i < len(words) - 1:  # not a line's own operator
            top.append(i)
        depth += word.count("(") + word.count("[") - word.count(")") - word.count("]")
    for level in _JS_LEVELS:
        cuts = [i for i in top if words[i] in level]
        if not cuts:
            continue
        if level[0] == "?":
            return _javascript_ternary(words, cuts, indent)
        lines = []
        start = 0
        for cut in [*cuts, len(words)]:
            piece = " ".join(words[start:cut])
            if cut < len(words):
                piece += f" {words[cut]}"
            lines += _javascript_expression(piece, indent)
            start = cut + 1
        return lines
    return [" " * indent + expression]  # one name and what binds to it


def _javascript_ternary(words: list[str], cuts: list[int], indent: int) -> list[str]:
    """`test ? a : b` as prettier writes one too long for a line."""
    question = cuts[0]
    open_questions, colon = 0, question
    for i in cuts[1:]:
        if words[i] == "?":
            open_questions += 1
        elif open_questions:
            open_questions -= 1
        else:
            colon = i
            break
    test = " ".join(words[:question])
    then = " ".join(words[question:colon])
    otherwise = " ".join(words[colon:])
    return [
        *_javascript_expression(test, indent),
        *_javascript_expression(then, indent + 2),
        *_javascript_expression(otherwise, indent + 2),
    ]


def _javascript_statement(statement: str) -> str:
    """One body line as JavaScript. The lines are the code generator's own:
    a comment, `name = expression` (each name is assigned once) or
    `name += expression` (a fan-out adding up its branches)."""
    if statement.startswith("#"):
        return f"//{statement[1:]}"
    name, operator, expression = statement.split(" ", 2)
    if operator == "=":
        return f"var {name} = {expression};"
    return f"{name} {operator} {expression};"


def _contribution_counts(steps) -> dict[str, int]:
    """How many gradient contributions each wire receives."""
    counts: dict[str, int] = {}
    for eqn, targets in steps:
        for i in targets:
            counts[eqn.args[i].name] = counts.get(eqn.args[i].name, 0) + 1
    return counts


def _comment(text: str) -> list[str]:
    """A comment of one line or, when too long, two: split after its ': '."""
    if len(text) + 6 <= LINE_LENGTH or ": " not in text:
        return [f"# {text}"]
    head, tail = text.split(": ", 1)
    lines = [f"# {head}:", f"# {tail}"]
    if max(map(len, lines)) + 4 <= LINE_LENGTH:
        return lines
    return _wrap(head + ":", indent=4) + _wrap(tail, indent=4)


def _wrap(text: str, indent: int, marker: str = "#") -> list[str]:
    """Comment lines of at most the line length, filled word by word (as
    textwrap would, for these one-space texts, at a tenth of its cost: a
    large program has thousands of long comments); a word longer than a
    line gets a line of its own."""
    width = LINE_LENGTH - indent - len(marker) - 1
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return [f"{marker} {line}" for line in lines]


def _tuple(items: list[str]) -> str:
    if len(items) == 1:
        return f"({items[0]},)"
    return ", ".join(items) if items else "()"


_ARRAYS_NOTE = (
    "The inputs may be NumPy arrays of shapes that broadcast together, or "
    "numbers; each gradient has the shape of its own input. Lists and "
    "tuples are taken as arrays, booleans and integers as floats."
)


def _header(
    gates, params, backward_params, output, returned, marker: str = "#"
) -> list[str]:
    """The comment at the top of a module: where it comes from, the source,
    and what its functions take and return (`returned`: the gradients as
    the language writes them; `marker`: how it starts a comment)."""
    filename = os.path.basename(gates.filename) if gates.filename != "<string>" else ""
    origin = f" from {_printable(filename)}" if filename else ""
    # (a long file name wraps, like every other comment line)
    lines = _wrap(
        f"Generated by hnncompile{origin}. Edit the source, not this file.",
        indent=0,
        marker=marker,
    )
    lines.append("#")
    source_lines = gates.source.strip("\n").splitlines()
    for text in source_lines[:_ECHO_LINES]:
        text = _printable(text[: _ECHO_WIDTH + 1]).rstrip()
        if len(text) > _ECHO_WIDTH:
            text = text[: _ECHO_WIDTH - 3] + "..."
        lines.append(f"#     {text}".rstrip())
    if len(source_lines) > _ECHO_LINES:
        lines.append(f"#     ... ({len(source_lines) - _ECHO_LINES} more lines)")
    lines.append("#")
    lines += _wrap(f"forward({params}) returns {output}.", indent=0, marker=marker)
    lines += _wrap(
        f"backward({backward_params}) returns {returned}: the gradient of "
        f"{output} on each input, given dout, the gradient on {output}.",
        indent=0,
        marker=marker,
    )
    if marker != "#":
        lines = [marker + line[1:] if line.startswith("#") else line for line in lines]
    return lines


def _printable(text: str) -> str:
    """Text safe inside a comment: no character Python or black reads as a line break."""
    text = text.expandtabs(4)
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def generate_switches(gates: GateList, target: str = "python") -> tuple[str, list[Eqn]]:
    """An internal module whose `switches(...)` returns, for every gate with a
    kink (relu, abs, max, min), the number (on arrays, the array) whose sign
    picks its branch.

    The gradient checker evaluates it around a point to tell whether a kink
    lies within its step. It is not part of the user's module.
    """
    names = Names.of(gates)
    kinked = [eqn for eqn in gates.eqns if GATES[eqn.gate].kink]
    params = ", ".join(names.value[i] for i in gates.inputs)
    lines = [TARGETS[target].import_line, f"def switches({params}):"]
    lines += [f"    {_forward_line(eqn, names, target)}" for eqn in gates.eqns]
    kinks = [fill(GATES[eqn.gate].kink, names.placeholders(eqn)) for eqn in kinked]
    lines.append(f"    return ({''.join(k + ', ' for k in kinks)})")
    return "\n".join(lines) + "\n", kinked
