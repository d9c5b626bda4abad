"""The language of SPEC.md section 5 (vectors and matrices), down to the
gate list: parsing, lowering, data inputs, the refusals on the python and
js targets, the mistakes, and that every program of before lowers as it
did."""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import pytest

import hnncompile
from hnncompile import CompileError

from hnncompile.lower import lower
from hnncompile.parse import parse

jax.config.update("jax_enable_x64", True)

HERE = Path(__file__).parent
ROOT = HERE.parent
# str(gates) of every program of the tests and examples, lowered by main
# before the matrix language existed.
BEFORE = json.loads((HERE / "data" / "lowered_before_matrices.json").read_text())


@pytest.mark.parametrize("key", sorted(BEFORE))
def test_every_program_of_before_lowers_to_the_same_gate_list(key):
    entry = BEFORE[key]
    if "source" in entry:
        source, filename = entry["source"], "<string>"
    else:
        source, filename = (ROOT / key).read_text(encoding="utf-8"), key
    assert str(lower(parse(source, filename))) == entry["gates"]


# --- The lecture's forward pass -------------------------------------------

LECTURE = """\
emb = C[Xb]
embcat = emb.view(emb.shape[0], -1)
hprebn = embcat @ W1 + b1
bnmeani = 1/n*hprebn.sum(0, keepdim=True)
bndiff = hprebn - bnmeani
bndiff2 = bndiff**2
bnvar = 1/(n-1)*(bndiff2).sum(0, keepdim=True)
bnvar_inv = (bnvar + 1e-5)**-0.5
bnraw = bndiff * bnvar_inv
hpreact = bngain * bnraw + bnbias
h = torch.tanh(hpreact)
logits = h @ W2 + b2
logit_maxes = logits.max(1, keepdim=True).values
norm_logits = logits - logit_maxes
counts = norm_logits.exp()
counts_sum = counts.sum(1, keepdims=True)
counts_sum_inv = counts_sum**-1
probs = counts * counts_sum_inv
logprobs = probs.log()
loss = -logprobs[range(n), Yb].mean()
"""

LECTURE_GATES = """\
inputs C, Xb, W1, b1, n, bngain, bnbias, W2, b2, Yb
data Xb, n, Yb
emb = take C Xb
t1 = dim emb 0
embcat = reshape2 emb t1 -1
t2 = matmul embcat W1
hprebn = add t2 b1
t3 = div 1 n
t4 = sum_keepdims hprebn 0
bnmeani = mul t3 t4
bndiff = sub hprebn bnmeani
bndiff2 = square bndiff
t5 = sub n 1
t6 = div 1 t5
t7 = sum_keepdims bndiff2 0
bnvar = mul t6 t7
t8 = add bnvar 1e-05
bnvar_inv = fracpow t8 -0.5 -1.5 0.75 -2.5
bnraw = mul bndiff bnvar_inv
t9 = mul bngain bnraw
hpreact = add t9 bnbias
h = tanh hpreact
t10 = matmul h W2
logits = add t10 b2
logit_maxes = max_keepdims logits 1
norm_logits = sub logits logit_maxes
counts = exp norm_logits
counts_sum = sum_keepdims counts 1
counts_sum_inv = powc counts_sum -1 -2 2 -3
probs = mul counts counts_sum_inv
logprobs = log probs
t11 = pick logprobs n Yb
t12 = mean t11
loss = neg t12
output loss"""


def lowered(source: str, target: str = "numpy"):
    return lower(parse(source), target)


