"""Warnings for pasted code: a statement that never reaches the output, and
an input named like the gradient of a wire (the tutorial's backward lines
pasted in with its forward pass)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from test_chapter3_examples import PROGRAMS

import hnncompile
from hnncompile import CompileWarning

ROOT = Path(__file__).parent.parent
PASTED = "var x = a * b; var da = b * dx; var db = a * dx;"


def compile_warnings(source: str, **options) -> list[CompileWarning]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hnncompile.compile(source, **options)
    assert all(issubclass(w.category, CompileWarning) for w in caught), caught
    return [w.message for w in caught]


def test_the_tutorials_backward_lines_pasted_in_compile_with_warnings():
    found = compile_warnings(PASTED, filename="paste.hnn")
    assert [(w.line, w.column) for w in found] == [(1, 5), (1, 20), (1, 29)]
    x, da, dx = found
    assert str(x) == (
        "paste.hnn:1:5: 'x' is computed but never reaches the output 'db'"
    )
    assert x.message == "'x' is computed but never reaches the output 'db'"
    assert x.filename == "paste.hnn"
    assert "'da' is computed but never reaches the output 'db'" in str(da)
    assert str(dx).startswith("paste.hnn:1:29: 'dx' looks like the gradient of 'x'")
    assert "backward pass" in str(dx)
    # It still compiles, as written.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompileWarning)
        f = hnncompile.compile(PASTED)
    assert f.inputs == ("a", "b", "dx") and f.output == "db"
    assert f(2.0, 3.0, 5.0) == 10.0


def test_a_compile_warning_is_a_user_warning_raised_at_the_callers_line():
    assert issubclass(CompileWarning, UserWarning)
    with pytest.warns(CompileWarning) as caught:
        hnncompile.compile("y = a * 2\nf = a * 3")
    assert caught[0].filename == __file__
    assert str(caught[0].message) == (
        "<string>:1:1: 'y' is computed but never reaches the output 'f'"
    )


def test_compile_file_warns_at_the_callers_line_too(tmp_path):
    path = tmp_path / "p.hnn"
    path.write_text("y = a * 2\nf = a * 3\n")
    with pytest.warns(CompileWarning, match="p.hnn:1:1: 'y'") as caught:
        hnncompile.compile_file(path)
    assert caught[0].filename == __file__


def test_a_dead_chain_warns_for_each_statement_and_a_bare_expression_too():
    found = compile_warnings("y = a * 2\nz = y + 1\na * b\nf = a * 3")
    assert [(w.line, w.column) for w in found] == [(1, 1), (2, 1), (3, 1)]
    assert "'z' is computed but never reaches the output 'f'" in str(found[1])
    assert "this statement's value never reaches the output 'f'" in str(found[2])


@pytest.mark.parametrize(
    "source",
    [
        "pow((a*b+c)*d, 2)",
        "q = a*x + b*y + c\nf = sigmoid(q)",
        "x + dx",  # a nudge: dx is an input beside the input x, not a gradient
        "h = x * 2\nhd = h + d",
    ],
)
def test_no_warning_for_ordinary_programs(source):
    assert compile_warnings(source) == []


@pytest.mark.parametrize(
    "path",
    # (chapter 3's need the array target: test_chapter3_examples.py)
    [p for p in sorted((ROOT / "examples").glob("*.hnn")) if p.stem not in PROGRAMS],
    ids=lambda p: p.name,
)
def test_no_warning_for_the_examples(path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hnncompile.compile_file(path)
    assert [str(w.message) for w in caught] == []


def test_the_awkward_names_program_warns_only_about_dout():
    path = ROOT / "tests" / "programs" / "awkward_names.hnn"
    with pytest.warns(CompileWarning) as caught:
        hnncompile.compile_file(path)
    assert [str(w.message) for w in caught] == [
        f"{path}:4:15: 'dout' looks like the gradient of 'out'; in hnncompile "
        "write only the forward pass: the backward pass is generated"
    ]


def test_no_warning_when_the_compile_fails():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(hnncompile.CompileError):
            hnncompile.compile("y = a\nf = expp(a)")
    assert caught == []


def test_the_command_line_prints_warnings_and_keeps_its_exit_code(tmp_path):
    path = tmp_path / "paste.hnn"
    path.write_text(PASTED + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "hnncompile", "compile", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert "def backward(a, b, dx, dout=1.0):" in result.stdout
    assert result.stderr.splitlines() == [
        f"{path}:1:5: warning: 'x' is computed but never reaches the output 'db'",
        f"{path}:1:20: warning: 'da' is computed but never reaches the output 'db'",
        f"{path}:1:29: warning: 'dx' looks like the gradient of 'x'; in hnncompile "
        "write only the forward pass: the backward pass is generated",
    ]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hnncompile",
            "grad",
            "-e",
            PASTED,
            "a=1",
            "b=2",
            "dx=3",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and result.stdout.startswith("db = 3\n")
    assert result.stderr.count("<expression>:1:") == 3
    assert result.stderr.count(": warning: ") == 3


def test_a_compile_warning_pickles_and_copies():
    import copy
    import pickle

    warning = hnncompile.CompileWarning("'x' is unused", line=3, column=7, filename="p")
    for twin in (pickle.loads(pickle.dumps(warning)), copy.copy(warning)):
        assert type(twin) is hnncompile.CompileWarning
        assert str(twin) == "p:3:7: 'x' is unused"
        assert (twin.line, twin.column, twin.message) == (3, 7, "'x' is unused")
