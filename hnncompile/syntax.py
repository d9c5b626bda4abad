"""The AST: what a program says, before it is split into gates.

Every node carries the 1-based line and column where it starts in the
source, so that later passes can point at it in a CompileError.

Nodes are built once, by the parser, and never changed afterwards. They
are plain dataclasses, not frozen ones: a frozen dataclass costs three
times as much to build, and a program has about one node per token.
Equality is identity (`eq=False`), so nodes can key dicts.

Trees can be 100,000 nodes deep (a long sum is a left-leaning chain), so no
code walks them recursively: see `walk_postorder` below, which every pass
uses instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Union


@dataclass(eq=False, slots=True)
class Number:
    value: float
    text: str  # the literal as the user wrote it
    line: int
    column: int


@dataclass(eq=False, slots=True)
class Name:
    id: str
    line: int
    column: int


@dataclass(eq=False, slots=True)
class UnaryOp:
    op: str  # "-" or "+"
    operand: Expr
    line: int
    column: int


@dataclass(eq=False, slots=True)
class BinOp:
    op: str  # "+", "-", "*", "/", "**" ("^" is stored as "**")
    left: Expr
    right: Expr
    line: int
    column: int


@dataclass(eq=False, slots=True)
class Call:
    func: str  # without any "Math." prefix
    args: tuple[Expr, ...]
    line: int
    column: int


Expr = Union[Number, Name, UnaryOp, BinOp, Call]


@dataclass(eq=False, slots=True)
class Statement:
    target: Name | None  # None for a bare expression
    value: Expr
    line: int
    column: int


@dataclass(eq=False, slots=True)
class Program:
    statements: tuple[Statement, ...]
    filename: str
    source: str


def children(node: Expr) -> tuple[Expr, ...]:
    """The sub-expressions of `node`, left to right."""
    kind = type(node)
    if kind is BinOp:
        return (node.left, node.right)
    if kind is UnaryOp:
        return (node.operand,)
    if kind is Call:
        return node.args
    return ()


def walk_postorder(root: Expr) -> Iterator[Expr]:
    """Yield every node under `root`, children before parents, left to right.

    An explicit stack instead of recursion: any depth works.
    """
    stack: list[tuple[Expr, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        below = () if children_done else children(node)
        if not below:  # a leaf, or a node whose children are done
            yield node
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(below))


# Binding strength of each kind of node, loosest first, for printing.
_SUM, _PRODUCT, _UNARY, _POWER, _ATOM = range(1, 6)
_BINARY_STRENGTH = {"+": _SUM, "-": _SUM, "*": _PRODUCT, "/": _PRODUCT, "**": _POWER}


def to_source(root: Expr) -> str:
    """Print an expression back as source, with only the parentheses it needs.

    parse(to_source(tree)) gives the same tree: the tests use it as a round
    trip. Iterative, like every walk over a tree.
    """
    printed: dict[Expr, tuple[str, int]] = {}
    for node in walk_postorder(root):
        if isinstance(node, Number):
            printed[node] = (node.text, _ATOM)
        elif isinstance(node, Name):
            printed[node] = (node.id, _ATOM)
        elif isinstance(node, Call):
            args = ", ".join(printed.pop(arg)[0] for arg in node.args)
            printed[node] = (f"{node.func}({args})", _ATOM)
        elif isinstance(node, UnaryOp):
            printed[node] = (
                node.op + _operand(printed.pop(node.operand), _UNARY),
                _UNARY,
            )
        else:
            strength = _BINARY_STRENGTH[node.op]
            if node.op == "**":  # right-associative; its base is an atom
                left = _operand(printed.pop(node.left), _ATOM)
                right = _operand(printed.pop(node.right), _UNARY)
            else:  # left-associative
                left = _operand(printed.pop(node.left), strength)
                right = _operand(printed.pop(node.right), strength + 1)
            printed[node] = (f"{left} {node.op} {right}", strength)
    return printed[root][0]


def _operand(printed: tuple[str, int], at_least: int) -> str:
    text, strength = printed
    return text if strength >= at_least else f"({text})"
