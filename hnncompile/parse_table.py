"""The fast path of the parser: Lark's LALR table, run by a loop of ours.

`TableDriver` scans with Lark's own terminals, runs the post-lexer of
parse_tokens.py, and follows Lark's own table, calling the AST builder's
methods (parse_ast.py) as it reduces, so it builds the AST Lark's parser
would. It handles well-formed programs only: at the first token it cannot
take it raises `NotForTheFastPath`, and parse() lets Lark's own parser run
and word the mistake.
"""

from __future__ import annotations

import itertools
import re
from typing import Iterator

from lark import Lark, Token
from lark.parsers.lalr_analysis import Shift

from .parse_tokens import PostLexer
from .syntax import FunctionDef, Statement

# The punctuation whose place a node takes: a subscript stands at its `[`, a
# slice at its `:` (a slice may have no bound to stand at); and the newline,
# whose text is the next line's indentation and whose place is where the
# post-lexer points at a line indented wrong. Every other punctuation token
# is shared, and no callback reads where it is.
_PLACED = ("LSQB", "COLON", "_NEWLINE")


class NotForTheFastPath(Exception):
    """The driver met something it does not parse; Lark will say what."""


class TableDriver:
    """Lark's own terminals and LALR table, run by a loop made for them.

    Lark's general-purpose driver costs about twice this loop per token,
    and took a third of the compile time of a 10^4-gate program. The grammar,
    the table and the `BuildAST` callbacks are Lark's, so both paths build
    the same AST; the driver only handles well-formed programs.
    """

    def __init__(self, lark: Lark) -> None:
        lexer = lark.parser.lexer.lexer  # the basic lexer behind the post-lexer
        self._ignored = lexer.ignore_types
        self._punctuation = {
            terminal.name: Token(terminal.name, terminal.pattern.value)
            for terminal in lexer.terminals
            if terminal.pattern.type == "str" and terminal.name not in _PLACED
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
                raise NotForTheFastPath
            position = match.end()
            kind = match.lastgroup
            if kind in ignored:
                continue
            if kind in punctuation:
                # No callback reads where a bracket or separator is (Lark's
                # own run reports mistakes), so one token serves them all.
                yield punctuation[kind]
            else:
                yield Token(kind, match.group(), start, line, start - line_start + 1)
                if kind == "_NEWLINE":  # "\n" and the next line's indentation
                    line, line_start = line + 1, start + 1
        if position != len(source):
            raise NotForTheFastPath

    def parse(self, source: str) -> tuple[Statement | FunctionDef, ...]:
        actions = self._actions
        state_stack = [self._start]
        value_stack: list = []
        tokens = PostLexer().process(self._tokens(source))
        for token in itertools.chain(tokens, (Token("$END", ""),)):
            while True:
                action = actions[state_stack[-1]].get(token.type)
                if action is None:
                    raise NotForTheFastPath
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
        raise NotForTheFastPath  # unreachable: $END always ends or fails


def _passes_through(rule) -> bool:
    """A `?rule` with one symbol and no alias: Lark hands its child up as is."""
    return rule.options.expand1 and len(rule.expansion) == 1 and rule.alias is None
