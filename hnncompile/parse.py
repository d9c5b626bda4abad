"""Source text -> AST (syntax.Program), or a CompileError with a caret.

The grammar lives in grammar/hnn.lark. Lark turns it into terminals and an
LALR table; `_TableDriver` runs that table in a tight loop and calls the
`_BuildAST` methods as it reduces each rule, so the AST is built while
parsing, with no recursion however deep the program nests. When the driver
meets a mistake it steps aside and Lark's own parser runs, so every syntax
error is Lark's, worded by `_describe_unexpected`.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Iterator

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.parsers.lalr_analysis import Shift

from .errors import CompileError
from .syntax import (
    Attribute,
    BinOp,
    Call,
    Expr,
    Keyword,
    Name,
    Number,
    Program,
    Slice,
    Statement,
    Subscript,
    Tuple,
    UnaryOp,
    Word,
    leftmost,
)

# Words a statement may start with, as in the tutorial's JavaScript.
DECLARATION_WORDS = ("var", "let", "const")
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
# A byte-order mark some editors put first in a UTF-8 file: not part of the
# program.
BYTE_ORDER_MARK = "\ufeff"


def _grammar_path() -> Path:
    """The grammar: inside the installed package, or at the top of a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (
        here / "grammar" / "hnn.lark",
        here.parent / "grammar" / "hnn.lark",
    ):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("hnncompile's grammar (grammar/hnn.lark) is missing")


class _PostLexer:
    """Two adjustments to the token stream before the parser sees it.

    - Newlines inside parentheses or brackets are dropped, so a long call
      can span lines.
    - `var`, `let` or `const` starting a statement and followed by a name
      becomes a DECLARE token; anywhere else it stays an ordinary name, so
      `var = 3` is still a program.
    """

    always_accept = ("_NEWLINE",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth = 0
        at_statement_start = True
        held: Token | None = None  # a declaration word, until we see what follows
        for token in stream:
            if token.type in _OPENING:
                depth += 1
            elif token.type in _CLOSING:
                depth = max(0, depth - 1)
            elif token.type == "_NEWLINE" and depth:
                continue
            if held is not None:
                yield (
                    Token.new_borrow_pos("DECLARE", held, held)
                    if token.type == "NAME"
                    else held
                )
                held = None
            if (
                at_statement_start
                and token.type == "NAME"
                and token in DECLARATION_WORDS
            ):
                held = token
                at_statement_start = False
                continue
            at_statement_start = token.type in ("_NEWLINE", "SEMICOLON")
            yield token
        if held is not None:
            yield held


_OPENING = ("LPAR", "LSQB")
_CLOSING = ("RPAR", "RSQB")


class _MistakeAt(Exception):
    """Raised while parsing; parse() turns it into a CompileError at the
    token's (or the node's) line and column."""

    def __init__(self, message: str, token) -> None:
        super().__init__(message)
        self.message = message
        self.token = token


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


class _BuildAST(Transformer):
    """One method per `-> alias` in the grammar; each builds one AST node."""

    def _error(self, message: str, token: Token) -> _MistakeAt:
        return _MistakeAt(message, token)

    def start(self, statements: list[Statement]) -> tuple[Statement, ...]:
        return tuple(statements)

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


# What the user sees instead of Lark's terminal names.
_TOKEN_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "_NEWLINE": "end of line",
    "$END": "end of program",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*', '/' or '@'",
    "POW_OP": "'**' or '^'",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "EQUAL": "'='",
    "SEMICOLON": "';'",
    "DOT": "'.'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COLON": "':'",
}


def _describe_unexpected(error: UnexpectedInput) -> str:
    if isinstance(error, UnexpectedCharacters):
        return f"unexpected character {error.char!r}"
    assert isinstance(error, UnexpectedToken)
    token = error.token
    if token.type == "$END":
        found = _TOKEN_WORDS["$END"]
    elif token.type in ("NAME", "NUMBER"):
        found = f"{token.type.lower()} '{token}'"
    else:
        found = _TOKEN_WORDS.get(token.type, repr(str(token)))
    expected = set(error.expected)
    if expected == {"NAME"}:  # after a `.`
        wanted = "a name"
    elif expected & {"NAME", "NUMBER"}:
        wanted = "an expression"
    else:
        words = ["an operator"] if expected & {"ADD_OP", "MUL_OP", "POW_OP"} else []
        words += [_TOKEN_WORDS[t] for t in ("RPAR", "RSQB", "EQUAL") if t in expected]
        if expected & {"_NEWLINE", "SEMICOLON", "$END"}:
            words.append("the end of the statement")
        wanted = (
            ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1]
            if words
            else ""
        )
    return f"unexpected {found}" + (f"; expected {wanted}" if wanted else "")


def _end_position(source: str) -> tuple[int, int]:
    """The line and column just past the last character of the source."""
    lines = source.split("\n")
    return len(lines), len(lines[-1]) + 1


_PARSER: Lark | None = None


def _parser() -> Lark:
    global _PARSER
    if _PARSER is None:
        _PARSER = Lark(
            _grammar_path().read_text(encoding="utf-8"),
            parser="lalr",
            lexer="basic",  # the post-lexer holds tokens back, so no contextual lexer
            postlex=_PostLexer(),
            maybe_placeholders=True,
            transformer=_BuildAST(),
        )
    return _PARSER


# The punctuation whose place a node takes: a subscript stands at its `[`, a
# slice at its `:` (a slice may have no bound to stand at). Every other
# punctuation token is shared, and no callback reads where it is.
_PLACED = ("LSQB", "COLON")


