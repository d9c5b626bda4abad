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
    missing = hnn("trace", EXAMPLES / "add_multiply.hnn", "x=-2")
    assert missing.returncode == 2 and "missing y, z" in missing.stderr


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


def test_committed_neuron_svg_is_up_to_date(tmp_path):
    """examples/neuron.svg, shown by the README: the same labels as a fresh
    drawing (layout coordinates may differ between Graphviz versions)."""
    f = hnncompile.compile_file(EXAMPLES / "neuron.hnn")
    fresh = drawing.draw(f, tmp_path / "neuron.svg", NEURON_POINT).read_text()
    committed = (EXAMPLES / "neuron.svg").read_text()
    assert sorted(svg_texts(committed)) == sorted(svg_texts(fresh))


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
