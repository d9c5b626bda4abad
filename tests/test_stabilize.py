"""The stability pass (SPEC section 6): the rewrites, their records, their
comments in every target's module, the switches that turn them off, and
the numbers: unchanged at ordinary points, finite at extreme ones."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import black
import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_codegen import compare_with_golden
from test_js_target import NODE, Node
from test_readme import blocks, run_block, section

import hnncompile
from hnncompile import cli, lower, parse
from hnncompile.gates import GATES
from hnncompile.ir import Const, Eqn, GateList, Wire
from hnncompile.stabilize import KINDS, Rewrite, stabilize, summary

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)

ROOT = Path(__file__).parent.parent
TESTS = Path(__file__).parent
LOGISTIC = "f = -sum(log(sigmoid(y*(w*x+b))))"


def lowered(source: str, target: str = "python") -> GateList:
    return lower.lower(parse.parse(source), target)


def rewritten(source: str, target: str = "python") -> tuple[GateList, tuple]:
    return stabilize(lowered(source, target))


# -- the patterns, on the gate list ------------------------------------------

# source, target, the gate list after the pass, what the record says
PATTERNS = {
    "log(sigmoid(x))": (
        "f = log(sigmoid(q))",
        "python",
        "inputs q\nf = log_sigmoid q\noutput f",
        ("log(sigmoid(q))", "log_sigmoid(q)"),
    ),
    "log(1 - sigmoid(x))": (
        "f = log(1 - sigmoid(q))",
        "python",
        "inputs q\nt2 = neg q\nf = log_sigmoid t2\noutput f",
        ("log(1 - sigmoid(q))", "log_sigmoid(-q)"),
    ),
    "log(1 + exp(x))": (
        "f = log(1 + exp(x))",
        "python",
        "inputs x\nf = softplus x\noutput f",
        ("log(1 + exp(x))", "softplus(x)"),
    ),
    "log(exp(x) + 1)": (
        "f = log(exp(x) + 1)",
        "python",
        "inputs x\nf = softplus x\noutput f",
        ("log(exp(x) + 1)", "softplus(x)"),
    ),
    "log(sum(exp(x)))": (
        "f = log(sum(exp(x)))",
        "numpy",
        "inputs x\nf = logsumexp x\noutput f",
        ("log(sum(exp(x)))", "logsumexp(x)"),
    ),
    "log(exp(x).sum(1))": (
        "f = log(exp(x).sum(1))",
        "numpy",
        "inputs x\nf = logsumexp_axis x 1\noutput f",
        ("log(exp(x).sum(1))", "logsumexp(x, axis=1)"),
    ),
    "log(exp(x).sum(1, keepdims=True))": (
        "f = torch.log(x.exp().sum(1, keepdims=True))",
        "numpy",
        "inputs x\nf = logsumexp_keepdims x 1\noutput f",
        (
            "torch.log(x.exp().sum(1, keepdims=True))",  # as the user wrote it
            "logsumexp(x, axis=1, keepdims=True)",
        ),
    ),
    "log(softmax(x))": (
        "f = log(softmax(x))",
        "numpy",
        "inputs x\nf = log_softmax x\noutput f",
        ("log(softmax(x))", "log_softmax(x)"),
    ),
    "log(softmax(x, 1))": (
        "f = log(F.softmax(x, dim=1))",
        "numpy",
        "inputs x\nf = log_softmax_axis x 1\noutput f",
        ("log(F.softmax(x, dim=1))", "log_softmax(x, axis=1)"),
    ),
    "log(1 + x)": (
        "f = log(1 + x)",
        "python",
        "inputs x\nf = log1p x\noutput f",
        ("log(1 + x)", "log1p(x)"),
    ),
    "log(x + 1.0)": (
        "f = log(x + 1.0)",
        "python",
        "inputs x\nf = log1p x\noutput f",
        ("log(x + 1.0)", "log1p(x)"),
    ),
    "exp(x) - 1": (
        "f = exp(x) - 1",
        "python",
        "inputs x\nf = expm1 x\noutput f",
        ("exp(x) - 1", "expm1(x)"),
    ),
    # more forms users write
    "-1 + exp(x)": (
        "f = -1 + exp(x)",
        "python",
        "inputs x\nf = expm1 x\noutput f",
        ("-1 + exp(x)", "expm1(x)"),
    ),
    "log1p(exp(x))": (
        "f = log1p(exp(x))",
        "python",
        "inputs x\nf = softplus x\noutput f",
        ("log1p(exp(x))", "softplus(x)"),
    ),
    "log(1 - x)": (
        "f = log(1 - x)",
        "python",
        "inputs x\nt1 = neg x\nf = log1p t1\noutput f",
        ("log(1 - x)", "log1p(-x)"),
    ),
    "log(1 - a*x)": (
        "f = log(1 - a*x)",
        "numpy",
        "inputs a, x\nt1 = mul a x\nt2 = neg t1\nf = log1p t2\noutput f",
        ("log(1 - a*x)", "log1p(-(a*x))"),
    ),
}


@pytest.mark.parametrize("name", PATTERNS)
def test_each_pattern_becomes_its_stable_gate(name):
    source, target, expected, (written, became) = PATTERNS[name]
    stable_gate = expected.splitlines()[-2].split()[2]
    before = lowered(source, target)
    gates, rewrites = stabilize(before)
    assert str(gates) == expected
    gates.check()
    [rewrite] = rewrites
    [root] = [eqn for eqn in before.eqns if eqn.out == "f"]  # the log, or the -
    assert (rewrite.line, rewrite.column) == (1, root.column)
    assert (rewrite.written, rewrite.became) == (written, became)
    assert rewrite.kind in KINDS
    operand = rewrite.became.split("(")[1].split(",")[0].strip("-)")
    assert operand in rewrite.why and "{" not in rewrite.why
    # the rewritten gate keeps the log's name and says what it replaced
    [noted] = [eqn for eqn in gates.eqns if eqn.note]
    assert noted.out == "f" and noted.gate == stable_gate
    assert noted.note.startswith(f"you wrote {rewrite.written}: {rewrite.became} is ")


def test_softplus_is_tried_before_log1p():
    gates, [rewrite] = rewritten("f = log(1 + exp(x))")
    assert [eqn.gate for eqn in gates.eqns] == ["softplus"]
    assert rewrite.kind == "log(1 + exp(x)) -> softplus(x)"


def test_an_intermediate_something_else_reads_stays():
    gates, [rewrite] = rewritten("t = sigmoid(q)\nf = log(t) * t")
    assert str(gates) == (
        "inputs q\nt = sigmoid q\nt1 = log_sigmoid q\nf = mul t1 t\noutput f"
    )
    assert rewrite.written == "log(t) where t = sigmoid(q)"
    # ...and one the output is, too
    gates, _ = rewritten("s = sigmoid(q)\nf = log(s)\ng = f + s")
    assert [eqn.out for eqn in gates.eqns] == ["s", "f", "g"]


def test_an_intermediate_used_twice_by_patterns_goes_when_both_are_rewritten():
    gates, rewrites = rewritten("s = sigmoid(q)\nf = log(s) + log(1 - s)")
    assert str(gates) == (
        "inputs q\nt1 = log_sigmoid q\nt2 = neg q\nt3 = log_sigmoid t2\n"
        "f = add t1 t3\noutput f"
    )
    assert [r.kind.split(" ->")[0] for r in rewrites] == [
        "log(sigmoid(x))",
        "log(1 - sigmoid(x))",
    ]


def test_a_named_intermediate_is_dropped_and_the_record_names_it():
    gates, [rewrite] = rewritten("s = sigmoid(q)\nf = log(s)")
    assert str(gates) == "inputs q\nf = log_sigmoid q\noutput f"
    assert (rewrite.line, rewrite.column) == (2, 5)
    assert rewrite.written == "log(s) where s = sigmoid(q)"
    assert rewrite.became == "log_sigmoid(q)"
    assert str(rewrite) == (
        "line 2: log(s) where s = sigmoid(q) -> log_sigmoid(q): sigmoid(q) "
        "rounds to 0 below q = -745, and log(0) is -inf"
    )
    # a named `1 - sigmoid(q)` keeps its name off the neg gate
    gates, [rewrite] = rewritten("u = 1 - sigmoid(q)\nf = log(u)")
    assert [(e.out, e.gate) for e in gates.eqns] == [
        ("t2", "neg"),
        ("f", "log_sigmoid"),
    ]
    assert rewrite.written == "log(u) where u = 1 - sigmoid(q)"


def test_what_is_not_a_pattern_is_left_alone():
    for source in (
        "f = log(2 + exp(x))",
        "f = 1 - exp(x)",
        "f = log(2 - x)",
        "f = 1 + exp(x)",
        "f = log1p(sigmoid(x))",
        "f = exp(x) - 2",
        "f = log(sigmoid(q) + 1) * 0 + log(q)",
        "f = log(x) + sigmoid(x)",
        "f = exp(x) + 1",
        "q = a*x + b*y + c\nf = sigmoid(q)",
    ):
        gates = lowered(source)
        if "sigmoid(q) + 1" in source:
            continue  # that is log(1 + x) with x = sigmoid(q): a log1p
        result, rewrites = stabilize(gates)
        assert rewrites == () and result is gates, source


def test_the_pass_keeps_the_other_gates_and_their_places():
    gates, _ = rewritten(LOGISTIC, "numpy")
    assert str(gates) == (
        "inputs y, w, x, b\nt1 = mul w x\nt2 = add t1 b\nt3 = mul y t2\n"
        "t5 = log_sigmoid t3\nt6 = sum t5\nf = neg t6\noutput f"
    )
    assert [(e.line, e.column) for e in gates.eqns][-3] == (1, 10)


def test_a_long_chain_takes_linear_time():
    """10^5 gates: 3 x 33,334 of log(1 + exp(x)), each feeding the next."""
    n = 33_334
    eqns = []
    previous = "x"
    for k in range(n):
        e, s, out = f"e{k}", f"s{k}", f"y{k}"
        eqns += [
            Eqn(e, "exp", (Wire(previous),), line=k + 1, column=5),
            Eqn(s, "add", (Const(1.0, "1"), Wire(e)), line=k + 1, column=5),
            Eqn(out, "log", (Wire(s),), line=k + 1, column=5),
        ]
        previous = out
    gates = GateList(("x",), tuple(eqns), previous, frozenset())
    start = time.perf_counter()
    result, rewrites = stabilize(gates)
    elapsed = time.perf_counter() - start
    assert len(rewrites) == n and len(result.eqns) == n
    assert {eqn.gate for eqn in result.eqns} == {"softplus"}
    assert elapsed < 10, elapsed  # about 0.5 s here; quadratic would be hours
    assert summary(rewrites).startswith(
        f"stabilize: {n} rewrites (log(1 + exp(x)) -> softplus(x) x{n} at lines 1, 2,"
    )


def test_the_summary_counts_each_kind():
    one = Rewrite(3, 5, "log(sigmoid(q))", "log_sigmoid(q)", "...", KINDS[0])
    other = Rewrite(4, 5, "exp(x) - 1", "expm1(x)", "...", KINDS[-1])
    assert summary((one,)) == (
        "stabilize: 1 rewrite (log(sigmoid(x)) -> log_sigmoid(x) at line 3)"
    )
    assert summary((one, other, replace(one, line=7))) == (
        "stabilize: 3 rewrites (log(sigmoid(x)) -> log_sigmoid(x) x2 at lines 3, 7; "
        "exp(x) - 1 -> expm1(x) at line 4)"
    )


def test_every_rewrite_has_its_gate_in_the_catalogue():
    for kind in KINDS:
        gate = kind.split("-> ")[1].split("(")[0]
        assert gate in GATES, kind


def test_the_gate_list_prints_no_note():
    eqn = Eqn("f", "log", (Wire("q"),), note="you wrote ...")
    assert str(eqn) == "f = log q"


# -- the comment, in every target's module -----------------------------------


@pytest.mark.parametrize("target", ["python", "numpy", "js"])
def test_the_note_is_a_comment_above_the_forward_line(target):
    f = hnncompile.compile("q = w*x + b\nf = log(sigmoid(q))", target=target)
    mark = "//" if target == "js" else "#"
    lines = f.source.splitlines()
    start = next(i for i, line in enumerate(lines) if "forward(" in line[:24])
    forward = lines[start:]
    at = next(i for i, line in enumerate(forward) if "you wrote" in line)
    assert forward[at].strip() == f"{mark} you wrote log(sigmoid(q)):"
    assert forward[at + 1].strip() == (
        f"{mark} log_sigmoid(q) is the same number, and finite where sigmoid(q) "
        "rounds to 0"
    )
    # then why log_sigmoid is written as it is, then its line
    assert (
        forward[at + 2].strip() == f"{mark} log_sigmoid as min(q, 0) - log1p(e^-|q|):"
    )
    assert forward[at + 4].strip().startswith(("f = ", "var f = "))
    assert f.source.count("you wrote") == 1  # not over backward's recomputation
    if target != "js":
        assert black.format_str(f.source, mode=black.Mode()) == f.source
    quiet = hnncompile.compile("f = log(sigmoid(q))", target=target, comments=False)
    assert "you wrote" not in quiet.source


def test_a_long_note_wraps_as_the_comments_do():
    name = "a_rather_long_name_for_the_score_of_the_classifier"
    f = hnncompile.compile(f"f = log(1 - sigmoid({name}))", target="numpy")
    noted = [line for line in f.source.splitlines() if line.startswith("    #")]
    assert all(len(line) <= 88 for line in f.source.splitlines())
    assert f"    # you wrote log(1 - sigmoid({name})):" in noted
    assert black.format_str(f.source, mode=black.Mode()) == f.source


def test_stable_false_gives_the_old_module_bytes():
    for source in ("f = log(sigmoid(q))", LOGISTIC, "f = exp(x) - 1 + log(1 + x)"):
        for target in ("python", "numpy", "js"):
            old = hnncompile.codegen.generate(lowered(source, target), target=target)
            f = hnncompile.compile(source, target=target, stable=False)
            assert f.source == old and f.rewrites == () and f.passes == ()


def _programs_without_patterns():
    for path in sorted([*ROOT.glob("examples/*.hnn"), *TESTS.glob("programs/*.hnn")]):
        yield path


@pytest.mark.parametrize("path", list(_programs_without_patterns()), ids=str)
def test_a_program_without_the_patterns_compiles_to_the_same_bytes(path):
    target = "python"
    try:
        f = hnncompile.compile_file(path)
    except hnncompile.CompileError:
        target = "numpy"
        f = hnncompile.compile_file(path, target=target)
    old = hnncompile.compile_file(path, target=target, stable=False)
    if f.rewrites:
        assert f.source != old.source  # a pattern: the golden changes (say so)
    else:
        assert f.source == old.source and f.passes == ()


# -- the API and the command line ----------------------------------------------


def test_f_rewrites_and_f_passes():
    source = "q = w*x + b\nf = log(sigmoid(q))\ng = exp(f) - 1"
    f = hnncompile.compile(source)
    assert [r.became for r in f.rewrites] == ["log_sigmoid(q)", "expm1(f)"]
    assert [p.name for p in f.passes] == ["lower", "stabilize"]
    assert f.passes[1].rewrites == f.rewrites and f.passes[1].gates is f.gates
    assert "stabilize: 2 rewrites" in str(f.passes[1])
    assert len(f.passes[0].gates.eqns) == 6 and len(f.gates.eqns) == 4
    optimized = hnncompile.compile(source, optimize=True)
    assert [p.name for p in optimized.passes][:3] == [
        "lower",
        "stabilize",
        "fold_identities",
    ]
    # without a rewrite: as before the pass existed
    plain = hnncompile.compile("f = sigmoid(q)", optimize=True)
    assert [p.name for p in plain.passes][:2] == ["lower", "fold_identities"]
    assert plain.rewrites == () and hnncompile.compile("f = q").passes == ()


def test_compile_file_takes_stable(tmp_path):
    path = tmp_path / "loss.hnn"
    path.write_text("f = log(1 + exp(x))\n")
    assert hnncompile.compile_file(path).rewrites[0].line == 1
    assert hnncompile.compile_file(path, stable=False).rewrites == ()
    assert hnncompile.compile_file(path)(1000.0) == 1000.0
    with pytest.raises(OverflowError):
        hnncompile.compile_file(path, stable=False)(1000.0)


def test_the_command_line_report_and_switch(capsys):
    assert cli.main(["compile", "-e", LOGISTIC, "--emit", "passes"]) == 0
    out = capsys.readouterr().out
    assert (
        "# after stabilize: 6 gates\n"
        "# stabilize: 1 rewrite (log(sigmoid(x)) -> log_sigmoid(x) at line 1)\n"
        "#   line 1: log(sigmoid(y*(w*x+b))) -> log_sigmoid(y*(w*x+b)): "
        "sigmoid(y*(w*x+b)) rounds to 0 below y*(w*x+b) = -745, and log(0) is -inf\n"
        "inputs y, w, x, b\n"
    ) in out
    assert cli.main(["compile", "-e", LOGISTIC, "--emit", "passes", "--no-stable"]) == 0
    assert "stabilize" not in capsys.readouterr().out
    assert cli.main(["compile", "-e", LOGISTIC, "--no-stable"]) == 0
    named = {"filename": "<expression>"}
    plain = hnncompile.compile(LOGISTIC, stable=False, **named)
    assert capsys.readouterr().out == plain.source
    assert cli.main(["compile", "-e", LOGISTIC]) == 0
    out = capsys.readouterr().out
    assert out == hnncompile.compile(LOGISTIC, **named).source != plain.source


@pytest.mark.parametrize("command", ["grad", "check", "trace", "draw", "explore"])
def test_every_command_that_compiles_takes_no_stable(command, monkeypatch, tmp_path):
    seen = []

    def compiling(source, **options):
        seen.append(options.get("stable", True))
        return hnncompile.compile(source, **options)

    monkeypatch.setattr(cli, "compile", compiling)
    out = ["-o", str(tmp_path / "c.dot")] if command == "draw" else []
    out = ["-o", str(tmp_path / "p.html")] if command == "explore" else out
    if command == "explore":
        pytest.importorskip("graphviz")
    args = [command, "-e", "f = log(1 + q*q)", "q=0.5", *out]
    assert cli.main([*args, "--no-stable"]) == 0
    assert cli.main(args) == 0
    assert seen == [False, True]


def test_the_trace_shows_the_rewritten_circuit():
    run = [sys.executable, "-m", "hnncompile", "trace", "-e", "f = log(sigmoid(q))"]
    stable = subprocess.run([*run, "q=-1000"], capture_output=True, text=True)
    assert stable.returncode == 0, stable.stderr
    assert "t1" not in stable.stdout and "-1000" in stable.stdout
    plain = subprocess.run([*run, "q=2", "--no-stable"], capture_output=True, text=True)
    assert plain.returncode == 0 and "t1" in plain.stdout


# -- the numbers -------------------------------------------------------------

mpmath.mp.dps = 50


def _m_log_sigmoid(x):
    return -mpmath.log1p(mpmath.exp(-x))


SCALAR_CASES = [
    # source, the true value at x as a function of mpmath numbers
    ("f = log(sigmoid(x))", _m_log_sigmoid),
    ("f = log(1 - sigmoid(x))", lambda x: _m_log_sigmoid(-x)),
    ("f = log(1 + exp(x))", lambda x: mpmath.log1p(mpmath.exp(x))),
    ("f = log(exp(x) + 1)", lambda x: mpmath.log1p(mpmath.exp(x))),
    ("f = log(1 + x*x)", lambda x: mpmath.log1p(x * x)),
    ("f = exp(x) - 1", mpmath.expm1),
    ("f = log(sum(exp(x)))", lambda x: x),
]


@pytest.mark.parametrize("target", ["python", "numpy", "js"])
@pytest.mark.parametrize("source, true", SCALAR_CASES)
def test_each_pattern_is_finite_at_the_extremes(source, true, target):
    f = hnncompile.compile(source, target=target)
    assert f.rewrites
    for x in (-1000.0, -800.0, -40.0, -1e-20, 0.0, 3e-17, 2.5, 40.0, 800.0, 1000.0):
        value = float(true(mpmath.mpf(x)))
        grad = float(mpmath.diff(true, mpmath.mpf(x)))
        if not (abs(value) < 1e300 and abs(grad) < 1e300):
            continue
        got = f(x)
        [dx] = f.backward(x)
        assert math.isfinite(got) and math.isfinite(dx), (x, got, dx)
        assert got == pytest.approx(value, rel=1e-12, abs=1e-300), x
        assert dx == pytest.approx(grad, rel=1e-9, abs=1e-12), x


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_the_javascript_modules_run_and_are_finite_at_the_extremes():
    """The note is a `//` comment node reads past; the numbers are the
    python target's, finite."""
    node = Node()
    try:
        for source, _ in SCALAR_CASES:
            js = hnncompile.compile(source, target="js")
            assert "  // you wrote " in js.source
            points = [(x,) for x in (-1000.0, -800.0, 1e-20, 2.5, 700.0)]
            for (x,), (value, (dx,)) in zip(points, node.run(js.source, points)):
                want, (want_dx,) = js(x), js.backward(x)
                assert value == pytest.approx(want, rel=1e-9, abs=1e-300), source
                assert dx == pytest.approx(want_dx, rel=1e-9, abs=1e-300), source
                assert math.isfinite(value) and math.isfinite(dx), (source, x)
    finally:
        node.close()


