"""Forward mode: the generated `jvp` and `hvp` functions, as text.

`jvp(<inputs>, <tangents>)` is forward with, after each gate's line, the
line of its tangent: how fast the wire moves when every `wrt` input moves
at the speed its tangent gives (the tutorial's nudge, pushed forward
through the circuit). Only wires some tangent reaches get one; a tangent
is named after its wire (`q_dot`, naming.py), and its template is the
catalogue's (`Gate.tangent`).

`hvp(<inputs>, <v>)` is the forward mode of backward itself: forward with
its tangents, then backward's own lines (the planner of plan.py and the
statements of target.py, not a second copy of them), each followed by
the line of its tangent: the same rule on the tangent of the gradient
from above (`dq_dot = f * (1 - f) * df_dot + ...`) plus the catalogue's
second-derivative part, from the gate's inputs moving (`Gate.second`).
Where the array target sums a gradient back over broadcast axes, the
tangent is summed back the same way. The gradient on the output is 1 and
does not move: `dout_dot` is 0, and no line carries it.
"""

from __future__ import annotations

import ast
import dataclasses
from typing import Collection

from .. import naming
from ..errors import CompileError
from ..gates import GATES, Gate, fill
from ..ir import Eqn, GateList, Wire
from .plan import Names, plan_backward
from .target import Target
from .text import _body, _comment, _def, _header, _return, _tuple, _wrap


def _tangent_rule(gate: Gate, target: str, moving: tuple[bool, ...]) -> str:
    """The catalogue's tangent of `gate`'s output, given which inputs move."""
    if hasattr(gate, "tangent"):
        return gate.tangent(target, moving)
    # THROWAWAY until the catalogue's rules land: each rule times a nudge.
    rules = gate.code(target)[1]
    return " + ".join(
        f"({fill(rules[i], {**{p: '{' + p + '}' for p in gate.inputs + gate.params}, 'out': '{out}', 'dout': '{' + gate.inputs[i] + '_dot}'})})"
        for i, m in enumerate(moving)
        if m
    )


def _second_rule(gate: Gate, target: str, i: int, moving: tuple[bool, ...]) -> str:
    """The catalogue's part of the tangent of gradient rule `i` that comes
    from the gate's inputs moving ("" where it is zero)."""
    if hasattr(gate, "second"):
        return gate.second(target, i, moving)
    # THROWAWAY until the catalogue's rules land: a few gates, by hand.
    by_input = {
        "mul": ({1: "{y_dot} * {dout}"}, {0: "{x_dot} * {dout}"}),
        "sigmoid": ({0: "(1 - 2 * {out}) * {out_dot} * {dout}"},),
        "exp": ({0: "{out_dot} * {dout}"},),
        "log": ({0: "-{x_dot} / ({x} * {x}) * {dout}"},),
        "tanh": ({0: "-2 * {out} * {out_dot} * {dout}"},),
        "square": ({0: "2 * {x_dot} * {dout}"},),
        "div": (
            {1: "-{y_dot} / ({y} * {y}) * {dout}"},
            {
                0: "-{x_dot} / ({y} * {y}) * {dout}",
                1: "2 * {x} * {y_dot} / ({y} * {y} * {y}) * {dout}",
            },
        ),
    }
    if gate.name in (
        "add",
        "sub",
        "neg",
        "copy",
        "sum",
        "mean",
        "relu",
        "abs",
        "max",
        "min",
        "maxc",
        "minc",
    ):
        return ""
    if gate.name not in by_input:
        return None
    return " + ".join(t for j, t in by_input[gate.name][i].items() if moving[j])


def _second_words(gate: Gate, i: int, moving: tuple[bool, ...]) -> str:
    """Why the second-derivative part is what it is, for the comment."""
    words = getattr(gate, "second_explanation", None)
    if callable(words):
        return words(i, moving)
    return "its local gradient changes as its inputs move"


