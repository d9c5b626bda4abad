"""The generated module: golden files, black, determinism, standalone code,
wrt pruning.

Golden files live in tests/golden/. A change to the generated code shows up
as a diff to them in review; run with HNN_UPDATE_GOLDEN=1 to rewrite them
on purpose.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import black
import pytest
from helpers import numerical_gradient
from hypothesis import given
from hypothesis import strategies as st

import hnncompile
from hnncompile.gates import GATES

TESTS = Path(__file__).parent
EXAMPLES = TESTS.parent / "examples"
UPDATE = os.environ.get("HNN_UPDATE_GOLDEN") == "1"

GOLDEN_CASES = {
    "every_gate": (TESTS / "programs" / "every_gate.hnn", {}),
    "awkward_names": (TESTS / "programs" / "awkward_names.hnn", {}),
    "long_names": (TESTS / "programs" / "long_names.hnn", {}),
    "neuron_wrt_a_b_c": (EXAMPLES / "neuron.hnn", {"wrt": ["a", "b", "c"]}),
    "ninja_no_comments": (EXAMPLES / "ninja.hnn", {"comments": False}),
    "every_gate_numpy": (TESTS / "programs" / "every_gate.hnn", {"target": "numpy"}),
    "neuron_numpy": (EXAMPLES / "neuron.hnn", {"target": "numpy"}),
    # The lecture's MLP, written for its shapes as the lecture's backward is.
    "lecture_mlp": (
        EXAMPLES / "makemore_mlp_forward.hnn",
        {
            "target": "numpy",
            "optimize": True,
            "shapes": {
                "C": (27, 10),
                "Xb": (32, 3),
                "W1": (30, 64),
                "b1": (64,),
                "n": (),
                "bngain": (1, 64),
                "bnbias": (1, 64),
                "W2": (64, 27),
                "b2": (27,),
                "Yb": (32,),
            },
        },
    ),
}


def compare_with_golden(generated: str, golden: Path) -> None:
    if UPDATE:
        golden.write_text(generated, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing: run with HNN_UPDATE_GOLDEN=1"
    assert generated == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_golden(name):
    program, options = GOLDEN_CASES[name]
    f = hnncompile.compile_file(program, **options)
    compare_with_golden(f.source, TESTS / "golden" / f"{name}.py")


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_black_leaves_the_module_unchanged(name):
    program, options = GOLDEN_CASES[name]
    source = hnncompile.compile_file(program, **options).source
    assert black.format_str(source, mode=black.Mode()) == source


def test_every_gate_program_is_right():
    f = hnncompile.compile_file(TESTS / "programs" / "every_gate.hnn")
    point = [0.7, 1.3, 0.4]
    assert f.backward(*point) == pytest.approx(
        numerical_gradient(f.forward, point), rel=1e-6
    )


def test_spec_shape_for_the_ninja_example():
    source = hnncompile.compile("pow((a*b+c)*d, 2)", comments=False).source
    assert source == (
        "def forward(a, b, c, d):\n"
        "    t1 = a * b\n"
        "    t2 = t1 + c\n"
        "    t3 = t2 * d\n"
        "    out = t3**2\n"
        "    return out\n"
        "\n\n"
        "def backward(a, b, c, d, dout=1.0):\n"
        "    t1 = a * b\n"
        "    t2 = t1 + c\n"
        "    t3 = t2 * d\n"
        "    dt3 = 2 * t3 * dout\n"
        "    dt2 = d * dt3\n"
        "    dd = t2 * dt3\n"
        "    dt1 = dt2\n"
        "    dc = dt2\n"
        "    da = b * dt1\n"
        "    db = a * dt1\n"
        "    return da, db, dc, dd\n"
    )


def test_wrt_prunes_backward_lines():
    f = hnncompile.compile("q = a*x + b*y + c\nf = sigmoid(q)", wrt=["a", "c"])
    assert f.wrt == ("a", "c")
    body = f.source.split("def backward")[1]
    for gradient in ("dx", "db", "dy", "dt2"):
        assert f"{gradient} =" not in body
    assert f.backward(1.0, -1.0, 2.0, 3.0, -3.0) == pytest.approx(
        (-0.10499358540350662, 0.10499358540350662)
    )
    value, grads = f.grad(a=1.0, b=2.0, c=-3.0, x=-1.0, y=3.0)
    assert list(grads) == ["a", "c"]


def test_backward_recomputes_only_what_its_rules_read():
    # Nothing reads exp's input back, so t1 is not recomputed; exp's output is.
    f = hnncompile.compile("t = a * b\nf = exp(t) + c", comments=False)
    body = f.source.split("def backward")[1]
    assert "t = a * b" in body and "t1 = math.exp(t)" in body
    g = hnncompile.compile("f = a * b + c", comments=False)
    assert "t1 = a * b" not in g.source.split("def backward")[1]


def test_unreached_inputs_get_zero():
    f = hnncompile.compile("unused = a * 2\nf = b * 3")
    assert f.backward(1.0, 1.0) == (0.0, 3.0)
    assert "da = 0.0" in f.source


def test_deterministic_across_processes(tmp_path):
    outputs = set()
    for seed in ("1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "hnncompile",
                "compile",
                str(TESTS / "programs" / "every_gate.hnn"),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_the_module_is_standalone(tmp_path):
    f = hnncompile.compile_file(TESTS / "programs" / "every_gate.hnn")
    imports = [
        node
        for node in ast.walk(ast.parse(f.source))
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    assert [ast.unparse(node) for node in imports] == ["import math"]
    module = tmp_path / "every_gate.py"
    module.write_text(f.source)
    # -I: isolated, so hnncompile cannot be imported from anywhere.
    run = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import sys; sys.modules['hnncompile'] = None; sys.path.insert(0, '.'); "
            "import every_gate as m; "
            "print(m.forward(0.7, 1.3, 0.4), *m.backward(0.7, 1.3, 0.4))",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    numbers = [float(v) for v in run.stdout.split()]
    assert numbers == pytest.approx(
        [f(0.7, 1.3, 0.4), *f.backward(0.7, 1.3, 0.4)], rel=1e-15
    )


def test_the_functions_are_the_generated_code():
    f = hnncompile.compile("a * b")
    assert "hnncompile" in f.forward.__code__.co_filename
    assert f.backward.__code__.co_varnames[:3] == ("a", "b", "dout")


@pytest.mark.parametrize(
    "count, length", [(3, 20), (5, 12), (12, 12), (2, 80), (40, 6)]
)
def test_long_signatures_and_returns_are_split_as_black_splits_them(count, length):
    names = [f"{'w' * length}_{i}" for i in range(count)]
    program = f"total = {' + '.join(f'{n} * {n}' for n in names)}\nf = sigmoid(total)"
    f = hnncompile.compile(program)
    for comments in (True, False):
        source = hnncompile.compile(program, comments=comments).source
        assert black.format_str(source, mode=black.Mode()) == source
    point = [0.1 * (i + 1) for i in range(count)]
    assert f.backward(*point) == pytest.approx(
        numerical_gradient(f.forward, point), rel=1e-6
    )


def test_twenty_thousand_inputs_compile_without_waiting_for_black():
    n = 20_000
    f = hnncompile.compile(" + ".join(f"x{i}" for i in range(n)), comments=False)
    lines = f.source.splitlines()
    assert lines[:3] == ["def forward(", "    x0,", "    x1,"]
    assert lines[-2:] == ["        dx19999,", "    )"]
    assert f.backward(*range(n)) == (1.0,) * n


def test_comments_teach_in_the_tutorials_words():
    """Each backward group says which gate it is and why its local gradient
    is what it is; a wire used twice says its gradients add up."""
    f = hnncompile.compile("q = a * b + a; f = max(q, c) + relu(c) + sigmoid(q)")
    backward = f.source.split("def backward")[1]
    for phrase in [
        "the add gate passes",
        "the mul gate swaps its inputs",
        "max routes dt2 to the input that won",
        "the ReLU passes",
        "the sigmoid gate's local gradient is s*(1-s)",
        "a is used more than once: the gradients from its branches add up",
        "q is used more than once",
    ]:
        assert phrase in backward, phrase
    # Every line that computes a gradient sits under a comment for its gate.
    body = backward.split("# backward pass, in reverse\n")[1].splitlines()[:-1]
    assert body[0].lstrip().startswith("#")
    bare = hnncompile.compile("q = a * b + a", comments=False).source
    assert "#" not in bare


@given(
    st.lists(
        st.sampled_from(["a", "dh28571", "max(h1,", "s*(1-s),", "x**2)/dx", "z" * 90]),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from([0, 4]),
)
def test_comment_wrapping_fills_lines_as_textwrap_does(words, indent):
    import textwrap

    from hnncompile.codegen.text import LINE_LENGTH, _wrap

    text = " ".join(words)
    expected = textwrap.wrap(
        text, LINE_LENGTH - indent - 2, break_long_words=False, break_on_hyphens=False
    )
    assert _wrap(text, indent) == [f"# {line}" for line in expected]


def test_the_fast_path_multiplies_a_square_and_returns_passed_on_gradients():
    """value_and_grad writes `t3 * t3` where the hand does (the learner's
    module keeps SPEC's `t3**2`), and returns an input's gradient that only
    renames another (`dc = dt2`) under the other's name."""
    f = hnncompile.compile("pow((a*b+c)*d, 2)")
    fast = f.value_and_grad_source
    assert "    out = t3 * t3\n" in fast and "**" not in fast
    assert "dc =" not in fast
    assert fast.endswith("    return out, (da, db, dt2, dd)\n")
    assert "    out = t3**2\n" in f.source and "    dc = dt2\n" in f.source
    assert f.value_and_grad(1.0, 2.0, 3.0, 4.0) == (400.0, (320.0, 160.0, 160.0, 200.0))
    assert f.value_and_grad(1.0, 2.0, 3.0, 4.0, dout=0.5)[1] == (
        160.0,
        80.0,
        80.0,
        100.0,
    )
    # A square whose input is used once, and read by no rule (it is not a
    # `wrt` wire's way back), is not folded twice into `(...) * (...)`.
    g = hnncompile.compile("f = (a + b)**2 * c", wrt=["c"])
    assert g.value_and_grad(1.0, 2.0, 3.0) == (27.0, (9.0,))
    assert g.value_and_grad_source.count("a + b") == 1


@pytest.mark.parametrize(
    "program",
    [
        "f = a + b",  # both gradients are dout itself
        "f = a",  # the output is an input
        "q = a + b; f = q + a",  # a fans out: no copy for it
        "unused = a * 2; f = b + 1",  # a gets 0
        "f = (a - b)**2 + (a + b)**2",
    ],
)
def test_the_fast_path_agrees_with_backward(program):
    f = hnncompile.compile(program)
    point = [0.7, -1.3][: len(f.inputs)]
    for dout in (1.0, -2.5):
        value, grads = f.value_and_grad(*point, dout=dout)
        assert value == f(*point)
        assert grads == pytest.approx(f.backward(*point, dout=dout), rel=1e-15)
    assert f.value_and_grad(*point)[1] == pytest.approx(
        numerical_gradient(f.forward, point), rel=1e-6
    )


@pytest.mark.parametrize(
    "program, wrt, says, never",
    [
        (
            "f = 3*a",
            None,
            "the mul gate sends a the other input, 3, times dout",
            "each",
        ),
        ("f = a*b", ["b"], "the mul gate sends b the other input, a, times dout", "ea"),
        ("f = a*b", None, "the mul gate swaps its inputs: each gets the other", ""),
        ("g = f + 1", None, "the add gate passes dout through to f", "both"),
        ("g = 1 + f", None, "the add gate passes dout through to f", "both"),
        ("g = f + h", None, "the add gate passes dout through to both inputs", ""),
        ("g = f - 1", None, "the sub gate passes dout to f", "-dout"),
        ("g = 1 - f", None, "the sub gate passes -dout to f", "dout to 1"),
        ("g = f - h", None, "the sub gate passes dout to f and -dout to h", ""),
        ("g = 2 / f", None, "division's local gradient on f is -1.0/(f*f)", "on 1"),
        ("g = f / 2", None, "division's local gradient on f is 1/2", "-f"),
        # A constant base is the cpow gate: it has one input, the exponent.
        (
            "g = 2 ** f",
            None,
            "pow gate: d(2**f)/df = log(2)*2**f, and log(2) = ",
            "/d2",
        ),
        ("g = f ** 0.5", None, "pow gate: d(f**0.5)/df = 0.5*f**-0.5 (NaN for", "/d0"),
        ("g = f ** h", ["f"], "pow gate: h*f**(h-1) flows to f", "log"),
        ("g = f ** h", None, "flows to f and log(f)*f**h flows to h", ""),
        # With a constant, max and min are maxc and minc: one input, and the
        # constant wins a tie, on either side.
        ("g = max(f, 1)", None, "max passes dout on to f if f > 1.0, else 0", "input"),
        ("g = max(1, f)", None, "max passes dout on to f if f > 1.0, else 0", "input"),
        ("g = min(2, f)", None, "min passes dout on to f if f < 2.0, else 0", "input"),
        ("g = max(f, h)", None, "max routes dout to the input that won", ""),
    ],
)
def test_a_gates_comment_speaks_of_the_inputs_that_get_a_gradient(
    program, wrt, says, never
):
    f = hnncompile.compile(program, wrt=wrt)
    backward = f.source.split("def backward")[1]
    comment = " ".join(
        line.strip()[2:] for line in backward.splitlines() if "#" in line
    )
    assert says in comment
    if never:
        assert never not in comment.split(": ", 1)[1]
    point = [1.7, 0.6][: len(f.inputs)]
    assert f.backward(*point) == pytest.approx(
        [
            g
            for name, g in zip(f.inputs, numerical_gradient(f.forward, point))
            if name in f.wrt
        ],
        rel=1e-6,
    )


def test_trace_and_comments_call_a_gate_by_one_name():
    import re

    from hnncompile.gates import GATES

    for gate in GATES.values():
        for text in (gate.explain, *gate.explain_inputs):
            for named in re.findall(r"(\w+) gate\b", text):
                assert named == gate.title, (gate.name, text)
    f = hnncompile.compile("f = pow(x, 2) + x**3")
    rows = {row.computes: row.gate for row in f.trace(x=1.5).rows}
    assert rows["x**2"] == rows["x**3"] == "pow"
    assert "pow gate: d(x**2)/dx = 2*x" in f.source
    assert "pow gate: d(x**3)/dx = 3*x**2" in f.source


@pytest.mark.parametrize("length", range(70, 90))
def test_one_long_input_gives_a_black_stable_signature(length):
    for comments in (True, False):
        source = hnncompile.compile("n" * length + " * 2", comments=comments).source
        assert black.format_str(source, mode=black.Mode()) == source


def _gate_templates(gate) -> list[str]:
    """Every statement template the code generator writes for `gate` on the
    python and numpy targets: forward, fast forward, each gradient, and the
    array target's gradients summed back to an input's shape."""
    templates = [gate.code("python", fast=True)[0]]
    for target in ("python", "numpy"):
        forward, grads = gate.code(target)
        templates += [forward, *grads]
    templates += [f"unbroadcast({grad}, {{y}})" for grad in gate.code("numpy")[1]]
    return sorted(set(templates))


def _catalogue_templates() -> list[str]:
    from hnncompile.gates import GATES

    templates = ["{dout} * np.ones_like({out})"]
    for gate in GATES.values():
        if not gate.array_only:  # section 5's gates: the codegen's next step
            templates += _gate_templates(gate)
    return sorted(set(templates))


def _placeholders() -> list[str]:
    """Every placeholder a gate of the catalogue fills: its inputs and its
    parameters, so that a gate added later is covered."""
    from hnncompile.gates import GATES

    keys = {key for gate in GATES.values() for key in (*gate.inputs, *gate.params)}
    return sorted(keys - {"out", "dout"})


def _split_as_black(template: str, values: dict[str, str], target: str, assign: str):
    from hnncompile import layout
    from hnncompile.gates import fill

    value = fill(template, values)
    statement = {
        "return": f"return {value}",
        "+": f"{target} = {target} + {value}",  # the array target's sum
    }.get(assign, f"{target} {assign} {value}")
    expected = black.format_str(f"def _():\n    {statement}\n", mode=black.Mode())
    assert layout.split(statement) == expected.splitlines()[1:], statement


_LENGTHS = st.sampled_from([1, 10, 30, 50, 70, 80, 84, 90, 100])


@given(
    st.sampled_from(_catalogue_templates()),
    st.fixed_dictionaries(
        {
            key: _LENGTHS.map(lambda n, k=key: k[0] + "_" * (n - 1))
            | st.sampled_from(["2", "-2", "0.5"])
            for key in _placeholders()
        }
    ),
    _LENGTHS,
    _LENGTHS,
    st.sampled_from(["=", "+=", "return"]),
)
def test_layout_splits_every_template_as_black_does(
    template, values, out, target, assign
):
    values = dict(values, out="o" * out, dout="d" * out)
    _split_as_black(template, values, "t" * target, assign)


@pytest.mark.parametrize(
    "statement",
    [
        # The first line cannot fit; black's second opinion, with the
        # parentheses made visible, fits once its powers are hugged.
        f"{'t' * 80} = unbroadcast(-2 * {'x' * 30}**-3 * {'d' * 30}, y)",
        # The catalogue's conditional with `or`: split at the ternary, then
        # at the `or`.
        f"{'t' * 30} = {'x' * 30}**{'y' * 30} if {'x' * 30} >= 0"
        f" or {'y' * 30} % 1 == 0 else math.nan",
        # A single array input converted: a target in brackets.
        *(f"[{'b' * n}] = floats({'b' * n})" for n in (36, 37, 72, 73, 80, 81, 90)),
    ],
)
def test_layout_splits_these_shapes_as_black_does(statement):
    from hnncompile import layout

    expected = black.format_str(f"def _():\n    {statement}\n", mode=black.Mode())
    assert layout.split(statement) == expected.splitlines()[1:]


@pytest.mark.parametrize("gate", sorted(g for g in GATES if not GATES[g].array_only))
def test_layout_splits_each_gates_templates_without_black(gate):
    """Every gate, every template of the python and numpy targets (forward,
    fast forward, gradients, summed gradients), with names long enough to
    split each at its loosest operator and inside its calls: layout.py
    splits it as black does, without black. A gate added later is here."""
    from hnncompile.gates import GATES

    for template in _gate_templates(GATES[gate]):
        assigns = ["=", "+=", "return"]
        if " if " not in template:  # the array target sums with `d = d + g`
            assigns.append("+")
        for length, target in ((30, "t" * 80), (90, "t" * 30)):
            for number in (None, "-2"):
                values = {key: key[0] + "_" * (length - 1) for key in _placeholders()}
                if number:
                    values.update(dict.fromkeys(GATES[gate].params, number))
                values.update(out="o" * length, dout="d" * length)
                for assign in assigns:
                    _split_as_black(template, values, target, assign)


@pytest.mark.parametrize("target", ["python", "numpy", "js"])
def test_a_backward_comment_names_its_line_as_the_program_writes_it(target):
    # The forward lines of sigmoid and max are written so that they cannot
    # overflow and keep a NaN; the comment names the gate plainly.
    source = hnncompile.compile("f = sigmoid(q) + max(a, b)", target=target).source
    marker = "//" if target == "js" else "#"
    comments = [line.strip() for line in source.splitlines() if marker in line]
    assert any(c.startswith(f"{marker} t1 = sigmoid(q):") for c in comments)
    assert any(c.startswith(f"{marker} t2 = max(a, b):") for c in comments)
    assert not any("math.nan:" in c or "logaddexp" in c for c in comments)


def _names_of_lengths(lengths: dict[str, int], letter: str) -> dict[str, str]:
    return {
        key: letter + key + "_" * max(0, n - len(key) - 1) for key, n in lengths.items()
    }


@given(
    st.sampled_from(_catalogue_templates()),
    st.fixed_dictionaries({key: _LENGTHS for key in [*_placeholders(), "out"]}),
    st.sampled_from(["=", "+=", "return"]),
    st.sampled_from("pqz"),
)
def test_layout_reuses_a_shape_for_other_names_of_the_same_lengths(
    template, lengths, assign, letter
):
    """layout.split works a shape out once and fills other names into it:
    a statement whose names have the lengths of one split before, but
    other letters, is still split as black splits it (its own names, in
    their own places)."""
    first = _names_of_lengths(lengths, "a")
    second = _names_of_lengths(lengths, letter)
    for values in (first, second):
        values["dout"] = "d" + values["out"][1:]
        _split_as_black(template, values, values["out"][::-1], assign)


@pytest.mark.parametrize(
    "statement",
    [
        # Words the shape keeps as they are: keywords, attributes, a
        # number's exponent; names that start like a keyword are names.
        f"{'t' * 40} = {'x' * 40} if {'x' * 40} >= 1e5 else math.nan if iffy else 2",
        f"{'t' * 40} = {'o' * 30} or {'n' * 30} and not_ or True or elsewhere_ or None",
        f"return {'r' * 40} * math.exp(-{'x' * 40}) / (1 + math.exp({'x' * 40}))",
        # One name twice, and two names of one length in either order.
        f"{'a' * 44} = {'b' * 44} * {'c' * 44} + {'c' * 44} * {'b' * 44}",
        f"{'a' * 44} = {'c' * 44} * {'b' * 44} + {'b' * 44} * {'c' * 44}",
    ],
)
def test_layout_shapes_keep_keywords_attributes_and_numbers(statement):
    from hnncompile import layout

    expected = black.format_str(f"def _():\n    {statement}\n", mode=black.Mode())
    for _ in range(2):  # worked out, then filled in from the shape
        assert layout.split(statement) == expected.splitlines()[1:]
    assert layout.split(statement) == layout._split(statement, 1)


# -- why a forward line is written as it is (Gate.forward_why) --------------


@pytest.mark.parametrize(
    "target, why",
    [
        (
            "python",
            "    # sigmoid in two branches, so that exp never sees a positive number:\n"
            "    # no overflow at any q\n"
            "    f = 1 / (1 + math.exp(-q)) if q >= 0 else math.exp(q) / (1 + math.exp(q))\n",
        ),
        (
            "numpy",
            "    # sigmoid as e^min(q,0) / (1 + e^-|q|), both branches at once:\n"
            "    # exp never sees a positive number, so no overflow at any q\n"
            "    f = np.exp(np.minimum(q, 0.0)) / (1 + np.exp(-np.abs(q)))\n",
        ),
    ],
)
def test_the_sigmoid_says_why_it_is_written_in_two_branches(target, why):
    f = hnncompile.compile("q = a*x + b\nf = sigmoid(q)", target=target)
    assert why in f.source
    # Only above forward's line: not over backward's recomputation of it,
    # nor in the trace or the fast path, nor with the comments off.
    assert f.source.count("no overflow at any q") == 1
    assert (
        "at any q"
        not in hnncompile.compile(
            "q = a*x + b\nf = sigmoid(q)", target=target, comments=False
        ).source
    )
    assert "at any" not in hnncompile.codegen.generate_trace(f.gates, target)
    if target == "python":
        assert "at any" not in f.value_and_grad_source
    assert black.format_str(f.source, mode=black.Mode()) == f.source


def test_javascript_writes_the_why_of_a_stable_gate_but_not_of_its_sigmoid():
    js = hnncompile.compile("f = sigmoid(q) + softplus(q)", target="js")
    assert (
        "  // softplus as max(q, 0) + log1p(e^-|q|):\n"
        "  // exp never sees a positive number, so no overflow at any q\n"
    ) in js.source
    assert "two branches" not in js.source and "both branches" not in js.source


@pytest.mark.parametrize("name", [n for n, g in GATES.items() if g.forward_why])
def test_every_why_names_its_own_operands(name):
    gate = GATES[name]
    for target in ("python", "numpy", "js"):
        why = gate.why(target)
        assert gate.placeholders(why) <= set(gate.inputs) | set(gate.params) | {"out"}
        assert why == "" or gate.placeholders(why) & set(gate.inputs)
