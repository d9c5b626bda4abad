"""The chapter 3 examples in examples/: the spiral, the digits and the
lecture's MLP, each trained for a few steps by its script.

Each script trains with hnncompile's compiled gradients. Those tests are
marked xfail until the matrix language and its NumPy code generator land
(issue 12); meanwhile the same scripts are run here with a stand-in for
`hnncompile.compile_file`: the same loss written independently in
jax.numpy and differentiated by `jax.grad`, checked first against the
`.hnn` program itself run as the NumPy (or PyTorch) code it is. So the
scripts, their data and their training are tested now, and the day the
compiler handles the programs, its gradients are compared with JAX's.

JAX runs only in a worker process started fresh (spawned, not forked):
JAX starts threads, and a test that later forks this process (a
subprocess) could deadlock in a forked copy of them.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import importlib.util
import multiprocessing
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from test_codegen import compare_with_golden
from test_readme import blocks, check_lines, check_quote

import hnncompile

EXAMPLES = Path(__file__).parent.parent / "examples"

# Every chapter 3 program, the weights its script differentiates, and
# what the script passes as data.
PROGRAMS = {
    "chapter3_softmax": ["W", "b"],
    "chapter3_two_layer": ["W", "b", "W2", "b2"],
    "makemore_mlp_forward": ["C", "W1", "b1", "W2", "b2", "bngain", "bnbias"],
}


@pytest.fixture(scope="module", autouse=True)
def examples_importable():
    sys.path.insert(0, str(EXAMPLES))
    yield
    sys.path.remove(str(EXAMPLES))


def quiet(_line: str) -> None:
    pass


# --- the stand-in: each program's loss in jax.numpy ------------------------


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def _softmax_loss(jnp, p, d):
    scores = d["X"] @ p["W"] + p["b"]
    return _cross_entropy(jnp, scores, d["y"]) + 0.5 * d["reg"] * jnp.sum(p["W"] ** 2)


def _two_layer_loss(jnp, p, d):
    hidden = jnp.maximum(0, d["X"] @ p["W"] + p["b"])
    scores = hidden @ p["W2"] + p["b2"]
    reg = 0.5 * d["reg"] * (jnp.sum(p["W"] ** 2) + jnp.sum(p["W2"] ** 2))
    return _cross_entropy(jnp, scores, d["y"]) + reg


def _mlp_loss(jnp, p, d):
    Xb = d["Xb"]
    embcat = p["C"][Xb].reshape(Xb.shape[0], -1)
    hprebn = embcat @ p["W1"] + p["b1"]
    mean = hprebn.mean(0, keepdims=True)
    var = hprebn.var(0, keepdims=True, ddof=1)  # Bessel's correction, as the lecture
    bnraw = (hprebn - mean) / jnp.sqrt(var + 1e-5)
    h = jnp.tanh(p["bngain"] * bnraw + p["bnbias"])
    return _cross_entropy(jnp, h @ p["W2"] + p["b2"], d["Yb"])


def _cross_entropy(jnp, scores, labels):
    import jax

    logprobs = jax.nn.log_softmax(scores, axis=1)
    return -jnp.mean(jnp.take_along_axis(logprobs, labels[:, None], axis=1))


JAX_LOSSES = {
    "chapter3_softmax": _softmax_loss,
    "chapter3_two_layer": _two_layer_loss,
    "makemore_mlp_forward": _mlp_loss,
}
SIZES = ("num_examples", "n")  # the data that are lengths, not arrays


class JaxStandIn:
    """What `hnncompile.compile_file(path, target="numpy", wrt=...)` gives
    the scripts, with JAX's numbers: the object is the forward pass, and
    has `grad`, `value_and_grad` and `wrt` (the scripts use nothing else)."""

    def __init__(self, path, *, target="python", wrt=None, **_options):
        jax = _jax()
        import jax.numpy as jnp

        name = Path(path).stem
        assert target == "numpy" and set(wrt) == set(PROGRAMS[name]), (path, wrt)
        loss = JAX_LOSSES[name]
        self.wrt = tuple(wrt)
        self._loss = jax.jit(lambda p, d: loss(jnp, p, d))
        self._value_and_grad = jax.jit(jax.value_and_grad(lambda p, d: loss(jnp, p, d)))

    def _split(self, given):
        for size in SIZES:  # a length is the number of labels
            if size in given:
                assert given[size] == len(given.get("y", given.get("Yb")))
        params = {k: v for k, v in given.items() if k in self.wrt}
        data = {k: v for k, v in given.items() if k not in self.wrt}
        return params, {k: v for k, v in data.items() if k not in SIZES}

    def __call__(self, **given):
        return float(self._loss(*self._split(given)))

    def grad(self, **given):
        value, grads = self._value_and_grad(*self._split(given))
        return float(value), {k: np.asarray(grads[k]) for k in self.wrt}

    def value_and_grad(self, **given):
        value, grads = self.grad(**given)
        return value, tuple(grads[k] for k in self.wrt)


@pytest.fixture(scope="module")
def jax_worker():
    """A process of its own for JAX (see the module's docstring)."""
    if importlib.util.find_spec("jax") is None:
        pytest.skip("needs jax")
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
        yield lambda function, *args: pool.submit(function, *args).result()


# Run in the worker: the scripts see the stand-in as hnncompile.compile_file.


def _train_with_the_stand_in(script: str, *args):
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    hnncompile.compile_file = JaxStandIn
    return importlib.import_module(script).train(*args, report=quiet)


def _stand_in_loss(name: str, values: dict) -> float:
    path = EXAMPLES / f"{name}.hnn"
    return JaxStandIn(path, target="numpy", wrt=PROGRAMS[name])(**values)


def _the_lecture_in_pytorch(values: dict) -> float | None:
    """The lecture's loss, running its forward pass as PyTorch does (None
    where PyTorch is not installed)."""
    try:
        import torch
    except ImportError:
        return None
    tensors = {k: v if k == "n" else torch.as_tensor(v) for k, v in values.items()}
    namespace = exec_program("makemore_mlp_forward", {"torch": torch, **tensors})
    return namespace["loss"].item()


def _stand_in_grad(name: str, values: dict):
    path = EXAMPLES / f"{name}.hnn"
    return JaxStandIn(path, target="numpy", wrt=PROGRAMS[name]).grad(**values)


def exec_program(name: str, namespace: dict) -> dict:
    source = (EXAMPLES / f"{name}.hnn").read_text()
    exec(compile(source, f"{name}.hnn", "exec"), namespace)  # noqa: S102
    return namespace


def point(name: str, seed: int = 0) -> dict:
    """A random point for a program: small weights and data of the shapes
    its script uses (smaller batches)."""
    rng = np.random.default_rng(seed)
    if name == "makemore_mlp_forward":
        makemore_mlp = importlib.import_module("makemore_mlp")
        values = makemore_mlp.initial_parameters(rng)
        X, Y = makemore_mlp.dataset(makemore_mlp.NAMES[:20])
        return dict(values, Xb=X[:32], Yb=Y[:32], n=32)
    hidden = 7 if name == "chapter3_two_layer" else 3
    values = {
        "X": rng.standard_normal((40, 2)),
        "y": rng.integers(0, 3, size=40),
        "num_examples": 40,
        "reg": 1e-3,
        "W": rng.standard_normal((2, hidden)),
        "b": rng.standard_normal((1, hidden)),
    }
    if name == "chapter3_two_layer":
        values.update(W2=rng.standard_normal((hidden, 3)), b2=rng.standard_normal(3))
    return values


@pytest.mark.parametrize("name", ["chapter3_softmax", "chapter3_two_layer"])
def test_the_jax_stand_in_computes_the_programs_loss(name, jax_worker):
    """The CS231n programs are NumPy code: run as such, they give the loss
    the stand-in's JAX version gives."""
    values = point(name)
    loss = exec_program(name, {"np": np, **values})["loss"]
    assert jax_worker(_stand_in_loss, name, values) == pytest.approx(loss, rel=1e-12)
    assert 0.5 < loss < 20  # a real cross-entropy, not a constant


def test_the_lecture_forward_pass_is_pytorch_code_with_the_stand_ins_loss(
    jax_worker,
):
    """makemore_mlp_forward.hnn is the lecture's PyTorch: run as such, it
    gives the stand-in's loss."""
    values = point("makemore_mlp_forward")
    loss = jax_worker(_the_lecture_in_pytorch, values)
    if loss is None:
        pytest.skip("needs torch")
    assert jax_worker(_stand_in_loss, "makemore_mlp_forward", values) == (
        pytest.approx(loss, rel=1e-12)
    )


# --- the data the scripts make ----------------------------------------------


def test_the_spiral_is_cs231ns():
    X, y = importlib.import_module("chapter3_spiral").spiral()
    assert X.shape == (300, 2) and y.dtype.kind == "i"
    assert np.bincount(y).tolist() == [100, 100, 100]
    # Each arm starts at the centre and ends on the unit circle.
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius[[0, 100, 200]].tolist() == [0.0, 0.0, 0.0]
    assert radius[[99, 199, 299]] == pytest.approx([1.0, 1.0, 1.0])
    again, _ = importlib.import_module("chapter3_spiral").spiral()
    assert np.array_equal(X, again)  # a fixed seed


def test_the_digits_are_split_a_quarter_held_out():
    pytest.importorskip("sklearn")
    X_train, X_test, y_train, y_test = importlib.import_module(
        "chapter3_digits"
    ).digits()
    assert (X_train.shape, X_test.shape) == ((1347, 64), (450, 64))
    assert y_train.dtype.kind == "i" and sorted(set(y_test)) == list(range(10))
    assert 0.0 == X_train.min() and X_train.max() == 1.0


def test_the_character_data_is_the_lectures():
    makemore_mlp = importlib.import_module("makemore_mlp")
    X, Y = makemore_mlp.dataset(["emma"])
    # ... -> e, ..e -> m, .em -> m, emm -> a, mma -> .
    assert X.tolist() == [[0, 0, 0], [0, 0, 5], [0, 5, 13], [5, 13, 13], [13, 13, 1]]
    assert Y.tolist() == [5, 13, 13, 1, 0]
    assert len(makemore_mlp.NAMES) >= 300
    assert set("".join(makemore_mlp.NAMES)) == set(makemore_mlp.CHARACTERS[1:])


# --- the scripts, trained with JAX's gradients (until the compiler can) ------


def test_spiral_with_the_stand_in_reaches_98_percent(jax_worker):
    results = jax_worker(_train_with_the_stand_in, "chapter3_spiral")
    softmax, network = results["softmax"], results["two_layer"]
    assert softmax["history"][-1]["loss"] < softmax["history"][0]["loss"] - 0.3
    assert 0.4 < softmax["accuracy"] < 0.7  # no line separates the arms
    assert network["history"][-1]["loss"] < 0.3
    assert network["accuracy"] >= 0.98


def test_digits_with_the_stand_in_reach_95_percent_on_held_out_images(
    jax_worker,
):
    pytest.importorskip("sklearn")
    result = jax_worker(_train_with_the_stand_in, "chapter3_digits")
    assert result["history"][-1]["loss"] < result["history"][0]["loss"] / 5
    assert result["test_accuracy"] >= 0.95


def test_the_lecture_mlp_with_the_stand_in_learns(jax_worker):
    history = jax_worker(_train_with_the_stand_in, "makemore_mlp", 300)
    losses = [step["loss"] for step in history]
    assert losses[0] > 3.2  # about log(27): a uniform guess
    assert losses[-1] < losses[0] - 0.7


# --- the same with hnncompile's compiled gradients ---------------------------


@pytest.mark.parametrize("name", PROGRAMS)
def test_compiled_gradients_agree_with_jax(name, jax_worker):
    values = point(name, seed=1)
    f = hnncompile.compile_file(
        EXAMPLES / f"{name}.hnn", target="numpy", wrt=PROGRAMS[name]
    )
    assert set(f.wrt) == set(PROGRAMS[name])  # the data get no gradient
    value, grads = f.grad(**values)
    expected_value, expected = jax_worker(_stand_in_grad, name, values)
    assert float(value) == pytest.approx(expected_value, rel=1e-12)
    for weight in PROGRAMS[name]:
        assert grads[weight].shape == values[weight].shape, weight
        np.testing.assert_allclose(
            grads[weight], expected[weight], rtol=1e-10, atol=1e-12
        )


@pytest.mark.parametrize("name", PROGRAMS)
def test_compiled_gradients_pass_the_numerical_check(name):
    values = point(name, seed=2)
    f = hnncompile.compile_file(
        EXAMPLES / f"{name}.hnn", target="numpy", wrt=PROGRAMS[name]
    )
    assert hnncompile.gradcheck(f, values).passed


@pytest.mark.parametrize("name", PROGRAMS)
def test_committed_chapter3_module_is_up_to_date(name):
    """The module each script runs, committed as examples/NAME_numpy.py
    (HNN_UPDATE_GOLDEN=1 writes it) for the README to quote."""
    f = hnncompile.compile_file(
        EXAMPLES / f"{name}.hnn", target="numpy", wrt=PROGRAMS[name]
    )
    compare_with_golden(f.source, EXAMPLES / f"{name}_numpy.py")


def test_spiral_reaches_98_percent():
    results = importlib.import_module("chapter3_spiral").train(report=quiet)
    assert results["softmax"]["accuracy"] < 0.7
    assert results["two_layer"]["accuracy"] >= 0.98


def test_digits_reach_95_percent_on_held_out_images():
    pytest.importorskip("sklearn")
    result = importlib.import_module("chapter3_digits").train(report=quiet)
    assert result["test_accuracy"] >= 0.95


@pytest.mark.parametrize(
    "script, steps",
    [
        ("chapter3_spiral.py", ["--steps", "20", "--softmax-steps", "20"]),
        ("chapter3_digits.py", ["--steps", "20"]),
        ("makemore_mlp.py", ["--steps", "50"]),
    ],
)
def test_a_chapter3_script_runs_as_a_script_and_its_loss_falls(script, steps):
    if script == "chapter3_digits.py":
        pytest.importorskip("sklearn")
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *steps],
        capture_output=True,
        text=True,
        check=True,
    )
    losses = [float(m) for m in re.findall(r"loss (\d+\.\d+)", run.stdout)]
    assert len(losses) >= 11
    assert losses[-1] < losses[-11]  # the last model's first report and its last


