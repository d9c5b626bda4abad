"""The source's own text of a gate: what the stability pass quotes.

A rewrite's note says what the user wrote, `log(sigmoid(y*(w*x+b)))`, not
the gate list's `log(sigmoid(t3))`: a gate that is a call has its line and
column (those of its name), and from there the source's text runs to the
bracket that closes the call. The user's spacing is folded to one line,
and the user's keywords stay as written (`keepdim=True`, `dim=1`).
"""

from __future__ import annotations

import re

from .ir import Eqn, Operand, Wire


def bracketed(text: str) -> str:
    """`text` as the operand of a minus sign: `-(w*x+b)`, `-q`."""
    try:
        float(text)  # a number: -40, --2 as the code writes it
        return text
    except ValueError:
        return text if text.isidentifier() or _closed(text) else f"({text})"


def _closed(text: str) -> bool:
    """`text` is one call or one bracketed expression: `f(x)`, `(a+b)`."""
    start = text.find("(")
    if start < 0 or not text.endswith(")"):
        return False
    if start and not text[:start].replace(".", "_").isidentifier():
        return False
    return _closing(text, start) == len(text) - 1


def _closing(text: str, start: int) -> int:
    """The index of the bracket that closes the one at `start` (-1: none)."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] in "([":
            depth += 1
        elif text[index] in ")]":
            depth -= 1
            if depth == 0:
                return index
    return -1


# The 1 of log(1 + x) or log(x + 1), at either end of the log's argument.
_ONE = (re.compile(r"^1(\.0*)?\s*\+\s*"), re.compile(r"\s*\+\s*1(\.0*)?$"))
_ONE_MINUS = (re.compile(r"^1(\.0*)?\s*-\s*"),)
_NAMESPACES = frozenset({"np", "numpy", "torch", "Math", "math"})


class Spelling:
    """The source's own text of a gate that is a call: from its name (and
    namespace, `np.log`) to its closing bracket, found from the gate's line
    and column; None for an operator, a method (`x.log()`) or a gate with
    no place (the user's spacing and keywords are kept: `keepdim=True`)."""

    def __init__(self, source: str, producers: dict[str, Eqn]) -> None:
        self.source = source
        self.producers = producers
        self.starts = [0]
        for index, char in enumerate(source):
            if char == "\n":
                self.starts.append(index + 1)

    def call(self, eqn: Eqn) -> str | None:
        if eqn.line < 1 or eqn.line > len(self.starts):
            return None
        source = self.source
        at = self.starts[eqn.line - 1] + eqn.column - 1
        end = at
        while end < len(source) and (source[end].isalnum() or source[end] == "_"):
            end += 1
        if end == at or end >= len(source) or source[end] != "(":
            return None
        start = at
        if at and source[at - 1] == ".":  # np.log(...), or x.log(): a method
            start = at - 1
            while start and (source[start - 1].isalnum() or source[start - 1] == "_"):
                start -= 1
            if source[start : at - 1] not in _NAMESPACES:
                return None
        close = _closing(source, end)
        if close < 0:
            return None
        text = " ".join(source[start : close + 1].split())  # on one line
        return text.replace("( ", "(").replace(" )", ")")

    def operand(self, operand: Operand) -> str:
        """An operand as the source spells it: a call's text where a call
        made it, else its name (or number)."""
        if isinstance(operand, Wire) and operand.name in self.producers:
            spelled = self.call(self.producers[operand.name])
            if spelled is not None:
                return spelled
        return str(operand)

    def argument(
        self, root: Eqn, inner: tuple[Eqn, ...], operand: Operand, one: str | None
    ) -> str | None:
        """A rewritten operand as the source spells it, where it is the
        first argument of the pattern's innermost call (`y*(w*x+b)` of
        `sigmoid(y*(w*x+b))`), or, `one` being "+" or "-", the log's
        argument less its `1 +` (`a*x` of `log(1 + a*x)`) or `1 -`."""
        if one is not None:
            inside = self.first_argument(root)
            if inside is None:
                return None
            for one in _ONE if one == "+" else _ONE_MINUS:
                rest, found = one.subn("", inside, count=1)
                if found and rest:
                    return rest
            return None  # a 1 spelled otherwise (1e0): the wire's name
        for eqn in reversed(inner):
            if eqn.args and eqn.args[0] == operand:
                return self.first_argument(eqn)
        return None

    def first_argument(self, eqn: Eqn) -> str | None:
        """The text of a call's first argument, where the source spells it."""
        spelled = self.call(eqn)
        if spelled is None:
            return None
        inside = spelled[spelled.index("(") + 1 : -1]
        depth = 0
        for index, char in enumerate(inside):
            depth += 1 if char in "([" else -1 if char in ")]" else 0
            if char == "," and depth == 0:
                inside = inside[:index]
                break
        return inside.strip() or None
