"""The shape pass (hnncompile/shapes.py): every wire's shape on the numpy
target, and the small functions the code generator writes broadcast sums
and comments with.

Every inferred shape is compared with the shape of the value NumPy really
computes: for lowered programs, the generated module's own trace; for the
matrix gates (built here from the design contract's templates, as a stand-in
catalogue, until the syntax work lands), the templates evaluated on random
arrays with real index values. `summed_axes` is compared with the generated
code's `unbroadcast` helper on random broadcasting pairs.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from test_properties import programs

import hnncompile
from hnncompile import codegen, gates, ir, shapes
from hnncompile.ir import Const, Eqn, Wire
from hnncompile.lower import lower
from hnncompile.parse import parse


def gate_list(src: str) -> ir.GateList:
    return lower(parse(src))


# -- the matrix gates of the design contract, until gates.py has them ------

if "data" in {field.name for field in dataclasses.fields(ir.GateList)}:
    DataGateList = ir.GateList
else:

    @dataclasses.dataclass(frozen=True)
    class DataGateList(ir.GateList):  # the contract's `data` field
        data: frozenset[str] = frozenset()


def _gate(name, inputs, forward, params=()):
    return gates.Gate(
        name=name,
        inputs=inputs,
        forward=forward,
        grads=("{dout}",) * len(inputs),
        explain=name,
        params=params,
    )


CONTRACT_GATES = {
    g.name: g
    for g in (
        _gate("matmul", ("x", "y"), "{x} @ {y}"),
        _gate("transpose", ("x",), "{x}.T"),
        _gate("sum_axis", ("x",), "{x}.sum({axis})", ("axis",)),
        _gate("sum_keepdims", ("x",), "{x}.sum({axis}, keepdims=True)", ("axis",)),
        _gate("mean_axis", ("x",), "{x}.mean({axis})", ("axis",)),
        _gate("max_keepdims", ("x",), "{x}.max({axis}, keepdims=True)", ("axis",)),
        _gate("index", ("x",), "{x}[{index}]", ("index",)),
        _gate("take", ("x", "i"), "{x}[{i}]"),
        _gate("pick", ("x", "n", "i"), "{x}[np.arange({n}), {i}]"),
        _gate("dim", ("x",), "{x}.shape[{k}]", ("k",)),
        _gate("reshape2", ("x", "s1", "s2"), "{x}.reshape({s1}, {s2})"),
        _gate("reshape3", ("x", "s1", "s2", "s3"), "{x}.reshape({s1}, {s2}, {s3})"),
        # numpy cannot evaluate it: its shape is unknown, not an error
        _gate("mathonly", ("x",), "math.erf({x})"),
    )
}


@pytest.fixture(autouse=True)
def contract_gates(monkeypatch):
    """The catalogue's own gates where it has them (it has them all now),
    and a gate numpy cannot evaluate."""
    for name, gate in CONTRACT_GATES.items():
        if name not in gates.GATES:
            monkeypatch.setitem(gates.GATES, name, gate)


def c(value) -> Const:
    return Const(float(value), str(value))


def program(inputs, eqns, data=(), source="") -> ir.GateList:
    """A gate list from (out, gate, args, params) rows; names are wires,
    ints and strings in params are constants written as they are."""
    built = []
    for line, (out, gate, args, params) in enumerate(eqns, start=1):
        args = tuple(Wire(a) if isinstance(a, str) else c(a) for a in args)
        params = tuple(Const(0.0, p) if isinstance(p, str) else c(p) for p in params)
        built.append(Eqn(out, gate, args, params, line=line, column=1))
    gl = DataGateList(
        inputs=tuple(inputs),
        eqns=tuple(built),
        output=built[-1].out,
        source_names=frozenset(inputs) | {e.out for e in built},
        source=source,
        data=frozenset(data),
    )
    gl.check()
    return gl


def actual_shapes(gl: ir.GateList, values: dict) -> dict:
    """The shape of every wire's real value: each gate's numpy template
    evaluated on the real arrays (random floats, valid integer indices)."""
    env = dict(values)
    with np.errstate(all="ignore"):
        for eqn in gl.eqns:
            gate = gates.GATES[eqn.gate]
            names = {p: str(a) for p, a in zip(gate.inputs, eqn.args)}
            names.update({p: k.text for p, k in zip(gate.params, eqn.params)})
            text = gates.fill(gate.code("numpy")[0], names)
            env[eqn.out] = eval(text, {"np": np}, env)  # noqa: S307
    return {name: np.shape(v) for name, v in env.items()}


RNG = np.random.default_rng(12)


# The lecture's forward pass ("Becoming a backprop ninja"), as the contract's
# gates: embedding, linear, batch norm's mean, tanh, linear, softmax,
# cross-entropy written out.
LECTURE = [
    ("emb", "take", ("C", "Xb"), ()),
    ("d0", "dim", ("emb",), (0,)),
    ("embcat", "reshape2", ("emb", "d0", -1), ()),
    ("t1", "matmul", ("embcat", "W1"), ()),
    ("hprebn", "add", ("t1", "b1"), ()),
    ("t2", "div", (1, "n"), ()),
    ("t3", "sum_keepdims", ("hprebn",), (0,)),
    ("bnmeani", "mul", ("t2", "t3"), ()),
    ("bndiff", "sub", ("hprebn", "bnmeani"), ()),
    ("t4", "mul", ("bngain", "bndiff"), ()),
    ("hpreact", "add", ("t4", "bnbias"), ()),
    ("h", "tanh", ("hpreact",), ()),
    ("t5", "matmul", ("h", "W2"), ()),
    ("logits", "add", ("t5", "b2"), ()),
    ("logit_maxes", "max_keepdims", ("logits",), (1,)),
    ("norm_logits", "sub", ("logits", "logit_maxes"), ()),
    ("counts", "exp", ("norm_logits",), ()),
    ("counts_sum", "sum_keepdims", ("counts",), (1,)),
    ("counts_sum_inv", "powc", ("counts_sum",), (-1, -2, 2, -3)),
    ("probs", "mul", ("counts", "counts_sum_inv"), ()),
    ("logprobs", "log", ("probs",), ()),
    ("t6", "pick", ("logprobs", "n", "Yb"), ()),
    ("t7", "mean", ("t6",), ()),
    ("loss", "neg", ("t7",), ()),
]
LECTURE_INPUTS = ("C", "Xb", "W1", "b1", "n", "bngain", "bnbias", "W2", "b2", "Yb")
LECTURE_SHAPES = {
    "C": (27, 10),
    "Xb": (32, 3),
    "W1": (30, 200),
    "b1": (200,),
    "bngain": (1, 200),
    "bnbias": (1, 200),
    "W2": (200, 27),
    "b2": (27,),
    "Yb": (32,),
}


def lecture() -> ir.GateList:
    return program(LECTURE_INPUTS, LECTURE, data=("Xb", "n", "Yb"))


def test_the_lecture_forward_pass_has_the_lectures_shapes():
    inferred = shapes.infer(lecture(), LECTURE_SHAPES)
    expected = dict(
        LECTURE_SHAPES,
        n=(),  # a length: one number, though no shape was given
        emb=(32, 3, 10),
        d0=(),
        embcat=(32, 30),
        t1=(32, 200),
        hprebn=(32, 200),
        t2=(),
        t3=(1, 200),
        bnmeani=(1, 200),
        bndiff=(32, 200),
        t4=(32, 200),
        hpreact=(32, 200),
        h=(32, 200),
        t5=(32, 27),
        logits=(32, 27),
        logit_maxes=(32, 1),
        norm_logits=(32, 27),
        counts=(32, 27),
        counts_sum=(32, 1),
        counts_sum_inv=(32, 1),
        probs=(32, 27),
        logprobs=(32, 27),
        t6=(32,),  # n taken as logprobs' first axis
        t7=(),
        loss=(),
    )
    assert inferred == expected
    values = {
        name: RNG.standard_normal(shape) for name, shape in LECTURE_SHAPES.items()
    }
    values.update(Xb=RNG.integers(0, 27, (32, 3)), Yb=RNG.integers(0, 27, 32), n=32)
    assert inferred == actual_shapes(lecture(), values)


def test_the_lecture_without_the_batch_shapes_knows_what_it_can():
    given = {k: v for k, v in LECTURE_SHAPES.items() if k not in ("Xb", "Yb")}
    inferred = shapes.infer(lecture(), given)
    assert inferred["W1"] == (30, 200) and inferred["n"] == ()
    assert inferred["t2"] == ()  # 1/n is a number, whatever n is
    assert inferred["emb"] is None and inferred["d0"] == ()  # emb.shape[0]
    assert inferred["embcat"] is None  # its rows are emb.shape[0], not known
    assert inferred["logits"] is None and inferred["t6"] is None
    assert inferred["loss"] == ()  # a mean of anything is one number


def test_a_matmul_that_does_not_fit_names_the_wire_and_the_shapes():
    source = "x\nlogits = h @ W2"
    gl = program(("h", "W2"), [("logits", "matmul", ("h", "W2"), ())], source=source)
    gl = dataclasses.replace(gl, eqns=(dataclasses.replace(gl.eqns[0], line=2),))
    with pytest.raises(hnncompile.CompileError) as caught:
        shapes.infer(gl, {"h": (32, 64), "W2": (27, 64)})
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.message == "logits = h @ W2: shapes (32, 64) and (27, 64) do not fit"
    assert (error.line, error.column) == (2, 1)
    assert "logits = h @ W2\n" in str(error)  # the source line is quoted
    assert shapes.infer(gl, {"h": (32, 64), "W2": (64, 27)})["logits"] == (32, 27)


def test_a_lowered_program_that_does_not_fit_is_a_compile_error_at_the_gate():
    gl = gate_list("s = x*W\nq = s + b")
    with pytest.raises(hnncompile.CompileError) as caught:
        shapes.infer(gl, {"x": (32, 1), "W": (27,), "b": (32, 26)})
    assert caught.value.message == "q = s + b: shapes (32, 27) and (32, 26) do not fit"
    assert (caught.value.line, caught.value.column) == (2, 7)  # at the +
    with pytest.raises(hnncompile.CompileError, match=r"max\(s, b\): shapes"):
        shapes.infer(
            gate_list("s = x*W\nq = max(s, b)"), {"x": (3,), "b": (4,), "W": ()}
        )


def test_one_array_that_does_not_fit_says_numpys_reason():
    gl = program(("x",), [("y", "reshape2", ("x", 5, 7), ())])
    with pytest.raises(hnncompile.CompileError) as caught:
        shapes.infer(gl, {"x": (32, 30)})
    assert caught.value.message == (
        "y = x.reshape(5, 7): shape (32, 30) does not fit"
        " (cannot reshape array of size 960 into shape (5,7))"
    )
    assert shapes.infer(gl, {"x": (5, 7)})["y"] == (5, 7)


def test_an_unknown_operand_or_a_guessed_length_is_never_an_error():
    gl = program(("h", "W2"), [("y", "matmul", ("h", "W2"), ())])
    assert shapes.infer(gl, {"W2": (27, 64)})["y"] is None
    # n is taken to be P's 32 rows: Y's 16 labels do not fit that guess,
    # but n = 16 would, so the shape is unknown rather than an error.
    pick = program(("P", "n", "Y"), [("p", "pick", ("P", "n", "Y"), ())], ("n", "Y"))
    assert shapes.infer(pick, {"P": (32, 27), "Y": (16,)})["p"] is None
    assert shapes.infer(pick, {"P": (32, 27), "Y": (32,)})["p"] == (32,)
    # a literal length is not a guess: it is checked
    literal = program(("P", "Y"), [("p", "pick", ("P", 32, "Y"), ())], ("Y",))
    assert shapes.infer(literal, {"P": (32, 27), "Y": (32,)})["p"] == (32,)
    with pytest.raises(hnncompile.CompileError, match="shapes .16, 27. and .32,."):
        shapes.infer(literal, {"P": (16, 27), "Y": (32,)})


def test_a_template_numpy_cannot_evaluate_has_an_unknown_shape():
    gl = program(("x",), [("y", "mathonly", ("x",), ()), ("z", "sum", ("y",), ())])
    assert shapes.infer(gl, {"x": (3,)}) == {"x": (3,), "y": None, "z": ()}


def test_unknown_shapes_spread_except_where_the_gate_fixes_the_shape():
    gl = program(
        ("x", "W"),
        [
            ("e", "exp", ("x",), ()),
            ("s", "sum", ("e",), ()),
            ("m", "mean", ("x",), ()),
            ("k", "dim", ("x",), (1,)),
            ("r", "reshape2", ("W", "k", -1), ()),
            ("q", "mul", ("s", "W"), ()),
            ("t", "transpose", ("e",), ()),
            ("a", "sum_axis", ("e",), (0,)),
        ],
    )
    inferred = shapes.infer(gl, {"W": (4, 6)})
    assert inferred == {
        "x": None,
        "W": (4, 6),
        "e": None,
        "s": (),
        "m": (),
        "k": (),
        "r": None,  # the size k is not known
        "q": (4, 6),  # a number times W
        "t": None,
        "a": None,
    }


def test_data_values_are_known_only_where_no_unknown_sets_them():
    # m = n - 1 depends on n's value; Xb.shape[0] does not.
    gl = program(
        ("x", "n", "Xb"),
        [
            ("m", "sub", ("n", 1), ()),
            ("y", "reshape2", ("x", "m", -1), ()),
            ("d", "dim", ("Xb",), (0,)),
            ("z", "reshape2", ("x", "d", -1), ()),
        ],
        data=("n",),  # a size measured from Xb does not make Xb data
    )
    inferred = shapes.infer(gl, {"x": (6, 4), "n": (), "Xb": (3, 5)})
    assert inferred == {
        "x": (6, 4),
        "n": (),
        "Xb": (3, 5),
        "m": (),
        "y": None,
        "d": (),
        "z": (3, 8),
    }


@st.composite
def broadcast_pairs(draw):
    """A shape and one that broadcasts to it: leading axes dropped, some
    axes made 1."""
    full = tuple(draw(st.lists(st.integers(1, 4), max_size=4)))
    dropped = draw(st.integers(0, len(full)))
    like = tuple(1 if draw(st.booleans()) else size for size in full[dropped:])
    return full, like


@given(broadcast_pairs(), st.booleans())
def test_elementwise_gates_broadcast_as_numpy_does(pair, swap):
    full, like = pair
    a, b = (like, full) if swap else (full, like)
    src = "p = x*y\nq = p - sin(y)\nr = max(q, x)\ns = r + sum(y) * mean(x)\nt = s/y"
    gl = gate_list(src)
    values = {"x": RNG.standard_normal(a), "y": RNG.standard_normal(b)}
    inferred = shapes.infer(gl, {"x": a, "y": b})
    f = hnncompile.compile(src, target="numpy")
    real = {k: np.shape(v) for k, v in f.trace(**values).values.items()}
    assert inferred == real
    assert inferred["t"] == full


SHAPES = st.lists(st.integers(1, 3), max_size=3).map(tuple)


@given(programs(), st.lists(SHAPES, min_size=3, max_size=3))
def test_random_programs_on_random_shapes_have_the_shapes_numpy_computes(src, drawn):
    try:
        gl = gate_list(src)
    except hnncompile.CompileError:
        assume(False)
    given_shapes = dict(zip(gl.inputs, drawn))
    values = {k: RNG.uniform(0.5, 1.5, s) for k, s in given_shapes.items()}
    # the gate list as lowered, every wire traced: no stability rewrite
    f = hnncompile.compile(src, target="numpy", stable=False)
    try:
        with np.errstate(all="ignore"):
            trace = f.trace(**values)
    except ValueError:  # shapes that do not broadcast
        with pytest.raises(hnncompile.CompileError, match="do not fit"):
            shapes.infer(gl, given_shapes)
        return
    real = {k: np.shape(v) for k, v in trace.values.items()}
    inferred = shapes.infer(gl, given_shapes)
    assert inferred == {k: real[k] for k in inferred}
    # and with the last input's shape left out: what is known is right
    partial = dict(list(given_shapes.items())[:-1])
    for wire, shape in shapes.infer(gl, partial).items():
        assert shape is None or shape == real[wire], wire


@given(
    st.sampled_from([1, 2]),
    st.sampled_from([1, 2]),
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(1, 4),
    st.booleans(),
)
def test_matmul_of_every_rank_pair(x_rank, y_rank, n, k, m, misfit):
    x_shape = (n, k)[2 - x_rank :]
    y_shape = (k + misfit, m)[:y_rank]
    gl = program(
        ("x", "y"),
        [
            ("z", "matmul", ("x", "y"), ()),
            ("t", "transpose", ("x",), ()),
            ("u", "mul", ("z", 2), ()),
        ],
    )
    if misfit:
        with pytest.raises(hnncompile.CompileError, match="z = x @ y: shapes"):
            shapes.infer(gl, {"x": x_shape, "y": y_shape})
        return
    values = {"x": RNG.standard_normal(x_shape), "y": RNG.standard_normal(y_shape)}
    assert shapes.infer(gl, {"x": x_shape, "y": y_shape}) == actual_shapes(gl, values)


@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple),
    st.data(),
)
def test_axis_reductions_with_negative_axes_and_keepdims(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    gl = program(
        ("x",),
        [
            ("a", "sum_axis", ("x",), (axis,)),
            ("b", "sum_keepdims", ("x",), (axis,)),
            ("c", "mean_axis", ("x",), (axis,)),
            ("d", "max_keepdims", ("x",), (axis,)),
            ("e", "sub", ("x", "d"), ()),
            ("f", "mul", ("b", "e"), ()),
        ],
    )
    values = {"x": RNG.standard_normal(shape)}
    assert shapes.infer(gl, {"x": shape}) == actual_shapes(gl, values)
    with pytest.raises(hnncompile.CompileError, match="does not fit"):
        shapes.infer(gl, {"x": ()})  # a number has no axis


@given(
    st.lists(st.integers(1, 4), min_size=2, max_size=3).map(tuple),
    st.lists(st.integers(1, 4), max_size=3).map(tuple),
    st.sampled_from(["1", ":, 0", "0:2", ":, None", "None, :", "-1", "..., 0"]),
)
def test_gathers_and_indexing(table, index_shape, index):
    gl = program(
        ("C", "X", "x"),
        [
            ("e", "take", ("C", "X"), ()),
            ("d", "dim", ("e",), (0,)),
            ("f", "reshape2", ("e", "d", -1), ()),
            ("g", "index", ("x",), (index,)),
        ],
        data=("X",),
    )
    x_shape = (3, 2)
    values = {
        "C": RNG.standard_normal(table),
        "X": RNG.integers(0, table[0], index_shape),
        "x": RNG.standard_normal(x_shape),
    }
    inferred = shapes.infer(gl, {"C": table, "X": index_shape, "x": x_shape})
    assert inferred == actual_shapes(gl, values)


def test_the_gather_of_rows_takes_its_length_from_the_rows():
    gl = program(
        ("P", "n", "Y"),
        [
            ("t", "div", (1, "n"), ()),
            ("p", "pick", ("P", "n", "Y"), ()),
            ("q", "mul", ("p", "t"), ()),
        ],
        data=("n", "Y"),
    )
    assert shapes.infer(gl, {"P": (32, 27), "Y": (32,)}) == {
        "P": (32, 27),
        "n": (),
        "Y": (32,),
        "t": (),
        "p": (32,),
        "q": (32,),
    }
    # without P's shape the length is not known, and neither are the rows
    assert shapes.infer(gl, {"Y": (32,)})["p"] is None


def test_inputs_are_checked():
    gl = gate_list("q = a * b")
    with pytest.raises(ValueError, match="'q', which is not an input .*a, b"):
        shapes.infer(gl, {"q": (3,)})
    with pytest.raises(TypeError, match="the shape of 'a' must be a tuple of ints"):
        shapes.infer(gl, {"a": 3})
    with pytest.raises(TypeError, match="tuple of ints"):
        shapes.infer(gl, {"a": (3.0,)})
    with pytest.raises(TypeError, match="tuple of ints"):
        shapes.infer(gl, {"a": (True,)})
    with pytest.raises(ValueError, match="negative size"):
        shapes.infer(gl, {"a": (3, -1)})
    assert shapes.infer(gl, {"a": [3, np.int64(2)], "b": (2,)})["q"] == (3, 2)


def test_the_same_gate_on_other_shapes_is_evaluated_again():
    gl = gate_list("p = x*y\nq = u*v\nr = x*y\ns = u*y")
    inferred = shapes.infer(gl, {"x": (3, 1), "y": (4,), "u": (2, 1, 1), "v": (5,)})
    assert (inferred["p"], inferred["q"]) == ((3, 4), (2, 1, 5))
    assert (inferred["r"], inferred["s"]) == ((3, 4), (2, 1, 4))


def test_ten_thousand_gates_infer_in_linear_time():
    # a chain of 10^4 elementwise gates, alternating a (64, 32) and a (32,)
    n = 10_000
    eqns = [("w0", "mul", ("x", "b"), ())]
    for i in range(1, n):
        gate = ("add", "mul", "tanh", "sub")[i % 4]
        args = (f"w{i-1}",) if gate == "tanh" else (f"w{i-1}", "b")
        eqns.append((f"w{i}", gate, args, ()))
    gl = program(("x", "b"), eqns)
    start = time.perf_counter()
    inferred = shapes.infer(gl, {"x": (64, 32), "b": (32,)})
    elapsed = time.perf_counter() - start
    assert inferred[f"w{n - 1}"] == (64, 32) and len(inferred) == n + 2
    assert elapsed < 5, elapsed  # about 0.1 s; quadratic would be minutes


# -- summed_axes and sum_text ----------------------------------------------


@pytest.mark.parametrize(
    "grad, like, expected, text",
    [
        ((32, 27), (32, 1), ((1,), True), "g.sum(1, keepdims=True)"),
        ((32, 200), (200,), ((0,), False), "g.sum(0)"),
        ((32, 200), (1, 200), ((0,), True), "g.sum(0, keepdims=True)"),
        ((4, 3, 5), (3, 1), (((0,), False), ((1,), True)), None),
        ((5, 32, 200), (200,), ((0, 1), False), "g.sum((0, 1))"),
        ((32, 27), (1, 1), ((0, 1), True), "g.sum((0, 1), keepdims=True)"),
        ((32, 27), (), ((0, 1), False), "g.sum((0, 1))"),
        ((32, 27), (32, 27), None, None),
        ((1, 27), (1, 1), ((1,), True), "g.sum(1, keepdims=True)"),
        ((32, 1), (1, 1), ((0,), True), "g.sum(0, keepdims=True)"),
        ((), (), None, None),
    ],
)
def test_summed_axes_as_the_lecture_writes_them(grad, like, expected, text):
    assert shapes.summed_axes(grad, like) == expected
    if text:
        assert shapes.sum_text("g", expected) == text


def test_two_sums_name_the_inputs_own_axes():
    summing = shapes.summed_axes((4, 3, 5), (3, 1))
    assert shapes.sum_text("dout", summing) == "dout.sum(0).sum(1, keepdims=True)"


def test_sum_text_brackets_all_but_a_plain_name():
    keep = ((1,), True)
    assert (
        shapes.sum_text("counts * dprobs", keep)
        == "(counts * dprobs).sum(1, keepdims=True)"
    )
    assert shapes.sum_text("dhprebn", ((0,), False)) == "dhprebn.sum(0)"
    assert (
        shapes.sum_text("-dbndiff", ((0,), True)) == "(-dbndiff).sum(0, keepdims=True)"
    )
    assert shapes.sum_text("W2.T", ((0,), False)) == "(W2.T).sum(0)"
    with pytest.raises(ValueError, match="not a sum over axes"):
        shapes.sum_text("g", ((), False))


def test_summed_axes_refuses_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"\(32, 27\) is not a broadcast .* \(27, 1\)"):
        shapes.summed_axes((32, 27), (27, 1))
    with pytest.raises(ValueError, match="not a broadcast"):
        shapes.summed_axes((3,), (2, 3))
    with pytest.raises(TypeError, match="tuple of ints"):
        shapes.summed_axes((3,), "3")


def _unbroadcast():
    namespace = {"np": np}
    exec(codegen.UNBROADCAST, namespace)  # noqa: S102 (the generated helper)
    return namespace["unbroadcast"]


UNBROADCAST = _unbroadcast()


@given(broadcast_pairs())
def test_summing_with_summed_axes_is_exactly_unbroadcast(pair):
    grad_shape, like_shape = pair
    # small integers: every order of summing gives the same floats
    g = RNG.integers(-9, 9, grad_shape).astype(np.float64)
    like = np.zeros(like_shape)
    expected = UNBROADCAST(g, like)
    summing = shapes.summed_axes(grad_shape, like_shape)
    if summing is None:
        assert np.shape(expected) == like_shape and grad_shape == like_shape
        return
    got = eval(shapes.sum_text("g", summing), {"g": g})  # noqa: S307
    assert np.shape(got) == like_shape
    assert np.array_equal(got, expected)
    # and on an expression, as the generated line writes it
    got = eval(shapes.sum_text("g * 2", summing), {"g": g})  # noqa: S307
    assert np.array_equal(got, expected * 2)


# -- ndim and describe -----------------------------------------------------


def test_ndim_and_describe():
    known = {"W2": (200, 27), "b2": (27,), "loss": (), "h": None}
    assert shapes.ndim(known, "W2") == 2
    assert shapes.ndim(known, Wire("b2")) == 1
    assert shapes.ndim(known, "loss") == 0
    assert shapes.ndim(known, "h") is None
    assert shapes.ndim(known, c(2)) == 0
    with pytest.raises(KeyError):
        shapes.ndim(known, "nope")
    assert shapes.describe((32, 27)) == "(32, 27)"
    assert shapes.describe((200,)) == "(200,)"
    assert shapes.describe(()) == "()"
    assert shapes.describe(None) == "?"
