"""The explorer writes its page for every shipped example it takes (the
programs of numbers), and for programs whose JavaScript gradient lines are
too long for one line: the statement wraps (`var dmargin =` and then the
expression), and the page's step-through must still find each one.

These build the page, not a browser: test_explore.py drives Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import hnncompile
from hnncompile import codegen, explore
from hnncompile.cli import main

EXAMPLES = Path(__file__).parent.parent / "examples"
# The examples on vectors and matrices: the explorer refuses them, saying so.
ARRAYS = {"chapter3_softmax", "chapter3_two_layer", "makemore_mlp_forward"}
SCALAR_EXAMPLES = sorted(
    path for path in EXAMPLES.glob("*.hnn") if path.stem not in ARRAYS
)


@pytest.mark.parametrize("path", SCALAR_EXAMPLES, ids=lambda path: path.stem)
def test_explore_writes_the_page_of_every_example(path, tmp_path, capsys):
    out = tmp_path / "page.html"
    assert main(["explore", str(path), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "error" not in err
    text = out.read_text(encoding="utf-8")
    f = hnncompile.compile_file(path)
    assert "export function backward(" in text
    for name in f.inputs:
        assert f'id="slider-{name}"' in text


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_the_array_examples_are_refused_in_words(name, tmp_path, capsys):
    path = EXAMPLES / f"{name}.hnn"
    assert main(["explore", str(path), "-o", str(tmp_path / "p.html")]) == 2
    err = capsys.readouterr().err
    assert "the explorer works on programs of numbers" in err
    assert "Traceback" not in err


WRAPPING = [
    "margin = label*score\nloss = softplus(margin)",
    "margin = label*score\nloss = log_sigmoid(margin)",
    "f = pow(longer_name_base, exponent_value) + longer_name_base",
]


@pytest.mark.parametrize("program", WRAPPING)
def test_a_wrapped_gradient_statement_is_one_step(program):
    f = hnncompile.compile(program)
    lines = codegen.generate(f.gates, wrt=f.wrt, target="js").splitlines()
    # The program is one whose gradient line does wrap.
    wrapped = [
        i for i, line in enumerate(lines) if re.match(r"^  (var )?\w+ \+?=$", line)
    ]
    assert wrapped, "\n".join(lines)
    steps, _ = explore._backward_steps(f, lines)
    assert [s["out"] for s in steps] == [e.out for e in reversed(f.gates.eqns)]
    for i in wrapped:
        grad = lines[i].split()[-2]
        # The step that covers the statement covers its continuation too.
        (step,) = [s for s in steps if s["lines"][0] <= i <= s["lines"][1]]
        assert grad in [part["grad"] for part in step["parts"]]
        assert i + 1 <= step["lines"][1]
        assert lines[i + 1].startswith("    ")
    assert explore.page(f).count('id="slider-') == len(f.inputs)