def test_the_lectures_forward_pass_lowers_to_its_gates():
    gates = lowered(LECTURE)
    assert str(gates).splitlines() == LECTURE_GATES.splitlines()
    assert gates.data == {"Xb", "Yb", "n"}
    # The sizes, and what is computed from data alone, are data too.
    assert gates.data_wires() == {"Xb", "Yb", "n", "t1", "t3", "t5", "t6"}
    assert gates.why_data("Xb") == "an index at line 1"
    assert gates.why_data("n") == "a length at line 20"
    assert gates.why_data("Yb") == "an index at line 20"
    # Each gate stands where its construct does.
    where = {eqn.out: (eqn.line, eqn.column) for eqn in gates.eqns}
    assert where["emb"] == (1, 8)  # the `[`
    assert where["t1"] == (2, 23)  # `shape`
    assert where["embcat"] == (2, 14)  # `view`
    assert where["t2"] == (3, 17)  # the `@`
    assert where["logit_maxes"] == (13, 22)  # `max`
    assert where["t11"] == (20, 17)


def test_the_lectures_data_are_never_differentiated():
    from hnncompile import _check_wrt

    gates = lowered(LECTURE)
    assert _check_wrt(gates, None) == (
        "C",
        "W1",
        "b1",
        "bngain",
        "bnbias",
        "W2",
        "b2",
    )
    assert _check_wrt(gates, ["W2", "C"]) == ("C", "W2")
    with pytest.raises(ValueError) as caught:
        _check_wrt(gates, ["W1", "Xb"])
    assert str(caught.value) == "'Xb' is data (an index at line 1): it has no gradient"
    with pytest.raises(ValueError, match=r"'n' is data \(a length at line 20\)"):
        hnncompile.compile(LECTURE, target="numpy", wrt=["n"])


def test_a_size_made_from_data_makes_its_input_data():
    gates = lowered("m = k - 1\nf = P[range(m), Y].sum() * x")
    assert gates.data == {"k", "Y"} and "data k, Y" in str(gates)
    assert gates.why_data("k") == "a length at line 2"
    assert lowered("f = x.reshape(x.shape[0], -1).sum()").data == frozenset()


@pytest.mark.parametrize("target", ["python", "js"])
@pytest.mark.parametrize(
    "line, column, construct",
    [
        (1, 8, "indexing"),
        (2, 23, "the attribute '.shape'"),
        (3, 17, "the matrix product"),
        (11, 11, "the 'torch.' prefix"),
    ],
)
def test_the_lecture_is_refused_on_the_other_targets(target, line, column, construct):
    # Each line from the first construct of section 5 on, cut where it is.
    source = (
        LECTURE
        if line == 1
        else "\n".join(
            s if i >= line - 1 else "q%d = 1" % i
            for i, s in enumerate(LECTURE.splitlines())
        )
    )
    with pytest.raises(CompileError) as caught:
        hnncompile.compile(source, target=target, filename="mlp.hnn")
    error = caught.value
    assert (error.line, error.column) == (line, column)
    assert error.message == (
        f"{construct} needs the array target: compile with target='numpy'"
    )
    assert str(error).startswith(f"mlp.hnn:{line}:{column}: {construct} needs")


# --- Every form of section 5, and the gates it lowers to ------------------