@pytest.mark.parametrize("name", PROGRAMS)
def test_no_warning_for_the_chapter3_programs(name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hnncompile.compile_file(
            EXAMPLES / f"{name}.hnn", target="numpy", wrt=PROGRAMS[name]
        )
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("name", PROGRAMS)
def test_the_python_target_refuses_the_chapter3_programs(name):
    """Whether or not the matrix language has landed, these programs are
    not the python target's: today they do not parse, then they are
    refused at the construct, saying to use the numpy target."""
    path = EXAMPLES / f"{name}.hnn"
    with pytest.raises(hnncompile.CompileError) as caught:
        hnncompile.compile_file(path)
    lines = path.read_text().splitlines()
    first = next(i for i, line in enumerate(lines, 1) if line and line[0] != "#")
    assert caught.value.line >= first  # at a statement, not in the comments


def test_the_examples_readme_walks_chapter_3():
    readme = (EXAMPLES / "README.md").read_text()
    chapter = readme[readme.index("## Chapter 3") :]
    for name in [*PROGRAMS, "chapter3_spiral", "chapter3_digits", "makemore_mlp"]:
        suffix = ".hnn" if name in PROGRAMS else ".py"
        assert f"]({name}{suffix})" in chapter, name
    # Each program's generated backward is quoted (and the quotes are
    # checked below); no placeholder is left.
    assert "<!-- generated code goes here" not in chapter
    quoted = {path for path, _, _ in blocks(chapter) if path}
    for name in PROGRAMS:
        assert f"{name}_numpy.py" in quoted, name
    assert "../tests/golden/lecture_mlp.py" in quoted
    for script in ("chapter3_spiral", "chapter3_digits", "makemore_mlp"):
        assert f"$ python examples/{script}.py" in chapter


# --- the walk-through's quotes are the generated code ------------------------

# The spiral's shapes, as chapter3_spiral.py makes them (3 arms of 100
# points in the plane, 100 hidden units), for the README's block
# "compiled from chapter3_softmax.hnn for the spiral's shapes".
SPIRAL_SHAPES = {
    "X": (300, 2),
    "W": (2, 3),
    "b": (1, 3),
    "num_examples": (),
    "y": (300,),
    "reg": (),
}


def _chapter_3() -> str:
    readme = (EXAMPLES / "README.md").read_text()
    return readme[readme.index("## Chapter 3") :]


def test_the_chapter_3_quotes_are_the_generated_files():
    """Every line the walk-through quotes is a line of the module it names
    (committed beside the program, or the lecture's golden file), in the
    module's order, so the text cannot drift from the code."""
    quotes = [(path, body) for path, _, body in blocks(_chapter_3()) if path]
    assert len(quotes) >= 6
    for path, body in quotes:
        assert check_quote(body, EXAMPLES / path) >= 3, path


def test_the_softmax_for_the_spirals_shapes_reads_as_quoted():
    compiled = re.findall(
        r"<!-- compiled from chapter3_softmax.hnn for the spiral's shapes -->\n"
        r"```python\n(.*?)```",
        _chapter_3(),
        flags=re.S,
    )
    assert len(compiled) == 1
    f = hnncompile.compile_file(
        EXAMPLES / "chapter3_softmax.hnn",
        target="numpy",
        wrt=PROGRAMS["chapter3_softmax"],
        shapes=SPIRAL_SHAPES,
        optimize=True,
    )
    assert "X.T @ dscores" in compiled[0]
    assert check_lines(compiled[0], f.source.splitlines(), "the module") == 3


def test_scikit_learn_is_an_examples_extra_not_a_dependency():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((EXAMPLES.parent / "pyproject.toml").read_text())
    project = project["project"]
    assert project["optional-dependencies"]["examples"] == ["scikit-learn>=1.0"]
    assert not any("scikit" in d for d in project["dependencies"])


def test_dscores_is_cs231ns_one_liner_as_the_walk_through_says():
    """examples/README.md: `dscores` is `(probs - onehot(y)) / num_examples`,
    worked out one gate at a time (the regularization does not reach it)."""
    values = point("chapter3_softmax", seed=3)
    f = hnncompile.compile_file(
        EXAMPLES / "chapter3_softmax.hnn",
        target="numpy",
        wrt=PROGRAMS["chapter3_softmax"],
    )
    trace = f.trace(**values)
    probs = trace.values["probs"]
    onehot = np.eye(3)[values["y"]]
    expected = (probs - onehot) / values["num_examples"]
    np.testing.assert_allclose(
        trace.gradients["scores"], expected, rtol=1e-12, atol=1e-15
    )
    assert "`(probs - onehot(y)) / num_examples`" in " ".join(_chapter_3().split())


def test_dlogit_maxes_is_zero_up_to_rounding_as_the_walk_through_says():
    values = point("makemore_mlp_forward", seed=4)
    f = hnncompile.compile_file(
        EXAMPLES / "makemore_mlp_forward.hnn",
        target="numpy",
        wrt=PROGRAMS["makemore_mlp_forward"],
    )
    gradients = f.trace(**values).gradients
    assert np.abs(gradients["logit_maxes"]).max() < 1e-15
    assert np.abs(gradients["logits"]).max() > 1e-3  # not everything is zero


def test_the_two_layer_network_for_its_shapes_reads_as_the_walk_through_says():
    shapes = dict(SPIRAL_SHAPES, W=(2, 100), b=(1, 100), W2=(100, 3), b2=(1, 3))
    f = hnncompile.compile_file(
        EXAMPLES / "chapter3_two_layer.hnn",
        target="numpy",
        wrt=PROGRAMS["chapter3_two_layer"],
        shapes=shapes,
        optimize=True,
    )
    lines = [line.strip() for line in f.source.splitlines()]
    assert "dhidden_layer = dscores @ W2.T" in lines
    assert "`dhidden_layer = dscores @ W2.T`" in _chapter_3()
