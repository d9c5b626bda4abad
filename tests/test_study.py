"""Study material: the trace of every wire, the circuit drawing, the notebook
view and the learner's gradient check."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import numerical_gradient

import hnncompile
from hnncompile import draw as drawing

EXAMPLES = Path(__file__).parent.parent / "examples"
NEURON_POINT = dict(a=1.0, b=2.0, c=-3.0, x=-1.0, y=3.0)


def hnn(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hnncompile", *map(str, args)],
        capture_output=True,
        text=True,
    )


def test_trace_of_the_tutorials_first_circuit():
    """(x + y) z at -2, 5, -4: the figure's q = 3, f = -12 and the tugs."""
    f = hnncompile.compile_file(EXAMPLES / "add_multiply.hnn")
    trace = f.trace(x=-2, y=5, z=-4)
    assert [row.wire for row in trace.rows] == ["x", "y", "z", "q", "f"]
    assert [row.gate for row in trace.rows] == ["input"] * 3 + ["add", "mul"]
    assert trace.values == {"x": -2, "y": 5, "z": -4, "q": 3, "f": -12}
    assert trace.gradients == {"x": -4, "y": -4, "z": 3, "q": -4, "f": 1}
    table = str(trace).splitlines()
    assert table[0].split() == ["wire", "gate", "computes", "value", "gradient"]
    assert table[4].split() == ["q", "add", "x", "+", "y", "3", "-4"]
    assert table[5].split() == ["f", "mul", "q", "*", "z", "-12", "1"]


def test_trace_gradients_of_inner_wires_are_numerical_ones():
    """The tug on q inside the neuron is df/dq: the same as the gradient of
    the rest of the circuit with q as its input, measured numerically."""
    f = hnncompile.compile_file(EXAMPLES / "neuron.hnn")
    trace = hnncompile.trace(f, **NEURON_POINT)
    assert trace.values["q"] == 2.0 and trace.values["f"] == pytest.approx(
        0.8808, abs=1e-4
    )
    rest = hnncompile.compile("f = sigmoid(q)")
    (dq,) = numerical_gradient(rest.forward, [trace.values["q"]])
    for wire in ("q", "t3", "t1", "t2", "c"):
        assert trace.gradients[wire] == pytest.approx(dq, rel=1e-6)  # adds pass it on
    assert trace.gradients["a"] == pytest.approx(-0.105, abs=1e-3)  # the tutorial's
    # Inputs agree with backward, and dout scales every tug.
    assert [trace.gradients[name] for name in f.inputs] == pytest.approx(
        f.backward(*(NEURON_POINT[n] for n in f.inputs))
    )
    halved = f.trace(**NEURON_POINT, dout=0.5)
    assert halved.gradients["q"] == pytest.approx(dq / 2)


def test_trace_adds_the_branches_and_zeroes_what_does_not_reach_the_output():
    f = hnncompile.compile("u = a * 3; q = a * b; f = q + q * b", wrt=["a"])
    trace = f.trace(a=2.0, b=5.0)
    assert trace.gradients["q"] == 1.0 + 5.0  # q feeds two gates
    # every wire, whatever wrt says: b directly (q) and through q (a * dq)
    assert trace.gradients["b"] == 10.0 + 2.0 * 6.0
    assert trace.gradients["u"] == 0.0  # u never reaches f
    assert [row.wire for row in trace.rows][-1] == "f"


def test_trace_command():
    result = hnn("trace", EXAMPLES / "add_multiply.hnn", "x=-2", "y=5", "z=-4")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[1:]]
    assert [(r[0], r[-2], r[-1]) for r in rows] == [
        ("x", "-2", "-4"),
        ("y", "5", "-4"),
        ("z", "-4", "3"),
        ("q", "3", "-4"),
        ("f", "-12", "1"),
    ]
    bad = hnn("trace", EXAMPLES / "add_multiply.hnn", "x=-2", "w=1")
    assert bad.returncode == 2 and "'w' is not an input" in bad.stderr


