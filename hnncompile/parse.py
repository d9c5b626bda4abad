"""Source text -> AST (syntax.Program), or a CompileError with a caret.

The grammar lives in grammar/hnn.lark. Lark turns it into terminals and an
LALR table; the table driver (parse_table.py) runs that table in a tight
loop, through the post-lexer (parse_tokens.py: declarations, `def` and
`return`, a block's indentation), and calls the AST builder's methods
(parse_ast.py) as it reduces each rule, so the AST is built while parsing,
with no recursion however deep the program nests. When the driver meets a
mistake it steps aside and Lark's own parser runs, so every syntax error
is Lark's, worded by `_describe_unexpected`.
"""

from __future__ import annotations

from pathlib import Path

from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .errors import CompileError
from .parse_ast import (  # noqa: F401  (the words lower_arrays.py reads here)
    ARRAY_NAMESPACES,
    FUNCTION_NAMESPACE,
    KEEPDIMS_WORDS,
    MAX_NUMBER_DIGITS,
    NAMESPACES,
    NEW_AXIS_WORD,
    TRUTH_WORDS,
    BuildAST,
)
from .parse_table import NotForTheFastPath as _NotForTheFastPath
from .parse_table import TableDriver
from .parse_tokens import DECLARATION_WORDS  # noqa: F401
from .parse_tokens import MistakeAt, PostLexer
from .syntax import FunctionDef, Program, Statement

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
    if token.type == "RETURN":
        return (
            "'return' outside a function: it is the last line of a function's "
            "block (def name(...): and the lines below it, indented)"
        )
    if token.type == "DEF":
        return (
            "a function inside a function's block: define each function at "
            "the top level, before the lines that call it"
        )
    if expected == {"NAME"}:  # after a `.`
        wanted = "a name"
    elif expected == {"LPAR"}:  # after `def name`
        wanted = "'(' and the function's parameters"
    elif expected == {"EQUAL", "COLON"}:  # after `def name(...)`
        wanted = "'=' and the function's value, or ':' and its block below"
    elif expected == {"_NEWLINE"} or "_INDENT" in expected:  # after the ':'
        wanted = "the end of the line: a function's block goes on the lines below its def, indented"
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
            postlex=PostLexer(),
            maybe_placeholders=True,
            transformer=BuildAST(),
        )
    return _PARSER


_DRIVER: TableDriver | None = None


def _driver() -> TableDriver:
    global _DRIVER
    if _DRIVER is None:
        _DRIVER = TableDriver(_parser())
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
        # The LALR table calls BuildAST on each reduction, so no parse
        # tree is built and nothing recurses.
        try:
            items = _driver().parse(source)
        except _NotForTheFastPath:
            items = _parser().parse(source)  # raises Lark's own error
    except MistakeAt as mistake:
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
    statements = tuple(item for item in items if type(item) is Statement)
    functions = tuple(item for item in items if type(item) is FunctionDef)
    if not statements:
        raise CompileError(
            (
                "no statement calls the functions: after the definitions, "
                "write the statements that compute the output"
                if functions
                else "empty program: there is no statement to compile"
            ),
            line=1,
            column=1,
            filename=filename,
            source=source,
        )
    return Program(statements, filename, source, functions)
