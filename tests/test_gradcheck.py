"""The gradient checker: any input name, arrays, and points near a domain
edge or a singularity (where the checker must not blame the compiler)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hnncompile
from hnncompile import cli

SVM = "L = sum(max(0, -y*(w0*x0 + w1*x1 + w2) + 1)) + alpha*(w0*w0 + w1*w1)"
SVM_DATA = {
    "x0": np.array([1.2, -0.3, 3.0]),
    "x1": np.array([0.7, 0.5, 2.5]),
    "y": np.array([1.0, -1.0, 1.0]),
}
SVM_WEIGHTS = {"w0": 0.1, "w1": 0.2, "w2": 0.3, "alpha": 0.1}


# Inputs named like the checker's own parameters


def test_inputs_named_f_and_g():
    g = hnncompile.compile("f * g + g")
    report = hnncompile.gradcheck(g, f=1.5, g=2.0)
    assert report.passed
    assert [(row.input, row.analytic) for row in report.rows] == [
        ("f", 2.0),
        ("g", 2.5),
    ]
    assert report.point == {"f": 1.5, "g": 2.0}


def test_an_input_name_wins_over_an_option():
    k = hnncompile.compile("rtol * atol")
    report = hnncompile.gradcheck(k, rtol=1.0, atol=2.0)
    assert report.point == {"rtol": 1.0, "atol": 2.0}
    assert [row.analytic for row in report.rows] == [2.0, 1.0]
    # the options keep their defaults
    assert (report.rtol, report.atol) == (1e-5, 1e-8)


def test_options_named_like_inputs_go_with_the_point_as_a_dict():
    k = hnncompile.compile("rtol * atol + samples")
    report = hnncompile.gradcheck(
        k, {"rtol": 1.0, "atol": 2.0, "samples": 3.0}, rtol=1e-3, atol=1e-4
    )
    assert report.point == {"rtol": 1.0, "atol": 2.0, "samples": 3.0}
    assert (report.rtol, report.atol) == (1e-3, 1e-4)
    assert [row.analytic for row in report.rows] == [2.0, 1.0, 1.0]
    with pytest.raises(TypeError, match="options.*rtol, atol, samples, seed"):
        hnncompile.gradcheck(k, {"rtol": 1.0, "atol": 2.0, "samples": 3.0}, x=1.0)
    with pytest.raises(TypeError, match="missing"):
        hnncompile.gradcheck(k, {"rtol": 1.0})


def test_options_still_work_by_keyword():
    f = hnncompile.compile("a * b")
    report = hnncompile.gradcheck(f, 2.0, 3.0, rtol=1e-3, atol=1e-4)
    assert (report.rtol, report.atol) == (1e-3, 1e-4)
    with pytest.raises(TypeError, match="not an input"):
        hnncompile.gradcheck(f, 2.0, 3.0, rtoll=1e-3)


# Arrays


def test_the_readmes_svm_cost_on_arrays():
    cost = hnncompile.compile(SVM, target="numpy")
    report = hnncompile.gradcheck(cost, **SVM_DATA, **SVM_WEIGHTS)
    assert report.passed, report
    rows = {row.input: row for row in report.rows}
    assert list(rows) == list(cost.inputs)
    assert rows["x0"].checked == 3 and rows["x0"].size == 3
    assert rows["x0"].index in {(0,), (1,), (2,)}
    assert rows["w0"].index is None and rows["w0"].checked == 1
    _, grads = cost.grad(**SVM_DATA, **SVM_WEIGHTS)
    assert rows["w0"].analytic == pytest.approx(-1.48)
    row = rows["x1"]
    assert row.analytic == grads["x1"][row.index]
    assert row.numerical == pytest.approx(row.analytic, rel=1e-6)
    text = str(report)
    assert f"x1[{row.index[0]}]" in text
    assert "x1: all 3 elements checked" in text
    assert "x0=[1.2, -0.3, 3]" in text
    # the user's arrays are left as they were
    assert SVM_DATA["x0"].tolist() == [1.2, -0.3, 3.0]


def test_the_readmes_svm_cost_with_wrt_scalars():
    cost = hnncompile.compile(SVM, target="numpy", wrt=["w0", "w1", "w2"])
    report = hnncompile.gradcheck(cost, **SVM_DATA, **SVM_WEIGHTS)
    assert report.passed and [row.input for row in report.rows] == ["w0", "w1", "w2"]
    assert [row.analytic for row in report.rows] == pytest.approx([-1.48, -0.16, 0.0])


def test_a_wrong_gradient_is_caught_on_an_array_element(monkeypatch):
    cost = hnncompile.compile(SVM, target="numpy")
    right = cost.backward
    X1 = cost.inputs.index("x1")

    def wrong(*args, **kwargs):
        grads = list(right(*args, **kwargs))
        dx1 = np.array(grads[X1], dtype=float)
        dx1[2] += 0.5
        grads[X1] = dx1
        return tuple(grads)

    monkeypatch.setattr(cost, "backward", wrong)
    report = hnncompile.gradcheck(cost, **SVM_DATA, **SVM_WEIGHTS)
    assert not report.passed and report.failed
    verdicts = {row.input: row.verdict for row in report.rows}
    assert verdicts.pop("x1") == "FAIL"
    assert set(verdicts.values()) == {"ok"}
    row = report.rows[X1]
    assert row.index == (2,)
    assert row.analytic == pytest.approx(row.numerical + 0.5)
    assert "x1[2]" in str(report) and "FAILED" in str(report)


def test_broadcasting_a_weight_against_data():
    f = hnncompile.compile("L = sum(tanh(w * X + b) * X)", target="numpy")
    rng = np.random.default_rng(1)
    w, X = rng.normal(size=3), rng.normal(size=(5, 3))
    report = hnncompile.gradcheck(f, w=w, X=X, b=0.25)
    assert report.passed, report
    rows = {row.input: row for row in report.rows}
    assert (rows["w"].checked, rows["w"].size) == (3, 3)
    assert (rows["X"].checked, rows["X"].size) == (15, 15)
    assert len(rows["X"].index) == 2 and rows["b"].index is None
    _, grads = f.grad(w=w, X=X, b=0.25)
    assert rows["w"].analytic == grads["w"][rows["w"].index]
    assert f"X[{rows['X'].index[0]}, {rows['X'].index[1]}]" in str(report)
    assert "X=array of shape (5, 3)" in str(report)


def test_a_sample_of_a_large_array_chosen_by_the_seed():
    f = hnncompile.compile("L = sum(x * x * w)", target="numpy")
    x = np.linspace(-1, 1, 1000)
    report = hnncompile.gradcheck(f, x=x, w=2.0)
    row = report.rows[0]
    assert (row.checked, row.size) == (20, 1000)
    assert "x: 20 of 1000 elements checked (a random sample, seed 0;" in str(report)
    again = hnncompile.gradcheck(f, x=x, w=2.0)
    assert again.rows == report.rows
    other = hnncompile.gradcheck(f, x=x, w=2.0, samples=5, seed=7)
    assert other.rows[0].checked == 5
    everything = hnncompile.gradcheck(f, x=x, w=2.0, samples=1000)
    assert everything.rows[0].checked == 1000


def test_a_sampled_wrong_element_is_found_when_it_is_in_the_sample(monkeypatch):
    f = hnncompile.compile("L = sum(x * x)", target="numpy")
    right = f.backward

    def wrong(x, dout=1.0):
        (dx,) = right(x, dout)
        dx = dx.copy()
        dx[::2] *= 1.5  # every other element wrong
        return (dx,)

    monkeypatch.setattr(f, "backward", wrong)
    report = hnncompile.gradcheck(f, x=np.linspace(1, 2, 500))
    assert report.failed and report.rows[0].index[0] % 2 == 0


def test_float32_and_integer_arrays_are_checked_in_float64():
    f = hnncompile.compile("L = sum(x * x * x)", target="numpy")
    x32 = np.array([0.3, -1.7, 2.2], dtype=np.float32)
    report = hnncompile.gradcheck(f, x32)
    assert report.passed, report
    assert report.point["x"].dtype == np.float64
    assert report.rows[0].rel_error < 1e-8  # float32 rounding would give ~1e-3
    assert x32.dtype == np.float32
    ints = hnncompile.gradcheck(f, np.array([1, 2, 3]))
    assert ints.passed, ints


def test_an_array_output_is_checked_through_its_sum():
    f = hnncompile.compile("y = x * x", target="numpy")
    report = hnncompile.gradcheck(f, x=np.array([1.0, 2.0, 3.0]))
    assert report.passed
    assert [report.rows[0].analytic] == [2.0 * (report.rows[0].index[0] + 1)]
    assert "y = [1, 4, 9]" in str(report)


def test_arrays_on_the_python_target_say_which_target_wants_them():
    f = hnncompile.compile("f = sigmoid(x)")
    with pytest.raises(TypeError, match='target="numpy"'):
        hnncompile.gradcheck(f, np.array([1.0, 2.0]))


# Near a domain edge, a singularity, or an overflow


def test_sqrt_near_zero_shrinks_the_step():
    f = hnncompile.compile("f = sqrt(x)")
    report = hnncompile.gradcheck(f, 1e-6)
    assert report.passed, report
    row = report.rows[0]
    assert row.verdict == "ok" and row.step < 1e-6 and row.method == "centred"
    assert row.numerical == pytest.approx(500.0, rel=1e-6)
    text = str(report)
    assert "the default step h=1e-05 leaves the program's domain" in text
    assert f"a centred difference with h={row.step:.0e} agrees" in text


def test_one_over_x_near_its_pole_is_not_blamed_on_a_rule():
    f = hnncompile.compile("f = 1/x")
    report = hnncompile.gradcheck(f, 1e-6)
    assert report.passed, report
    row = report.rows[0]
    assert row.step < 1e-6 and row.numerical == pytest.approx(-1e12, rel=1e-5)
    assert "local-gradient rule" not in str(report)
    assert "too coarse here" in str(report)


def test_a_one_sided_difference_where_no_centred_one_can_be_taken():
    # Left of 0 the power is not a real number at any step; its slope at 0 is
    # 1, which only a forward difference can measure.
    f = hnncompile.compile("f = x**2.5 + x")
    report = hnncompile.gradcheck(f, 0.0)
    row = report.rows[0]
    assert row.verdict == "ok" and row.method == "forward", report
    assert row.numerical == pytest.approx(1.0, rel=1e-6)
    assert "a one-sided (forward) difference with h=1e-05 agrees" in str(report)


def test_a_wrong_rule_near_a_pole_still_fails(monkeypatch):
    f = hnncompile.compile("f = 1/x")
    right = f.backward
    monkeypatch.setattr(f, "backward", lambda x, dout=1.0: (1.5 * right(x)[0],))
    report = hnncompile.gradcheck(f, 1e-6)
    assert report.failed and report.rows[0].verdict == "FAIL"
    assert report.rows[0].numerical == pytest.approx(-1e12, rel=1e-3)


def test_a_non_finite_value_is_said_so_not_blamed_on_a_rule():
    f = hnncompile.compile("a * b")
    report = hnncompile.gradcheck(f, 1e308, 10)
    assert not report.passed and not report.failed
    assert [row.verdict for row in report.rows] == ["not finite", "not finite"]
    text = str(report)
    assert "local-gradient rule" not in text and "FAILED" not in text
    assert "out = inf" in text
    assert "inconclusive: out is inf at this point" in text


def test_a_slope_that_does_not_settle_is_inconclusive():
    # At 0, x**1.5 is at the edge of its domain and its one-sided slope
    # shrinks like sqrt(h): no step confirms the analytic 0, none refutes it.
    f = hnncompile.compile("f = x**1.5")
    report = hnncompile.gradcheck(f, 0.0)
    assert report.rows[0].verdict == "unsteady", report
    assert not report.passed and not report.failed
    text = str(report)
    assert "does not settle" in text and "local-gradient rule" not in text
    assert "inconclusive" in text


def test_a_point_outside_the_domain_is_a_clear_value_error():
    f = hnncompile.compile("f = log(x)")
    with pytest.raises(ValueError, match="f cannot be evaluated at x=-1"):
        hnncompile.gradcheck(f, -1.0)


def test_complex_values_count_as_not_finite():
    f = hnncompile.compile("x ** 0.5")
    try:
        report = hnncompile.gradcheck(f, -4.0)
    except ValueError as error:  # the numbers engineer's way: a ValueError
        assert "cannot be evaluated" in str(error)
    else:
        assert [row.verdict for row in report.rows] == ["not finite"]


# The command line


def test_check_near_a_domain_edge(capsys):
    assert cli.main(["check", "-e", "f = sqrt(x)", "x=0.000001"]) == 0
    out = capsys.readouterr().out
    assert "passed" in out and "leaves the program's domain" in out
    assert cli.main(["check", "-e", "f = 1/x", "x=0.000001"]) == 0
    out = capsys.readouterr().out
    assert "passed" in out and "local-gradient rule" not in out


def test_check_at_a_non_finite_point_is_exit_2(capsys):
    assert cli.main(["check", "-e", "a*b", "a=1e308", "b=10"]) == 2
    captured = capsys.readouterr()
    assert "not finite" in captured.out
    assert "cannot be checked at this point" in captured.err
    assert "Traceback" not in captured.err


def test_the_random_search_survives_complex_and_non_finite_values(capsys):
    assert cli.main(["check", "-e", "x**0.5", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "passed" in out
    x = float(out.splitlines()[0].rpartition("x=")[2])
    assert x > 0
    # the value overflows to inf wherever x > 0: draw again
    for seed in range(1, 6):
        assert cli.main(["check", "-e", "1e308 * exp(x)", "--seed", str(seed)]) == 0
        assert "passed" in capsys.readouterr().out


def test_rounding_in_a_large_value_is_not_blamed_on_a_rule():
    # Nudges below the output's resolution change nothing, or one rounding
    # step: they say nothing about the slope.
    for program in ("f = x + 1e8", "f = (x + 1e8) - 1e8", "f = x + 1e20"):
        report = hnncompile.gradcheck(hnncompile.compile(program), 1.0)
        assert not report.failed, report
    report = hnncompile.gradcheck(hnncompile.compile("f = x + 1e8"), 1.0)
    assert report.passed and report.rows[0].step == pytest.approx(1e-3)
    assert "the default step h=1e-05 is too fine here" in str(report)


def test_a_flat_function_with_a_gradient_fails(monkeypatch):
    f = hnncompile.compile("f = relu(x)")
    monkeypatch.setattr(f, "backward", lambda x, dout=1.0: (1.0,))
    report = hnncompile.gradcheck(f, -1.0)
    assert report.failed and report.rows[0].numerical == 0.0
    assert "local-gradient rule" in str(report)