FORMS = [
    # the matrix product, at *'s precedence
    ("f = A @ B", ["f = matmul A B"]),
    ("f = np.dot(A, B)", ["f = matmul A B"]),
    ("f = A.dot(B)", ["f = matmul A B"]),
    ("f = np.matmul(A, B)", ["f = matmul A B"]),
    ("f = A.matmul(B)", ["f = matmul A B"]),
    ("f = a @ b * c", ["t1 = matmul a b", "f = mul t1 c"]),
    ("f = a * b @ c", ["t1 = mul a b", "f = matmul t1 c"]),
    ("f = a + b @ c", ["t1 = matmul b c", "f = add a t1"]),
    ("f = a @ b ** 2", ["t1 = square b", "f = matmul a t1"]),
    ("f = -a @ b", ["t1 = neg a", "f = matmul t1 b"]),
    # transpose
    ("f = A.T", ["f = transpose A"]),
    ("f = transpose(A)", ["f = transpose A"]),
    ("f = np.transpose(A)", ["f = transpose A"]),
    ("f = A.t()", ["f = transpose A"]),
    ("f = A.transpose()", ["f = transpose A"]),
    ("f = A.T**2", ["t1 = transpose A", "f = square t1"]),
    ("f = (a @ b).T", ["t1 = matmul a b", "f = transpose t1"]),
    # reductions: over everything, as before, or over an axis
    ("f = x.sum()", ["f = sum x"]),
    ("f = x.mean()", ["f = mean x"]),
    ("f = np.sum(x)", ["f = sum x"]),
    ("f = sum(x, axis=1)", ["f = sum_axis x 1"]),
    ("f = sum(x, 1)", ["f = sum_axis x 1"]),
    ("f = x.sum(1)", ["f = sum_axis x 1"]),
    ("f = x.sum(axis=1)", ["f = sum_axis x 1"]),
    ("f = x.sum(dim=1)", ["f = sum_axis x 1"]),
    ("f = np.sum(x, axis=0)", ["f = sum_axis x 0"]),
    ("f = x.sum(-1)", ["f = sum_axis x -1"]),
    ("f = x.sum(axis=-2)", ["f = sum_axis x -2"]),
    ("f = sum(x, axis=1, keepdims=True)", ["f = sum_keepdims x 1"]),
    ("f = x.sum(0, keepdim=True)", ["f = sum_keepdims x 0"]),
    ("f = x.sum(1, keepdims=True)", ["f = sum_keepdims x 1"]),
    ("f = x.sum(1, keepdims=False)", ["f = sum_axis x 1"]),
    ("f = x.mean(0)", ["f = mean_axis x 0"]),
    ("f = mean(x, axis=-1, keepdims=True)", ["f = mean_keepdims x -1"]),
    ("f = x.max(1, keepdim=True)", ["f = max_keepdims x 1"]),
    ("f = x.max(1).values", ["f = max_axis x 1"]),
    ("f = x.max(1, keepdim=True).values", ["f = max_keepdims x 1"]),
    ("f = x.min(0).values", ["f = min_axis x 0"]),
    ("m = x.max(1)\nf = m.values", ["m = max_axis x 1", "f = copy m"]),
    ("f = max(x, axis=1)", ["f = max_axis x 1"]),
    ("f = np.min(x, axis=0, keepdims=True)", ["f = min_keepdims x 0"]),
    ("f = max(x)", ["f = max_all x"]),
    ("f = x.max()", ["f = max_all x"]),
    ("f = x.min()", ["f = min_all x"]),
    # the elementwise max and min stay as they were
    ("f = max(a, b)", ["f = max a b"]),
    ("f = np.maximum(a, b)", ["f = max a b"]),
    ("f = np.maximum(0, x)", ["f = relu x"]),
    ("f = np.minimum(x, 1)", ["f = minc x 1.0"]),
    ("f = torch.maximum(a, 2)", ["f = maxc a 2.0"]),
    # methods and namespaces
    ("f = x.exp()", ["f = exp x"]),
    ("f = x.log()", ["f = log x"]),
    ("f = x.tanh()", ["f = tanh x"]),
    ("f = x.sigmoid()", ["f = sigmoid x"]),
    ("f = x.sig()", ["f = sigmoid x"]),
    ("f = x.relu()", ["f = relu x"]),
    ("f = x.abs()", ["f = abs x"]),
    ("f = x.sqrt()", ["f = sqrt x"]),
    ("f = x.sin().cos()", ["t1 = sin x", "f = cos t1"]),
    ("f = x.pow(2)", ["f = square x"]),
    ("f = torch.tanh(h)", ["f = tanh h"]),
    ("f = np.exp(x)", ["f = exp x"]),
    ("f = numpy.log(x)", ["f = log x"]),
    ("f = Math.exp(x)", ["f = exp x"]),
    ("f = -x.sum()", ["t1 = sum x", "f = neg t1"]),
    # indexing
    ("f = x[1]", ["f = index x 1"]),
    ("f = x[-1]", ["f = index x -1"]),
    ("f = x[:, 2]", ["f = index x :, 2"]),
    ("f = x[1:3]", ["f = index x 1:3"]),
    ("f = x[1:]", ["f = index x 1:"]),
    ("f = x[:2, -1]", ["f = index x :2, -1"]),
    ("f = x[:, None]", ["f = index x :, None"]),
    ("f = x[None, :]", ["f = index x None, :"]),
    ("f = x[\n  :,\n  0\n]", ["f = index x :, 0"]),
    ("f = C[X]", ["f = take C X"]),
    ("f = P[range(n), Y]", ["f = pick P n Y"]),
    ("f = P[arange(n), Y]", ["f = pick P n Y"]),
    ("f = P[np.arange(n), Y]", ["f = pick P n Y"]),
    ("f = P[torch.arange(n), Y]", ["f = pick P n Y"]),
    ("f = P[range(32), Y]", ["f = pick P 32 Y"]),
    ("f = -P[range(n), Y].mean()", ["t1 = pick P n Y", "t2 = mean t1", "f = neg t2"]),
    (
        "f = x[:, 0].T.sum(0)",
        ["t1 = index x :, 0", "t2 = transpose t1", "f = sum_axis t2 0"],
    ),
    # shapes
    ("f = x.reshape(2, 3)", ["f = reshape2 x 2 3"]),
    ("f = x.view(2, -1)", ["f = reshape2 x 2 -1"]),
    ("f = x.reshape(-1)", ["f = reshape1 x -1"]),
    ("f = x.reshape((2, 3))", ["f = reshape2 x 2 3"]),
    ("f = reshape(x, (2, 3))", ["f = reshape2 x 2 3"]),
    ("f = np.reshape(x, (-1,))", ["f = reshape1 x -1"]),
    ("f = x.view(1, 2, 3, 4)", ["f = reshape4 x 1 2 3 4"]),
    ("f = x.view(y.shape[0], -1)", ["t1 = dim y 0", "f = reshape2 x t1 -1"]),
    (
        "f = x.view(x.shape[-1], x.shape[0])",
        ["t1 = dim x -1", "t2 = dim x 0", "f = reshape2 x t1 t2"],
    ),
    # True and False are names, except as keepdims' value
    (
        "f = x.sum(1, keepdims=True) * True",
        ["t1 = sum_keepdims x 1", "f = mul t1 True"],
    ),
]


