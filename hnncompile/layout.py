"""Black's line splitting, for the statements the code generator writes.

A statement that long names push past 88 columns is split here the way
black splits it, so that the module is black-clean without running black
(which costs about 10 ms a line). This is a port of the parts of black's
`linegen` (version 26) that such statements reach: the right-hand split
with its optional parentheses around an assignment's value, the split at
the delimiters of lowest priority (a call's commas, with a trailing comma;
a ternary's `if`/`else`; `or` and `and`; comparisons; `+` before `*` before
`**`), and black's "second opinion" with the parentheses made visible. The
target is a name or, as the array target's `[x] = floats(x)` has it, one
name in brackets. Every name, condition and order of trial below is black's.

`split(statement, depth)` returns the lines, or None for a statement of a
shape this port does not know (a string, a subscript, a lambda, ...): the
caller then asks black itself. Each shape of statement (its text between
the names, and the names' lengths) is split once and then filled in with
the names of each statement of that shape. The tests compare this module
with black on random programs with long names.
"""

from __future__ import annotations

import keyword
import re

LINE_LENGTH = 88

COMMA_PRIORITY = 18
TERNARY_PRIORITY = 16
LOGIC_PRIORITY = 14
COMPARATOR_PRIORITY = 10
MATH_PRIORITIES = {
    "|": 9,
    "^": 8,
    "&": 7,
    "<<": 6,
    ">>": 6,
    "+": 5,
    "-": 5,
    "*": 4,
    "/": 4,
    "//": 4,
    "%": 4,
    "@": 4,
    "**": 2,
}
DOT_PRIORITY = 1
COMPARATORS = frozenset(["<", ">", "<=", ">=", "==", "!="])
ASSIGNMENTS = frozenset(["=", "+=", "-=", "*=", "/="])
_TERNARY_WORDS = frozenset(["if", "else"])
_LOGIC_WORDS = frozenset(["and", "or"])
# Python's keywords but the words this port splits at (if, else, and, or)
# and the constants, which black treats as names: a statement holding one
# (`not`, `lambda`, ...) is of a shape this port does not know.
_PYTHON_KEYWORDS = frozenset(keyword.kwlist) - {
    *("True", "False", "None"),
    *_TERNARY_WORDS,
    *_LOGIC_WORDS,
}
_TOKEN = re.compile(
    r"(?P<space> *)(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|//|<<|>>|[-+*/<>=!]=|[-+*/%@<>=.,()\[\]~|&^]))"
)


class Unsupported(Exception):
    """A statement this port does not split; black will."""


class CannotTransform(Exception):
    """A split that does not apply (black's CannotTransform/CannotSplit)."""


class Leaf:
    __slots__ = ("kind", "value", "prefix", "shown", "unary", "opening")

    def __init__(self, kind: str, value: str, prefix: str) -> None:
        # name, number, op, open, close, comma, assign, word (if, else), logic
        # (and, or)
        self.kind = kind
        self.value = value  # "" for black's invisible parentheses
        self.prefix = prefix  # the space before it, as black counts it
        self.shown = prefix  # ... and as black writes it (`x**2` is hugged)
        self.unary = False
        self.opening: Leaf | None = None  # a closing bracket's partner