class _NotForTheFastPath(Exception):
    """The driver met something it does not parse; Lark will say what."""


class _TableDriver:
    """Lark's own terminals and LALR table, run by a loop made for them.

    Lark's general-purpose driver costs about twice this loop per token,
    and took a third of the compile time of a 10^4-gate program. The grammar,
    the table and the `_BuildAST` callbacks are Lark's, so both paths build
    the same AST; the driver only handles well-formed programs.
    """

    def __init__(self, lark: Lark) -> None:
        lexer = lark.parser.lexer.lexer  # the basic lexer behind the post-lexer
        self._ignored = lexer.ignore_types
        self._punctuation = {
            terminal.name: Token(terminal.name, terminal.pattern.value)
            for terminal in lexer.terminals
            if (terminal.pattern.type == "str" or terminal.name == "_NEWLINE")
            and terminal.name not in _PLACED
        }
        # One alternation in Lark's own order (priority, then longest first).
        self._scanner = re.compile(
            "|".join(
                f"(?P<{terminal.name}>{terminal.pattern.to_regexp()})"
                for terminal in lexer.terminals
            )
        )
        table_parser = lark.parser.parser.parser
        table = table_parser.parse_table
        self._start = table.start_states["start"]
        self._end = table.end_states["start"]
        # The table in plain dicts and tuples: a shift is the next state, a
        # reduction is (how many values it pops, its callback, the rule's
        # name), looked up by plain str so no Lark object is hashed per token.
        # A `?rule` of one symbol (`?sum: product`) passes its value up
        # unchanged: its callback is None and the loop only changes state.
        self._actions: dict[int, dict[str, int | tuple]] = {
            state: {
                str(symbol): (
                    target
                    if action is Shift
                    else (
                        len(target.expansion),
                        (
                            None
                            if _passes_through(target)
                            else table_parser.callbacks[target]
                        ),
                        str(target.origin.name),
                    )
                )
                for symbol, (action, target) in row.items()
            }
            for state, row in table.states.items()
        }

    def _tokens(self, source: str) -> Iterator[Token]:
        line, line_start, position = 1, 0, 0
        ignored = self._ignored
        punctuation = self._punctuation
        for match in self._scanner.finditer(source):
            start = match.start()
            if start != position:  # a character no terminal matches
                raise _NotForTheFastPath
            position = match.end()
            kind = match.lastgroup
            if kind in ignored:
                continue
            if kind in punctuation:
                # No callback reads where a bracket or separator is (Lark's
                # own run reports mistakes), so one token serves them all.
                yield punctuation[kind]
                if kind == "_NEWLINE":
                    line, line_start = line + 1, position
            else:
                yield Token(kind, match.group(), start, line, start - line_start + 1)
        if position != len(source):
            raise _NotForTheFastPath

    def parse(self, source: str) -> tuple[Statement, ...]:
        actions = self._actions
        state_stack = [self._start]
        value_stack: list = []
        tokens = _PostLexer().process(self._tokens(source))
        for token in itertools.chain(tokens, (Token("$END", ""),)):
            while True:
                action = actions[state_stack[-1]].get(token.type)
                if action is None:
                    raise _NotForTheFastPath
                if type(action) is int:  # shift
                    state_stack.append(action)
                    value_stack.append(token)
                    break
                size, callback, rule_name = action
                if callback is None:  # `?sum: product`: same value, new state
                    state_stack[-1] = actions[state_stack[-2]][rule_name]
                    continue
                if size:
                    children = value_stack[-size:]
                    del state_stack[-size:]
                    del value_stack[-size:]
                else:
                    children = []
                value_stack.append(callback(children))
                state_stack.append(actions[state_stack[-1]][rule_name])
                if state_stack[-1] == self._end:
                    return value_stack[-1]
        raise _NotForTheFastPath  # unreachable: $END always ends or fails


def _passes_through(rule) -> bool:
    """A `?rule` with one symbol and no alias: Lark hands its child up as is."""
    return rule.options.expand1 and len(rule.expansion) == 1 and rule.alias is None


_DRIVER: _TableDriver | None = None


def _driver() -> _TableDriver:
    global _DRIVER
    if _DRIVER is None:
        _DRIVER = _TableDriver(_parser())
    return _DRIVER


def normalize(source: str) -> str:
    """The text the grammar reads: lines end in "\\n", no byte-order mark."""
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    if source.startswith(BYTE_ORDER_MARK):
        source = source[len(BYTE_ORDER_MARK) :]
    return source


def parse(source: str, filename: str = "<string>") -> Program:
    """Parse a program's text into its AST, or raise CompileError."""
    source = normalize(source)
    try:
        # The LALR table calls _BuildAST on each reduction, so no parse
        # tree is built and nothing recurses.
        try:
            statements = _driver().parse(source)
        except _NotForTheFastPath:
            statements = _parser().parse(source)  # raises Lark's own error
    except _MistakeAt as mistake:
        raise CompileError(
            mistake.message,
            line=mistake.token.line,
            column=mistake.token.column,
            filename=filename,
            source=source,
        ) from None
    except UnexpectedInput as error:
        line, column = error.line, error.column
        if getattr(error, "token", None) is not None and error.token.type == "$END":
            line, column = _end_position(source.rstrip("\n"))
        raise CompileError(
            _describe_unexpected(error),
            line=max(line, 1),
            column=max(column, 1),
            filename=filename,
            source=source,
        ) from None
    if not statements:
        raise CompileError(
            "empty program: there is no statement to compile",
            line=1,
            column=1,
            filename=filename,
            source=source,
        )
    return Program(statements, filename, source)
