"""The study tools on programs of vectors and matrices (SPEC section 5):
gradcheck, trace and draw on the lecture's MLP and the chapter 3 programs,
and the explorer's refusal."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

import hnncompile

sys.path.insert(0, str(Path(__file__).parent))
from test_matrices import lecture_inputs  # noqa: E402

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

EXAMPLES = Path(__file__).parent.parent / "examples"
LECTURE = EXAMPLES / "makemore_mlp_forward.hnn"
SOFTMAX = EXAMPLES / "chapter3_softmax.hnn"
TWO_LAYER = EXAMPLES / "chapter3_two_layer.hnn"


@pytest.fixture(scope="module")
def lecture():
    return hnncompile.compile_file(LECTURE, target="numpy")


def softmax_inputs(n=12, d=4, k=3):
    g = np.random.default_rng(7)
    return {
        "X": g.normal(size=(n, d)),
        "W": g.normal(size=(d, k)) * 0.5,
        "b": g.normal(size=(1, k)) * 0.1,
        "num_examples": n,
        "y": g.integers(0, k, size=n),
        "reg": 0.1,
    }


def two_layer_inputs(n=10, d=2, h=6, k=3):
    g = np.random.default_rng(8)
    return {
        "X": g.normal(size=(n, d)),
        "W": g.normal(size=(d, h)),
        "b": g.normal(size=(1, h)) * 0.1,
        "W2": g.normal(size=(h, k)),
        "b2": g.normal(size=(1, k)) * 0.1,
        "num_examples": n,
        "y": g.integers(0, k, size=n),
        "reg": 0.01,
    }


# gradcheck


def test_gradcheck_of_the_lecture_samples_each_array_and_leaves_data_alone(lecture):
    point = lecture_inputs()
    kept = {name: point[name].copy() for name in ("Xb", "Yb")}
    report = hnncompile.gradcheck(lecture, point)
    assert report.passed and not report.failed
    assert [row.input for row in report.rows] == list(lecture.wrt)
    assert "Xb" not in lecture.wrt and "n" not in lecture.wrt
    for row in report.rows:
        size = point[row.input].size
        assert row.size == size
        assert row.checked == min(hnncompile.gradcheck.__globals__["SAMPLES"], size)
        assert row.index is not None and len(row.index) == point[row.input].ndim
    # The data inputs go in as they are, and the report says why they are
    # not checked.
    assert report.data == ("Xb", "n", "Yb")
    assert report.point["n"] == 8 and isinstance(report.point["n"], int)
    assert report.point["Xb"].dtype.kind == "i"
    assert np.array_equal(point["Xb"], kept["Xb"])
    text = str(report)
    assert (
        "not checked: Xb, n, Yb, data (Xb: an index at line 7, n: a length at "
        "line 31, Yb: an index at line 31), used as given: data has no gradient."
    ) in text
    assert "W1: 20 of 192 elements checked (a random sample, seed 0;" in text


def test_gradchecks_row_is_the_worst_sampled_element_with_its_own_numbers(lecture):
    point = lecture_inputs()
    report = hnncompile.gradcheck(lecture, point, samples=5, seed=3)
    grads = dict(zip(lecture.wrt, lecture.backward(**point)))
    row = next(r for r in report.rows if r.input == "W2")
    assert row.checked == 5
    assert row.analytic == pytest.approx(grads["W2"][row.index], rel=1e-12)
    # The numerical value is a centred difference at that element.
    h = row.step
    up, down = dict(point), dict(point)
    up["W2"], down["W2"] = point["W2"].copy(), point["W2"].copy()
    up["W2"][row.index] += h
    down["W2"][row.index] -= h
    assert row.numerical == pytest.approx(
        (lecture(**up) - lecture(**down)) / (2 * h), rel=1e-6
    )
    # Another seed picks other elements.
    other = hnncompile.gradcheck(lecture, point, samples=5, seed=4)
    assert {r.index for r in other.rows} != {r.index for r in report.rows}


def test_gradcheck_finds_a_wrong_matrix_gradient(lecture):
    point = lecture_inputs()
    f = hnncompile.compile_file(LECTURE, target="numpy")
    right = f.backward

    def wrong(*args, **kwargs):
        grads = list(right(*args, **kwargs))
        grads[f.wrt.index("W1")] = grads[f.wrt.index("W1")] * 1.01
        return tuple(grads)

    f.backward = wrong
    report = hnncompile.gradcheck(f, point)
    assert report.failed
    verdicts = {row.input: row.verdict for row in report.rows}
    assert verdicts.pop("W1") == "FAIL"
    assert set(verdicts.values()) == {"ok"}


def test_gradcheck_of_an_index_out_of_range_is_a_value_error(lecture):
    point = lecture_inputs()
    point["Xb"] = point["Xb"] + 100
    with pytest.raises(ValueError, match="cannot be evaluated at.*out of bounds"):
        hnncompile.gradcheck(lecture, point)


@pytest.mark.parametrize(
    "program, inputs", [(SOFTMAX, softmax_inputs), (TWO_LAYER, two_layer_inputs)]
)
def test_gradcheck_of_the_chapter_3_programs(program, inputs):
    f = hnncompile.compile_file(program, target="numpy")
    report = hnncompile.gradcheck(f, inputs())
    assert report.passed, str(report)
    assert report.data == ("num_examples", "y")
    assert "reg" in [row.input for row in report.rows]


# trace


def lecture_wires(p):
    """The lecture's wires, and the gradients of three of them by JAX: the
    loss as a function of that wire alone, the rest held."""
    emb = p["C"][p["Xb"]]
    hprebn = emb.reshape(emb.shape[0], -1) @ p["W1"] + p["b1"]
    n = p["n"]
    bnmeani = 1 / n * hprebn.sum(0, keepdims=True)

    def from_bnmeani(bnmeani):
        bndiff = hprebn - bnmeani
        bnvar = 1 / (n - 1) * (bndiff**2).sum(0, keepdims=True)
        bnraw = bndiff * (bnvar + 1e-5) ** -0.5
        h = jnp.tanh(p["bngain"] * bnraw + p["bnbias"])
        return h @ p["W2"] + p["b2"]

    def loss_of_logits(logits):
        logprobs = jax.nn.log_softmax(logits, axis=1)
        return -logprobs[jnp.arange(n), p["Yb"]].mean()

    logits = np.asarray(from_bnmeani(bnmeani))
    counts = np.exp(logits - logits.max(1, keepdims=True))
    counts_sum_inv = counts.sum(1, keepdims=True) ** -1

    def from_counts_sum_inv(inverse):
        return -jnp.log(counts * inverse)[jnp.arange(n), p["Yb"]].mean()

    return {
        "bnmeani": (bnmeani, jax.grad(lambda m: loss_of_logits(from_bnmeani(m)))),
        "counts_sum_inv": (counts_sum_inv, jax.grad(from_counts_sum_inv)),
        "logits": (logits, jax.grad(loss_of_logits)),
    }


def test_trace_of_the_lecture_gives_every_gradient_its_wires_shape(lecture):
    point = lecture_inputs()
    trace = lecture.trace(**point)
    data = lecture.gates.data_wires()
    for row in trace.rows:
        if row.wire in data:
            assert row.gradient is None, row.wire
        else:
            assert np.shape(row.gradient) == np.shape(row.value), row.wire
    # The inputs' gradients are backward's.
    for name, grad in zip(lecture.wrt, lecture.backward(**point)):
        assert np.allclose(trace.gradients[name], grad, rtol=1e-12, atol=1e-15)
    # Wires whose gradient the generic backward carries broadcast for a
    # while (bnmeani, counts_sum_inv) and one it does not (logits), by JAX.
    for wire, (value, grad) in lecture_wires(point).items():
        assert np.allclose(trace.values[wire], value, rtol=1e-12)
        assert trace.gradients[wire].shape == value.shape
        assert np.allclose(trace.gradients[wire], grad(value), rtol=1e-9, atol=1e-15)


def test_the_lectures_trace_table_shows_shapes_summaries_and_data(lecture):
    point = lecture_inputs()
    trace = lecture.trace(**point)
    rows = {line.split()[0]: line for line in str(trace).splitlines()[1:]}
    assert rows["Xb"].endswith("  data") and rows["n"].endswith("  data")
    assert rows["t1"].split()[1:3] == ["dim", "emb.shape[0]"]
    assert rows["t1"].endswith("  data")  # a size is data too
    hprebn = rows["hprebn"]
    value, gradient = hprebn.split("(8, 16) ")[1:]
    want = trace.values["hprebn"]
    numbers = [float(x) for x in re.findall(r"-?\d[\d.e+-]*", value)]
    assert numbers == pytest.approx([want.mean(), want.min(), want.max()], rel=1e-5)
    assert gradient.startswith("mean ")
    assert rows["bnmeani"].count("(1, 16)") == 2  # value and gradient
    assert rows["loss"].split()[-1] == "1"


def test_trace_of_a_matrix_program_wants_its_data_inputs():
    f = hnncompile.compile_file(LECTURE, target="numpy")
    point = lecture_inputs()
    del point["Xb"]
    with pytest.raises(TypeError, match=r"'Xb' is data \(an index at line 7\)"):
        f.trace(**point)
    # A parameter not given starts at 1, as everywhere: bngain = 1.
    point = lecture_inputs()
    del point["bngain"]
    assert f.trace(**point).values["bngain"] == 1.0


def test_trace_of_the_chapter_3_two_layer_network():
    f = hnncompile.compile_file(TWO_LAYER, target="numpy")
    point = two_layer_inputs()
    trace = f.trace(**point)
    assert trace.gradients["y"] is None and trace.gradients["num_examples"] is None
    for name, grad in zip(f.wrt, f.backward(**point)):
        assert np.allclose(trace.gradients[name], grad)
    assert np.shape(trace.gradients["b"]) == (1, 6)
    assert np.shape(trace.gradients["hidden_layer"]) == (10, 6)


# draw


def test_drawing_of_the_lecture_shows_shapes_and_data(tmp_path, lecture):
    point = lecture_inputs()
    source = lecture.draw(tmp_path / "lecture.dot", **point).read_text()
    assert "at C (11, 4), Xb (8, 3), W1 (12, 16), b1 (16,), n = 8," in source
    label = re.search(r"label=<hprebn<br/>(.*?)> id=", source).group(1)
    assert label.count("(8, 16) mean") == 2  # value and gradient
    label = re.search(r"label=<t1<br/>(.*?)> id=", source).group(1)
    assert "#c0392b'>data</font>" in label  # the red line of a data wire
    svg = lecture.draw(tmp_path / "lecture.svg", **point).read_text()
    assert svg.lstrip().startswith("<?xml") and "(8, 16) mean" in svg


# explore


@pytest.mark.parametrize("program", [LECTURE, SOFTMAX])
def test_the_explorer_refuses_a_program_of_matrices(tmp_path, program):
    f = hnncompile.compile_file(program, target="numpy")
    with pytest.raises(ValueError, match="the explorer works on programs of numbers"):
        f.explore(tmp_path / "page.html")
    with pytest.raises(ValueError, match=r"on line \d+ \(\w+\) needs arrays"):
        f.explore(tmp_path / "page.html", train="tutorial")
    assert not (tmp_path / "page.html").exists()


def test_the_explorer_still_takes_numpy_spellings_of_numbers(tmp_path):
    f = hnncompile.compile("out = np.maximum(0, np.exp(x) - y)", target="numpy")
    page = f.explore(tmp_path / "page.html", x=0.5, y=1.0).read_text()
    assert "hnncompile explorer" in page
