"""The NaN detective (SPEC section 6): the first wire that went inf or NaN,
its line and its inputs there, in trace, gradcheck and the CLI."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import traceback
import warnings

import numpy as np
import pytest

import hnncompile
from hnncompile import detective
from hnncompile.cli import main
from hnncompile.trace import RAISED

EXP = "q = x * 2\nt = exp(q)\nf = t + 1"
SQRT = "q = x * 1\nt = sqrt(q)\nf = t * 3"
TARGETS = ["python", "numpy"]


def finding(source: str, *x, target: str = "python"):
    f = hnncompile.compile(source, target=target)
    return detective.find(f, list(x))


# -- the values ---------------------------------------------------------


def test_exp_overflowing_on_the_python_target_stops_the_trace_at_its_wire():
    f = hnncompile.compile(EXP)
    with pytest.raises(OverflowError):
        f(400.0)  # the generated code raises...
    numbers = f.trace(400.0)  # ...and the trace says where, and why
    assert str(numbers) == (
        "wire  gate   computes   value\n"
        "x     input               400\n"
        "q     mul    x * 2        800\n"
        "t     exp    exp(q)    raised\n"
        "t = exp(q) overflowed: q = 800.0 at line 2"
    )
    found = numbers.problem
    assert (found.wire, found.gate, found.computes) == ("t", "exp", "exp(q)")
    assert (found.line, found.column, found.operands) == (2, 5, (("q", 800.0),))
    assert found.raised == "OverflowError: math range error"
    assert isinstance(numbers.error, OverflowError)
    assert numbers.values == {"x": 400.0, "q": 800.0, "t": RAISED}


def test_exp_overflowing_on_numpy_is_inf_and_the_trace_says_why_without_a_warning():
    f = hnncompile.compile(EXP, target="numpy")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning: the sentence says it
        numbers = f.trace(400.0)
    assert str(numbers) == (
        "wire  gate   computes  value  gradient\n"
        "x     input              400       inf\n"
        "q     mul    x * 2       800       inf\n"
        "t     exp    exp(q)      inf         1\n"
        "f     add    t + 1       inf         1\n"
        "t = exp(q) overflowed: q = 800.0 at line 2"
    )
    assert numbers.error is None and numbers.problem.raised is None


def test_a_js_object_runs_the_python_module_and_says_the_same():
    f = hnncompile.compile(EXP, target="js")
    assert "Math.exp(q)" in f.source  # JavaScript itself would give Infinity
    assert str(f.trace(400.0).problem) == "t = exp(q) overflowed: q = 800.0 at line 2"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    "source, x, sentence",
    [
        ("t = log(x)", 0.0, "t = log(x) is infinite: x = 0.0 at line 1"),
        ("t = log(x)", -1.0, "t = log(x) is NaN: x = -1.0 at line 1"),
        ("y = 2 * x\nt = sqrt(y)", -0.5, "t = sqrt(y) is NaN: y = -1.0 at line 2"),
        ("f = x ** -1", 0.0, "f = x**-1 is infinite: x = 0.0 at line 1"),
    ],
)
def test_the_domain_edges_in_plain_words(target, source, x, sentence):
    assert str(finding(source, x, target=target)) == sentence


@pytest.mark.parametrize("target", TARGETS)
def test_zero_over_zero_names_the_reciprocal_that_went_first(target):
    """x / y is written x * (1.0 / y), as the tutorial writes it: 1/0 is
    infinite first, and 0 * inf is the NaN after it."""
    f = hnncompile.compile("t = x / y", target=target)
    numbers = f.trace(0.0, 0.0)  # Python's floats raise, even on numpy
    assert str(numbers.problem) == "t1 = 1.0 / y is infinite: y = 0.0 at line 1"
    assert numbers.problem.raised == "ZeroDivisionError: float division by zero"
    if target == "numpy":  # NumPy's arrays do not
        numbers = f.trace(np.zeros(2), np.zeros(2))
        assert np.isnan(numbers.values["t"]).all()
        assert str(numbers.problem) == (
            "t1 = 1.0 / y is infinite at element [0]: y[0] = 0.0 at line 1"
        )


@pytest.mark.parametrize("target", TARGETS)
def test_the_first_wire_is_named_not_the_nan_two_gates_after_it(target):
    source = "a = x * 1e200\nb = a * 1e200\nc = b - b\nf = c * 2"
    f = hnncompile.compile(source, target=target)
    numbers = f.trace(1.0)  # 1e200 * 1e200 is inf, silently even in Python
    assert math.isinf(numbers.values["b"]) and math.isnan(numbers.values["c"])
    assert math.isnan(numbers.values["f"])
    assert str(numbers.problem) == "b = a * 1e200 overflowed: a = 1e+200 at line 2"
    assert numbers.problem.wire == "b" and numbers.error is None


def test_an_input_given_inf_is_named_as_given():
    assert str(finding("f = x * 2", math.nan)) == "the input x is nan, as given"
    x = np.array([1.0, np.inf])
    assert (
        str(finding("f = x * 2", x, target="numpy"))
        == "the input x at element [1] is inf, as given"
    )


@pytest.mark.parametrize("target", TARGETS)
def test_finite_numbers_have_no_finding(target):
    f = hnncompile.compile(EXP, target=target)
    numbers = f.trace(1.0)
    assert numbers.problem is None and numbers.error is None
    assert numbers.complete() is numbers
    assert str(numbers).splitlines()[-1].startswith("f     add    t + 1")


# -- the gradients --------------------------------------------------------


def test_a_gradient_that_raises_on_python_is_named_with_its_rule():
    """sqrt(0) is 0, but its slope is infinite: Python raises in backward."""
    numbers = hnncompile.compile(SQRT).trace(0.0)
    assert str(numbers) == (
        "wire  gate   computes  value  gradient\n"
        "x     input                0\n"
        "q     mul    x * 1         0    raised\n"
        "t     sqrt   sqrt(q)       0         3\n"
        "f     mul    t * 3         0         1\n"
        "dq = 0.5 / t * dt is infinite at line 2 (the gradient of t = sqrt(q), "
        "at q = 0.0)"
    )
    assert numbers.problem.gradient == "dq" and numbers.problem.wire == "q"
    assert numbers.problem.raised == "ZeroDivisionError: float division by zero"


def test_a_gradient_that_goes_inf_on_numpy_while_every_value_is_finite():
    numbers = hnncompile.compile(SQRT, target="numpy").trace(0.0)
    assert [row.gradient for row in numbers.rows] == [math.inf, math.inf, 3.0, 1.0]
    assert str(numbers.problem) == (
        "dq = 0.5 / t * dt is infinite at line 2 (the gradient of t = sqrt(q), "
        "at q = 0.0)"
    )


@pytest.mark.parametrize("target", TARGETS)
def test_of_the_gates_that_read_a_wire_the_one_whose_rule_went_wrong(target):
    """q feeds mul and sqrt: its gradient adds both; sqrt's is the inf."""
    source = "t = sqrt(q)\nu = q * t\nf = u + t"
    numbers = hnncompile.compile(source, target=target).trace(0.0)
    assert str(numbers.problem) == (
        "dq = 0.5 / t * dt is infinite at line 1 (the gradient of t = sqrt(q), "
        "at q = 0.0)"
    )


