"""The AST: what a program says, before it is split into gates.

Every node carries the 1-based line and column where it starts in the
source, so that later passes can point at it in a CompileError.

Trees can be 100,000 nodes deep (a long sum is a left-leaning chain), so no
code walks them recursively: see `walk_postorder` below, which every pass
uses instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Union


@dataclass(frozen=True, eq=False)
class Number:
    value: float
    text: str  # the literal as the user wrote it
    line: int
    column: int


@dataclass(frozen=True, eq=False)
class Name:
    id: str
    line: int
    column: int


@dataclass(frozen=True, eq=False)
class UnaryOp:
    op: str  # "-" or "+"
    operand: Expr
    line: int
    column: int


@dataclass(frozen=True, eq=False)
class BinOp:
    op: str  # "+", "-", "*", "/", "**" ("^" is stored as "**")
    left: Expr
    right: Expr
    line: int
    column: int


@dataclass(frozen=True, eq=False)
class Call:
    func: str  # without any "Math." prefix
    args: tuple[Expr, ...]
    line: int
    column: int


Expr = Union[Number, Name, UnaryOp, BinOp, Call]


@dataclass(frozen=True, eq=False)
class Statement:
    target: Name | None  # None for a bare expression
    value: Expr
    line: int
    column: int


@dataclass(frozen=True, eq=False)
class Program:
    statements: tuple[Statement, ...]
    filename: str
    source: str


def children(node: Expr) -> tuple[Expr, ...]:
    """The sub-expressions of `node`, left to right."""
    if isinstance(node, UnaryOp):
        return (node.operand,)
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def walk_postorder(root: Expr) -> Iterator[Expr]:
    """Yield every node under `root`, children before parents, left to right.

    An explicit stack instead of recursion: any depth works.
    """
    stack: list[tuple[Expr, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            yield node
            continue
        stack.append((node, True))
        for child in reversed(children(node)):
            stack.append((child, False))