def tokens(statement: str) -> list[Leaf]:
    """The statement's leaves, with black's invisible parentheses around an
    assignment's value. Raises Unsupported for anything else."""
    leaves: list[Leaf] = []
    position = 0
    if statement.startswith("return "):  # black's invisible parentheses again
        leaves.append(Leaf("return", "return", ""))
        position = len("return")
    while position < len(statement):
        match = _TOKEN.match(statement, position)
        if match is None:
            raise Unsupported(statement[position:])
        position = match.end()
        space = match["space"]
        if match["number"]:
            leaves.append(Leaf("number", match["number"], space))
        elif match["name"]:
            word = match["name"]
            if word in _PYTHON_KEYWORDS:
                raise Unsupported(word)
            kind = "name"
            if word in _TERNARY_WORDS:
                kind = "word"
            elif word in _LOGIC_WORDS:
                kind = "logic"
            leaves.append(Leaf(kind, word, space))
        else:
            op = match["op"]
            kind = {"(": "open", "[": "open", ")": "close", "]": "close"}.get(op, "op")
            leaves.append(Leaf("comma" if op == "," else kind, op, space))
    target = [leaf.value for leaf in leaves[:4]]
    if leaves and leaves[0].kind == "return":
        head = 1
    elif (
        len(leaves) >= 3
        and leaves[0].kind == "name"
        and leaves[1].value in ASSIGNMENTS
        and not leaves[0].prefix
    ):
        head = 2
        leaves[1].kind = "assign"
    elif (  # `[x] = ...`: one value unpacked (the array target's `floats`)
        len(leaves) >= 5
        and target[0] == "["
        and leaves[1].kind == "name"
        and target[2:] == ["]", "="]
        and not leaves[1].prefix
        and not leaves[2].prefix
    ):
        head = 4
        leaves[2].opening = leaves[0]
        leaves[3].kind = "assign"
    else:
        raise Unsupported(statement)
    if len(leaves) == head:
        raise Unsupported(statement)
    stack: list[Leaf] = []
    previous: Leaf | None = None
    for leaf in leaves[head:]:
        if leaf.value == "=" or leaf.value in ASSIGNMENTS:
            raise Unsupported(statement)  # keyword arguments, chained assignment
        if leaf.kind == "open":
            if leaf.value == "[":
                raise Unsupported(statement)  # a list or a subscript
            stack.append(leaf)
        elif leaf.kind == "close":
            if not stack or leaf.value == "]":
                raise Unsupported(statement)
            leaf.opening = stack.pop()
        elif leaf.value in ("-", "+", "~"):
            leaf.unary = previous is None or previous.kind in (
                "op",
                "open",
                "comma",
                "assign",
                "word",
                "logic",
                "return",
            )
        elif leaf.value == "**" and not leaf.prefix:
            # Black spaces `**` while it splits and hugs it as it writes.
            leaf.prefix = " "
            follower = leaves[leaves.index(leaf) + 1]
            follower.prefix = " "
        previous = leaf
    if stack:
        raise Unsupported(statement)
    value = leaves[head:]
    if value[0].kind == "open" and value[-1].opening is value[0]:
        raise Unsupported(statement)  # black would drop redundant parentheses
    if any(leaf.kind == "comma" for leaf in value):
        _check_commas(value, statement)
    return [*leaves[:head], *_parenthesized(_ternaries(value, statement))]


def _parenthesized(leaves: list[Leaf]) -> list[Leaf]:
    """`leaves` inside a pair of black's invisible parentheses."""
    opening = Leaf("open", "", leaves[0].prefix)
    leaves[0].prefix = leaves[0].shown = ""
    closing = Leaf("close", "", "")
    closing.opening = opening
    return [opening, *leaves, closing]


def _ternaries(value: list[Leaf], statement: str) -> list[Leaf]:
    """black's visit_test: a conditional expression not already just inside
    brackets gets invisible parentheses, as the one after an `else` does.
    The value's own conditional is inside the value's parentheses."""
    depth = 0
    words = []  # (index, leaf) of if/else outside brackets
    for index, leaf in enumerate(value):
        if leaf.kind == "open":
            depth += 1
        elif leaf.kind == "close":
            depth -= 1
        elif leaf.kind == "word":
            if depth:
                raise Unsupported(statement)  # a conditional inside brackets
            words.append((index, leaf))
    for (index, leaf), following in zip(words, words[1:]):
        if leaf.value == "else" and following[1].value == "if":
            inner = _ternaries(value[index + 1 :], statement)
            return [*value[: index + 1], *_parenthesized(inner)]
    return value


def _check_commas(value: list[Leaf], statement: str) -> None:
    """Commas only between a call's arguments: no tuple, no trailing comma."""
    stack: list[Leaf | None] = []
    previous: Leaf | None = None
    for leaf in value:
        if leaf.kind == "open":
            is_call = previous is not None and previous.kind in ("name", "close")
            stack.append(leaf if is_call else None)
        elif leaf.kind == "close":
            stack.pop()
            if previous is not None and previous.kind == "comma":
                raise Unsupported(statement)
        elif leaf.kind == "comma" and (not stack or stack[-1] is None):
            raise Unsupported(statement)
        previous = leaf


