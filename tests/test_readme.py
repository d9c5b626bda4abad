"""The README does what it says.

- Its Python blocks run, statement by statement, as a reader would type
  them; where a statement's comment shows a result (the comment starts
  like a Python value: a number, a string, a tuple, a list, a dict, True,
  False or None), the result's repr must be what is shown, with `...`
  standing for anything, as in doctest's ELLIPSIS.
- A block after `<!-- quoted from PATH -->` quotes PATH: its lines are
  PATH's lines, in PATH's order, one after the other (`...` stands for
  lines left out; a quote of code alone leaves the comments out), so the
  generated code it shows cannot drift from the golden files.
- The language table's forms compile, on the target it gives them, and
  the other targets refuse the array forms.
- The set-up is two commands, and the test command is the one CI runs.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

import hnncompile
from hnncompile.gates import FUNCTIONS, GATES, Gate

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"

Block = tuple[str, str, str]  # (the quoted path or "", the language, the text)


def section(title: str, text: str | None = None) -> str:
    """The text of the `## title` section, up to the next `## `."""
    text = README.read_text(encoding="utf-8") if text is None else text
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def blocks(text: str) -> list[Block]:
    """Every fenced block in `text`, with the path its marker says it
    quotes."""
    found = re.finditer(
        r"(?:<!-- quoted from (?P<path>\S+) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```",
        text,
        flags=re.S,
    )
    return [(m["path"] or "", m["lang"], m["body"]) for m in found]


def _api_block() -> list[str]:
    python = [body for _, lang, body in blocks(section("Python API")) if lang]
    return python[0].splitlines()


def _shown_result(comment: str) -> str | None:
    """The value at the start of a comment, up to the first space outside
    brackets and quotes (the rest is prose), or None when the comment is
    prose only."""
    if not re.match(r"[-\d('\"\[{]|(True|False|None)\b", comment):
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


def _comments(code: str) -> dict[int, str]:
    """Each line's comment, by line number (1-based), without the '#'."""
    tokens = tokenize.generate_tokens(io.StringIO(code).readline)
    return {
        token.start[0]: token.string[1:].strip()
        for token in tokens
        if token.type == tokenize.COMMENT
    }


def run_block(code: str, namespace: dict) -> int:
    """Run a Python block statement by statement; check each result its
    comment shows (the comment on the statement's last line). Returns how
    many results were checked."""
    comments = _comments(code)
    lines = code.splitlines()
    checked = 0
    for statement in ast.parse(code).body:
        text = "\n".join(lines[statement.lineno - 1 : statement.end_lineno])
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(text, "README.md", "exec"), namespace)
        shown = _shown_result(comments.get(statement.end_lineno, ""))
        if shown is None:
            continue
        # The value shown is the expression's, or an assignment's right side.
        if isinstance(statement, ast.Assign):
            result = eval(ast.unparse(statement.value), namespace)
        else:
            result = eval(ast.unparse(statement), namespace)
        assert _matches(shown, result), f"{text}: shows {shown}, gives {result!r}"
        checked += 1
    return checked


def test_the_shown_results_are_recognised():
    assert _shown_result("400.0 (keywords work too: f(a=1.0, ...))") == "400.0"
    assert _shown_result("(400.0, {'a': 320.0, ...})") == "(400.0, {'a': 320.0, ...})"
    assert _shown_result("or hnncompile.compile_file('x.hnn')") is None
    assert _shown_result("True") == "True"
    assert _shown_result("Trueish words") is None
    assert _matches("(400.0, {'a': 320.0, ...})", (400.0, {"a": 320.0, "b": 1.0}))
    assert not _matches("(400.0, {'a': 320.0, ...})", (400, {"a": 320.0}))
    assert not _matches("400.0", 400)


def test_a_wrong_result_shown_fails_the_block():
    with pytest.raises(AssertionError, match="shows 3, gives 2"):
        run_block("x = (\n    1 + 1\n)  # 3\n", {})
    assert run_block("x = (\n    1 + 1\n)  # 2\nx  # 2\n", {}) == 2


def test_the_python_api_block_shows_what_it_returns():
    checked = run_block("\n".join(_api_block()) + "\n", {})
    assert checked >= 5  # the block still shows its results


def test_the_vectors_and_matrices_blocks_show_what_they_return(monkeypatch):
    monkeypatch.chdir(ROOT)  # the block compiles examples/makemore_mlp_forward.hnn
    runnable = [
        body
        for path, lang, body in blocks(section("Vectors and matrices"))
        if lang == "python" and not path
    ]
    assert runnable
    namespace: dict = {}
    checked = sum(run_block(body, namespace) for body in runnable)
    assert checked >= 6
    assert "def backward(" in namespace["f"].source