def test_the_logistic_loss_at_w_20():
    """The issue's example: inf and nan before, finite after."""
    y, x = np.array([1.0, -1.0, 1.0]), np.array([3.0, 40.0, -2.0])
    w, b = 20.0, 0.5
    before = hnncompile.compile(LOGISTIC, target="numpy", stable=False)
    with np.errstate(all="ignore"):
        assert before(y, w, x, b) == math.inf
        assert np.isnan(before.backward(y, w, x, b)[1])
    after = hnncompile.compile(LOGISTIC, target="numpy")
    with np.errstate(
        over="raise", divide="raise", invalid="raise"
    ):  # no warning either
        value = after(y, w, x, b)
        dy, dw, dx, db = after.backward(y, w, x, b)
    margins = [mpmath.mpf(yi) * (w * mpmath.mpf(xi) + b) for yi, xi in zip(y, x)]
    assert value == pytest.approx(float(-sum(map(_m_log_sigmoid, margins))))
    true_dw = -sum(
        mpmath.mpf(yi) * xi / (1 + mpmath.exp(m)) for yi, xi, m in zip(y, x, margins)
    )
    assert dw == pytest.approx(float(true_dw), rel=1e-12)


# the README's before and after, a golden module it quotes
def test_the_logistic_golden_module():
    f = hnncompile.compile(LOGISTIC, target="numpy")
    compare_with_golden(f.source, TESTS / "golden" / "stable_logistic_numpy.py")