class Line:
    """A line being split: leaves, indentation depth, and what black's
    BracketTracker would have marked on it."""

    __slots__ = ("leaves", "depth", "inside", "delimiters", "invisible", "source")

    def __init__(
        self, leaves: list[Leaf], depth: int, inside: bool, track: str = "all"
    ) -> None:
        self.leaves = leaves
        self.depth = depth
        self.inside = inside  # black's inside_brackets
        self.delimiters: dict[int, int] = {}
        self.invisible: list[Leaf] = []
        self.source: str | None = None  # a statement's line: its text
        if track == "all":
            self._mark(leaves)
        elif track == "matched":
            self._mark([leaf for leaf in leaves if id(leaf) in _inside_pairs(leaves)])

    def _mark(self, leaves: list[Leaf]) -> None:
        depth = 0
        open_at: dict[int, Leaf] = {}
        previous: Leaf | None = None
        for leaf in leaves:
            if leaf.kind == "close":
                if depth == 0 and 0 not in open_at:
                    continue
                depth -= 1
                open_at.pop(depth)
                if not leaf.value:
                    self.invisible.append(leaf)
            if depth == 0:
                priority = _split_before(leaf, previous)
                if priority and previous is not None:
                    self.delimiters[id(previous)] = priority
                elif leaf.kind == "comma":
                    self.delimiters[id(leaf)] = COMMA_PRIORITY
            if leaf.kind == "open":
                open_at[depth] = leaf
                depth += 1
                if not leaf.value:
                    self.invisible.append(leaf)
            previous = leaf

    def text(self, shown: bool = False) -> str:
        """The line as black counts it or, `shown`, as black writes it: with
        `**` hugged where it has an operand on each side on this line."""
        leaves = self.leaves
        parts = ["    " * self.depth, leaves[0].value]
        last = len(leaves) - 1
        for i in range(1, len(leaves)):
            leaf = leaves[i]
            space = leaf.prefix
            if shown and not (
                (leaf.value == "**" and i == last)
                or (i == 1 and leaves[0].value == "**")
            ):
                space = leaf.shown
            parts += [space, leaf.value]
        return "".join(parts)

    def fits(self, shown: bool = False) -> bool:
        return len(self.text(shown)) <= LINE_LENGTH

    def lengths(self):
        return [len(leaf.prefix) + len(leaf.value) for leaf in self.leaves]

    def max_priority(self, exclude: frozenset[int] = frozenset()) -> int:
        priorities = [p for k, p in self.delimiters.items() if k not in exclude]
        if not priorities:
            raise CannotTransform("no delimiters")
        return max(priorities)


def _inside_pairs(leaves: list[Leaf]) -> set[int]:
    """black's get_leaves_inside_matching_brackets: the leaves of the
    complete bracket pairs of a head line, brackets included."""
    ids: set[int] = set()
    index = {id(leaf): i for i, leaf in enumerate(leaves)}
    for i, leaf in enumerate(leaves):
        if leaf.kind == "close" and leaf.opening is not None:
            start = index.get(id(leaf.opening))
            if start is not None:
                ids.update(id(x) for x in leaves[start : i + 1])
    return ids


def _split_before(leaf: Leaf, previous: Leaf | None) -> int:
    if leaf.value == "." and leaf.kind == "op":
        return DOT_PRIORITY if previous is None or previous.kind == "close" else 0
    if leaf.kind == "op" and leaf.value in MATH_PRIORITIES and not leaf.unary:
        return MATH_PRIORITIES[leaf.value]
    if leaf.kind == "op" and leaf.value in COMPARATORS:
        return COMPARATOR_PRIORITY
    if leaf.kind == "word":
        return TERNARY_PRIORITY
    if leaf.kind == "logic":
        return LOGIC_PRIORITY
    return 0


