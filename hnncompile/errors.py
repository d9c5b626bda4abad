"""CompileError: the one exception a user's mistake in a program raises."""

from __future__ import annotations

# How much of a long source line the error message quotes on each side of
# the caret: a 100,000-character line should not become a 100,000-character
# message.
_QUOTE_WIDTH = 60


class CompileError(ValueError):
    """A mistake in an hnncompile program, with where it is.

    `line` and `column` are 1-based. `str(error)` reads

        neuron.hnn:2:5: unknown function 'expp' (did you mean 'exp'?) ...
            f = expp(q)
                ^
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
        self.message = message
        self.line = line
        self.column = column
        self.filename = filename
        super().__init__(_format(message, line, column, filename, source))


def _format(message: str, line: int, column: int, filename: str, source: str) -> str:
    lines = source.splitlines()
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