@pytest.mark.parametrize(
    "source, gate, reference",
    [
        (
            "f = log(exp(X).sum(1))",
            "logsumexp_axis",
            lambda X: jax.scipy.special.logsumexp(X, axis=1),
        ),
        (
            "f = np.log(np.exp(X).sum(axis=1, keepdims=True))",
            "logsumexp_keepdims",
            lambda X: jax.scipy.special.logsumexp(X, axis=1, keepdims=True),
        ),
        (
            "f = log(sum(exp(X)))",
            "logsumexp",
            lambda X: jax.scipy.special.logsumexp(X),
        ),
        (
            "f = log(softmax(X, 1))",
            "log_softmax_axis",
            lambda X: jax.nn.log_softmax(X, axis=1),
        ),
        (
            "f = log(softmax(X))",
            "log_softmax",
            lambda X: jax.nn.log_softmax(X, axis=None),
        ),
    ],
)
def test_the_array_patterns_against_jax(source, gate, reference):
    f = hnncompile.compile(source, target="numpy")
    assert len(f.rewrites) == 1
    assert [eqn.gate for eqn in f.gates.eqns] == [gate]
    X = np.array([[1000.0, -1000.0, 2.0], [-800.0, -801.0, -799.5]])
    dout = np.random.default_rng(0).normal(size=np.shape(reference(X)))
    value, vjp = jax.vjp(reference, X)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        got = f(X)
        [dX] = f.backward(X, dout)
    np.testing.assert_allclose(got, value, rtol=1e-12)
    np.testing.assert_allclose(dX, vjp(dout)[0], rtol=1e-9, atol=1e-300)
    # at ordinary points, the same numbers as without the pass
    X = np.array([[0.3, -1.2, 2.0], [0.5, 0.25, -0.75]])
    plain = hnncompile.compile(source, target="numpy", stable=False)
    np.testing.assert_allclose(f(X), plain(X), rtol=1e-12)
    np.testing.assert_allclose(f.backward(X, dout), plain.backward(X, dout), rtol=1e-9)


