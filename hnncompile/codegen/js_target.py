"""The js target: an ES module in the tutorial's JavaScript.

The lines are the ones every target writes (target.py), as JavaScript:
`var` and `;`, `//` comments, two-space indents, `Math.` for the math,
and backward returning an array. Lines are wrapped at 88 columns as
prettier wraps them: a long signature one parameter a line, a long
statement after its `=` and then after the operators that bind loosest.
The trace is a plain function returning two Maps, for the explorer page.

A JavaScript module cannot run in Python: the compiled object of a js
program runs the python target's module, which gives the same numbers.
"""

from __future__ import annotations

import json

from .. import naming
from ..ir import GateList
from .target import Target
from .text import LINE_LENGTH, _header


class JsTarget(Target):
    name = "js"
    prefix = "Math."
    runs_in_python = False

    def assemble(
        self,
        gates: GateList,
        comments: bool,
        params: list[str],
        output: str,
        grads: list[str],
        forward_lines: dict[str, str],
        backward_lines: list[str],
    ) -> str:
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

    def trace_function(
        self,
        gates: GateList,
        wires: list[str],
        params: list[str],
        body: list[str],
        value_of: dict[str, str],
        grad_of: dict[str, str],
    ) -> str:
        # Maps, not object literals: in a literal, a wire named `__proto__`
        # would set the object's prototype instead of holding its number.
        def entries(identifiers: dict[str, str]) -> str:
            pairs = ", ".join(f"[{json.dumps(w)}, {identifiers[w]}]" for w in wires)
            return f"new Map([{pairs}])"

        params = [*params, f"{naming.UPSTREAM_GRADIENT} = 1.0"]
        return "\n".join(
            [
                f"function trace({', '.join(params)}) {{",
                *(f"  {_javascript_statement(line)}" for line in body),
                f"  return [{entries(value_of)}, {entries(grad_of)}];",
                "}",
            ]
        )


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
