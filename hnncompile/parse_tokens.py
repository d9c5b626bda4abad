"""The token stream between Lark's lexer and the parser: the post-lexer.

The grammar (grammar/hnn.lark) reads tokens; a few of them depend on what
is around them, and this module decides those:

- A newline inside parentheses or brackets is dropped, so a long call can
  span lines.
- `var`, `let` or `const` starting a statement and followed by a name is
  DECLARE; `def` starting a statement and followed by a name is DEF;
  `return` starting a statement inside a function's block (followed by
  anything but `=`) is RETURN. Anywhere else each is an ordinary name, so
  `var = 3` and `def = 2` are still programs.
- Indentation matters only in a function's block. After a line
  `def name(...):` the next line must be indented deeper than the `def`;
  the block is the lines at that indentation, and ends at the first line
  indented no deeper than the `def` (the next statement, or the end).
  The block is framed by _INDENT before its first statement and _DEDENT
  after its last one (before the newline that ends it), so it stands in the
  grammar as one statement among the others. Everywhere else leading
  whitespace is ignored, as it always was.
A line indented in a way that fits neither the block nor its `def` is
a `MistakeAt` at that line's first character.
"""

from __future__ import annotations

from typing import Iterator

from lark import Token

# Words a statement may start with, as in the tutorial's JavaScript.
DECLARATION_WORDS = ("var", "let", "const")
# A function's definition and the last line of its block.
DEFINE_WORD = "def"
RETURN_WORD = "return"
STARTING_WORDS = (*DECLARATION_WORDS, DEFINE_WORD, RETURN_WORD)

_OPENING = ("LPAR", "LSQB")
_CLOSING = ("RPAR", "RSQB")


class MistakeAt(Exception):
    """Raised while parsing; parse() turns it into a CompileError at the
    token's (or the node's) line and column."""

    def __init__(self, message: str, token) -> None:
        super().__init__(message)
        self.message = message
        self.token = token


class _Place:
    """A position with nothing else: where a line's first character is."""

    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column


def _describe(indent: str) -> str:
    if not indent:
        return "no indentation"
    kinds = {" ": "space", "\t": "tab", "\f": "form feed"}
    kind = kinds[indent[0]] if len(set(indent)) == 1 else "mixed whitespace"
    plural = "" if len(indent) == 1 or kind == "mixed whitespace" else "s"
    count = "" if kind == "mixed whitespace" else f"{len(indent)} "
    return f"{count}{kind}{plural}"


class _Blocks:
    """Where the lines are: at the top, or in a function's block."""

    def __init__(self) -> None:
        self.def_indent = ""  # the indentation of the current `def` line
        self.block_indent: str | None = None  # the block's, while in one
        self.header = False  # on a `def` line
        self.colon_last = False  # ... whose last token so far is ':'
        self.opening = False  # the line before was `def name(...):`
        self.function = ""  # the name of the function being defined
        self.indent = ""  # the indentation of the current line
        # Line 1's indentation is the lexer's (it ignores leading space), so
        # only its width is known: a def there takes its block's characters.
        self.exact = False
        self.def_exact = False

    def line_starts(self, indent: str, token: Token, place: _Place):
        """The tokens that go before `token`, the first of a new line."""
        self.indent = indent
        if self.opening:
            self.opening = False
            if not self.def_exact:
                self.def_indent = indent[: len(self.def_indent)]
            deeper = indent.startswith(self.def_indent) and len(indent) > len(
                self.def_indent
            )
            if not deeper:
                raise MistakeAt(
                    f"expected an indented block after 'def {self.function}(...):'"
                    ": indent its lines deeper than the def",
                    place,
                )
            self.block_indent = indent
            return (Token.new_borrow_pos("_INDENT", "", token),)
        if self.block_indent is None or indent == self.block_indent:
            return ()
        if indent.startswith(self.block_indent):
            raise MistakeAt(
                f"unexpected indent: the block of '{self.function}' is indented "
                f"with {_describe(self.block_indent)}, this line with "
                f"{_describe(indent)}",
                place,
            )
        if len(indent) <= len(self.def_indent) and self.block_indent.startswith(indent):
            self.block_indent = None  # the block is over
            return (Token.new_borrow_pos("_DEDENT", "", token),)
        raise MistakeAt(
            f"this line's indentation ({_describe(indent)}) is neither the "
            f"block's of '{self.function}' ({_describe(self.block_indent)}) nor "
            f"its def line's ({_describe(self.def_indent)})",
            place,
        )

    def defines(self, name: Token) -> None:
        """A `def` starts this line, defining `name`."""
        if self.block_indent is None:  # a def inside a block: the parser says
            self.header = True
            self.function = str(name)
            self.def_indent = self.indent
            self.def_exact = self.exact

    def saw(self, token: Token, depth: int) -> None:
        if self.header:
            self.colon_last = token.type == "COLON" and depth == 0

    def line_ends(self) -> None:
        # A comment or blank line after `def f(x):` ends a line too: the
        # block still opens at the next line that has code.
        self.opening = self.opening or (self.header and self.colon_last)
        self.header = self.colon_last = False

    def end(self, token: Token) -> tuple[Token, ...]:
        """At the end of the source: the last block closes."""
        if self.opening:  # `def f(x):` and nothing after it
            return ()  # the parser says a block was expected
        if self.block_indent is not None:
            return (Token.new_borrow_pos("_DEDENT", "", token),)
        return ()