# -- random programs with the patterns planted ----------------------------------
#
# A tree is ("in", name) or (op, child, ...). The patterns' operands are
# any tree; around them, gates whose values stay finite at the extremes
# (so that what is checked there is the pass's work, not an exp of 1000
# elsewhere): +, -, tanh, a constant times, an input times a tanh.

INPUTS = ("a", "b", "c")
PLANTED = {
    "log_sigmoid": "log(sigmoid({0}))",
    "log_one_minus": "log(1 - sigmoid({0}))",
    "softplus": "log(1 + exp({0}))",
    "softplus_commuted": "log(exp({0}) + 1)",
    "logsumexp": "log(sum(exp({0})))",
    "log1p_square": "log(1 + ({0})**2)",
    "log1p_sigmoid": "log(sigmoid({0}) + 1)",
    "expm1": "exp(tanh({0})) - 1",
    "expm1_commuted": "-1 + exp(tanh({0}))",
    "log1p_exp": "log1p(exp({0}))",
    "log1p_minus": "log(1 - 0.5 * tanh({0}))",
}
AROUND = {
    "add": "({0}) + ({1})",
    "sub": "({0}) - ({1})",
    "neg": "-({0})",
    "tanh": "tanh({0})",
    "half": "0.5 * ({0})",
    "times": "{2} * tanh({0})",
}