def _quoted_lines(path: Path) -> list[str]:
    """A file's lines as a quote may give them: a program's without its
    comments and surrounding spaces, a module's exactly."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if path.suffix == ".hnn":
        return [line.split("#")[0].strip() for line in lines]
    return [line.rstrip() for line in lines]


def check_quote(body: str, path: Path) -> int:
    """Each line of `body` is a line of `path`, in its order (`...` skips
    any lines); returns the number of lines matched."""
    return check_lines(body, _quoted_lines(path), path.name, path.suffix == ".hnn")


def check_lines(body: str, source: list[str], name: str, strip: bool = False) -> int:
    """Each line of `body` is one of `source`'s lines, in their order, and
    the next one unless `...` stands between them: a quote leaves out no
    line silently. A quote that shows no comment line shows the code
    alone: the file's comment lines are not counted there. Blank lines are
    never counted."""
    quoted = [line.strip() if strip else line.rstrip() for line in body.splitlines()]
    quoted = [line for line in quoted if line.strip()]
    with_comments = any(line.lstrip().startswith("#") for line in quoted)
    lines = [
        line
        for line in source
        if line.strip() and (with_comments or not line.lstrip().startswith("#"))
    ]
    at, anywhere, matched = 0, True, 0
    for line in quoted:
        if line.strip() == "...":
            anywhere = True
            continue
        if anywhere:
            found = line in lines[at:]
            at = lines.index(line, at) if found else -1
        if at < 0 or at >= len(lines) or lines[at] != line:
            where = "not in" if anywhere else "not next in"
            raise AssertionError(
                f"{line!r} is {where} {name} (a line left out wants '...')"
            ) from None
        at, anywhere, matched = at + 1, False, matched + 1
    return matched


def test_a_quote_that_drifted_is_caught(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    a = 1\n    b = 2\n")
    assert check_quote("    a = 1\n    ...\n    b = 2\n", module) == 2
    with pytest.raises(AssertionError, match="not next in m.py"):
        check_quote("    b = 2\n    a = 1\n", module)
    with pytest.raises(AssertionError, match="not in m.py"):
        check_quote("    a = 3\n", module)
    # a line left out without '...' is caught; comments only where it shows some
    module.write_text("def f():\n    # one\n    a = 1\n    # two\n    b = 2\n")
    assert check_quote("    a = 1\n    b = 2\n", module) == 2
    assert check_quote("    # one\n    a = 1\n    # two\n", module) == 3
    with pytest.raises(AssertionError, match="not next in m.py"):
        check_quote("    # one\n    a = 1\n    b = 2\n", module)
    assert check_quote("    # one\n    a = 1\n    ...\n    b = 2\n", module) == 3


def test_the_readmes_quotes_are_the_files():
    quotes = [(path, body) for path, _, body in blocks(README.read_text()) if path]
    assert {path for path, _ in quotes} >= {
        "examples/makemore_mlp_forward.hnn",
        "tests/golden/lecture_mlp.py",
        "examples/makemore_mlp_forward_numpy.py",
    }
    for path, body in quotes:
        assert check_quote(body, ROOT / path) >= 4, path


def test_the_lecture_lines_the_issue_names_are_quoted():
    quoted = section("Vectors and matrices")
    for line in (
        "dh = dlogits @ W2.T",
        "dW2 = h.T @ dlogits",
        "db2 = dlogits.sum(0)",
        "dbngain = (bnraw * dhpreact).sum(0, keepdims=True)",
        "dcounts_sum_inv = (counts * dprobs).sum(1, keepdims=True)",
        "dC = np.zeros_like(C)",
        "np.add.at(dC, Xb, demb)",
    ):
        assert f"    {line}\n" in quoted, line


def test_the_refusal_shown_is_the_command_lines():
    shown = [
        body
        for _, _, body in blocks(section("Vectors and matrices"))
        if body.startswith("$ hnncompile ")
    ]
    assert len(shown) == 1
    command, *expected = shown[0].splitlines()
    run = subprocess.run(
        [sys.executable, "-m", "hnncompile", *command.split()[2:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.splitlines() == expected


# --- the language table ------------------------------------------------------


def _table_rows() -> list[list[str]]:
    """The language table's rows: the backticked forms of each row's first
    cell, the first row being the header's."""
    rows = []
    for line in section("The language").splitlines():
        if line.startswith("| `"):
            first = line.split(" | ")[0]
            rows.append(re.findall(r"`([^`]+)`", first))
    return rows


ARRAY_FROM = "A @ B"  # the first row of the array target's forms


def _split_rows() -> tuple[list[str], list[str]]:
    rows = _table_rows()
    first = next(i for i, row in enumerate(rows) if row and row[0] == ARRAY_FROM)
    scalar = [form for row in rows[:first] for form in row]
    array = [form for row in rows[first:] for form in row if form not in WORDS]
    return scalar, array


WORDS = {"True", "False"}


def test_the_tables_scalar_forms_compile_on_every_target():
    scalar, _ = _split_rows()
    assert len(scalar) >= 15
    for form in scalar:
        for target in ("python", "numpy", "js"):
            hnncompile.compile(f"out = {form}", target=target)


def test_the_tables_array_forms_compile_on_numpy_only():
    _, array = _split_rows()
    assert len(array) >= 20
    for form in array:
        hnncompile.compile(f"out = {form}", target="numpy")
        for target in ("python", "js"):
            with pytest.raises(hnncompile.CompileError):
                hnncompile.compile(f"out = {form}", target=target)


def _family(gate: Gate) -> str:
    return gate.called or gate.name


def test_the_table_has_every_array_gate():
    """Each array gate of the catalogue (a family: `max` over an axis or
    all elements, reshape of any rank) is reached by a form in the table."""
    _, array = _split_rows()
    used = set()
    for form in array:
        gates = hnncompile.compile(f"out = {form}", target="numpy").gates
        used |= {_family(GATES[eqn.gate]) for eqn in gates.eqns}
    families = {_family(gate) for gate in GATES.values() if gate.array_only}
    assert families <= used, families - used


def test_the_table_has_every_function():
    scalar, _ = _split_rows()
    called = {name for form in scalar for name in re.findall(r"(\w+)\(", form)}
    for name in FUNCTIONS:
        assert name in called, name


# --- set-up --------------------------------------------------------------------


def test_the_set_up_is_two_commands_and_ci_runs_the_test_command():
    commands = [body for _, _, body in blocks(section("Set-up: two commands"))]
    assert [len(body.splitlines()) for body in commands] == [1, 1]
    install, test = (body.strip() for body in commands)
    assert install.startswith("pip install . && hnncompile compile examples/")
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    at = ci.index("# The README's test command, exactly:")
    assert ci[at + 1] == test