def test_dot_source_has_a_box_per_gate_and_numbers_on_the_wires(tmp_path):
    f = hnncompile.compile_file(EXAMPLES / "neuron.hnn")
    path = drawing.draw(f, tmp_path / "neuron.dot", NEURON_POINT)
    source = path.read_text()
    assert source.startswith("digraph f {")
    assert "rankdir=LR" in source and "rank=source" in source
    boxes = re.findall(r"^\s*gate\d+ \[label=(\S+)", source, re.MULTILINE)
    assert boxes == ['"*"', '"*"', '"+"', '"+"', "sigmoid"]
    # the wire q: its name, value 2 (green) and gradient 0.105 (red)
    assert (
        "label=<q<br/><font color='#1e8449'>2</font><br/>"
        "<font color='#c0392b'>0.105</font>>" in source
    )


def svg_texts(svg: str) -> list[str]:
    """The text of every label in an SVG (Graphviz writes - as &#45;)."""
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_svg_is_rendered_by_graphviz_with_the_labels(tmp_path):
    f = hnncompile.compile_file(EXAMPLES / "neuron.hnn")
    svg = drawing.draw(f, tmp_path / "neuron.svg", NEURON_POINT).read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    texts = svg_texts(svg)
    for label in ["sigmoid", "*", "+", "a", "x", "q", "f", "0.8808", "-0.105", "0.315"]:
        assert label in texts, label
    png = drawing.draw(f, tmp_path / "neuron.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    method = f.draw(tmp_path / "again.svg", **NEURON_POINT).read_text()
    assert sorted(svg_texts(method)) == sorted(texts)


def test_draw_command(tmp_path):
    out = tmp_path / "circuit.svg"
    result = hnn(
        "draw", EXAMPLES / "add_multiply.hnn", "x=-2", "y=5", "z=-4", "-o", out
    )
    assert result.returncode == 0, result.stderr
    assert {"-12", "3", "-4", "+", "*"} <= set(svg_texts(out.read_text()))
    bare = hnn("draw", EXAMPLES / "add_multiply.hnn", "-o", tmp_path / "c.dot")
    assert bare.returncode == 0 and "<font" not in (tmp_path / "c.dot").read_text()
    wrong = hnn("draw", EXAMPLES / "add_multiply.hnn", "-o", tmp_path / "c.jpg")
    assert wrong.returncode == 2 and ".svg, .png or .dot" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_a_missing_dot_program_gets_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on it
    f = hnncompile.compile("f = x * y")
    with pytest.raises(drawing.DrawingUnavailable, match="apt-get install graphviz"):
        drawing.draw(f, tmp_path / "c.svg")
    drawing.draw(f, tmp_path / "c.dot")  # DOT text needs no `dot`
    page = f._repr_html_()  # the notebook still shows the code, and says why
    assert "def backward(x, y, dout=1.0):" in page and "<svg" not in page
    assert "Graphviz" in page


def test_a_missing_graphviz_package_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    f = hnncompile.compile("f = x * y")
    with pytest.raises(drawing.DrawingUnavailable, match=r"hnncompile\[draw\]"):
        drawing.draw(f, tmp_path / "c.dot")


def test_notebook_view_shows_the_circuit_and_the_code():
    f = hnncompile.compile("q = x + y; f = q * z")
    page = f._repr_html_()
    assert "<svg" in page and "<?xml" not in page
    assert {"+", "*", "q", "x"} <= set(svg_texts(page))
    code = html.unescape(page.split("<pre><code>")[1].split("</code></pre>")[0])
    assert code == f.source


def test_check_explains_a_failure_in_plain_words(monkeypatch, capsys):
    import dataclasses

    from hnncompile import cli
    from hnncompile.gates import GATES

    wrong = dataclasses.replace(GATES["mul"], grads=("{x} * {dout}", "{y} * {dout}"))
    monkeypatch.setitem(GATES, "mul", wrong)
    assert cli.main(["check", "-e", "f = a * b", "a=2", "b=3"]) == 1
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines()[2:5]]
    assert rows[0] == ["input", "analytic", "numerical", "rel.", "error", "verdict"]
    assert rows[1][0] == "a" and rows[1][-1] == "FAIL"
    assert "a: the analytic gradient disagrees" in out
    assert "local-gradient rule" in out and "CS231n" in out


# Inputs with any name; one way to give a point to trace, draw and explore.

DOUT_PROGRAM = "r = dout * x + x * x\nz = r * dout"