@dataclasses.dataclass
class _Tangents:
    """The identifiers of the tangents (`q_dot`, `dq_dot`) and which wires
    and gradients have one: those some input's tangent reaches."""

    names: Names
    dot: dict[str, str]  # an identifier (a wire's or a gradient's) -> its tangent
    moving: set[str]  # the wires with a tangent
    grads: set[str] = dataclasses.field(default_factory=set)  # gradients with one

    @classmethod
    def of(cls, gates: GateList, wrt: frozenset[str]) -> _Tangents:
        names = Names.of(gates)
        identifiers = [*names.value.values(), *names.grad.values()]
        taken = {*gates.source_names, *identifiers}
        dots = naming.tangent_names(identifiers, taken)
        moving = set(wrt - gates.data_wires())
        return cls(names, dots, moving)

    def flags(self, eqn: Eqn) -> tuple[bool, ...]:
        """Which of `eqn`'s inputs move."""
        return tuple(isinstance(a, Wire) and a.name in self.moving for a in eqn.args)

    def values(self, eqn: Eqn) -> dict[str, str]:
        """The gate's placeholders, with its inputs' and output's tangents."""
        values = dict(self.names.placeholders(eqn))  # a copy: shared
        gate = GATES[eqn.gate]
        for placeholder, arg in zip(gate.inputs, eqn.args):
            if isinstance(arg, Wire):
                values[f"{placeholder}_dot"] = self.dot[values[placeholder]]
        values["out_dot"] = self.dot[values["out"]]
        values["dout_dot"] = self.dot[values["dout"]]
        return values


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def forward_with_tangents(
    target: Target, gates: GateList, tangents: _Tangents, comments: bool
) -> list[str]:
    """Forward's lines, each followed by its tangent's line where a tangent
    reaches the gate; `tangents.moving` gains every wire that has one."""
    names, data = tangents.names, gates.data_wires()
    lines = []
    for eqn in gates.eqns:
        if comments and eqn.note:  # what the stability pass rewrote, and why
            lines += _comment(eqn.note)
        lines.append(target.forward_line(eqn, names))
        flags = tangents.flags(eqn)
        if not any(flags) or eqn.out in data:
            continue
        gate = GATES[eqn.gate]
        template = _tangent_rule(gate, target.name, flags)
        if not template:
            continue
        values = tangents.values(eqn)
        if comments:
            moved = [values[p] for p, m in zip(gate.inputs, flags) if m]
            written = f"{values['out']} = {fill(gate.notation, values)}"
            if len(moved) == 1:
                nudge = values[f"{gate.inputs[flags.index(True)]}_dot"]
                why = (
                    f"if {moved[0]} moves by {nudge}, {values['out']} moves by "
                    f"the local gradient times {nudge}"
                )
            else:
                why = (
                    f"{values['out']} moves by each local gradient times its "
                    "input's nudge, added up"
                )
            lines += _comment(f"{written}: {why}")
        lines.append(f"{values['out_dot']} = {fill(template, values)}")
        tangents.moving.add(eqn.out)
    return lines


def _origin(gates: GateList) -> list[str]:
    """The top of every module's header: where it comes from, the source."""
    lines = _header(gates, "", "", "", "")
    return lines[: len(lines) - lines[::-1].index("#")]


def _module(
    target: Target,
    gates: GateList,
    comments: bool,
    name: str,
    params: list[str],
    dots: list[str],
    body: list[str],
    returned: list[str],
    says: str,
) -> str:
    """A standalone module of one function, `name(*params, *dots)`."""
    if target.name == "js":
        return _js_module(gates, comments, name, [*params, *dots], body, returned, says)
    lines = []
    if comments:
        lines += _origin(gates) + _wrap(says, indent=0) + target.notes(gates)
    if any(target.prefix in line for line in body):
        lines += [target.import_line, "", ""]
    elif lines:
        lines += ["", ""]
    converted = target.converted_inputs(params, gates)
    just_dots = dataclasses.replace(gates, inputs=tuple(dots), data=frozenset())
    converted += target.converted_inputs(dots, just_dots)
    summed = target.broadcasts and any("unbroadcast(" in line for line in body)
    for helper in target.helpers(bool(converted), summed):
        lines += [helper, "", ""]
    lines += _def(name, [*params, *dots])
    lines += _body([*converted, *body])
    lines += _return(returned)
    return "\n".join(lines) + "\n"


def _js_module(
    gates: GateList,
    comments: bool,
    name: str,
    params: list[str],
    body: list[str],
    returned: list[str],
    says: str,
) -> str:
    """`_module` as an ES module: the js target's lines, wrapped as it
    wraps them, returning an array."""
    from .js_target import _javascript_lines, _javascript_signature

    lines = []
    if comments:
        origin = [f"//{line[1:]}" for line in _origin(gates)]
        lines += [*origin, *_wrap(says, indent=0, marker="//"), ""]
    lines += _javascript_signature(name, params)
    for line in body:
        lines += _javascript_lines(line)
    lines += [f"  return [{', '.join(returned)}];", "}"]
    return "\n".join(lines) + "\n"


def jvp_module(
    target: Target, gates: GateList, wrt: Collection[str], comments: bool = True
) -> str:
    """The module of `jvp(<inputs>, <a tangent per wrt input>)`, returning
    the value and its tangent (see the module's docstring)."""
    target.check(gates)
    chosen = frozenset(wrt)
    tangents = _Tangents.of(gates, chosen)
    names = tangents.names
    body = forward_with_tangents(target, gates, tangents, comments)
    output = names.value[gates.output]
    output_dot = tangents.dot[output]
    if gates.output not in tangents.moving:
        if comments:
            body.append(f"# {output} does not move with the inputs: its tangent is 0")
        body.append(f"{output_dot} = {fill(target.zero, {'x': output})}")
    params = [names.value[i] for i in gates.inputs]
    dots = [tangents.dot[names.value[i]] for i in gates.inputs if i in chosen]
    says = (
        f"jvp({', '.join([*params, *dots])}) returns {output}, {output_dot}: the "
        f"value and its tangent, how fast {output} moves when each input moves "
        "at the speed its _dot gives (the directional derivative)."
    )
    return _module(
        target, gates, comments, "jvp", params, dots, body, [output, output_dot], says
    )