@pytest.mark.parametrize("source, expected", FORMS, ids=[s for s, _ in FORMS])
def test_every_form_lowers_to_its_gates(source, expected):
    gates = lowered(source)
    lines = str(gates).splitlines()
    assert [line for line in lines if " = " in line] == expected


@pytest.mark.parametrize("source", [s for s, _ in FORMS])
def test_every_form_prints_back_as_source_that_parses_to_it(source):
    from hnncompile.syntax import to_source

    first = parse(source)
    printed = "\n".join(
        (f"{s.target.id} = " if s.target else "") + to_source(s.value)
        for s in first.statements
    )
    assert str(lower(parse(printed), "numpy")) == str(lower(first, "numpy"))


def test_true_and_false_stay_names_elsewhere():
    f = hnncompile.compile("q = True * x + False")
    assert f.inputs == ("True", "x", "False") and f(2.0, 3.0, 1.0) == 7.0
    gates = lowered("f = x.sum(0, keepdims=True) + None * True")
    assert gates.inputs == ("x", "None", "True")


@pytest.mark.parametrize("key", sorted(BEFORE))
def test_every_program_of_before_lowers_the_same_on_the_array_target(key):
    entry = BEFORE[key]
    if "source" in entry:
        source, filename = entry["source"], "<string>"
    else:
        source, filename = (ROOT / key).read_text(encoding="utf-8"), key
    assert str(lower(parse(source, filename), "numpy")) == entry["gates"]
    assert str(lower(parse(source, filename), "js")) == entry["gates"]


