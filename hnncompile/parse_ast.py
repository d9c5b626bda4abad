"""The AST builder: one method per `-> alias` of the grammar.

The LALR parser (Lark's, or the table driver of parse_table.py) calls
these as it reduces each rule, so the AST (syntax.py) is built while
parsing, with no tree to walk afterwards. A mistake the grammar cannot
see (a number too long, a keyword given twice, a function's block with
no return) is a `MistakeAt`, which parse() turns into a CompileError.
"""

from __future__ import annotations

from lark import Transformer

from .parse_tokens import MistakeAt
from .syntax import (
    Attribute,
    BinOp,
    Call,
    Expr,
    FunctionDef,
    Keyword,
    Name,
    Number,
    Return,
    Slice,
    Statement,
    Subscript,
    Tuple,
    UnaryOp,
    Word,
    leftmost,
)

# The namespaces a function may be called through: Math.exp(x), as in the
# tutorial's JavaScript, and np.exp(x), numpy.exp(x), torch.tanh(h), as in
# NumPy and PyTorch code (the array target: see lower_arrays.py), F.softmax(x)
# and torch.nn.functional.cross_entropy(logits, Y) as in the lecture.
FUNCTION_NAMESPACE = "Math"
ARRAY_NAMESPACES = ("np", "numpy", "torch", "F", "torch.nn.functional")
NAMESPACES = (FUNCTION_NAMESPACE, *ARRAY_NAMESPACES)
# The words a keyword argument's value may be, and the keywords they may be
# the value of (everywhere else True and False are ordinary names).
TRUTH_WORDS = ("True", "False")
KEEPDIMS_WORDS = ("keepdims", "keepdim")
# The word for a new axis in a subscript (x[:, None]).
NEW_AXIS_WORD = "None"
# The longest number literal read, in digits: Python's own limit on turning
# digits into an int (sys.get_int_max_str_digits), which the generated code
# would otherwise meet with a plain ValueError and no position.
MAX_NUMBER_DIGITS = 4300


def _dotted(receiver: Expr) -> str | None:
    """`torch.nn.functional` as one dotted name (a namespace, perhaps), or
    None for a receiver that is not names and dots."""
    parts = []
    while type(receiver) is Attribute:
        parts.append(receiver.attr)
        receiver = receiver.value
    if type(receiver) is not Name:
        return None
    return ".".join([receiver.id, *reversed(parts)])