def test_trace_takes_an_input_named_dout():
    """`dout=` names the input when there is one; the upstream gradient then
    goes positionally after the inputs, as f.backward takes it."""
    f = hnncompile.compile(DOUT_PROGRAM)
    assert f.inputs == ("dout", "x")
    trace = f.trace(dout=2.0, x=1.0)
    assert trace.values["dout"] == 2.0 and trace.values["z"] == (2 + 1) * 2
    numerical = numerical_gradient(f.forward, [2.0, 1.0])
    assert [trace.gradients["dout"], trace.gradients["x"]] == pytest.approx(numerical)
    assert trace.gradients["dout"] == 2 * 2.0 * 1.0 + 1.0  # d(dout^2 x + x^2 dout)
    halved = f.trace(2.0, 1.0, 0.5)  # upstream gradient 0.5, after the inputs
    assert halved.gradients["x"] == pytest.approx(numerical[1] / 2)
    assert halved.gradients["z"] == 0.5
    # Where no input is named dout, dout= is the upstream gradient.
    g = hnncompile.compile("f = a * b")
    assert g.trace(a=2.0, b=3.0, dout=0.5).gradients["a"] == 1.5
    assert g.trace(2.0, 3.0, 0.5).gradients["b"] == 1.0
    with pytest.raises(TypeError, match="upstream gradient given twice"):
        g.trace(2.0, 3.0, 0.5, dout=0.5)
    with pytest.raises(TypeError, match="at most 3"):
        g.trace(1.0, 2.0, 3.0, 4.0)


def test_trace_and_draw_take_inputs_named_like_their_own_parameters(tmp_path):
    g = hnncompile.compile("h = f * g + path")
    trace = hnncompile.trace(g, f=2.0, g=3.0, path=1.0)
    assert trace.values["h"] == 7.0 and trace.gradients["f"] == 3.0
    source = g.draw(tmp_path / "g.dot", f=2.0, g=3.0, path=1.0).read_text()
    assert "<font color='#1e8449'>7</font>" in source  # h's value on its wire
    page = g.explore(tmp_path / "g.html", f=2.0, path=5.0).read_text()
    assert '"start": {"f": 2.0, "g": 1.0, "path": 5.0}' in page


def test_study_commands_take_an_input_named_dout(tmp_path):
    trace = hnn("trace", "-e", "dout*3 + x", "dout=2", "x=1")
    assert trace.returncode == 0 and "Traceback" not in trace.stderr, trace.stderr
    rows = {line.split()[0]: line.split() for line in trace.stdout.splitlines()[1:]}
    assert rows["dout"][-2:] == ["2", "3"] and rows["x"][-2:] == ["1", "1"]
    assert rows["out"][-2:] == ["7", "1"]
    svg = tmp_path / "c.svg"
    drawn = hnn("draw", "-e", "dout*3 + x", "dout=2", "x=1", "-o", svg)
    assert drawn.returncode == 0 and "Traceback" not in drawn.stderr, drawn.stderr
    assert {"7", "3", "2"} <= set(svg_texts(svg.read_text()))
    page = tmp_path / "p.html"
    explored = hnn("explore", "-e", "dout*3 + x", "dout=2", "x=1", "-o", page)
    assert explored.returncode == 0, explored.stderr
    assert '"start": {"dout": 2.0, "x": 1.0}' in page.read_text()


def test_trace_draw_and_explore_take_a_point_the_same_way(tmp_path):
    """Positionally, by keyword or both; an input not given starts at 1,
    as the explorer's do; draw with no point at all draws names only."""
    f = hnncompile.compile_file(EXAMPLES / "neuron.hnn")
    assert f.inputs == ("a", "x", "b", "y", "c")
    expected = dict(a=1.0, x=2.0, b=3.0, y=4.0, c=1.0)
    assert f.trace(1, 2, 3, 4).values == f.trace(1, 2, 3, y=4).values
    assert {n: f.trace(1, 2, b=3, y=4).values[n] for n in f.inputs} == expected
    for args, kwargs in [((1, 2, 3, 4), {}), ((1, 2), dict(b=3, y=4)), ((), expected)]:
        source = f.draw(tmp_path / "n.dot", *args, **kwargs).read_text()
        assert "at a = 1, x = 2, b = 3, y = 4, c = 1" in source
        page = f.explore(tmp_path / "n.html", *args, **kwargs).read_text()
        assert '"start": {"a": 1.0, "x": 2.0, "b": 3.0, "y": 4.0, "c": 1.0}' in page
    assert "<font" not in f.draw(tmp_path / "bare.dot").read_text()
    with pytest.raises(TypeError, match="'z' is not an input"):
        f.draw(tmp_path / "n.dot", z=1)
    with pytest.raises(TypeError, match="'a' given twice"):
        f.trace(1, a=2)
    with pytest.raises(TypeError, match="'dout' is not an input"):
        f.explore(tmp_path / "n.html", dout=2)  # a page has no upstream gradient


