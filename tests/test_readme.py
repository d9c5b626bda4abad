"""The README's Python API block does what it says.

Each line of the block runs in order, as a reader would type it; where a
line's comment shows a result (the comment starts like a Python value:
a number, a string, a tuple, a list or a dict), the result's repr must be
what is shown, with `...` standing for anything, as in doctest's ELLIPSIS.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"


def _api_block() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## Python API\n") :]
    block = re.search(r"```python\n(.*?)```", section, flags=re.S)
    return block.group(1).splitlines()


def _shown_result(comment: str) -> str | None:
    """The value at the start of a comment, up to the first space outside
    brackets and quotes (the rest is prose), or None when the comment is
    prose only."""
    if not re.match(r"[-\d('\"\[{]", comment):
        return None
    depth, quote = 0, None
    for i, ch in enumerate(comment):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == " " and depth == 0:
            return comment[:i]
    return comment


def _matches(shown: str, result: object) -> bool:
    pattern = ".*?".join(map(re.escape, shown.split("...")))
    return re.fullmatch(pattern, repr(result), flags=re.S) is not None


def _split(line: str) -> tuple[str, str]:
    """A line's code and its comment (the block's strings hold no '#')."""
    code, _, comment = line.partition("#")
    return code.strip(), comment.strip()


def test_the_shown_results_are_recognised():
    assert _shown_result("400.0 (keywords work too: f(a=1.0, ...))") == "400.0"
    assert _shown_result("(400.0, {'a': 320.0, ...})") == "(400.0, {'a': 320.0, ...})"
    assert _shown_result("or hnncompile.compile_file('x.hnn')") is None
    assert _matches("(400.0, {'a': 320.0, ...})", (400.0, {"a": 320.0, "b": 1.0}))
    assert not _matches("(400.0, {'a': 320.0, ...})", (400, {"a": 320.0}))
    assert not _matches("400.0", 400)


def test_the_python_api_block_shows_what_it_returns():
    namespace: dict = {}
    checked = 0
    for line in _api_block():
        code, comment = _split(line)
        if not code:
            continue
        shown = _shown_result(comment)
        statement = ast.parse(code).body[0]
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, "README.md", "exec"), namespace)
        if shown is None:
            continue
        # The value shown is the expression's, or an assignment's right side.
        expression = statement.value if isinstance(statement, ast.Assign) else None
        source = ast.unparse(expression) if expression else code
        result = eval(source, namespace)
        assert _matches(shown, result), f"{code}: shows {shown}, gives {result!r}"
        checked += 1
    assert checked >= 5  # the block still shows its results