class BuildAST(Transformer):
    """One method per `-> alias` in the grammar; each builds one AST node."""

    def _error(self, message: str, token) -> MistakeAt:
        return MistakeAt(message, token)

    def start(self, items: list) -> tuple[Statement | FunctionDef, ...]:
        return tuple(items)

    def assign(self, children: list) -> Statement:
        target, value = children
        name = Name(str(target), target.line, target.column)
        return Statement(name, value, target.line, target.column)

    def declare(self, children: list) -> Statement:
        _word, target, value = children
        return self.assign([target, value])

    def bare(self, children: list) -> Statement:
        (value,) = children
        return Statement(None, value, value.line, value.column)

    def parameters(self, children: list) -> tuple[Name, ...]:
        params: list[Name] = []
        for token in children:
            if any(p.id == token for p in params):
                raise self._error(f"the parameter '{token}' is listed twice", token)
            params.append(Name(str(token), token.line, token.column))
        return tuple(params)

    def give_back(self, children: list) -> Return:
        word, value = children
        return Return(value, word.line, word.column)

    def define(self, children: list) -> FunctionDef:
        _word, name, params, value = children
        first = leftmost(value)
        result = Return(value, first.line, first.column)
        return FunctionDef(str(name), params or (), (), result, name.line, name.column)

    def define_block(self, children: list) -> FunctionDef:
        _word, name, params, _colon, lines = children
        *body, last = lines
        for line in lines:
            if type(line) is Return and line is not last:
                after = lines[lines.index(line) + 1]
                raise self._error(
                    f"this line comes after the return of '{name}', which ends "
                    "the function: the return is the block's last line",
                    _first_place(after),
                )
            if type(line) is Statement and line.target is None:
                raise self._error(
                    f"this value goes nowhere: in '{name}', name it (z = ...) "
                    "or return it (return ...)",
                    _first_place(line),
                )
        if type(last) is not Return:
            raise self._error(
                f"the block of '{name}' has no return: its last line is "
                "`return <expression>`, the function's value",
                name,
            )
        return FunctionDef(
            str(name), params or (), tuple(body), last, name.line, name.column, True
        )

    def body(self, children: list) -> list:
        return children

    def binop(self, children: list) -> BinOp:
        left, op, right = children
        symbol = "**" if str(op) == "^" else str(op)
        return BinOp(symbol, left, right, op.line, op.column)

    def unop(self, children: list) -> UnaryOp:
        op, operand = children
        return UnaryOp(str(op), operand, op.line, op.column)

    def number(self, children: list) -> Number:
        (token,) = children
        digits = len(token) > MAX_NUMBER_DIGITS and sum(ch.isdigit() for ch in token)
        if digits > MAX_NUMBER_DIGITS:
            raise self._error(
                f"this number has {digits} digits; hnncompile reads at most "
                f"{MAX_NUMBER_DIGITS} (write a long number with an exponent: 1e300)",
                token,
            )
        value = float(token)
        if value == float("inf"):
            raise self._error(f"the number {token} is too large for a float", token)
        return Number(value, str(token), token.line, token.column)

    def name(self, children: list) -> Name:
        (token,) = children
        return Name(str(token), token.line, token.column)

    def arguments(self, children: list) -> tuple[Expr, ...]:
        return tuple(children)

    def keyword(self, children: list) -> Keyword:
        name, value = children
        if (
            str(name) in KEEPDIMS_WORDS
            and type(value) is Name
            and value.id in TRUTH_WORDS
        ):
            value = Word(value.id, value.line, value.column)
        return Keyword(str(name), value, name.line, name.column)

    def _split(self, arguments) -> tuple[tuple[Expr, ...], tuple[Keyword, ...]]:
        """Positional arguments, then keyword ones, each keyword once."""
        arguments = arguments or ()
        positional = tuple(a for a in arguments if type(a) is not Keyword)
        keywords = tuple(a for a in arguments if type(a) is Keyword)
        if keywords and arguments[: len(positional)] != positional:
            late = next(
                a
                for a in arguments[arguments.index(keywords[0]) :]
                if type(a) is not Keyword
            )
            raise self._error(
                "a positional argument after a keyword argument: put the "
                "positional ones first, as in sum(x, axis=1)",
                leftmost(late),
            )
        seen: set[str] = set()
        for keyword in keywords:
            if keyword.name in seen:
                raise self._error(
                    f"the keyword '{keyword.name}' is given twice", keyword
                )
            seen.add(keyword.name)
        return positional, keywords

    def call(self, children: list) -> Call:
        func, arguments = children
        args, keywords = self._split(arguments)
        return Call(str(func), args, func.line, func.column, keywords)

    def method(self, children: list) -> Call:
        receiver, func, arguments = children
        args, keywords = self._split(arguments)
        namespace = _dotted(receiver)
        if namespace in NAMESPACES:
            # Math.exp(x), np.exp(x): a function through its namespace.
            return Call(
                str(func),
                args,
                func.line,
                func.column,
                keywords,
                namespace=namespace,
            )
        return Call(str(func), args, func.line, func.column, keywords, receiver)

    def attribute(self, children: list) -> Attribute:
        value, attr = children
        return Attribute(value, str(attr), attr.line, attr.column)

    def subscripts(self, children: list) -> tuple[Expr, ...]:
        return tuple(
            (
                Word(part.id, part.line, part.column)
                if type(part) is Name and part.id == NEW_AXIS_WORD
                else part
            )
            for part in children
        )

    def subscript(self, children: list) -> Subscript:
        value, bracket, index = children
        return Subscript(value, index, bracket.line, bracket.column)

    def slice(self, children: list) -> Slice:
        lower, colon, upper = children
        return Slice(lower, upper, colon.line, colon.column)

    def tuple(self, children: list) -> Tuple:
        first = leftmost(children[0])
        return Tuple(tuple(children), first.line, first.column)


def _first_place(line: Statement | Return):
    """Where a line of a block starts: its target's, its word's, or the
    leftmost node of its expression."""
    if type(line) is Statement and line.target is None:
        return leftmost(line.value)
    return line