def _word_type(word: Token, following: Token, in_block: bool) -> str:
    """What a word at a statement's start is, given the token after it."""
    if word in DECLARATION_WORDS:
        return "DECLARE" if following.type == "NAME" else "NAME"
    if word == DEFINE_WORD:
        return "DEF" if following.type == "NAME" else "NAME"
    assert word == RETURN_WORD
    if in_block:
        return "NAME" if following.type == "EQUAL" else "RETURN"
    # At the top, `return x` is a mistake the parser words; `return = 3`
    # and `return * 2` stay names.
    return "RETURN" if following.type in ("NAME", "NUMBER") else "NAME"


class PostLexer:
    """The adjustments of the module's docstring, for Lark and for the
    table driver alike (both run `process` on their token stream)."""

    always_accept = ("_NEWLINE",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        blocks = _Blocks()
        depth = 0
        at_statement_start = True
        first_line = True
        held: Token | None = None  # a starting word, until we see what follows
        newlines: list[Token] = []  # held until the next line's first token
        for token in stream:
            kind = token.type
            if kind == "_NEWLINE":
                if depth:
                    continue
                if held is not None:
                    yield held
                    held = None
                newlines.append(token)
                at_statement_start = True
                blocks.line_ends()
                continue
            if newlines or first_line:
                if first_line:
                    column = token.column or 1
                    indent, place = " " * (column - 1), _Place(1, 1)
                else:
                    last = newlines[-1]
                    indent = last[1:]
                    place = _Place(last.line + 1, len(indent) + 1)
                blocks.exact = not first_line
                first_line = False
                framing = blocks.line_starts(indent, token, place)
                if framing and framing[0].type == "_DEDENT":
                    yield from framing
                    yield from newlines
                else:
                    yield from newlines
                    yield from framing
                newlines = []
            if kind in _OPENING:
                depth += 1
            elif kind in _CLOSING:
                depth = max(0, depth - 1)
            if held is not None:
                held_type = _word_type(held, token, blocks.block_indent is not None)
                if held_type == "DEF":
                    blocks.defines(token)
                yield (
                    held
                    if held_type == "NAME"
                    else Token.new_borrow_pos(held_type, held, held)
                )
                held = None
            if at_statement_start and kind == "NAME" and token in STARTING_WORDS:
                held = token
                at_statement_start = False
                continue
            at_statement_start = kind == "SEMICOLON"
            blocks.saw(token, depth)
            yield token
        if held is not None:
            yield held
        end = newlines[-1] if newlines else Token("$END", "")
        yield from blocks.end(end)
        yield from newlines