# -- arrays ---------------------------------------------------------------


def test_on_arrays_the_first_element_and_the_elements_it_was_made_of():
    f = hnncompile.compile("h = exp(z + b)\nf = sum(h)", target="numpy")
    z = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([0.0, 900.0])  # broadcast along z's rows
    found = f.trace(z, b).problem
    assert str(found) == (
        "h = exp(t1) overflowed at element [0, 1]: t1[0, 1] = 902.0 at line 1"
    )
    assert found.index == (0, 1)


def test_on_arrays_a_gradient_element_agrees_with_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    q = np.array([1.0, 0.0, 4.0])
    numbers = hnncompile.compile(SQRT, target="numpy").trace(q)
    assert str(numbers.problem) == (
        "dq = 0.5 / t * dt is infinite at element [1], at line 2 (the gradient "
        "of t = sqrt(q), at q[1] = 0.0)"
    )
    expected = jax.grad(lambda x: jax.numpy.sum(jax.numpy.sqrt(x * 1) * 3))(q)
    assert np.array_equal(numbers.gradients["x"], np.asarray(expected))
    assert np.flatnonzero(~np.isfinite(expected)).tolist() == [1]


def test_a_gate_that_reads_arrays_whole_shows_them_whole():
    f = hnncompile.compile("a = x @ W\nf = sum(a)", target="numpy")
    x = np.array([[1e200, 1e200]])
    W = np.array([[1e200], [1.0]])
    assert str(f.trace(x, W).problem) == (
        "a = x @ W overflowed at element [0, 0]: x = an array of shape (1, 2) "
        "from 1e+200 to 1e+200, W = an array of shape (2, 1) from 1 to 1e+200 "
        "at line 1"
    )