# ...and on arrays, where a softmax is more than the number 1
PLANTED_ON_ARRAYS = {"log_softmax": "log(softmax({0}))"}


def _trees(depth: int, planted: list[str]):
    leaf = st.sampled_from(INPUTS).map(lambda name: ("in", name))
    if depth == 0:
        return leaf
    child = _trees(depth - 1, planted)
    pattern = st.tuples(st.sampled_from(planted), child)
    unary = st.tuples(st.sampled_from(["neg", "tanh", "half"]), child)
    binary = st.tuples(st.sampled_from(["add", "sub"]), child, child)
    times = st.tuples(st.just("times"), child, st.sampled_from(INPUTS))
    return st.one_of(leaf, pattern, unary, binary, times)


def programs(target: str):
    """Trees with at least one pattern planted: at the root, beside another
    tree, or under a tanh or a minus."""
    planted = sorted(PLANTED) + (sorted(PLANTED_ON_ARRAYS) if target == "numpy" else [])
    pattern = st.sampled_from(planted)
    return st.one_of(
        st.tuples(pattern, _trees(2, planted)),
        st.tuples(
            st.sampled_from(["add", "sub"]),
            st.tuples(pattern, _trees(1, planted)),
            _trees(2, planted),
        ),
        st.tuples(
            st.sampled_from(["tanh", "neg"]), st.tuples(pattern, _trees(2, planted))
        ),
    )


