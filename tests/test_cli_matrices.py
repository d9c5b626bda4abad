"""The command line on programs of vectors and matrices: --shapes, --inputs,
random points whose data fit, and every mistake an exit 2 with a message."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hnncompile
from hnncompile.cli import main

sys.path.insert(0, str(Path(__file__).parent))
from test_matrices import lecture_inputs  # noqa: E402

TESTS = Path(__file__).parent
EXAMPLES = TESTS.parent / "examples"
LECTURE = str(EXAMPLES / "makemore_mlp_forward.hnn")
SOFTMAX = str(EXAMPLES / "chapter3_softmax.hnn")
TWO_LAYER = str(EXAMPLES / "chapter3_two_layer.hnn")
# The golden file's shapes (tests/test_codegen.py), as --shapes says them.
LECTURE_SHAPES = (
    "C=27x10,Xb=32x3,W1=30x64,b1=64,n=,bngain=1x64,bnbias=1x64,W2=64x27,b2=27,Yb=32"
)
# What check and trace need: the parameters' shapes and Xb's; n and Yb
# follow, and b2, not given, is one number (it broadcasts).
PARAMETER_SHAPES = "C=27x10,Xb=32x3,W1=30x64,b1=64,bngain=1x64,bnbias=1x64,W2=64x27"


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, *args) -> str:
    """The message of a command that must exit 2, with no traceback."""
    code, out, err = run(capsys, *args)
    assert code == 2, (out, err)
    assert "Traceback" not in err and err.strip()
    return err


def rows(out: str) -> dict[str, str]:
    return {line.split()[0]: line for line in out.splitlines()[1:] if line.strip()}


# compile


def test_compile_with_shapes_writes_the_lectures_golden_module(capsys):
    code, out, err = run(capsys, "compile", LECTURE, "--shapes", LECTURE_SHAPES, "-O")
    assert code == 0, err
    assert out == (TESTS / "golden" / "lecture_mlp.py").read_text()
    # --shapes picks the numpy target; repeated --shapes add up.
    halves = LECTURE_SHAPES.split(",b1=64,")
    code, again, _ = run(
        capsys,
        "compile",
        LECTURE,
        "--shapes",
        halves[0] + ",b1=64",
        "--shapes",
        halves[1],
        "-O",
        "--target",
        "numpy",
    )
    assert code == 0 and again == out


def test_compile_of_the_lecture_for_any_shapes(capsys):
    code, out, _ = run(capsys, "compile", LECTURE, "--target", "numpy")
    assert code == 0
    assert out == (EXAMPLES / "makemore_mlp_forward_numpy.py").read_text()


def test_compile_of_a_matrix_program_without_target_says_which(capsys):
    err = refused(capsys, "compile", LECTURE)
    assert "indexing needs the array target" in err
    assert err.rstrip().endswith(
        "hnncompile: hint: a program of vectors and matrices compiles with "
        "--target numpy"
    )
    # A mistake that is not about arrays gets no hint.
    err = refused(capsys, "compile", "-e", "q = expp(x)")
    assert "hint" not in err


def test_compile_shapes_on_another_target_is_refused(capsys):
    err = refused(capsys, "compile", SOFTMAX, "--target", "python", "--shapes", "X=3x2")
    assert "--shapes is for the numpy target, not python" in err


@pytest.mark.parametrize(
    "shapes, message",
    [
        ("W1=30xa", "'a' is not a size"),
        ("W1", "write NAME=SHAPE"),
        ("=3", "write NAME=SHAPE"),
        ("W=3x2,W=3x2", "gives W's shape twice"),
        ("Q=3", "a shape is given for 'Q', which is not an input"),
        ("W=-3x2", "'-3' is not a size"),
    ],
)
def test_bad_shapes_are_refused(capsys, shapes, message):
    assert message in refused(capsys, "compile", SOFTMAX, "--shapes", shapes)


# check


def test_check_of_the_lecture_at_random_inputs_of_given_shapes(capsys):
    code, out, err = run(capsys, "check", LECTURE, "--shapes", PARAMETER_SHAPES)
    assert code == 0, out + err
    assert "passed:" in out
    assert "not checked: Xb, n, Yb, data" in out
    # An input with no shape given is one number: b2 here.
    assert "\nb2 " in out and "b2[" not in out
    assert "C: 20 of 270 elements checked" in out
    assert "gradient check of loss at C=array of shape (27, 10), Xb=array of " in out


def test_check_is_seeded(capsys):
    args = ("check", SOFTMAX, "--shapes", "X=30x4,W=4x3,b=1x3")
    first = run(capsys, *args)
    assert first[0] == 0, first
    assert run(capsys, *args)[1] == first[1]
    assert run(capsys, *args, "--seed", "0")[1] == first[1]
    other = run(capsys, *args, "--seed", "5")
    assert other[0] == 0 and other[1] != first[1]


def test_check_exits_1_when_a_matrix_gradient_is_wrong(capsys, monkeypatch):
    real = hnncompile.compile

    def broken(*args, **kwargs):
        f = real(*args, **kwargs)
        right = f.backward
        f.backward = lambda *a, **k: tuple(g * 1.5 for g in right(*a, **k))
        return f

    monkeypatch.setattr("hnncompile.cli.compile", broken)
    code, out, _ = run(capsys, "check", SOFTMAX, "--shapes", "X=6x2,W=2x3,b=1x3")
    assert code == 1 and "FAILED" in out


def test_check_of_the_two_layer_network_and_its_data(capsys):
    code, out, err = run(
        capsys, "check", TWO_LAYER, "--shapes", "X=20x2,W=2x8,b=1x8,W2=8x3,b2=1x3"
    )
    assert code == 0, out + err
    assert "not checked: num_examples, y, data" in out


def test_check_without_shapes_names_the_data_it_cannot_draw(capsys):
    err = refused(capsys, "check", LECTURE)
    assert "cannot choose values for Xb (an index at line 7)" in err
    assert "the shape of C, which it indexes, is not known" in err
    err = refused(capsys, "check", LECTURE, "--shapes", "C=27x10")
    assert "Xb is data (an index at line 7): give its shape with --shapes Xb=" in err
    assert "drawn below 27, the size of C's axis 0" in err


def test_shapes_that_do_not_fit_are_refused_at_their_line(capsys):
    shapes = PARAMETER_SHAPES.replace("W1=30x64", "W1=31x64")
    err = refused(capsys, "check", LECTURE, "--shapes", shapes)
    assert "makemore_mlp_forward.hnn:10:" in err
    assert "shapes (32, 30) and (31, 64) do not fit" in err


# trace and draw


def test_trace_at_random_inputs_draws_data_that_fits(capsys):
    code, out, err = run(capsys, "trace", LECTURE, "--shapes", PARAMETER_SHAPES)
    assert code == 0, err
    assert "drawn at random (seed 0; --seed changes it): C, Xb, W1" in err
    table = rows(out)
    assert table["n"].split()[2:] == ["32", "data"]  # the rows of logprobs
    xb = [float(x) for x in re.findall(r"-?[\d.]+", table["Xb"].split("input")[1])]
    assert xb[:2] == [32, 3] and 0 <= xb[3] and xb[4] <= 26  # (32, 3) ... min max
    yb = [float(x) for x in re.findall(r"-?[\d.]+", table["Yb"].split("input")[1])]
    assert yb[0] == 32 and 0 <= yb[2] and yb[3] <= 26  # below logprobs' 27 columns
    assert "(32, 64)" in table["hprebn"]
    assert table["loss"].split()[-1] == "1"


def test_trace_without_shapes_wants_the_data(capsys):
    err = refused(capsys, "trace", LECTURE)
    assert "Xb is data (an index at line 7) and has no value" in err
    assert "--shapes" in err and "--inputs POINT.npz" in err


def test_draw_at_random_inputs(tmp_path, capsys):
    out = tmp_path / "softmax.dot"
    code, _, err = run(
        capsys, "draw", SOFTMAX, "--shapes", "X=6x2,W=2x3,b=1x3", "-o", out
    )
    assert code == 0, err
    text = out.read_text()
    assert "at X (6, 2), W (2, 3), b (1, 3), num_examples = 6" in text
    assert ">data</font>" in text


# --inputs


@pytest.fixture
def lecture_npz(tmp_path):
    path = tmp_path / "point.npz"
    np.savez(path, **lecture_inputs())
    return path


def test_grad_and_check_at_a_point_from_a_npz_file(capsys, lecture_npz):
    f = hnncompile.compile_file(LECTURE, target="numpy")
    value, grads = f.grad(**lecture_inputs())
    code, out, err = run(capsys, "grad", LECTURE, "--inputs", lecture_npz)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"loss = {value:.10g}"
    table = rows("\n".join(lines[1:]))
    assert list(table) == list(f.wrt)
    mean = float(re.findall(r"\(12, 16\) mean (\S+)", table["W1"])[-1])
    assert mean == pytest.approx(grads["W1"].mean(), rel=1e-5)
    code, out, err = run(capsys, "check", LECTURE, "--inputs", lecture_npz)
    assert code == 0 and "passed" in out and err == ""
    code, out, _ = run(capsys, "trace", LECTURE, "--inputs", lecture_npz)
    assert code == 0 and rows(out)["n"].split()[2:] == ["8", "data"]


def test_numbers_on_the_command_line_beside_a_npz_file(tmp_path, capsys):
    point = lecture_inputs()
    del point["n"]
    path = tmp_path / "without_n.npz"
    np.savez(path, **point)
    code, out, _ = run(capsys, "grad", LECTURE, "n=8", "--inputs", path)
    assert code == 0
    assert out.splitlines()[0].startswith("loss = 2.48264")
    # A length that is not whole is refused; so is a value given twice.
    assert "give whole numbers" in refused(
        capsys, "grad", LECTURE, "n=8.5", "--inputs", path
    )
    np.savez(path, **lecture_inputs())
    assert "n is given twice" in refused(
        capsys, "grad", LECTURE, "n=8", "--inputs", path
    )


def test_an_index_out_of_range_is_refused(tmp_path, capsys):
    point = lecture_inputs()
    point["Xb"] = point["Xb"] + 100
    path = tmp_path / "bad.npz"
    np.savez(path, **point)
    for command in ("grad", "check", "trace"):
        assert "out of bounds" in refused(capsys, command, LECTURE, "--inputs", path)


def test_bad_inputs_files_are_refused(tmp_path, capsys):
    npy = tmp_path / "one.npy"
    np.save(npy, np.zeros(3))
    assert "a .npy file holds one array with no name" in refused(
        capsys, "grad", LECTURE, "--inputs", npy
    )
    junk = tmp_path / "junk.npz"
    junk.write_text("not numpy")
    assert "cannot read it as a NumPy .npz file" in refused(
        capsys, "grad", LECTURE, "--inputs", junk
    )
    assert "No such file or directory" in refused(
        capsys, "grad", LECTURE, "--inputs", tmp_path / "missing.npz"
    )
    other = tmp_path / "other.npz"
    np.savez(other, Q=np.zeros(2))
    assert "'Q' is not an input" in refused(capsys, "grad", LECTURE, "--inputs", other)
    words = tmp_path / "words.npz"
    np.savez(words, C=np.array(["a", "b"]))
    assert "give real numbers" in refused(capsys, "grad", LECTURE, "--inputs", words)


def test_a_shape_and_a_value_that_disagree(capsys, lecture_npz):
    err = refused(
        capsys, "trace", LECTURE, "--inputs", lecture_npz, "--shapes", "C=3x3"
    )
    assert "C: --shapes says 3x3, its value has shape 11x4" in err


def test_an_array_as_name_value_points_to_inputs(capsys):
    err = refused(capsys, "trace", SOFTMAX, "X=[1,2]")
    assert "is not a number; give arrays with --inputs POINT.npz" in err


def test_grad_without_every_input_says_how(capsys):
    err = refused(capsys, "grad", LECTURE)
    assert "give a value for every input: missing C, Xb" in err
    assert "--inputs POINT.npz, or --shapes" in err


# explore


def test_explore_refuses_a_matrix_program(tmp_path, capsys):
    page = tmp_path / "page.html"
    err = refused(capsys, "explore", LECTURE, "-o", page)
    assert "the explorer works on programs of numbers" in err
    assert "indexing on line 7 (emb) needs arrays" in err
    assert not page.exists()


# as a user runs it


def test_the_lecture_from_a_shell(tmp_path):
    """In a subprocess, through standard input: the program is read once."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hnncompile",
            "check",
            "-",
            "--shapes",
            PARAMETER_SHAPES,
        ],
        input=Path(LECTURE).read_text(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "passed:" in result.stdout


@pytest.mark.parametrize("command", ["trace", "check", "grad"])
def test_a_matrix_product_of_numbers_is_a_mistake_said_in_a_line(command, capsys):
    code = main([command, "-e", "sum(X @ W)", "X=1", "W=2"])
    captured = capsys.readouterr()
    assert code == 2
    assert "unsupported operand type(s) for @" in captured.err
    assert "Traceback" not in captured.err