# A statement's split depends on its names only through their lengths: the
# code below reads a name's kind and length, never its letters. So a split
# is worked out once per *shape* (the text between the names, and each
# name's length) and kept as a template the names are put back into: a
# program repeats a handful of shapes (every sigmoid line is one), and
# working out a split is a hundred times the cost of filling one in.
# A name here is a word that is not a keyword, an attribute (`math.exp`
# keeps its `exp`) nor the tail of a number (`1e5`); those stay in the
# shape's text, as does everything else.
_NAME = re.compile(
    r"(?<![\w.])((?!(?:%s)(?!\w))[A-Za-z_][A-Za-z0-9_]*)"
    % "|".join(sorted(keyword.kwlist, key=len, reverse=True))
)
_SHAPES_KEPT = 4096  # shapes whose split is kept (forgotten all at once past it)
_shapes: dict[tuple, str | None] = {}


def split(statement: str, depth: int = 1) -> list[str] | None:
    """`statement` at indentation `depth`, split as black splits it; None
    where this port cannot tell (the caller runs black)."""
    parts = _NAME.split(statement)
    names = parts[1::2]
    key = (depth, *parts[::2], *map(len, names))
    template = _shapes.get(key, _shapes)
    if template is _shapes:
        template = _template(parts, depth)
        if len(_shapes) >= _SHAPES_KEPT:
            _shapes.clear()
        _shapes[key] = template
    if template is None:
        return None
    return template.format(*names).split("\n")


def _template(parts: list[str], depth: int) -> str | None:
    """The split of the shape of `parts` (`_NAME.split` of a statement), as
    a format string with a field for each name, in order; None where this
    port cannot tell."""
    shape = "".join(
        part if i % 2 == 0 else "x" * len(part) for i, part in enumerate(parts)
    )
    lines = _split(shape, depth)
    if lines is None:
        return None
    text = "\n".join(lines).replace("{", "{{").replace("}", "}}")
    if len(_NAME.findall(text)) != len(parts) // 2:
        return None  # a name merged or split: never seen, but black is right
    return _NAME.sub("{}", text)


def _split(statement: str, depth: int) -> list[str] | None:
    """`split`, worked out from the statement itself."""
    try:
        line = Line(tokens(statement), depth, inside=False)
        line.source = statement
        lines = _transform(line, force=False)
    except Unsupported:
        return None
    return [line.text(shown=True) for line in lines]


def _transform(line: Line, force: bool) -> list[Line]:
    """black's transform_line."""
    if line.fits(shown=True):
        return [line]
    transformers = [_delimiter_split, _rhs] if line.inside else [_rhs]
    for transformer in transformers:
        try:
            return _run(line, transformer, force)
        except CannotTransform:
            continue
    if line.text(shown=True) != line.text():
        raise Unsupported("black retries a hugged power's line")
    return [line]


def _run(line: Line, transformer, force: bool) -> list[Line]:
    """black's run_transformer, with its second opinion."""
    line_text = line.text()
    result: list[Line] = []
    for piece in transformer(line, force):
        if piece.text() == line_text:
            raise CannotTransform("unchanged")
        result.extend(_transform(piece, force))
    optional = [b for b in line.invisible if b in _depth_zero(line)]
    if (
        force
        or transformer is not _rhs
        or not line.invisible
        or any(bracket.value for bracket in optional)
        or result[0].fits(shown=True)
    ):
        return result
    if line.source is None:
        raise Unsupported("optional parentheses on a line not a statement's")
    fresh = Line(tokens(line.source), line.depth, line.inside)
    second = _run(fresh, transformer, force=True)
    if all(piece.fits(shown=True) for piece in second):
        return second
    return result


def _depth_zero(line: Line) -> list[Leaf]:
    """The leaves of `line` outside its brackets (black's bracket_depth 0,
    for the optional parentheses, which only a statement's line has)."""
    depth, found = 0, []
    for leaf in line.leaves:
        if leaf.kind == "close":
            depth -= 1
        if depth == 0:
            found.append(leaf)
        if leaf.kind == "open":
            depth += 1
    return found