def test_a_program_with_data_inputs():
    source = "p = P[range(n), Y]\nlp = log(p)\nloss = -mean(lp)"
    f = hnncompile.compile(source, target="numpy")
    P = np.array([[0.5, 0.5], [1.0, 0.0], [0.2, 0.8]])
    numbers = f.trace(P, 3, np.array([0, 1, 1]))  # row 1's label has p = 0
    assert str(numbers.problem) == (
        "lp = log(p) is infinite at element [1]: p[1] = 0.0 at line 2"
    )
    assert numbers.gradients["n"] is None  # data, as without the detective


# -- gradcheck, draw ---------------------------------------------------------


def test_gradchecks_not_finite_verdict_says_the_sentence():
    report = hnncompile.gradcheck(hnncompile.compile(SQRT, target="numpy"), 0.0)
    lines = str(report).splitlines()
    assert [row.verdict for row in report.rows] == ["not finite"]
    assert lines[4].startswith("x: the analytic gradient is inf here")
    assert lines[5] == (
        "dq = 0.5 / t * dt is infinite at line 2 (the gradient of t = sqrt(q), "
        "at q = 0.0)"
    )
    report = hnncompile.gradcheck(hnncompile.compile(EXP, target="numpy"), 400.0)
    assert "t = exp(q) overflowed: q = 800.0 at line 2\ninconclusive: f is inf" in (
        str(report)
    )
    ok = hnncompile.gradcheck(hnncompile.compile(EXP, target="numpy"), 1.0)
    assert ok.passed and ok.problem is None


def test_gradcheck_where_python_raises_says_where():
    with pytest.raises(ValueError) as caught:
        hnncompile.gradcheck(hnncompile.compile(EXP), 400.0)
    assert str(caught.value) == (
        "f cannot be evaluated at x=400: math range error; "
        "t = exp(q) overflowed: q = 800.0 at line 2"
    )


def test_drawing_a_point_where_python_raises_says_where(tmp_path):
    pytest.importorskip("graphviz")
    f = hnncompile.compile(EXP)
    with pytest.raises(OverflowError) as caught:
        f.draw(tmp_path / "f.dot", x=400.0)
    assert str(caught.value) == (
        "math range error; t = exp(q) overflowed: q = 800.0 at line 2"
    )


# -- the command line -------------------------------------------------------


def test_cli_trace_on_python_shows_the_trace_up_to_the_wire_and_exits_2(capsys):
    assert main(["trace", "-e", EXP, "x=400"]) == 2
    out, err = capsys.readouterr()
    assert out == (
        "wire  gate   computes   value\n"
        "x     input               400\n"
        "q     mul    x * 2        800\n"
        "t     exp    exp(q)    raised\n"
        "t = exp(q) overflowed: q = 800.0 at line 2\n"
    )
    assert err == (
        "hnncompile: error: the program cannot be evaluated there: math range "
        "error (the trace stops at t)\n"
    )


def test_cli_trace_on_numpy_says_the_sentence_and_exits_0(capsys):
    assert main(["trace", "-e", SQRT, "--shapes", "x=", "x=0"]) == 0
    out = capsys.readouterr().out
    assert out.endswith(
        "dq = 0.5 / t * dt is infinite at line 2 (the gradient of t = sqrt(q), "
        "at q = 0.0)\n"
    )


