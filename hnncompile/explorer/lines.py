"""What each line of the generated JavaScript computes, for the explorer
page: the wire whose value or gradient a line assigns (the number written
beside it, `line_numbers`; the wire a click on it picks out, `code_wires`),
and the backward pass as the page steps through it gate by gate, each
chain-rule line matched to the backward plan and to the gate catalogue's
templates (`backward_steps`)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from .. import codegen
from ..gates import GATES, fill
from ..ir import Wire
from ..trace import notation

if TYPE_CHECKING:
    from ..compiled import CompiledFunction

_ASSIGNMENT = re.compile(r"^\s*(?:var\s+)?([A-Za-z_$][\w$]*)\s*\+?=")


def line_numbers(f: CompiledFunction, module: str) -> list[list]:
    """For each code line that assigns, [line index, wire, "value" or
    "gradient"], so the page can write the current number beside it.

    A gradient that adds up branches (`da += ...`) gets its number on its
    last line in each function only, where it is complete."""
    names = codegen.Names.of(f.gates)
    meaning = {ident: (wire, "value") for wire, ident in names.value.items()}
    meaning.update({ident: (wire, "gradient") for wire, ident in names.grad.items()})
    last_line = {}  # (function, identifier) -> the last line assigning it
    function = 0
    for i, line in enumerate(module.splitlines()):
        function += line.startswith("export function")
        match = _ASSIGNMENT.match(line)
        if match and match.group(1) in meaning:
            last_line[(function, match.group(1))] = i
    return sorted([i, *meaning[identifier]] for (_, identifier), i in last_line.items())


def code_wires(f: CompiledFunction, module: str) -> list[list]:
    """[line index, wire] for every line of code computing a wire's value
    or gradient (a statement wrapped over lines: each of them), so that
    clicking a line picks out its wire and the other way round."""
    names = codegen.Names.of(f.gates)
    wire_of = {ident: wire for wire, ident in names.value.items()}
    wire_of.update({ident: wire for wire, ident in names.grad.items()})
    found, wire = [], None
    for i, line in enumerate(module.splitlines()):
        match = _ASSIGNMENT.match(line)
        if match and line.startswith("  ") and not line.startswith("   "):
            wire = wire_of.get(match.group(1))
        elif not line.startswith("    "):  # not a continuation: a new statement
            wire = None
        if wire is not None:
            found.append([i, wire])
    return found


# A statement of the JavaScript backward, as the code generator writes it:
# at the function's indent, `var name = ...` or `name += ...`, the right side
# on the same line or, where the line is too long, on the lines below it
# (`var dmargin =` and then the expression, indented once more).
_JS_STATEMENT = re.compile(r"^  (?:var )?([A-Za-z_$][\w$]*) (\+?=)(?: |$)")
_REFERENCE = "\x00"  # marks a wire's place in a template, for the page's numbers


def backward_steps(f: CompiledFunction, lines: list[str]) -> tuple[list[dict], str]:
    """The backward pass as the page steps through it, gate by gate from the
    output back, and the JavaScript that computes each local gradient's
    contribution from the trace's numbers.

    From the backward plan (the gates in reverse order and the inputs each
    sends a gradient to) and the catalogue's JavaScript templates, each
    step holds the gate's index (its node `gate<i>` in the drawing), its
    first and last line in the code (comments included), and per input the
    chain-rule line: the gradient it adds to, `=` or `+=` (a wire that fans
    out), and the rule as pieces of text and [wire, "value"|"gradient",
    identifier] for the page to show in names and in numbers. The lines
    are matched to the plan in the order the code generator writes them."""
    plan = codegen.plan_backward(f.gates, f.wrt, codegen.TARGETS["js"])
    names = codegen.Names.of(f.gates)
    gate_index = {eqn.out: i for i, eqn in enumerate(f.gates.eqns)}
    steps, expressions, assigned = [], [], set()
    first = next(
        (
            i + 1
            for i, line in enumerate(lines)
            if line == "  // backward pass, in reverse"
        ),
        0,
    )
    statements = iter([s for s in _backward_statements(lines) if s[2] >= first])
    for eqn, targets in plan.steps:
        gate = GATES[eqn.gate]
        _, rules = gate.code("js")
        refs: list[list[str]] = []
        marked = _placeholders(eqn, lambda wire, kind: _mark(refs, wire, kind, names))
        reads = _placeholders(eqn, _read_from_trace)
        parts, last = [], first
        for i in targets:
            wire = eqn.args[i].name
            grad = names.grad[wire]
            operator = "+=" if grad in assigned else "="
            assigned.add(grad)
            identifier, written, _, last = next(statements)
            assert (identifier, written) == (grad, operator), (identifier, grad)
            parts.append(
                {
                    "to": wire,
                    "grad": grad,
                    "operator": operator,
                    "rule": _pieces(fill(rules[i], marked), refs),
                    "index": len(expressions),
                }
            )
            expressions.append(fill(rules[i], reads))
        steps.append(
            {
                "gate": gate_index[eqn.out],
                "out": eqn.out,
                "written": f"{eqn.out} = {notation(eqn)}",
                "lines": [first, last],
                "parts": parts,
            }
        )
        first = last + 1
    body = "".join(f"\n    {expression}," for expression in expressions)
    contributions = (
        "// Each chain-rule product of backward, in its order, from the trace's\n"
        "// values (v) and gradients (g): the templates of the gate catalogue.\n"
        f"function contributions(v, g) {{\n  return [{body}\n  ];\n}}"
    )
    return steps, contributions


def _backward_statements(lines: list[str]) -> list[tuple[str, str, int, int]]:
    """(identifier, operator, first line, last line) for each statement of
    the JavaScript backward that assigns a gradient, in order."""
    start = next(i for i, line in enumerate(lines) if "function backward(" in line)
    while not lines[start].endswith("{"):  # a signature one parameter a line
        start += 1
    found = []
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if line == "}" or line.startswith("  return"):
            break
        match = _JS_STATEMENT.match(line)
        if match:
            found.append((match.group(1), match.group(2), i, i))
        elif line.startswith("    ") and found and found[-1][3] == i - 1:
            identifier, operator, begin, _ = found[-1]  # a wrapped statement
            found[-1] = (identifier, operator, begin, i)
    return found


def _placeholders(eqn, operand) -> dict[str, str]:
    """A gate's template placeholders, each wire given by operand(wire,
    "value" or "gradient"); constants as the code writes them."""
    gate = GATES[eqn.gate]
    values = {
        p: operand(a.name, "value") if isinstance(a, Wire) else a.text
        for p, a in zip(gate.inputs, eqn.args)
    }
    values.update({p: c.text for p, c in zip(gate.params, eqn.params)})
    values["out"] = operand(eqn.out, "value")
    values["dout"] = operand(eqn.out, "gradient")
    return values


def _mark(refs: list[list[str]], wire: str, kind: str, names) -> str:
    identifier = (names.value if kind == "value" else names.grad)[wire]
    refs.append([wire, kind, identifier])
    return f"{_REFERENCE}{len(refs) - 1}{_REFERENCE}"


def _read_from_trace(wire: str, kind: str) -> str:
    return f"{'v' if kind == 'value' else 'g'}.get({json.dumps(wire)})"


def _pieces(marked: str, refs: list[list[str]]) -> list:
    """A filled template as text pieces and the references in it."""
    pieces = marked.split(_REFERENCE)
    return [
        piece if i % 2 == 0 else refs[int(piece)]
        for i, piece in enumerate(pieces)
        if piece or i % 2
    ]
