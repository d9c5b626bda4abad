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
    op: str  # "+", "-", "*", "/", "@", "**" ("^" is stored as "**")
    left: Expr
    right: Expr
    line: int
    column: int


@dataclass(eq=False, slots=True)
class Call:
    """`f(x)`, `Math.exp(x)` / `np.exp(x)` (a namespace), or a method
    `x.sum(1, keepdims=True)` (a receiver, here `x`). Its place is the
    function's or the method's name."""

    func: str  # the function's or method's name, without its prefix
    args: tuple[Expr, ...]  # the positional arguments
    line: int
    column: int
    keywords: tuple[Keyword, ...] = ()  # after the positional ones
    receiver: Expr | None = None  # x in x.sum(1)
    namespace: str | None = None  # "Math", "np", "numpy" or "torch"


@dataclass(eq=False, slots=True)
class Keyword:
    """`axis=1` in a call's arguments; its place is the keyword's."""

    name: str
    value: Expr
    line: int
    column: int


@dataclass(eq=False, slots=True)
class Attribute:
    """`x.T`, `x.shape`, `m.values`; its place is the attribute's name."""

    value: Expr
    attr: str
    line: int
    column: int


@dataclass(eq=False, slots=True)
class Subscript:
    """`x[1]`, `x[:, None]`, `C[X]`, `P[range(n), Y]`; its place is the `[`."""

    value: Expr
    index: tuple[Expr, ...]  # one per comma-separated part, Slices among them
    line: int
    column: int


@dataclass(eq=False, slots=True)
class Slice:
    """`1:3`, `:2`, `:` in a subscript; its place is the `:`."""

    lower: Expr | None
    upper: Expr | None
    line: int
    column: int


@dataclass(eq=False, slots=True)
class Tuple:
    """`(n, -1)`: the sizes of `reshape(x, (n, -1))`."""

    items: tuple[Expr, ...]
    line: int
    column: int


@dataclass(eq=False, slots=True)
class Word:
    """A word with a meaning of its own where it stands: `None` in a
    subscript (a new axis), `True` or `False` as the value of `keepdims=`
    or `keepdim=`. Anywhere else these words are ordinary names."""

    text: str
    line: int
    column: int


Expr = Union[
    Number,
    Name,
    UnaryOp,
    BinOp,
    Call,
    Keyword,
    Attribute,
    Subscript,
    Slice,
    Tuple,
    Word,
]


@dataclass(eq=False, slots=True)
class Statement:
    target: Name | None  # None for a bare expression
    value: Expr
    line: int
    column: int


@dataclass(eq=False, slots=True)
class Return:
    """`return expr`, the last line of a function's block (and, made by the
    parser, the `= expr` of a one-line function); its place is the word's
    (the expression's, for a one-line function)."""

    value: Expr
    line: int
    column: int


@dataclass(eq=False, slots=True)
class FunctionDef:
    """`def name(p1, p2) = expr`, or a block: `def name(p1, p2):` and
    indented statements ending in `return expr`. Its place is the name's."""

    name: str
    params: tuple[Name, ...]
    body: tuple[Statement, ...]  # the block's statements before its return
    result: Return
    line: int
    column: int
    block: bool = False  # written as a block (else on one line)


@dataclass(eq=False, slots=True)
class Program:
    statements: tuple[Statement, ...]  # the top level's, in order
    filename: str
    source: str
    functions: tuple[FunctionDef, ...] = ()  # in order of definition


def children(node: Expr) -> tuple[Expr, ...]:
    """The sub-expressions of `node`, left to right."""
    kind = type(node)
    if kind is BinOp:
        return (node.left, node.right)
    if kind is UnaryOp:
        return (node.operand,)
    if kind is Call:
        if node.receiver is None and not node.keywords:
            return node.args
        before = () if node.receiver is None else (node.receiver,)
        return before + node.args + node.keywords
    if kind is Attribute or kind is Keyword:
        return (node.value,)
    if kind is Subscript:
        return (node.value, *node.index)
    if kind is Slice:
        return tuple(bound for bound in (node.lower, node.upper) if bound is not None)
    if kind is Tuple:
        return node.items
    return ()