def test_cli_grad_says_the_sentence(capsys):
    assert main(["grad", "-e", "f = log(a)", "a=-1"]) == 2
    assert capsys.readouterr().err == (
        "hnncompile: error: the program cannot be evaluated there: math domain "
        "error; f = log(a) is NaN: a = -1.0 at line 1\n"
    )
    assert main(["grad", "-e", EXP, "--shapes", "x=", "x=400"]) == 0
    assert capsys.readouterr().out == (
        "f = inf\n"
        "input  value  gradient df/d(input)\n"
        "x      400    inf\n"
        "t = exp(q) overflowed: q = 800.0 at line 2\n"
    )


def test_cli_check_says_the_sentence(capsys):
    assert main(["check", "-e", EXP, "x=400"]) == 2
    assert capsys.readouterr().err == (
        "hnncompile: error: f cannot be evaluated at x=400: math range error; "
        "t = exp(q) overflowed: q = 800.0 at line 2\n"
    )
    assert main(["check", "-e", SQRT, "--shapes", "x=", "x=0"]) == 2
    out, err = capsys.readouterr()
    assert (
        "dq = 0.5 / t * dt is infinite at line 2 (the gradient of t = sqrt(q), "
        "at q = 0.0)\ninconclusive" in out
    )
    assert "cannot be checked at this point" in err