def hvp_module(
    target: Target, gates: GateList, wrt: Collection[str], comments: bool = True
) -> str:
    """The module of `hvp(<inputs>, <v: a tangent per wrt input>)`,
    returning the Hessian times v, one entry per wrt input (see the
    module's docstring). A CompileError at a gate the catalogue has no
    second derivative for."""
    target.check(gates)
    chosen = frozenset(wrt)
    tangents = _Tangents.of(gates, chosen)
    names = tangents.names
    plan = plan_backward(gates, chosen, target)
    body = []
    if comments:
        body.append("# forward pass, each value with its tangent")
    body += forward_with_tangents(target, gates, tangents, comments)
    output = names.value[gates.output]
    if plan.steps:
        if comments:
            body.append(f"# the gradient of {output} on itself is 1, and does not move")
        body.append(f"{names.grad[gates.output]} = 1.0")

    def tangent_lines(eqn: Eqn, i: int) -> list[str]:
        return _gradient_tangent(target, gates, plan, tangents, eqn, i, comments)

    body += target.backward_body(
        gates,
        chosen,
        names,
        {},
        comments,
        plan=dataclasses.replace(plan, needed=frozenset()),  # forward is above
        then=tangent_lines,
    )
    returned = []
    for name in gates.inputs:
        if name not in chosen:
            continue
        grad_dot = tangents.dot[names.grad[name]]
        returned.append(grad_dot)
        if names.grad[name] not in tangents.grads:
            if comments:
                body.append(
                    f"# {names.grad[name]} does not move with v: its tangent is 0"
                )
            body.append(f"{grad_dot} = {fill(target.zero, {'x': names.value[name]})}")
    params = [names.value[i] for i in gates.inputs]
    dots = [tangents.dot[names.value[i]] for i in gates.inputs if i in chosen]
    grads = [names.grad[i] for i in gates.inputs if i in chosen]
    says = (
        f"hvp({', '.join([*params, *dots])}) returns {_tuple(returned)}: the "
        f"Hessian of {output} times the vector ({', '.join(dots)}), that is how "
        f"fast each gradient ({', '.join(grads)}) moves when the inputs move "
        "along it: the forward mode of backward."
    )
    return _module(target, gates, comments, "hvp", params, dots, body, returned, says)


def _gradient_tangent(
    target: Target,
    gates: GateList,
    plan,
    tangents: _Tangents,
    eqn: Eqn,
    i: int,
    comments: bool,
) -> list[str]:
    """The line of the tangent of the gradient `eqn` sends its input `i`
    (after backward's own line for it), or none where it does not move."""
    gate, names = GATES[eqn.gate], tangents.names
    values = tangents.values(eqn)
    flags = tangents.flags(eqn)
    rule = target.rules(eqn, plan.ranks)[i]
    from_above = values["dout"] in tangents.grads
    terms = []
    if from_above:  # the same rule, on the tangent of the gradient from above
        terms.append(fill(rule, {**values, "dout": values["dout_dot"]}))
    second = _second_rule(gate, target.name, i, flags) if any(flags) else ""
    if second is None:
        raise CompileError(
            f"the second derivative of {gate.title} is not in the catalogue yet",
            line=eqn.line,
            column=eqn.column,
            filename=gates.filename,
            source=gates.source,
        )
    if second:
        terms.append(fill(second, values))
    if not terms:
        return []
    value = " + ".join(_term(t) for t in terms) if len(terms) > 1 else terms[0]
    arg = eqn.args[i].name
    grad = names.grad[arg]
    grad_dot = tangents.dot[grad]
    lines = []
    if comments:
        if not second:
            why = f"the same rule on {values['dout_dot']}"
        elif not from_above:
            why = _second_words(gate, i, flags)
        else:
            why = (
                f"the same rule on {values['dout_dot']}, plus "
                f"{_second_words(gate, i, flags)}"
            )
        lines += _comment(f"{grad}'s tangent: {why}")
    first = grad not in tangents.grads
    tangents.grads.add(grad)
    if gate.scatter:
        return lines + target.scattered(grad_dot, gate, values, value, first)
    if (eqn.out, i) in plan.summed:
        value = target.summed_back(value, names.value[arg], plan.sums.get((eqn.out, i)))
    if first:
        return lines + [f"{grad_dot} = {value}"]
    return lines + [target.added(grad_dot, value)]


def _term(text: str) -> str:
    """`text` bracketed where `a + text` would read it otherwise: a
    conditional expression (`x if c else y`)."""
    try:
        body = ast.parse(text, mode="eval").body
    except SyntaxError:  # JavaScript: `c ? a : b`
        return f"({text})" if " ? " in text else text
    return f"({text})" if isinstance(body, (ast.IfExp, ast.Lambda)) else text