def leftmost(node: Expr) -> Expr:
    """The node where `node`'s text starts, for a position: an operator's
    node stands at its operator, a method call at its method's name."""
    while True:
        kind = type(node)
        if kind is BinOp:
            node = node.left
        elif kind is Attribute or kind is Subscript:
            node = node.value
        elif kind is Call and node.receiver is not None:
            node = node.receiver
        elif kind is Slice and node.lower is not None:
            node = node.lower
        else:
            return node


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
_BINARY_STRENGTH = {
    "+": _SUM,
    "-": _SUM,
    "*": _PRODUCT,
    "/": _PRODUCT,
    "@": _PRODUCT,
    "**": _POWER,
}


def to_source(root: Expr) -> str:
    """Print an expression back as source, with only the parentheses it needs.

    parse(to_source(tree)) gives the same tree: the tests use it as a round
    trip. Iterative, like every walk over a tree.
    """
    printed: dict[Expr, tuple[str, int]] = {}
    for node in walk_postorder(root):
        if isinstance(node, Number):
            printed[node] = (node.text, _ATOM)
        elif isinstance(node, (Name, Word)):
            printed[node] = (node.id if isinstance(node, Name) else node.text, _ATOM)
        elif isinstance(node, Call):
            if node.receiver is not None:
                prefix = _receiver(node.receiver, printed.pop(node.receiver)) + "."
            else:
                prefix = f"{node.namespace}." if node.namespace else ""
            args = [printed.pop(arg)[0] for arg in node.args + node.keywords]
            printed[node] = (f"{prefix}{node.func}({', '.join(args)})", _ATOM)
        elif isinstance(node, Keyword):
            printed[node] = (f"{node.name}={printed.pop(node.value)[0]}", _ATOM)
        elif isinstance(node, Attribute):
            value = _receiver(node.value, printed.pop(node.value))
            printed[node] = (f"{value}.{node.attr}", _ATOM)
        elif isinstance(node, Subscript):
            value = _receiver(node.value, printed.pop(node.value))
            index = ", ".join(printed.pop(part)[0] for part in node.index)
            printed[node] = (f"{value}[{index}]", _ATOM)
        elif isinstance(node, Slice):
            lower, upper = (
                "" if bound is None else printed.pop(bound)[0]
                for bound in (node.lower, node.upper)
            )
            printed[node] = (f"{lower}:{upper}", _ATOM)
        elif isinstance(node, Tuple):
            items = [printed.pop(item)[0] for item in node.items]
            text = items[0] + "," if len(items) == 1 else ", ".join(items)
            printed[node] = (f"({text})", _ATOM)
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


def _receiver(node: Expr, printed: tuple[str, int]) -> str:
    """What a trailer (`.T`, `.sum()`, `[0]`) follows: a number bracketed,
    since `3.T` would read as the number `3.` and a name."""
    if isinstance(node, Number):
        return f"({printed[0]})"
    return _operand(printed, _ATOM)


def _operand(printed: tuple[str, int], at_least: int) -> str:
    text, strength = printed
    return text if strength >= at_least else f"({text})"


def function_to_source(function: FunctionDef) -> str:
    """Print a function's definition back as source: one line, or a block
    indented by four spaces (`program_to_source` puts them in order)."""
    params = ", ".join(p.id for p in function.params)
    head = f"def {function.name}({params})"
    if not function.block:
        return f"{head} = {to_source(function.result.value)}"
    lines = [f"{head}:"]
    lines += [f"    {_statement_source(s)}" for s in function.body]
    lines.append(f"    return {to_source(function.result.value)}")
    return "\n".join(lines)


def _statement_source(statement: Statement) -> str:
    target = "" if statement.target is None else f"{statement.target.id} = "
    return target + to_source(statement.value)


def program_to_source(program: Program) -> str:
    """Print a whole program back as source, its functions and statements in
    the order the source has them: parse(program_to_source(p)) is p again."""
    items: list[tuple[int, int, str]] = [
        (s.line, s.column, _statement_source(s)) for s in program.statements
    ]
    items += [(f.line, f.column, function_to_source(f)) for f in program.functions]
    items.sort(key=lambda item: item[:2])
    return "\n".join(text for _, _, text in items)
