"""examples/: every .hnn file has its generated module committed beside it.

The module is regenerated and compared, so a change to the compiler that
changes what learners read shows up in review. HNN_UPDATE_GOLDEN=1 rewrites.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from helpers import numerical_gradient
from test_chapter3_examples import PROGRAMS as ARRAY_ONLY
from test_codegen import UPDATE, compare_with_golden

import hnncompile

ALL_EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.hnn"))
# Chapter 3's programs need the array target: test_chapter3_examples.py
# checks them there. The tests here compile the others for the python target.
EXAMPLES = [path for path in ALL_EXAMPLES if path.stem not in ARRAY_ONLY]


def test_the_tutorials_chapter_1_circuits_are_there():
    names = {path.stem for path in EXAMPLES}
    assert {
        "single_gate",
        "add_multiply",
        "neuron",
        "ninja",
        "ninja_division",
        "ninja_max",
        "ninja_relu",
        "two_layer_net",
        # every snippet of "Becoming a Backprop Ninja", in its order
        "ninja_mul",
        "ninja_add",
        "ninja_add3_steps",
        "ninja_add3",
        "ninja_mul_add",
        "ninja_neuron",
        "ninja_square",
        "ninja_sum_of_squares",
        "ninja_steps",
        "ninja_reciprocal",
        # chapter 2
        "svm_score",
        "svm_cost",
        "two_layer_cost",
    } <= names


def test_the_examples_readme_walks_every_example():
    """examples/README.md links every .hnn file, its module and every
    training script, and every file it links exists."""
    readme = (EXAMPLES[0].parent / "README.md").read_text()
    links = set(re.findall(r"\]\(([^)#]+)\)", readme))
    for path in ALL_EXAMPLES:
        assert path.name in links, path.name
    for script in EXAMPLES[0].parent.glob("train_*.py"):
        assert script.name in links, script.name
    for link in links:
        assert (EXAMPLES[0].parent / link).exists(), link
    # In the tutorial's order: chapter 1's circuits, the ninja snippets, chapter 2.
    order = [readme.index(f"({name}.hnn)") for name in ORDER]
    assert order == sorted(order)


ORDER = [
    "single_gate",
    "add_multiply",
    "neuron",
    "ninja_mul",
    "ninja_add",
    "ninja_add3_steps",
    "ninja_mul_add",
    "ninja_neuron",
    "ninja_square",
    "ninja",
    "ninja_reciprocal",
    "ninja_division",
    "ninja_max",
    "ninja_relu",
    "svm_score",
    "two_layer_net",
    "svm_cost",
    "two_layer_cost",
]


@pytest.mark.parametrize("program", EXAMPLES, ids=lambda p: p.stem)
def test_committed_module_is_up_to_date(program):
    f = hnncompile.compile_file(program)
    compare_with_golden(f.source, program.with_suffix(".py"))


# Examples that are costs over a data set also have their array-target
# module committed, as `hnncompile compile FILE --target numpy --wrt ...`
# writes it, differentiated on the parameters only.
ARRAY_EXAMPLES = {
    "svm_cost": ["w0", "w1", "w2"],
    "two_layer_cost": "a1 b1 c1 a2 b2 c2 a3 b3 c3 a4 b4 c4 d4".split(),
}


@pytest.mark.parametrize("name", ARRAY_EXAMPLES)
def test_committed_array_module_is_up_to_date(name):
    program = EXAMPLES[0].parent / f"{name}.hnn"
    f = hnncompile.compile_file(program, target="numpy", wrt=ARRAY_EXAMPLES[name])
    compare_with_golden(f.source, program.with_name(f"{name}_numpy.py"))


@pytest.mark.parametrize("program", EXAMPLES, ids=lambda p: p.stem)
def test_example_gradients_are_right(program):
    f = hnncompile.compile_file(program)
    # Distinct values well away from every kink of these examples.
    point = [0.35 + 0.41 * i * (-1) ** i for i in range(len(f.inputs))]
    assert f.backward(*point) == pytest.approx(
        numerical_gradient(f.forward, point), rel=1e-6, abs=1e-9
    )
    assert hnncompile.gradcheck(f, *point).passed


NEURON_POINT = dict(a=1.0, x=-1.0, b=2.0, y=3.0, c=-3.0)  # the tutorial's


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_committed_neuron_drawing_is_up_to_date():
    """examples/neuron.svg, which the README shows, is what `hnncompile draw
    examples/neuron.hnn a=1 x=-1 b=2 y=3 c=-3 -o examples/neuron.svg` draws
    now. Another Graphviz version than the one that drew it places things
    elsewhere: then the coordinates are left out of the comparison."""
    from hnncompile import draw

    f = hnncompile.compile_file(EXAMPLES[0].parent / "neuron.hnn")
    fresh = draw.render(draw.circuit(f, NEURON_POINT), "svg").decode("utf-8")
    committed_path = EXAMPLES[0].parent / "neuron.svg"
    compare = (lambda text: text) if _same_graphviz(fresh, committed_path) else _shape
    if UPDATE:
        committed_path.write_text(fresh, encoding="utf-8")
    assert compare(fresh) == compare(committed_path.read_text(encoding="utf-8"))


def _same_graphviz(svg: str, committed: Path) -> bool:
    def version(text: str) -> str | None:
        found = re.search(r"Generated by graphviz version ([^\n]*)", text)
        return found and found.group(1)

    return committed.exists() and version(svg) == version(committed.read_text())


def _shape(svg: str) -> str:
    """An SVG without its coordinates and Graphviz's version."""
    svg = re.sub(r"Generated by graphviz version [^\n]*", "", svg)
    return re.sub(r'\s(x|y|points|d|width|height|viewBox|transform)="[^"]*"', "", svg)