def test_the_cli_shows_no_traceback():
    for command in ("trace", "check", "grad"):
        result = subprocess.run(
            [sys.executable, "-m", "hnncompile", command, "-e", SQRT, "x=0"],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 2, command
        assert "Traceback" not in result.stderr + result.stdout
        assert "dq = 0.5 / t * dt is infinite at line 2" in result.stdout + (
            result.stderr
        )


# -- the traceback ------------------------------------------------------------


def test_an_exception_in_a_raw_generated_function_shows_the_generated_line():
    f = hnncompile.compile("f = exp(-x)")
    try:
        f(-1000.0)
    except OverflowError:
        text = traceback.format_exc()
    else:
        pytest.fail("exp(1000) fits no float")
    filename = f.forward.__code__.co_filename
    assert f'File "{filename}", line 13, in forward\n    f = math.exp(t1)\n' in text
    assert f.source.splitlines()[12] == "    f = math.exp(t1)"
    with open(filename, encoding="utf-8") as module:  # a file a traceback reads
        assert module.read() == f.source


# -- the README -----------------------------------------------------------------


def test_the_readmes_example_is_what_the_command_prints():
    import re
    import shlex
    from pathlib import Path

    root = Path(__file__).parent.parent
    text = (root / "README.md").read_text(encoding="utf-8")
    start = text.index("\n### When a number goes wrong\n")
    section = text[start : text.index("\n#", start + 1)]
    [shown] = re.findall(r"```\n(\$ hnncompile .*?)```", section, flags=re.S)
    command, *expected = shown.splitlines()
    run = subprocess.run(
        [sys.executable, "-m", "hnncompile", *shlex.split(command)[2:]],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert (run.stdout + run.stderr).splitlines() == expected
    # The sentences the paragraph quotes are the detective's (asserted above).
    for quoted in (
        "h = exp(t1) overflowed at element [0, 1]: t1[0, 1] = 902.0 at line 1",
        "dq = 0.5 / t * dt is infinite at line 2 (the gradient of t = sqrt(q), "
        "at q = 0.0)",
    ):
        assert quoted in " ".join(section.split()), quoted


# -- the acceptance review of issue 13 -----------------------------------------


def test_an_errno_pair_is_said_in_plain_words(capsys):
    """`x ** y` overflowing raises OverflowError(34, 'Numerical result out
    of range'): the words are said, not the tuple."""
    assert main(["grad", "-e", "f = x**y", "x=10", "y=400"]) == 2
    assert capsys.readouterr().err == (
        "hnncompile: error: the program cannot be evaluated there: numerical "
        "result out of range; f = x**y overflowed: x = 10.0, y = 400.0 at line 1\n"
    )
    assert main(["check", "-e", "f = x**y", "x=10", "y=400"]) == 2
    assert capsys.readouterr().err == (
        "hnncompile: error: f cannot be evaluated at x=10, y=400: numerical "
        "result out of range; f = x**y overflowed: x = 10.0, y = 400.0 at line 1\n"
    )
    f = hnncompile.compile("f = x**y")
    with pytest.raises(OverflowError) as caught:
        f.trace(10.0, 400.0).complete()
    assert str(caught.value).startswith("numerical result out of range; f = x**y")


def test_the_trace_stops_at_the_gradient_that_raised(capsys):
    assert main(["trace", "-e", "f = sqrt(x)", "x=0"]) == 2
    assert capsys.readouterr().err == (
        "hnncompile: error: the program cannot be evaluated there: float "
        "division by zero (the trace stops at dx)\n"
    )


def test_drawing_arrays_where_a_number_went_wrong_says_which(tmp_path, capsys):
    """On NumPy the drawing is made (its wires show inf), and the finding
    is printed under it, as trace prints it under its table."""
    source = tmp_path / "lr.hnn"
    source.write_text("loss = -sum(log(sigmoid(y*(w*x+b))))\n")
    point = tmp_path / "pt.npz"
    np.savez(
        point,
        x=np.array([-50.0, 1.0, 2.0]),
        y=np.array([1.0, -1.0, 1.0]),
        w=np.array(20.0),
        b=np.array(0.0),
    )
    out = tmp_path / "lr.dot"
    command = ["draw", str(source), "--inputs", str(point), "-o", str(out)]
    assert main([*command, "--no-stable"]) == 0
    assert capsys.readouterr().out == (
        "sigmoid(y * (w * x + b)) underflowed to 0.0 at element [0]: "
        "(y * (w * x + b))[0] = -1000.0 at line 1, and "
        "log(sigmoid(y * (w * x + b))) is -inf there\n"
    )
    assert "inf" in out.read_text()
    assert main(command) == 0  # the rewritten loss is finite: nothing to say
    assert capsys.readouterr().out == ""


def test_check_finding_no_random_point_names_the_wire_at_the_last(capsys):
    assert main(["check", "-e", "f = exp(x)*log(0*x)"]) == 2
    err = capsys.readouterr().err
    match = re.fullmatch(
        r"hnncompile: error: found no random point where the program can be "
        r"evaluated \(at the last one tried, x=(\S+): t3 = log\(t2\) is infinite: "
        r"t2 = 0\.0 at line 1\); give one\n",
        err,
    )
    assert match, err
    assert float(match.group(1)) > 0  # the last draws are of positive numbers


def test_a_conditional_rule_is_quoted_after_the_verb():
    f = hnncompile.compile("f = x**0.5")
    assert str(detective.find(f, [0.0])) == (
        "dx is infinite at line 1 (dx = 0.5 * x**-0.5 * dout if x >= 0 else "
        "math.nan; the gradient of f = x**0.5, at x = 0.0)"
    )


@pytest.mark.parametrize("target", TARGETS)
def test_a_zero_that_the_gate_before_rounded_to_is_named_as_the_cause(target):
    """log(sigmoid(q)) at q = -800: the log is -inf of a 0, but the 0 is
    sigmoid's rounding, which the sentence names first, in the source's
    words rather than the temporaries'."""
    source = "q = x * 2\nloss = -log(sigmoid(q))"
    f = hnncompile.compile(source, target=target, stable=False)
    assert str(detective.find(f, [-400.0])) == (
        "sigmoid(q) underflowed to 0.0: q = -800.0 at line 2, and "
        "log(sigmoid(q)) is -inf"
    )
    # A zero of a zero is no rounding: the plain sentence.
    f = hnncompile.compile("f = log(0 * x)", target=target)
    assert (
        str(detective.find(f, [1.0])) == "f = log(t1) is infinite: t1 = 0.0 at line 1"
    )
    f = hnncompile.compile("p = a * b\nf = 1 / p", target=target)
    assert str(detective.find(f, [1e-200, 1e-200])) == (
        "p = a * b underflowed to 0.0: a = 1e-200, b = 1e-200 at line 1, and "
        "f = 1 / p is infinite"
    )