def _delimiter_split(line: Line, force: bool):
    """black's delimiter_split (no comments here)."""
    last = line.leaves[-1]
    priority = line.max_priority(exclude=frozenset([id(last)]))
    if priority == DOT_PRIORITY:
        count = sum(1 for p in line.delimiters.values() if p == priority)
        if count == 1:
            raise CannotTransform("a single attribute")
    pieces: list[list[Leaf]] = []
    current: list[Leaf] = []
    for leaf in line.leaves:
        current.append(leaf)
        if line.delimiters.get(id(leaf)) == priority:
            pieces.append(current)
            current = []
    if current:
        if priority == COMMA_PRIORITY and current[-1].kind != "comma":
            current.append(Leaf("comma", ",", ""))
        pieces.append(current)
    for leaves in pieces:
        leaves[0].prefix = leaves[0].shown = ""
        yield Line(leaves, line.depth, line.inside)


class _RHS:
    __slots__ = ("head", "body", "tail", "opening", "closing")

    def __init__(self, head, body, tail, opening, closing) -> None:
        self.head, self.body, self.tail = head, body, tail
        self.opening, self.closing = opening, closing


def _first_rhs(line: Line, omit: frozenset[int]) -> _RHS:
    """black's _first_right_hand_split."""
    tail: list[Leaf] = []
    body: list[Leaf] = []
    head: list[Leaf] = []
    current = tail
    opening = closing = None
    for leaf in reversed(line.leaves):
        if current is body and leaf is opening:
            current = head if body else tail
        current.append(leaf)
        if current is tail and leaf.kind == "close" and id(leaf) not in omit:
            opening, closing = leaf.opening, leaf
            current = body
    if not (opening and closing and head):
        raise CannotTransform("no brackets")
    tail.reverse()
    body.reverse()
    head.reverse()
    head_line = Line(head, line.depth, inside=False, track="matched")
    body_line = Line(body, line.depth + 1, inside=True)
    tail_line = Line(tail, line.depth, inside=False, track="none")
    if not body:
        tail_length = len(tail_line.text().strip())
        if tail_length == 0:
            raise CannotTransform("the same line")
        if tail_length < 3:
            raise CannotTransform("not worth it")
    return _RHS(head_line, body_line, tail_line, opening, closing)


def _rhs(line: Line, force: bool):
    """black's right_hand_split_with_omits."""
    prefix_lengths: dict[int, int] = {}
    length = 4 * line.depth
    for leaf in line.leaves:
        prefix_lengths[id(leaf)] = length
        length += len(leaf.prefix) + len(leaf.value)
    first_lines = None
    for omit in _trailers_to_omit(line):
        if omit:
            target = None
            for leaf in reversed(line.leaves):
                if leaf.kind == "close" and id(leaf) not in omit:
                    target = leaf.opening
                    break
            if (
                target is not None
                and target.value
                and prefix_lengths.get(id(target), 0) > LINE_LENGTH
            ):
                continue
        lines = list(_right_hand_split(line, force, omit))
        if first_lines is None and not omit:
            first_lines = lines
        if lines[0].fits():
            yield from lines
            return
    if first_lines is not None:
        yield from first_lines
    else:
        yield from _right_hand_split(line, force, frozenset())


def _right_hand_split(line: Line, force: bool, omit: frozenset[int]):
    rhs = _first_rhs(line, omit)
    yield from _maybe_split_omitting_optional_parens(rhs, line, force, omit)


def _maybe_split_omitting_optional_parens(rhs, line, force, omit):
    if (
        not force
        and rhs.opening.kind == "open"
        and not rhs.opening.value
        and rhs.closing.kind == "close"
        and not rhs.closing.value
        and _can_omit_invisible_parens(rhs)
    ):
        omit = omit | {id(rhs.closing)}
        try:
            rhs_oop = _first_rhs(line, omit)
            if _prefer_split_rhs_oop(rhs_oop, rhs):
                yield from _maybe_split_omitting_optional_parens(
                    rhs_oop, line, force, omit
                )
                return
        except CannotTransform as error:
            if len(rhs.body.leaves) < 2 and not rhs.body.fits():
                raise CannotTransform("the body is still too long") from error
    if not rhs.opening.value:  # black's ensure_visible, for its invisible pair
        rhs.opening.value, rhs.closing.value = "(", ")"
    for piece in (rhs.head, rhs.body, rhs.tail):
        if piece.leaves:
            yield piece