def render(tree) -> str:
    op = tree[0]
    if op == "in":
        return tree[1]
    if op == "times":
        return AROUND[op].format(render(tree[1]), "", tree[2])
    template = PLANTED.get(op) or PLANTED_ON_ARRAYS.get(op) or AROUND[op]
    return template.format(*(render(child) for child in tree[1:]))


def true_value(tree, point: dict):
    """The tree's value at `point` (input -> list of mpmath numbers, one per
    element), each pattern by its stable formula (exact in mpmath), `sum`
    over the elements. A list, or one number for a sum."""
    op = tree[0]
    if op == "in":
        return point[tree[1]]
    if op == "times":
        inner = true_value(tree[1], point)
        return _map2(lambda u, v: v * mpmath.tanh(u), inner, point[tree[2]])
    args = [true_value(child, point) for child in tree[1:]]
    if op == "log_softmax":
        [x] = args
        if not isinstance(x, list):
            return mpmath.mpf(0)  # the softmax of one number is 1
        total = mpmath.log(mpmath.fsum(map(mpmath.exp, x)))
        return [u - total for u in x]
    if op == "logsumexp":
        [x] = args
        return mpmath.log(mpmath.fsum(map(mpmath.exp, x))) if isinstance(x, list) else x
    if op in ("add", "sub"):
        sign = 1 if op == "add" else -1
        return _map2(lambda u, v: u + sign * v, *args)
    unary = {
        "neg": lambda u: -u,
        "tanh": mpmath.tanh,
        "half": lambda u: u / 2,
        "log_sigmoid": _m_log_sigmoid,
        "log_one_minus": lambda u: _m_log_sigmoid(-u),
        "softplus": lambda u: mpmath.log1p(mpmath.exp(u)),
        "softplus_commuted": lambda u: mpmath.log1p(mpmath.exp(u)),
        "log1p_square": lambda u: mpmath.log1p(u * u),
        "log1p_sigmoid": lambda u: mpmath.log1p(1 / (1 + mpmath.exp(-u))),
        "expm1": lambda u: mpmath.expm1(mpmath.tanh(u)),
        "expm1_commuted": lambda u: mpmath.expm1(mpmath.tanh(u)),
        "log1p_exp": lambda u: mpmath.log1p(mpmath.exp(u)),
        "log1p_minus": lambda u: mpmath.log1p(-mpmath.tanh(u) / 2),
    }[op]
    [x] = args
    return [unary(u) for u in x] if isinstance(x, list) else unary(x)


def _map2(function, u, v):
    if not isinstance(u, list) and not isinstance(v, list):
        return function(u, v)
    n = len(u) if isinstance(u, list) else len(v)
    us = u if isinstance(u, list) else [u] * n
    vs = v if isinstance(v, list) else [v] * n
    return [function(p, q) for p, q in zip(us, vs)]


def _total(value):
    return mpmath.fsum(value) if isinstance(value, list) else value


def true_gradients(tree, point: dict) -> dict:
    """d(sum of the tree's elements)/d(each input's each element), by
    mpmath's numerical differentiation at 50 digits."""
    grads = {}
    for name in INPUTS:
        column = []
        for k in range(len(point[name])):

            def along(v, name=name, k=k):
                moved = dict(point)
                moved[name] = [*point[name][:k], v, *point[name][k + 1 :]]
                return _total(true_value(tree, moved))

            column.append(mpmath.diff(along, point[name][k]))
        grads[name] = column
    return grads


