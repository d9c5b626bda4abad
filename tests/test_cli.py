"""The command line, run as a user runs it: in a subprocess."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"
NEURON = EXAMPLES / "neuron.hnn"


def hnn(*args: str, cwd=None, stdin_text=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hnncompile", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=stdin_text,
    )


def test_compile_to_stdout_and_to_a_file(tmp_path):
    result = hnn("compile", NEURON)
    assert result.returncode == 0 and result.stderr == ""
    assert "def backward(a, x, b, y, c, dout=1.0):" in result.stdout
    out = tmp_path / "neuron.py"
    assert hnn("compile", NEURON, "-o", out).returncode == 0
    assert out.read_text() == result.stdout
    run = subprocess.run(
        [sys.executable, "-c", "import neuron; print(neuron.forward(1, -1, 2, 3, -3))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert float(run.stdout) == pytest.approx(0.8807970779778823)


def test_compile_output_dash_is_standard_output(tmp_path):
    """`-o -` is stdout, as FILE `-` is stdin: no file named "-" appears."""
    result = hnn("compile", "-", "-o", "-", cwd=tmp_path, stdin_text="z = a*b\n")
    assert result.returncode == 0, result.stderr
    assert "def backward(a, b, dout=1.0):" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_compile_options():
    result = hnn("compile", "-e", "pow((a*b+c)*d, 2)", "--wrt", "a,d", "--no-comments")
    assert result.returncode == 0
    assert "#" not in result.stdout
    assert "return da, dd\n" in result.stdout
    assert hnn("compile", NEURON, "--target", "python").returncode == 0


def test_grad_prints_the_value_and_the_gradients():
    result = hnn("grad", NEURON, "a=1", "b=2", "c=-3", "x=-1", "y=3")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "f = 0.880797078"
    rows = [line.split() for line in lines[2:]]
    assert [row[0] for row in rows] == ["a", "x", "b", "y", "c"]
    assert [float(row[1]) for row in rows] == [1, -1, 2, 3, -3]
    assert [float(row[2]) for row in rows] == pytest.approx(
        [-0.1049935854, 0.1049935854, 0.3149807562, 0.2099871708, 0.1049935854]
    )


def test_grad_with_an_expression():
    result = hnn("grad", "-e", "x * y", "x=-2", "y=3")
    assert result.returncode == 0 and result.stdout.startswith("out = -6\n")


def test_grad_of_a_program_with_an_input_named_dout():
    result = hnn("grad", "-e", "dout*3 + x", "dout=2", "x=1")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "out = 7"
    rows = [line.split() for line in lines[2:]]
    assert rows == [["dout", "2", "3"], ["x", "1", "1"]]


def test_check_with_random_and_given_inputs():
    result = hnn("check", NEURON, "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "passed" in result.stdout and result.stdout.count(" ok") == 5
    result = hnn(
        "check", "-e", "log(a) * sqrt(b)"
    )  # random points must be in the domain
    assert result.returncode == 0, result.stderr
    result = hnn("check", "-e", "max(a, b)", "a=1", "b=1")
    assert result.returncode == 0 and "kink" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["compile", "-e", "f = = 2"], "<expression>:1:5: unexpected '='"),
        (["compile", "missing.hnn"], "No such file or directory: missing.hnn"),
        (["compile", NEURON, "--wrt", "zz"], "'zz'"),
        (["compile"], "give a program"),
        (["compile", NEURON, "--target", "fortran"], "invalid choice"),
        (["grad", NEURON, "a=1"], "missing x, b, y, c"),
        (["grad", NEURON, "a=one"], "is not a number"),
        (["grad", NEURON, "q=1"], "'q' is not an input"),
        (
            ["grad", "-e", "log(a)", "a=-1"],
            "cannot be evaluated there: math domain error",
        ),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_exits_2_without_a_traceback(args, message):
    result = hnn(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_compile_error_shows_the_caret(tmp_path):
    bad = tmp_path / "bad.hnn"
    bad.write_text("q = a * x\nf = sigmoidd(q)\n")
    result = hnn("compile", bad)
    assert result.returncode == 2
    assert result.stderr.splitlines()[1:] == ["    f = sigmoidd(q)", "        ^"]
    assert (
        f"{bad}:2:5: unknown function 'sigmoidd' (did you mean 'sigmoid'?)"
        in result.stderr
    )


def test_the_installed_command():
    command = shutil.which("hnncompile", path=str(Path(sys.executable).parent))
    if command is None:
        pytest.skip("the hnncompile script is not installed beside this Python")
    result = subprocess.run(
        [command, "compile", "-e", "a * b"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "def forward(a, b):" in result.stdout


def test_compile_for_the_array_target(tmp_path):
    out = tmp_path / "svm_cost_numpy.py"
    result = hnn(
        "compile",
        EXAMPLES / "svm_cost.hnn",
        "--target",
        "numpy",
        "--wrt",
        "w0,w1,w2",
        "-o",
        out,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_text() == (EXAMPLES / "svm_cost_numpy.py").read_text()
    script = (
        "import numpy as np, svm_cost_numpy as m\n"
        "x0, x1, y = np.array([1.2, -0.3, 3]), np.array([0.7, 0.5, 2.5]), "
        "np.array([1, -1, 1])\n"
        "print(m.forward(y, 0.1, x0, 0.2, x1, 0.3, 0.1))\n"
        "print(*m.backward(y, 0.1, x0, 0.2, x1, 0.3, 0.1))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    value, grads = run.stdout.splitlines()
    assert float(value) == pytest.approx(1.815)
    assert [float(g) for g in grads.split()] == pytest.approx([-1.48, -0.16, 0.0])
