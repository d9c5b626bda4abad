"""Gate list -> the Python module with `forward` and `backward`.

The module is written in black's style directly (a 10,000-gate program
should not wait for a formatter); black itself runs only when a user's long
names push a line past black's limit, and the tests check that black leaves
every module unchanged.

`forward` is one gate per line. `backward` recomputes the forward values its
rules need, then walks the gates in reverse, one line per local gradient,
`+=` where a wire fans out, and only for gradients that reach a `wrt` input.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from typing import Collection

from . import naming
from .gates import GATES, fill
from .ir import Eqn, GateList, Wire

LINE_LENGTH = 88  # black's default
_ECHO_LINES = 20  # how much of the source the header quotes
_ECHO_WIDTH = 76


def identifiers(gates: GateList) -> dict[str, str]:
    """The generated code's identifier for each wire (see naming.py)."""
    wires = [*gates.inputs, *(eqn.out for eqn in gates.eqns)]
    return naming.python_names(wires, gates.source_names)


@dataclass(frozen=True)
class _Names:
    """The generated code's identifier for every wire and every gradient."""

    value: dict[str, str]
    grad: dict[str, str]

    @classmethod
    def of(cls, gates: GateList) -> _Names:
        value = identifiers(gates)
        return cls(value, naming.gradient_names(value, gates.output))

    def operand(self, operand) -> str:
        return self.value[operand.name] if isinstance(operand, Wire) else operand.text

    def placeholders(self, eqn: Eqn) -> dict[str, str]:
        gate = GATES[eqn.gate]
        values = {p: self.operand(a) for p, a in zip(gate.inputs, eqn.args)}
        values.update({p: c.text for p, c in zip(gate.params, eqn.params)})
        values["out"] = self.value[eqn.out]
        values["dout"] = self.grad[eqn.out]
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


def plan_backward(gates: GateList, wrt: Collection[str]) -> BackwardPlan:
    wrt = frozenset(wrt)
    reaches_wrt = {name: name in wrt for name in gates.inputs}
    for eqn in gates.eqns:
        reaches_wrt[eqn.out] = any(
            isinstance(a, Wire) and reaches_wrt[a.name] for a in eqn.args
        )
    has_gradient = {gates.output}
    steps = []
    needed: set[str] = set()
    for eqn in reversed(gates.eqns):
        if eqn.out not in has_gradient:
            continue
        gate = GATES[eqn.gate]
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
            used = gate.placeholders(gate.grads[i])
            if "out" in used:
                needed.add(eqn.out)
            for placeholder, arg in zip(gate.inputs, eqn.args):
                if placeholder in used and isinstance(arg, Wire):
                    needed.add(arg.name)
    # A needed value needs the values its own gate reads.
    for eqn in reversed(gates.eqns):
        if eqn.out in needed:
            needed.update(a.name for a in eqn.args if isinstance(a, Wire))
    return BackwardPlan(tuple(steps), frozenset(needed))


def generate(
    gates: GateList, *, wrt: Collection[str] | None = None, comments: bool = True
) -> str:
    """The standalone Python module for `gates`, as text."""
    wrt = frozenset(gates.inputs if wrt is None else wrt)
    names = _Names.of(gates)
    params = [names.value[i] for i in gates.inputs]
    backward_params = [*params, f"{naming.UPSTREAM_GRADIENT}=1.0"]
    grads = [names.grad[i] for i in gates.inputs if i in wrt]
    output = names.value[gates.output]

    forward_lines = {eqn.out: _forward_line(eqn, names) for eqn in gates.eqns}
    backward_lines = _backward_body(gates, wrt, names, forward_lines, comments)
    lines = []
    if comments:
        lines += _header(
            gates, ", ".join(params), ", ".join(backward_params), output, grads
        )
    if any("math." in line for line in [*forward_lines.values(), *backward_lines]):
        lines += ["import math", "", ""]
    elif lines:
        lines += ["", ""]
    lines += _def("forward", params)
    lines += _body([*forward_lines.values(), f"return {output}"])
    lines += ["", ""]
    lines += _def("backward", backward_params)
    lines += _body(backward_lines)
    lines += _return(grads)
    return "\n".join(lines) + "\n"


# Black's style, written directly. Signatures and the returned tuple are
# split the way black splits them; any other line that long names push past
# the limit is handed to black alone, so black's cost grows with the number
# of long lines, not with the size of the program.


def _def(name: str, params: list[str]) -> list[str]:
    one_line = f"def {name}({', '.join(params)}):"
    if len(one_line) <= LINE_LENGTH:
        return [one_line]
    if len(", ".join(params)) + 4 <= LINE_LENGTH:
        return [f"def {name}(", f"    {', '.join(params)}", "):"]
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
            lines += _black_statement(line)
    return lines