def _prefer_split_rhs_oop(rhs_oop: _RHS, rhs: _RHS) -> bool:
    """black's _prefer_split_rhs_oop_over_rhs, for a single target (a name,
    or `[name]`) and no comments nor magic trailing commas."""
    head = rhs.head.leaves
    if not (len(head) >= 2 and head[-2].value == "="):
        return True  # the split is not right after `=`
    if not any(leaf.kind in ("open", "close") for leaf in head[:-1]):
        return True  # the left side has no brackets
    if len(rhs.head.text()) > LINE_LENGTH - 1:
        return True  # the left side is too long (-1: the optional paren)
    for leaf in reversed(rhs_oop.head.leaves):
        if leaf.value == "=":
            break
        if leaf.kind == "close":
            return True  # a bracket pair closes after the `=`
    split_inside = any(leaf.value == "=" for leaf in rhs_oop.head.leaves)
    return split_inside and rhs_oop.head.fits()


def _can_omit_invisible_parens(rhs: _RHS) -> bool:
    """black's can_omit_invisible_parens."""
    line = rhs.body
    if not line.delimiters:
        return True
    priority = max(line.delimiters.values())
    count = sum(1 for p in line.delimiters.values() if p == priority)
    if count > 1:
        return False
    if priority == DOT_PRIORITY:
        return True
    first, second = line.leaves[0], line.leaves[1]
    if first.kind == "open" and second.kind != "close":
        if _can_omit_opening_paren(line, first):
            return True
    penultimate, last = line.leaves[-2], line.leaves[-1]
    if last.kind == "close" and last.value == ")":
        if penultimate.kind == "open":
            return False
        if _can_omit_closing_paren(line, last):
            return True
    return False


def _can_omit_opening_paren(line: Line, first: Leaf) -> bool:
    remainder = False
    length = 4 * line.depth
    index = -1
    for index, (leaf, leaf_length) in enumerate(zip(line.leaves, line.lengths())):
        if leaf.kind == "close" and leaf.opening is first:
            remainder = True
        if remainder:
            length += leaf_length
            if length > LINE_LENGTH:
                break
            if leaf.kind == "open":
                remainder = False
    else:
        if len(line.leaves) == index + 1:
            return True
    return False


def _can_omit_closing_paren(line: Line, last: Leaf) -> bool:
    length = 4 * line.depth
    seen_other_brackets = False
    for leaf, leaf_length in zip(line.leaves, line.lengths()):
        length += leaf_length
        if leaf is last.opening:
            if seen_other_brackets or length <= LINE_LENGTH:
                return True
        elif leaf.kind == "open":
            seen_other_brackets = True
    return False


def _trailers_to_omit(line: Line):
    """black's generate_trailers_to_omit (no magic trailing commas here)."""
    omit: set[int] = set()
    yield frozenset(omit)
    length = 4 * line.depth
    opening = closing = None
    inner: set[int] = set()
    leaves = line.leaves
    for index in range(len(leaves) - 1, -1, -1):
        leaf = leaves[index]
        length += len(leaf.prefix) + len(leaf.value)
        if length > LINE_LENGTH:
            break
        if opening is not None:
            if leaf is opening:
                opening = None
            elif leaf.kind == "close":
                inner.add(id(leaf))
        elif leaf.kind == "close":
            previous = leaves[index - 1] if index > 0 else None
            if previous is not None and previous.kind == "open":
                inner.add(id(leaf))
                continue
            if closing is not None:
                omit.add(id(closing))
                omit.update(inner)
                inner.clear()
                yield frozenset(omit)
            if leaf.value:
                opening, closing = leaf.opening, leaf