# --- The python and js targets refuse each construct, where it stands ------

REFUSED = [
    ("f = a @ b", 7, "the matrix product"),
    ("f = np.dot(a, b)", 8, "the 'np.' prefix"),
    ("f = dot(a, b)", 5, "the matrix product"),
    ("f = a.dot(b)", 7, "a method call"),
    ("f = a.T", 7, "the attribute '.T'"),
    ("f = transpose(a)", 5, "a transpose"),
    ("f = sum(x, axis=1)", 5, "a reduction over an axis"),
    ("f = sum(x, 1)", 5, "sum() takes 1 argument, got 2"),
    ("f = max(x, axis=0)", 5, "a reduction over an axis"),
    ("f = x.sum()", 7, "a method call"),
    ("f = x.exp()", 7, "a method call"),
    ("f = torch.tanh(h)", 11, "the 'torch.' prefix"),
    ("f = numpy.exp(h)", 11, "the 'numpy.' prefix"),
    ("f = np.maximum(0, x)", 8, "the 'np.' prefix"),
    ("f = x[0]", 6, "indexing"),
    ("f = C[X]", 6, "indexing"),
    ("f = P[range(n), Y]", 6, "indexing"),
    ("f = reshape(x, (2, 3))", 5, "reshape"),
    ("f = x.view(x.shape[0], -1)", 14, "the attribute '.shape'"),
]


@pytest.mark.parametrize("target", ["python", "js"])
@pytest.mark.parametrize(
    "source, column, construct", REFUSED, ids=[r[0] for r in REFUSED]
)
def test_each_construct_is_refused_on_the_other_targets(
    source, column, construct, target
):
    with pytest.raises(CompileError) as caught:
        hnncompile.compile("q = a\n" + source, target=target)
    error = caught.value
    assert (error.line, error.column) == (2, column)
    if "takes" in construct:  # sum(x, 1) on a scalar: the words of before
        assert error.message == construct
    else:
        assert error.message == (
            f"{construct} needs the array target: compile with target='numpy'"
        )
    lowered(source)  # and the array target takes it


def test_max_of_one_argument_keeps_its_words_on_the_scalar_targets():
    with pytest.raises(CompileError, match=r"max\(\) takes 2 or more arguments, got 1"):
        lower(parse("f = max(a)"))
    assert str(lowered("f = max(a)")).splitlines()[1] == "f = max_all a"


# --- Mistakes: a CompileError at the spot ---------------------------------

