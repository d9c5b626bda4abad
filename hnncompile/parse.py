"""Source text -> AST (syntax.Program), or a CompileError with a caret.

The grammar lives in grammar/hnn.lark. Lark's LALR parser calls the
`_BuildAST` methods as it reduces each rule, so the AST is built while
parsing, with no recursion however deep the program nests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .errors import CompileError
from .syntax import BinOp, Call, Expr, Name, Number, Program, Statement, UnaryOp

# Words a statement may start with, as in the tutorial's JavaScript.
DECLARATION_WORDS = ("var", "let", "const")
# The one namespace a function may be called through: Math.exp(x).
FUNCTION_NAMESPACE = "Math"


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

    - Newlines inside parentheses are dropped, so a long call can span lines.
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
            if token.type == "LPAR":
                depth += 1
            elif token.type == "RPAR":
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


class _MistakeAt(Exception):
    """Raised while parsing; parse() turns it into a CompileError."""

    def __init__(self, message: str, token: Token) -> None:
        super().__init__(message)
        self.message = message
        self.token = token


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
        value = float(token)
        if value == float("inf"):
            raise self._error(f"the number {token} is too large for a float", token)
        return Number(value, str(token), token.line, token.column)

    def name(self, children: list) -> Name:
        (token,) = children
        return Name(str(token), token.line, token.column)

    def args(self, children: list) -> tuple[Expr, ...]:
        return tuple(children)

    def call(self, children: list) -> Call:
        func, args = children
        return Call(str(func), args or (), func.line, func.column)

    def dotted_call(self, children: list) -> Call:
        namespace, func, args = children
        if str(namespace) != FUNCTION_NAMESPACE:
            raise self._error(
                f"unknown namespace '{namespace}': only '{FUNCTION_NAMESPACE}.' "
                f"may prefix a function, as in {FUNCTION_NAMESPACE}.exp(x)",
                namespace,
            )
        return self.call([func, args])


# What the user sees instead of Lark's terminal names.
_TOKEN_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "_NEWLINE": "end of line",
    "$END": "end of program",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*' or '/'",
    "POW_OP": "'**' or '^'",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "EQUAL": "'='",
    "SEMICOLON": "';'",
    "DOT": "'.'",
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
    if expected & {"NAME", "NUMBER"}:
        wanted = "an expression"
    else:
        words = ["an operator"] if expected & {"ADD_OP", "MUL_OP", "POW_OP"} else []
        words += [_TOKEN_WORDS[t] for t in ("RPAR", "EQUAL") if t in expected]
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


def parse(source: str, filename: str = "<string>") -> Program:
    """Parse a program's text into its AST, or raise CompileError."""
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    try:
        # The LALR parser calls _BuildAST on each reduction, so no parse
        # tree is built and nothing recurses.
        statements = _parser().parse(source)
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
