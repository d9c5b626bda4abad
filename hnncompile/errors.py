"""CompileError: the one exception a user's mistake in a program raises."""

from __future__ import annotations

import re

# How much of a long source line the error message quotes on each side of
# the caret: a 100,000-character line should not become a 100,000-character
# message.
_QUOTE_WIDTH = 60
# How much of one long name or number a message repeats: a 10^6-character
# name is named by its first characters.
_TOKEN_WIDTH = 40
_LONG_TOKEN = re.compile(r"[\w.+-]{%d,}" % (_TOKEN_WIDTH + 4))


class CompileError(ValueError):
    """A mistake in an hnncompile program, with where it is.

    `line` and `column` are 1-based. `str(error)` reads

        neuron.hnn:2:5: unknown function 'expp' (did you mean 'exp'?) ...
            f = expp(q)
                ^

    It pickles and copies (a compile in a worker process raises it in the
    parent) with its message, position and quoted line.
    """

    def __init__(
        self,
        message: str,
        *,
        line: int,
        column: int,
        filename: str = "<string>",
        source: str = "",
    ) -> None:
        self.message = shorten_tokens(message)
        self.line = line
        self.column = column
        self.filename = filename
        super().__init__(_format(self.message, line, column, filename, source))

    def __reduce__(self):
        # BaseException pickles as cls(*args), which the keyword-only
        # position cannot pass: rebuild from the finished text instead.
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


def _rebuild(cls: type, text: str, state: dict) -> BaseException:
    """A CompileError or CompileWarning from its finished text and attributes."""
    error = cls.__new__(cls)
    BaseException.__init__(error, text)
    error.__dict__.update(state)
    return error


def shorten_tokens(message: str) -> str:
    """The message with every very long name or number cut to its start."""
    return _LONG_TOKEN.sub(lambda m: m.group()[:_TOKEN_WIDTH] + "...", message)


def source_lines(source: str) -> list[str]:
    """The source's lines as the grammar counts them: ended by "\\n" only
    (str.splitlines also splits on form feeds, \\x1c, \\u2028 and more)."""
    return source.split("\n")


def _format(message: str, line: int, column: int, filename: str, source: str) -> str:
    lines = source_lines(source) if source else []
    header = f"{filename}:{line}:{column}: {message}"
    if not 1 <= line <= len(lines):
        return header
    text = lines[line - 1]
    start = max(0, column - 1 - _QUOTE_WIDTH)
    end = column - 1 + _QUOTE_WIDTH
    quoted = (
        ("..." if start else "") + text[start:end] + ("..." if end < len(text) else "")
    )
    # Keep tabs under tabs so the caret lines up however the terminal shows them.
    before_caret = ("..." if start else "") + text[start : column - 1]
    pad = "".join(ch if ch == "\t" else " " for ch in before_caret)
    return f"{header}\n    {quoted}\n    {pad}^"


class CompileWarning(UserWarning):
    """Something in a program that compiles but is probably not meant:
    a statement whose value never reaches the output, or an input named
    like the gradient of a wire (backward lines pasted in).

    `str(warning)` reads `paste.hnn:1:5: 'x' is computed but never reaches
    the output 'db'`; `message`, `line`, `column` and `filename` hold the
    parts.
    """

    def __init__(
        self, message: str, *, line: int, column: int, filename: str = "<string>"
    ) -> None:
        self.message = shorten_tokens(message)
        self.line = line
        self.column = column
        self.filename = filename
        super().__init__(f"{filename}:{line}:{column}: {self.message}")

    def __reduce__(self):
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))