MISTAKES = [
    ("f = x.foo()", 1, 7, "unknown method 'foo'; the methods are abs, cos"),
    ("f = x.exq()", 1, 7, "unknown method 'exq' (did you mean 'exp'?)"),
    ("f = x.T.summ(1)", 1, 9, "unknown method 'summ' (did you mean 'sum'?)"),
    ("f = sum(x, axes=1)", 1, 12, "sum() has no keyword 'axes'; its keywords are axis"),
    ("f = x.sum(axes=1)", 1, 11, "sum() has no keyword 'axes'"),
    ("f = x.mean(0, keepdimz=True)", 1, 15, "mean() has no keyword 'keepdimz'"),
    ("f = x.sum(k)", 1, 11, "an axis is an integer literal"),
    ("f = x.sum(axis=1.5)", 1, 16, "an axis is an integer literal"),
    ("f = sum(x, axis=a+1)", 1, 17, "an axis is an integer literal"),
    ("f = x.sum(0, axis=1)", 1, 14, "sum() is given its axis twice"),
    ("f = x.sum(0, 1)", 1, 7, ".sum() takes at most one axis, got 2 arguments"),
    ("f = x.sum(0, keepdims=1)", 1, 23, "keepdims is True or False"),
    ("f = x.sum(0, keepdims=yes)", 1, 23, "keepdims is True or False"),
    ("f = x.sum(keepdims=True)", 1, 11, "keepdims=True needs an axis"),
    ("f = x.sum(axis=0, 1)", 1, 19, "a positional argument after a keyword argument"),
    ("f = x.sum(axis=0, axis=1)", 1, 19, "the keyword 'axis' is given twice"),
    ("f = max(a, b, axis=1)", 1, 15, "max() with an axis takes one array"),
    ("f = exp(x, axis=1)", 1, 12, "exp() takes no keyword 'axis'"),
    ("f = x.values", 1, 7, "'.values' follows an axis max or min"),
    ("f = x.sum(1).values", 1, 14, "'.values' follows an axis max or min"),
    ("f = x.max().values", 1, 13, "'.values' follows an axis max or min"),
    ("f = x.foo", 1, 7, "unknown attribute 'foo'; the attributes are T, shape, values"),
    ("f = x.Y", 1, 7, "unknown attribute 'Y'"),
    ("f = x.shape[0]", 1, 7, "x.shape[k] is allowed only as a size in reshape/view"),
    ("f = 2 * x.shape[1] + y", 1, 11, "allowed only as a size in reshape/view"),
    ("f = x.shape", 1, 7, "allowed only as a size in reshape/view"),
    ("f = x.shape[k]", 1, 12, "a dimension is one integer literal: y.shape[0]"),
    ("f = x.view(n, -1)", 1, 12, "a size in reshape/view is an integer literal, -1"),
    ("f = x.view(2.5)", 1, 12, "a size in reshape/view is an integer literal"),
    ("f = x.view(1, 2, 3, 4, 5)", 1, 7, "reshape takes 1 to 4 sizes, got 5"),
    ("f = x.view()", 1, 7, "reshape takes 1 to 4 sizes, got 0"),
    ("f = x[y + 1]", 1, 7, "an index is an integer literal, a slice (1:3, :), None"),
    ("f = x[1.5]", 1, 7, "an index is an integer literal"),
    ("f = x[:, Y]", 1, 10, "an index is an integer literal"),
    ("f = x[a:3]", 1, 7, "a slice's bounds are integer literals"),
    ("f = x[range(n)]", 1, 6, "a pick is P[range(n), Y]"),
    ("f = x[1, range(n)]", 1, 10, "range(n) is allowed only as the rows of a pick"),
    ("f = P[range(n), 2]", 1, 6, "a pick is P[range(n), Y]"),
    ("f = P[range(n), Y, 0]", 1, 6, "a pick is P[range(n), Y]"),
    ("f = P[range(n + 1), Y]", 1, 15, "the length of range(n) is a name or an integer"),
    ("f = range(n) * 2", 1, 5, "range(n) is allowed only as the rows of a pick"),
    ("f = (a, b)", 1, 6, "a tuple is allowed only as the sizes of reshape"),
    ("f = exp((a, b))", 1, 10, "a tuple is allowed only as the sizes of reshape"),
    ("f = (3).T", 1, 9, "a transpose needs an array, not a number"),
    ("f = 2 @ x", 1, 7, "the matrix product needs an array, not a number"),
    ("f = 3[0]", 1, 6, "indexing needs an array, not a number"),
    ("f = Maths.exp(q)", 1, 5, "unknown namespace 'Maths': only 'Math.', 'np.'"),
    ("f = G.relu(x)", 1, 5, "unknown namespace 'G'"),
    ("f = np.expp(x)", 1, 8, "unknown function 'expp' (did you mean 'exp'?)"),
    ("f = transpos(x)", 1, 5, "(did you mean 'transpose'?)"),
    ("f = x.exp(1) * x", 1, 7, ".exp() takes no arguments, got 1: x.exp() is exp(x)"),
    ("f = x.exp(1)", 1, 5, "unknown namespace 'x'"),  # x is nothing else
    ("f = x.T(1)", 1, 7, "unknown method 'T'"),
    ("f = dot(a)", 1, 5, "dot() takes 2 arguments, got 1"),
    ("f = x.", 1, 7, "unexpected end of program; expected a name"),
    ("f = x[1", 1, 8, "unexpected end of program; expected"),
    ("f = x[]", 1, 7, "unexpected ']'; expected an expression"),
    ("f = x @", 1, 8, "expected an expression"),
    ("f = x y", 1, 7, "unexpected name 'y'; expected an operator"),
]