def test_study_commands_start_missing_inputs_at_1(tmp_path):
    neuron = EXAMPLES / "neuron.hnn"
    drawn = hnn("draw", neuron, "a=1", "-o", tmp_path / "n.dot")
    assert drawn.returncode == 0, drawn.stderr
    assert "at a = 1, x = 1, b = 1, y = 1, c = 1" in (tmp_path / "n.dot").read_text()
    assert "x, b, y, c not given: they start at 1" in drawn.stderr
    traced = hnn("trace", neuron, "a=2", "c=-3")
    assert traced.returncode == 0, traced.stderr
    rows = {line.split()[0]: line.split() for line in traced.stdout.splitlines()[1:]}
    assert [rows[n][-2] for n in ("a", "x", "b", "y", "c")] == [
        "2",
        "1",
        "1",
        "1",
        "-3",
    ]
    assert rows["q"][-2] == "0"  # 2*1 + 1*1 - 3
    assert "x, b, y not given: they start at 1" in traced.stderr
    explored = hnn("explore", neuron, "a=2", "-o", tmp_path / "n.html")
    assert explored.returncode == 0 and "x, b, y, c not given" in explored.stderr
    everything = hnn("trace", neuron, *(f"{n}=1" for n in "axbyc"))
    assert everything.returncode == 0 and everything.stderr == ""


# Arrays: the array target's trace and drawing summarise every wire.

SVM_COST = "L = sum(max(0, -y*(w0*x0 + w1*x1 + w2) + 1)) + alpha*(w0*w0 + w1*w1)"


def svm_point(n: int) -> dict:
    import numpy as np

    rng = np.random.default_rng(3)
    if n == 3:  # the README's
        x0, x1 = np.array([1.2, -0.3, 3.0]), np.array([0.7, 0.5, 2.5])
        y = np.array([1.0, -1.0, 1.0])
    else:
        x0, x1 = rng.normal(size=n), rng.normal(size=n)
        y = np.sign(rng.normal(size=n))
    return dict(y=y, x0=x0, x1=x1, w0=0.1, w1=0.2, w2=0.3, alpha=0.1)


def svm_numbers(p: dict) -> dict:
    """The SVM cost's wires and their gradients, by hand in NumPy."""
    import numpy as np

    t5 = p["w0"] * p["x0"] + p["w1"] * p["x1"] + p["w2"]
    t7 = -p["y"] * t5 + 1
    active = (t7 > 0).astype(float)  # the points whose hinge is on
    return {
        "t5": t5,
        "t8": np.maximum(0, t7),
        "dt8": np.ones_like(t7),
        "dt5": -p["y"] * active,
        "dy": -t5 * active,
        "dx0": p["w0"] * -p["y"] * active,
        "dw0": np.sum(p["x0"] * -p["y"] * active) + 2 * p["alpha"] * p["w0"],
        "L": np.sum(np.maximum(0, t7)) + p["alpha"] * (p["w0"] ** 2 + p["w1"] ** 2),
    }