_EXAMPLES = max(10, settings.default.max_examples // 3)


def _compiled_pair(tree, target):
    source = f"f = {render(tree)}"
    f = hnncompile.compile(source, target=target)
    plain = hnncompile.compile(source, target=target, stable=False)
    return f, plain


def _call(f, target, point):
    inputs = [point[name] for name in f.inputs]
    if target == "python":
        inputs = [float(v[0]) for v in inputs]
    else:
        inputs = [np.array([float(u) for u in v]) for v in inputs]
    return f(*inputs), f.backward(*inputs)


@pytest.mark.parametrize("target", ["python", "numpy"])
@settings(max_examples=_EXAMPLES, deadline=None)
@given(data=st.data(), values=st.lists(st.floats(-2, 2), min_size=6, max_size=6))
def test_random_programs_give_the_same_numbers_at_ordinary_points(target, data, values):
    tree = data.draw(programs(target), label="tree")
    f, plain = _compiled_pair(tree, target)
    assert f.rewrites
    point = {name: [values[2 * i], values[2 * i + 1]] for i, name in enumerate(INPUTS)}
    value, grads = _call(f, target, point)
    value0, grads0 = _call(plain, target, point)
    np.testing.assert_allclose(value, value0, rtol=1e-9, atol=1e-12)
    for g, g0 in zip(grads, grads0):
        np.testing.assert_allclose(g, g0, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("target", ["python", "numpy"])
@settings(max_examples=_EXAMPLES, deadline=None)
@given(
    data=st.data(),
    values=st.lists(
        st.sampled_from([-1000.0, -800.0, 800.0, 1000.0]), min_size=6, max_size=6
    ),
)
def test_random_programs_are_finite_at_extreme_points(target, data, values):
    tree = data.draw(programs(target), label="tree")
    f = hnncompile.compile(f"f = {render(tree)}", target=target)
    n = 1 if target == "python" else 2
    point = {
        name: [mpmath.mpf(values[2 * i + k]) for k in range(n)]
        for i, name in enumerate(INPUTS)
    }
    true = true_value(tree, point)
    true_grads = true_gradients(tree, point)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # no warning
        value, grads = _call(f, target, point)
    expected = np.array(
        [float(v) for v in true] if isinstance(true, list) else float(true)
    )
    if target == "python":
        expected = expected.reshape(-1)[0]
    assert np.all(np.isfinite(value)), (render(tree), value)
    np.testing.assert_allclose(value, expected, rtol=1e-9, atol=1e-9)
    for name, g in zip(f.inputs, grads):
        wanted = np.array([float(d) for d in true_grads[name]])
        g = np.reshape(g, -1)
        assert np.all(np.isfinite(g)), (render(tree), name, g)
        np.testing.assert_allclose(g, wanted, rtol=1e-6, atol=1e-9)


# -- the README's section ------------------------------------------------------


def test_the_readme_section_shows_what_it_says():
    text = section("Numerically stable by construction")
    runnable = [
        body for path, lang, body in blocks(text) if lang == "python" and not path
    ]
    namespace: dict = {}
    assert sum(run_block(body, namespace) for body in runnable) == 4
    # the table lists every rewrite the pass makes
    for kind in KINDS:
        written, became = kind.split(" -> ")
        assert f"| `{written}`" in text and f"`{became}`" in text, kind
    # the report shown is the command's
    [shown] = [body for _, lang, body in blocks(text) if not lang]
    command, _, *lines = shown.splitlines()
    assert command.startswith("$ hnncompile compile -e")
    program = command.split('"')[1]
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "hnncompile",
            "compile",
            "-e",
            program,
            "--emit",
            "passes",
        ],
        capture_output=True,
        text=True,
    ).stdout
    assert "\n".join(lines) + "\n" in out


# -- patterns on constants (the acceptance review of issue 13) -------------


@pytest.mark.parametrize(
    "source, value, written, became",
    [
        (
            "f = log(sigmoid(-1000)) + x",
            -999.5,
            "log(sigmoid(-1000))",
            "log_sigmoid(-1000)",
        ),
        ("f = log(1 + exp(1000)) + x", 1000.5, "log(1 + exp(1000))", "softplus(1000)"),
        (
            "f = log(1 - sigmoid(40)) + x",
            -39.5,
            "log(1 - sigmoid(40))",
            "log_sigmoid(-40)",
        ),
        ("f = exp(1e-20) - 1 + x", 0.5 + 1e-20, "exp(1e-20) - 1", "expm1(1e-20)"),
        ("f = log(1 + 1e-20) * 1e20 + x", 1.5, "log(1 + 1e-20)", "log1p(1e-20)"),
    ],
)
def test_a_pattern_on_constants_is_left_for_the_pass(source, value, written, became):
    """Folding it would have no value, or lose what the stable gate keeps:
    the gates stay for the pass, which rewrites and records them."""
    f = hnncompile.compile(source)
    assert f(0.5) == pytest.approx(value, rel=1e-15)
    (rewrite,) = f.rewrites
    assert (rewrite.written, rewrite.became) == (written, became)
    assert f"# you wrote {written}" in f.source
    assert f.backward(0.5) == (1.0,)
    # Without the pass the same gates compute the naive number, and the
    # detective names the gate where it goes wrong.
    naive = hnncompile.compile(source, stable=False)
    assert naive.rewrites == ()


def test_a_constant_pattern_without_the_pass_is_the_detectives():
    f = hnncompile.compile("f = log(sigmoid(-1000)) + x", stable=False)
    with pytest.raises(ValueError):
        f(1.0)
    assert str(hnncompile.detective.find(f, [1.0])).startswith("t2 = log(t1) ")


@pytest.mark.parametrize(
    "source, folded",
    [
        ("f = log(sigmoid(2)) + x", "-0.12692801104297263 + x"),
        ("f = exp(2) - 1 + x", "6.38905609893065 + x"),
    ],
)
def test_a_constant_pattern_that_folds_to_the_same_number_is_folded(source, folded):
    f = hnncompile.compile(source, comments=False)
    assert f.rewrites == () and len(f.gates.eqns) == 1
    assert f"    f = {folded}\n" in f.source


