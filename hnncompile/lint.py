"""Warnings about a program that compiles but is probably not what was meant.

The tutorial's code pastes in as it is, and so do its backward lines
(`var da = b * dx`): they compile, as a forward pass with an input `dx`.
`lint` finds what gives that away:
  - a statement whose value never reaches the output;
  - an input named like the gradient of a wire the program assigns (`dx`
    where `x` is assigned);
  - a function (`def`) that nothing calls;
  - a function's parameter that its body never reads.
It reads the AST of a program that compiled, and changes nothing.
"""

from __future__ import annotations

from .errors import CompileWarning
from .naming import GRADIENT_PREFIX  # dx is the gradient of x, here as in the tutorial
from .syntax import (
    BinOp,
    Call,
    Expr,
    Name,
    Program,
    UnaryOp,
    children,
    walk_postorder,
)


def lint(program: Program, output: str) -> list[CompileWarning]:
    """The program's warnings, in source order; `output` is its output's name."""
    statements = program.statements
    names_in = [_names(s.value) for s in statements]
    found: list[tuple[int, int, str]] = []

    # Walk back from the last statement: a statement is live when a live
    # statement after it reads its name.
    live = {node.id for node in names_in[-1]}
    for statement, names in zip(statements[-2::-1], names_in[-2::-1]):
        if statement.target is None:
            # Where the expression starts (its node's own place is its
            # operator's, or its function name's).
            line, column = min(
                (n.line, n.column) for n in walk_postorder(statement.value)
            )
            found.append(
                (
                    line,
                    column,
                    f"this statement's value never reaches the output '{output}': "
                    "only the last statement is the output",
                )
            )
        elif statement.target.id in live:
            live.update(node.id for node in names)
        else:
            found.append(
                (
                    statement.line,
                    statement.column,
                    f"'{statement.target.id}' is computed but never reaches "
                    f"the output '{output}'",
                )
            )

    assigned = {s.target.id for s in statements if s.target is not None}
    seen: set[str] = set()
    for names in names_in:
        for node in names:
            name = node.id
            if name in seen or name in assigned:
                continue
            seen.add(name)
            wire = name[len(GRADIENT_PREFIX) :]
            if name.startswith(GRADIENT_PREFIX) and wire in assigned:
                found.append(
                    (
                        node.line,
                        node.column,
                        f"'{name}' looks like the gradient of '{wire}'; in "
                        "hnncompile write only the forward pass: the backward "
                        "pass is generated",
                    )
                )
    found += _uncalled(program)
    found += _unread_parameters(program)
    found.sort(key=lambda item: item[:2])
    return [
        CompileWarning(message, line=line, column=column, filename=program.filename)
        for line, column, message in found
    ]


def _names(root: Expr) -> list[Name]:
    """The names in an expression, left to right (the leaves of
    walk_postorder, without walking the operators)."""
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is Name:
            found.append(node)
        elif kind is BinOp:
            stack += (node.right, node.left)
        elif kind is UnaryOp:
            stack.append(node.operand)
        elif kind is Call and node.receiver is None and not node.keywords:
            stack.extend(reversed(node.args))
        else:  # the array target's nodes: x.T, x[0], x.sum(axis=1), ...
            stack.extend(reversed(children(node)))
    return found


def _uncalled(program: Program) -> list[tuple[int, int, str]]:
    """The functions no statement and no other function's body calls."""
    if not program.functions:
        return []
    roots = [s.value for s in program.statements]
    for function in program.functions:
        roots += [s.value for s in function.body] + [function.result.value]
    called = {
        node.func
        for root in roots
        for node in walk_postorder(root)
        if type(node) is Call and node.receiver is None and node.namespace is None
    }
    return [
        (f.line, f.column, f"the function '{f.name}' is defined but never called")
        for f in program.functions
        if f.name not in called
    ]


def _unread_parameters(program: Program) -> list[tuple[int, int, str]]:
    """The parameters a function's body never reads (`def g(x, y) = x*2`)."""
    found = []
    for function in program.functions:
        roots = [s.value for s in function.body] + [function.result.value]
        read = {
            node.id
            for root in roots
            for node in walk_postorder(root)
            if type(node) is Name
        }
        found += [
            (p.line, p.column, f"{function.name} never reads its parameter {p.id}")
            for p in function.params
            if p.id not in read
        ]
    return found