def numbers_in(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?", text)]


def test_trace_of_the_svm_cost_on_arrays_summarises_each_wire():
    import numpy as np

    cost = hnncompile.compile(SVM_COST, target="numpy", wrt=["w0", "w1", "w2"])
    point = svm_point(3)
    want = svm_numbers(point)
    trace = cost.trace(**point)
    # The rows keep the arrays themselves, every gradient its wire's shape.
    assert np.allclose(trace.values["t5"], want["t5"])
    assert np.allclose(trace.gradients["y"], want["dy"])
    assert np.allclose(trace.gradients["x0"], want["dx0"])
    assert trace.gradients["w0"] == pytest.approx(want["dw0"])
    assert trace.values["L"] == pytest.approx(want["L"])
    (dw0,) = numerical_gradient(lambda w0: cost(**{**point, "w0": w0}), [0.1])
    assert trace.gradients["w0"] == pytest.approx(dw0, rel=1e-6)
    # The table: a small array's shape and its elements; a number stays one.
    rows = {line.split()[0]: line for line in str(trace).splitlines()[1:]}
    assert "(3,) [" in rows["y"] and "(3,) [" in rows["t5"]
    cells = numbers_in(rows["y"].split("input", 1)[1])
    assert cells[0] == 3  # the shape
    assert cells[1:4] == pytest.approx(point["y"])
    assert cells[5:8] == pytest.approx(want["dy"], abs=1e-5)  # after (3,) again
    assert rows["L"].split()[-2:] == [f"{want['L']:.10g}", "1"]
    assert numbers_in(rows["w0"])[-2:] == pytest.approx([0.1, want["dw0"]])


def test_trace_and_drawing_of_a_large_array_give_its_mean_and_range(tmp_path):
    import numpy as np

    cost = hnncompile.compile(SVM_COST, target="numpy")
    point = svm_point(50)
    want = svm_numbers(point)
    trace = cost.trace(**point)
    row = next(line for line in str(trace).splitlines() if line.startswith("t8 "))
    value, gradient = row.split("(50,)")[1:]
    for text, array in [(value, want["t8"]), (gradient, want["dt8"])]:
        assert "mean" in text and "min" in text and "max" in text
        mean, low, high = numbers_in(text)
        assert [mean, low, high] == pytest.approx(
            [array.mean(), array.min(), array.max()], rel=1e-5, abs=1e-9
        )
    # The drawing: the same summary on the wire, to 4 digits; SVG renders.
    source = cost.draw(tmp_path / "svm.dot", **point).read_text()
    label = re.search(r"label=<t5<br/>(.*?)> id=", source).group(1)
    shown = numbers_in(re.sub(r"<[^>]*>", " ", label.replace("#", "")))
    dt5 = want["dt5"]
    assert shown == pytest.approx(
        [50, want["t5"].mean(), want["t5"].min(), want["t5"].max()]
        + [50, dt5.mean(), dt5.min(), dt5.max()],
        rel=1e-3,
        abs=1e-3,
    )
    svg = cost.draw(tmp_path / "svm.svg", **point).read_text()
    assert any(text.startswith("(50,) mean") for text in svg_texts(svg))
    # a scalar wire stays a number
    assert f"{want['L']:.4g}" in svg_texts(svg)


# The drawing's layout: inputs in order; seconds, not minutes.


def svg_labels_at(svg: str) -> dict[str, tuple[float, float]]:
    """Where each name of a circuit is drawn (its x, y in the SVG; y grows
    downwards): the inputs' and the output's, in 14-point text."""
    found = re.findall(
        r'<text[^>]*x="([-\d.]+)" y="([-\d.]+)"[^>]*font-size="14.00">([^<]*)</text>',
        svg,
    )
    return {html.unescape(name): (float(x), float(y)) for x, y, name in found}


def test_the_drawing_lists_the_inputs_top_to_bottom_in_input_order(tmp_path):
    f = hnncompile.compile_file(EXAMPLES / "neuron.hnn")
    svg = f.draw(tmp_path / "neuron.svg", **NEURON_POINT).read_text()
    at = svg_labels_at(svg)
    assert [name for name in sorted(f.inputs, key=lambda n: at[n][1])] == list(f.inputs)
    assert len({at[name][0] for name in f.inputs}) == 1  # in one column, leftmost
    assert all(at[name][0] < at["f"][0] for name in f.inputs)


def chain(statements: int, shared: bool = False) -> str:
    """The issue's chain of sigmoid(v*x + w): its own v and w in each
    statement, or one v and w for all (wires from the first column to
    every other: the hard case for a layout)."""
    v, w = ("v", "w") if shared else ("v{i}", "w{i}")
    lines = [f"h{{i}} = sigmoid({v}*h{{j}} + {w})"] * statements
    return "\n".join(
        line.format(i=i, j=i - 1).replace("h0", "x") for i, line in enumerate(lines, 1)
    )


def test_a_60_statement_chain_is_drawn_in_seconds(tmp_path):
    import time

    f = hnncompile.compile(chain(60))
    assert len(f.gates.eqns) == 180
    start = time.monotonic()
    svg = f.draw(tmp_path / "chain.svg", x=0.5).read_text()
    assert time.monotonic() - start < 10
    assert svg_texts(svg).count("sigmoid") == 60
    start = time.monotonic()
    assert "<svg" in f._repr_html_()
    assert time.monotonic() - start < 10


def test_a_circuit_too_costly_to_lay_out_is_refused_at_once(tmp_path):
    import time

    f = hnncompile.compile(chain(60, shared=True))
    assert drawing.layout_work(f) > drawing.LAYOUT_WORK
    start = time.monotonic()
    with pytest.raises(drawing.DrawingTooLarge, match=r"too large to lay out.*\.dot"):
        f.draw(tmp_path / "shared.svg")
    assert not (tmp_path / "shared.svg").exists()
    assert "No drawing: the circuit is too large" in f._repr_html_()
    page = f.explore(tmp_path / "shared.html").read_text()
    assert "too large to lay out quickly" in page and "<svg" not in page
    assert time.monotonic() - start < 5
    # The .dot text is written for any size, for the user's own dot.
    assert "digraph" in f.draw(tmp_path / "shared.dot").read_text()
    result = hnn("draw", "-e", chain(60, shared=True), "-o", tmp_path / "c.png")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "too large to lay out" in result.stderr and "-Tsvg" in result.stderr


def dot_processes_under(pid: int) -> list[int]:
    """The `dot` processes started by process `pid` (Linux's /proc)."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += map(int, (task / "children").read_text().split())
        except OSError:
            pass
    return [c for c in children if _command(c) == "dot"]


def _command(pid: int) -> str:
    """The program process `pid` runs, or "" once it has ended (a zombie
    has ended too)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    name, state = stat[stat.index("(") + 1 : stat.rindex(")")], stat.split(")")[-1]
    return "" if state.split()[0] in "ZX" else name


linux_only = pytest.mark.skipif(
    not Path("/proc/self/task").exists(), reason="reads Linux's /proc"
)


@linux_only
def test_dot_is_stopped_after_its_time_limit(tmp_path):
    import os
    import time

    slow = drawing.circuit(hnncompile.compile(chain(60, shared=True)))
    start = time.monotonic()
    with pytest.raises(drawing.DrawingTooLarge, match="did not finish .* 1 seconds"):
        drawing.render(slow, "svg", timeout=1)
    assert time.monotonic() - start < 5
    assert dot_processes_under(os.getpid()) == []


@linux_only
def test_no_dot_outlives_a_killed_python(tmp_path):
    import signal
    import time

    script = tmp_path / "slow.py"
    script.write_text(
        "import sys; sys.path.insert(0, %r)\n"
        "import hnncompile\n"
        "from hnncompile import draw\n"
        "from test_study import chain\n"
        "f = hnncompile.compile(chain(60, shared=True))\n"
        "draw.render(draw.circuit(f), 'svg', timeout=600)\n"
        % str(Path(__file__).parent)
    )
    python = subprocess.Popen([sys.executable, str(script)])
    try:
        deadline = time.monotonic() + 20
        while not (dots := dot_processes_under(python.pid)):
            assert time.monotonic() < deadline and python.poll() is None
            time.sleep(0.05)
        python.send_signal(signal.SIGKILL)
        python.wait()
        deadline = time.monotonic() + 5
        while _command(dots[0]) == "dot" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _command(dots[0]) != "dot", "dot kept running"
    finally:
        python.kill()


@pytest.mark.parametrize("target", ["python", "numpy"])
def test_a_wire_made_of_constants_alone_still_has_its_gradient(target):
    # q holds no input, but the output still changes with it: df/dq = 2 * x.
    f = hnncompile.compile("q = 3\nf = q * 2 * x", target=target)
    gradients = f.trace(x=1.5).gradients
    assert gradients["q"] == pytest.approx(3.0)
    assert gradients["x"] == pytest.approx(6.0)
    nudge = 1e-6  # the same slope, measured: f as a function of q
    g = hnncompile.compile("f = q * 2 * x")
    slope = (g(3 + nudge, 1.5) - g(3 - nudge, 1.5)) / (2 * nudge)
    assert gradients["q"] == pytest.approx(slope)
