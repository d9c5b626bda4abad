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

import dataclasses
from typing import Collection

from .. import naming
from ..errors import CompileError
from ..gates import GATES, fill
from ..gates.tangent import joined
from ..ir import Eqn, GateList, Wire
from .plan import Names, plan_backward
from .target import Target
from .text import _body, _comment, _def, _header, _return, _tuple, _wrap


def _refused(gates: GateList, eqn: Eqn, error: NotImplementedError) -> CompileError:
    """A CompileError at the gate whose rule the catalogue lacks ("the
    second derivative of softmax is not in the catalogue yet")."""
    return CompileError(
        str(error),
        line=eqn.line,
        column=eqn.column,
        filename=gates.filename,
        source=gates.source,
    )


def _tangent_rule(gates: GateList, eqn: Eqn, target: str, moving) -> str:
    """The catalogue's tangent of `eqn`'s output, given which inputs move."""
    try:
        return GATES[eqn.gate].tangent(target, moving)
    except NotImplementedError as error:
        raise _refused(gates, eqn, error) from None


def _second_rule(
    gates: GateList, eqn: Eqn, target: Target, i: int, moving, ranks: dict
) -> str:
    """The catalogue's part of the tangent of `eqn`'s gradient rule `i` that
    comes from its inputs moving ("" where it is zero). The matrix product
    has it for a matrix and for a vector other operand, picked as its rule
    is (NumpyTarget.rules): by the operand's axes where known, else at run
    time by `np.ndim`."""
    gate = GATES[eqn.gate]
    try:
        if not gate.vector_grads or not any(moving):
            return gate.second(target.name, i, moving)
        matrix = gate.second(target.name, i, moving)
        vector = gate.second(target.name, i, moving, vector=True)
    except NotImplementedError as error:
        raise _refused(gates, eqn, error) from None
    other, placeholder = eqn.args[1 - i], gate.inputs[1 - i]
    axes = 0 if not isinstance(other, Wire) else ranks.get(other.name)
    if axes == 1:
        return vector
    if axes is not None or matrix == vector:
        return matrix
    return f"({matrix}) if np.ndim({{{placeholder}}}) == 2 else ({vector})"


_MOVES = "its local gradient moves as its inputs do"


@dataclasses.dataclass
class _Tangents:
    """The identifiers of the tangents (`q_dot`, `dq_dot`) and which wires
    and gradients have one: those some input's tangent reaches."""

    names: Names
    dot: dict[str, str]  # an identifier (a wire's or a gradient's) -> its tangent
    moving: set[str]  # the wires with a tangent
    grads: set[str] = dataclasses.field(default_factory=set)  # gradients with one
    # hvp: how many gradients each gate sends, and the gates whose tangent
    # lines have their comment
    sent: dict[str, int] = dataclasses.field(default_factory=dict)
    explained: set[str] = dataclasses.field(default_factory=set)

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
        template = _tangent_rule(gates, eqn, target.name, flags)
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
    tangents.sent = {eqn.out: len(targets) for eqn, targets in plan.steps}
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
    second = _second_rule(gates, eqn, target, i, flags, plan.ranks)
    if second:
        terms.append(fill(second, values))
    if not terms:
        return []
    value = joined(terms)
    arg = eqn.args[i].name
    grad = names.grad[arg]
    grad_dot = tangents.dot[grad]
    lines = []
    if comments and eqn.out not in tangents.explained:  # once for the gate
        tangents.explained.add(eqn.out)
        whose = f"{grad}'s tangent" if tangents.sent[eqn.out] == 1 else "the tangents"
        if not second:
            why = f"the same rule on {values['dout_dot']}"
        elif not from_above:
            why = fill(gate.second_explain or _MOVES, values)
        else:
            why = (
                f"the same rule on {values['dout_dot']}; and "
                f"{fill(gate.second_explain or _MOVES, values)}"
            )
        lines += _comment(f"{whose}: {why}")
    first = grad not in tangents.grads
    tangents.grads.add(grad)
    if gate.scatter:
        return lines + target.scattered(grad_dot, gate, values, value, first)
    if (eqn.out, i) in plan.summed:
        value = target.summed_back(value, names.value[arg], plan.sums.get((eqn.out, i)))
    if first:
        return lines + [f"{grad_dot} = {value}"]
    return lines + [target.added(grad_dot, value)]