def _black_statement(line: str) -> list[str]:
    """One over-long statement of a function body, as black splits it."""
    import black

    formatted = black.format_str(f"def _():\n{line}\n", mode=black.Mode())
    return formatted.splitlines()[1:]


def _forward_line(eqn: Eqn, names: _Names) -> str:
    values = names.placeholders(eqn)
    return f"{values['out']} = {fill(GATES[eqn.gate].forward, values)}"


def _backward_body(
    gates: GateList,
    wrt: frozenset[str],
    names: _Names,
    forward_lines: dict[str, str],
    comments: bool,
) -> list[str]:
    """Recompute what the rules need, then one line per local gradient."""
    plan = plan_backward(gates, wrt)
    lines = []
    recompute = [eqn.out for eqn in gates.eqns if eqn.out in plan.needed]
    if recompute and comments:
        lines.append("# forward pass")
    lines += [forward_lines[out] for out in recompute]
    if plan.steps and comments:
        lines.append("# backward pass, in reverse")
    assigned: set[str] = set()
    for eqn, targets in plan.steps:
        gate = GATES[eqn.gate]
        values = names.placeholders(eqn)
        if comments:
            explanation = fill(gate.explain, values)
            lines += _comment(f"{forward_lines[eqn.out]}: {explanation}")
        for i in targets:
            grad = names.grad[eqn.args[i].name]
            op = "+=" if grad in assigned else "="
            assigned.add(grad)
            lines.append(f"{grad} {op} {fill(gate.grads[i], values)}")
    for name in gates.inputs:
        grad = names.grad[name]
        if name in wrt and grad not in assigned:
            if comments:
                lines.append(
                    f"# {names.value[name]} does not reach the output: its gradient is 0"
                )
            lines.append(f"{grad} = 0.0")
    return lines


def _comment(text: str) -> list[str]:
    """A comment of one line or, when too long, two: split after its ': '."""
    if len(text) + 6 <= LINE_LENGTH or ": " not in text:
        return [f"# {text}"]
    head, tail = text.split(": ", 1)
    lines = [f"# {head}:", f"# {tail}"]
    if max(map(len, lines)) + 4 <= LINE_LENGTH:
        return lines
    return _wrap(head + ":", indent=4) + _wrap(tail, indent=4)


def _wrap(text: str, indent: int) -> list[str]:
    width = LINE_LENGTH - indent - 2
    wrapped = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
    return [f"# {line}" for line in wrapped]


def _tuple(items: list[str]) -> str:
    if len(items) == 1:
        return f"({items[0]},)"
    return ", ".join(items) if items else "()"


def _header(gates, params, backward_params, output, grads) -> list[str]:
    filename = os.path.basename(gates.filename) if gates.filename != "<string>" else ""
    origin = f" from {_printable(filename)}" if filename else ""
    lines = [f"# Generated by hnncompile{origin}. Edit the source, not this file.", "#"]
    source_lines = gates.source.strip("\n").splitlines()
    for text in source_lines[:_ECHO_LINES]:
        text = _printable(text[: _ECHO_WIDTH + 1]).rstrip()
        if len(text) > _ECHO_WIDTH:
            text = text[: _ECHO_WIDTH - 3] + "..."
        lines.append(f"#     {text}".rstrip())
    if len(source_lines) > _ECHO_LINES:
        lines.append(f"#     ... ({len(source_lines) - _ECHO_LINES} more lines)")
    lines.append("#")
    lines += _wrap(f"forward({params}) returns {output}.", indent=0)
    lines += _wrap(
        f"backward({backward_params}) returns {_tuple(grads)}: the gradient of "
        f"{output} on each input, given dout, the gradient on {output}.",
        indent=0,
    )
    return lines


def _printable(text: str) -> str:
    """Text safe inside a comment: no character Python or black reads as a line break."""
    text = text.expandtabs(4)
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def generate_switches(gates: GateList) -> tuple[str, list[Eqn]]:
    """An internal module whose `switches(...)` returns, for every gate with a
    kink (relu, abs, max, min), the number whose sign picks its branch.

    The gradient checker evaluates it around a point to tell whether a kink
    lies within its step. It is not part of the user's module.
    """
    names = _Names.of(gates)
    kinked = [eqn for eqn in gates.eqns if GATES[eqn.gate].kink]
    params = ", ".join(names.value[i] for i in gates.inputs)
    lines = ["import math", f"def switches({params}):"]
    lines += [f"    {_forward_line(eqn, names)}" for eqn in gates.eqns]
    kinks = [fill(GATES[eqn.gate].kink, names.placeholders(eqn)) for eqn in kinked]
    lines.append(f"    return ({''.join(k + ', ' for k in kinks)})")
    return "\n".join(lines) + "\n", kinked