@pytest.mark.parametrize(
    "source, line, column, words", MISTAKES, ids=[m[0] for m in MISTAKES]
)
def test_each_mistake_is_a_compile_error_at_its_place(source, line, column, words):
    with pytest.raises(CompileError) as caught:
        hnncompile.compile(source, target="numpy", filename="m.hnn")
    error = caught.value
    assert words in error.message
    assert (error.line, error.column) == (line, column), error.message
    assert str(error).startswith(f"m.hnn:{line}:{column}: ")


# --- With today's NumPy code generator: the one-expression gates -----------

COMPILED = [
    # program, input shapes, the same in JAX (written here, independently)
    (
        "h = X @ W\ns = h.T.sum(0)\nL = s.mean()",
        {"X": (5, 3), "W": (3, 4)},
        lambda X, W: jnp.mean(jnp.sum((X @ W).T, axis=0)),
    ),
    (
        "h = X @ W\nr = h.reshape(2, 10)\nm = r.max(1)\nL = sum(m * m)",
        {"X": (5, 3), "W": (3, 4)},
        lambda X, W: jnp.sum(jnp.max(jnp.reshape(X @ W, (2, 10)), axis=1) ** 2),
    ),
    (
        "L = sum((X @ W).sum(1, keepdims=True) * X.mean(-1, keepdims=True))",
        {"X": (5, 3), "W": (3, 4)},
        lambda X, W: jnp.sum(
            jnp.sum(X @ W, axis=1, keepdims=True) * jnp.mean(X, axis=-1, keepdims=True)
        ),
    ),
    (
        # (a broadcast after a keepdims reduction, c / c.sum(1, keepdims=True),
        # waits for the code generator's shape pass)
        "h = tanh(X @ W1)\nlogits = h @ W2\nm = logits.max(1, keepdim=True).values\n"
        "c = m.exp() * logits.min(1, keepdims=True)\nL = -c.T.mean(1).sum()",
        {"X": (6, 3), "W1": (3, 5), "W2": (5, 4)},
        lambda X, W1, W2: -jnp.sum(
            jnp.mean(
                (
                    jnp.exp(jnp.max(jnp.tanh(X @ W1) @ W2, axis=1, keepdims=True))
                    * jnp.min(jnp.tanh(X @ W1) @ W2, axis=1, keepdims=True)
                ).T,
                axis=1,
            )
        ),
    ),
    (
        "L = (A.t() @ B).view(-1).sum()",
        {"A": (3, 4), "B": (3, 2)},
        lambda A, B: jnp.sum(jnp.reshape(A.T @ B, -1)),
    ),
]


@pytest.mark.parametrize("source, shapes, reference", COMPILED)
def test_todays_numpy_codegen_runs_the_one_expression_gates(source, shapes, reference):
    import numpy as np

    f = hnncompile.compile(source, target="numpy")
    rng = np.random.default_rng(5)
    args = [rng.normal(size=shapes[name]) for name in f.inputs]
    every = tuple(range(len(args)))
    expected, grads = jax.value_and_grad(reference, argnums=every)(*args)
    np.testing.assert_allclose(f(*args), expected, rtol=1e-12)
    for grad, expected_grad, a in zip(f.backward(*args), grads, args):
        assert np.shape(grad) == np.shape(a)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-12)
    # and against centred differences
    report = hnncompile.gradcheck(f, *args)
    assert report.passed, str(report)