@pytest.mark.parametrize(
    "source, column",
    [
        ("f = a * exp(1000)", 9),
        ("f = log(2 + exp(1000)) + a", 13),
        ("f = log(sigmoid(2) - sigmoid(2)) + a", 5),
    ],
)
def test_a_constant_with_no_value_outside_a_pattern_is_still_refused(source, column):
    with pytest.raises(hnncompile.CompileError) as caught:
        hnncompile.compile(source)
    assert caught.value.column == column


def test_the_summary_names_a_line_with_two_rewrites_once():
    f = hnncompile.compile(
        "f = log(sigmoid(x)) + log(sigmoid(y))\ng = f + log(1 + exp(f))"
    )
    assert summary(f.rewrites) == (
        "stabilize: 3 rewrites (log(sigmoid(x)) -> log_sigmoid(x) x2 at line 1; "
        "log(1 + exp(x)) -> softplus(x) at line 2)"
    )
    one = Rewrite(3, 5, "log(sigmoid(q))", "log_sigmoid(q)", "...", KINDS[0])
    assert summary((one, replace(one, column=9), replace(one, line=5))) == (
        "stabilize: 3 rewrites (log(sigmoid(x)) -> log_sigmoid(x) x3 at lines 3, 5)"
    )


# -- the rewrite quotes the source, not the temporaries ------------------------


@pytest.mark.parametrize(
    "source, written, became",
    [
        (LOGISTIC, "log(sigmoid(y*(w*x+b)))", "log_sigmoid(y*(w*x+b))"),
        ("f = log(1 + exp(log(1 + exp(a*x))))", "log(1 + exp(a*x))", "softplus(a*x)"),
        ("f = log(sum(exp(x), axis=0))", "log(sum(exp(x), axis=0))", None),
        (
            "f = log(np.exp(x).sum(0, keepdim=True))",
            "log(np.exp(x).sum(0, keepdim=True))",
            "logsumexp(x, axis=0, keepdims=True)",
        ),
        (
            "f = log(1 - sigmoid(w*x+b))",
            "log(1 - sigmoid(w*x+b))",
            "log_sigmoid(-(w*x+b))",
        ),
        ("f = log(1 + a*x)", "log(1 + a*x)", "log1p(a*x)"),
        ("f = log(sigmoid(\n    a*x))", "log(sigmoid(a*x))", "log_sigmoid(a*x)"),
        # where the source gives no text for the operand: the wire's name
        ("f = log(1e0 + a*x)", "log(1e0 + a*x)", "log1p(t1)"),
    ],
)
def test_the_rewrite_quotes_what_the_user_wrote(source, written, became):
    f = hnncompile.compile(source, target="numpy")
    rewrite = f.rewrites[0]
    assert rewrite.written == written
    if became is not None:
        assert rewrite.became == became
    said = " ".join(
        line.strip()[2:] for line in f.source.splitlines() if line.startswith("    #")
    )
    assert f"you wrote {written}:" in said
    assert "t3" not in rewrite.why and "t4" not in rewrite.why


@pytest.mark.parametrize(
    "source, lines",
    [
        (
            LOGISTIC,
            [
                "# you wrote log(sigmoid(y*(w*x+b))):",
                "# log_sigmoid(y*(w*x+b)) is the same number, and finite where",
                "# sigmoid(y*(w*x+b)) rounds to 0",
            ],
        ),
        (
            "f = log(1 + exp(log(1 + exp(a_long_name*x_long_name))))",
            [
                "# you wrote log(1 + exp(log(1 + exp(a_long_name*x_long_name)))):",
                "# softplus(log(1 + exp(a_long_name*x_long_name))) is the same number, and",
                "# finite where exp(log(1 + exp(a_long_name*x_long_name))) overflows",
            ],
        ),
    ],
)
def test_a_note_wraps_with_no_lone_word_and_not_inside_brackets(source, lines):
    # Filled word by word, the first note ended on a line "# 0", and the
    # second split "log(1 +" from "exp(...)".
    f = hnncompile.compile(source, target="numpy")
    said = [line.strip() for line in f.source.split("def backward")[0].splitlines()]
    at = said.index(lines[0])
    assert said[at : at + len(lines)] == lines


def test_a_comment_of_one_long_word_and_a_short_one_keeps_both_together():
    from hnncompile.codegen.text import _said

    text = "x" * 80 + " rounds to 0"
    assert _said(text) == ["# " + "x" * 80, "# rounds to 0"]
    assert all(len(line) + 4 <= 88 for line in _said("word " * 40))
    assert _said("word " * 40)[-1] != "# word"


def test_log_of_one_minus_anything_is_a_log1p():
    # log(1 - exp(x)) too: log1p(-exp(x)) keeps the digits near x = -40
    gates, [rewrite] = rewritten("f = log(1 - exp(x))")
    assert [e.gate for e in gates.eqns] == ["exp", "neg", "log1p"]
    assert rewrite.became == "log1p(-exp(x))"


def test_log1p_of_exp_no_longer_overflows():
    # Before the pass knew log1p(exp(x)), grad(1000.0) raised OverflowError.
    f = hnncompile.compile("f = log1p(exp(x))")
    assert f.grad(1000.0) == (1000.0, {"x": 1.0})
    with pytest.raises(OverflowError):
        hnncompile.compile("f = log1p(exp(x))", stable=False).grad(1000.0)
    small = hnncompile.compile("f = log(1 - x)")
    assert small(1e-20) == -1e-20  # log(1 - 1e-20) rounds to 0
    assert hnncompile.compile("f = -1 + exp(x)")(1e-20) == 1e-20
