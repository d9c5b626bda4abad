"""Black's style, written directly: the text helpers every target shares.

Signatures and the returned tuple are split the way black splits them, a
statement that long names push past the limit the way black would
(layout.py; black itself runs only on a statement of a shape layout.py
does not know, which the code generator does not write today), comments
filled word by word, and the header at the top of every module.
"""

from __future__ import annotations

import os

from .. import layout

LINE_LENGTH = layout.LINE_LENGTH  # black's default, the one layout.py splits at
_ECHO_LINES = 20  # how much of the source the header quotes
_ECHO_WIDTH = 76


def _def(name: str, params: list[str]) -> list[str]:
    one_line = f"def {name}({', '.join(params)}):"
    if len(one_line) <= LINE_LENGTH:
        return [one_line]
    if len(params) > 1 and len(", ".join(params)) + 4 <= LINE_LENGTH:
        return [f"def {name}(", f"    {', '.join(params)}", "):"]
    # One parameter per line, each with its comma (black adds one after a
    # lone parameter too, and then keeps it: a magic trailing comma).
    return [f"def {name}(", *(f"    {p}," for p in params), "):"]


def _return(items: list[str]) -> list[str]:
    one_line = f"    return {_tuple(items)}"
    if len(one_line) <= LINE_LENGTH:
        return [one_line]
    return ["    return (", *(f"        {item}," for item in items), "    )"]


def _body(statements: list[str]) -> list[str]:
    lines = []
    for statement in statements:
        line = f"    {statement}"
        if len(line) <= LINE_LENGTH or statement.startswith("#"):
            lines.append(line)
        else:
            lines += layout.split(statement) or _black_statement(line)
    return lines


def _black_statement(line: str) -> list[str]:
    """One over-long statement of a function body, as black splits it."""
    import black

    formatted = black.format_str(f"def _():\n{line}\n", mode=black.Mode())
    return formatted.splitlines()[1:]


def _comment(text: str) -> list[str]:
    """A comment of one line or, when too long, two: split after its ': '."""
    if len(text) + 6 <= LINE_LENGTH or ": " not in text:
        return [f"# {text}"]
    head, tail = text.split(": ", 1)
    lines = [f"# {head}:", f"# {tail}"]
    if max(map(len, lines)) + 4 <= LINE_LENGTH:
        return lines
    return _wrap(head + ":", indent=4) + _wrap(tail, indent=4)


def _said(text: str, indent: int = 4) -> list[str]:
    """A note or a why over forward's line of a gate (comments.noted): as
    `_comment`, split after its ': ' where that is enough, else filled so
    that no line ends inside brackets where another place will do, and the
    last line is never one short word."""
    if len(text) + indent + 2 <= LINE_LENGTH or ": " not in text:
        if len(text) + indent + 2 <= LINE_LENGTH:
            return [f"# {text}"]
        return _filled(text, indent)
    head, tail = text.split(": ", 1)
    lines = [f"# {head}:", f"# {tail}"]
    if max(map(len, lines)) + indent <= LINE_LENGTH:
        return lines
    return _filled(head + ":", indent) + _filled(tail, indent)


_SHORT = 16  # a last line shorter than this, of one word, reads as left over


def _filled(text: str, indent: int) -> list[str]:
    """`text` filled word by word (see `_said`)."""
    width = LINE_LENGTH - indent - 2
    words = text.split()
    depths = []  # the bracket depth after each word
    depth = 0
    for word in words:
        depth += word.count("(") + word.count("[") - word.count(")") - word.count("]")
        depths.append(depth)
    lines: list[list[int]] = [[]]  # word indices, per line
    length = 0
    for i, word in enumerate(words):
        line = lines[-1]
        if line and length + 1 + len(word) > width:
            # the last place on this line outside brackets, if not too early
            outside = [k for k in range(len(line) - 1) if depths[line[k]] == 0]
            cut = outside[-1] + 1 if outside else len(line)
            if sum(len(words[k]) + 1 for k in line[:cut]) < width // 2:
                cut = len(line)
            lines[-1], carried = line[:cut], line[cut:]
            lines.append(carried)
            length = sum(len(words[k]) for k in carried) + len(carried) - 1
        line = lines[-1]
        length = length + 1 + len(word) if line else len(word)
        line.append(i)
    last = lines[-1]
    while (
        len(lines) > 1
        and len(last) == 1
        and len(words[last[0]]) < _SHORT
        and len(lines[-2]) > 1
    ):
        last.insert(0, lines[-2].pop())
    return [f"# {' '.join(words[k] for k in line)}" for line in lines]


def _wrap(text: str, indent: int, marker: str = "#") -> list[str]:
    """Comment lines of at most the line length, filled word by word (as
    textwrap would, for these one-space texts, at a tenth of its cost: a
    large program has thousands of long comments); a word longer than a
    line gets a line of its own."""
    width = LINE_LENGTH - indent - len(marker) - 1
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return [f"{marker} {line}" for line in lines]


def _tuple(items: list[str]) -> str:
    if len(items) == 1:
        return f"({items[0]},)"
    return ", ".join(items) if items else "()"


def _header(
    gates, params, backward_params, output, returned, marker: str = "#"
) -> list[str]:
    """The comment at the top of a module: where it comes from, the source,
    and what its functions take and return (`returned`: the gradients as
    the language writes them; `marker`: how it starts a comment)."""
    filename = os.path.basename(gates.filename) if gates.filename != "<string>" else ""
    origin = f" from {_printable(filename)}" if filename else ""
    # (a long file name wraps, like every other comment line)
    lines = _wrap(
        f"Generated by hnncompile{origin}. Edit the source, not this file.",
        indent=0,
        marker=marker,
    )
    lines.append("#")
    source_lines = gates.source.strip("\n").splitlines()
    for text in source_lines[:_ECHO_LINES]:
        text = _printable(text[: _ECHO_WIDTH + 1]).rstrip()
        if len(text) > _ECHO_WIDTH:
            text = text[: _ECHO_WIDTH - 3] + "..."
        lines.append(f"#     {text}".rstrip())
    if len(source_lines) > _ECHO_LINES:
        lines.append(f"#     ... ({len(source_lines) - _ECHO_LINES} more lines)")
    lines.append("#")
    lines += _wrap(f"forward({params}) returns {output}.", indent=0, marker=marker)
    lines += _wrap(
        f"backward({backward_params}) returns {returned}: the gradient of "
        f"{output} on each input, given dout, the gradient on {output}.",
        indent=0,
        marker=marker,
    )
    if marker != "#":
        lines = [marker + line[1:] if line.startswith("#") else line for line in lines]
    return lines


def _printable(text: str) -> str:
    """Text safe inside a comment: no character Python or black reads as a line break."""
    text = text.expandtabs(4)
    return "".join(ch if ch.isprintable() else "?" for ch in text)
