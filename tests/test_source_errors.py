"""Errors about the source itself: the quoted line, odd text and odd
arguments, long tokens, and a CompileError that survives pickling."""

from __future__ import annotations

import concurrent.futures
import copy
import multiprocessing
import pickle

import pytest

import hnncompile
from hnncompile import CompileError


def compile_error(source: str, **options) -> CompileError:
    with pytest.raises(CompileError) as caught:
        hnncompile.compile(source, **options)
    return caught.value


# Python's str.splitlines() splits on all of these; the grammar's lines end
# at "\n" only, so the quoted line must too.
@pytest.mark.parametrize(
    "odd", ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
)
def test_the_quoted_line_is_the_reported_line_whatever_the_comment_holds(odd):
    error = compile_error(f"a = 1 # x{odd}y\nb = 2\nb = 3", filename="p.hnn")
    assert (error.line, error.column) == (3, 1)
    assert str(error).splitlines()[1:] == ["    b = 3", "    ^"]


def test_a_form_feed_as_whitespace_keeps_the_quote_right():
    error = compile_error("a = 1\x0c\nb = 2\nb = 3")
    assert error.line == 3
    assert str(error).splitlines()[1] == "    b = 3"


def test_a_column_after_a_form_feed_on_the_same_line():
    error = compile_error("q = 1\nf =\x0c q ? 2")
    assert (error.line, error.column) == (2, 8)
    quoted, caret = str(error).split("\n")[1:]
    assert quoted == "    f =\x0c q ? 2" and quoted[len(caret) - 1] == "?"


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.hnn"
    path.write_bytes("\ufeffq = a * b\nf = q + 1\n".encode("utf-8"))
    f = hnncompile.compile_file(path)
    assert f.inputs == ("a", "b") and f(2.0, 3.0) == 7.0
    assert hnncompile.compile("\ufeffa*b").inputs == ("a", "b")


def test_a_mistake_after_a_byte_order_mark_is_counted_without_it():
    error = compile_error("\ufeffa ? b")
    assert (error.line, error.column) == (1, 3)
    assert str(error).splitlines()[1:] == ["    a ? b", "      ^"]


def test_invalid_utf8_is_quoted_with_a_caret_and_counted_in_characters(tmp_path):
    path = tmp_path / "bad.hnn"
    path.write_bytes(b"x = a\nf = x # \xc3\xa9\xc3\xa9 \xff here\n")
    with pytest.raises(CompileError) as caught:
        hnncompile.compile_file(path)
    error = caught.value
    # "f = x # éé " is 11 characters (13 bytes): the bad byte is column 12.
    assert (error.line, error.column) == (2, 12)
    assert "not UTF-8" in str(error)
    quoted, caret = str(error).splitlines()[1:]
    assert quoted == "    f = x # \u00e9\u00e9 \ufffd here"
    assert caret == "    " + " " * 11 + "^"


@pytest.mark.parametrize("source", [None, b"a*b", 42, ["a*b"]])
def test_a_source_that_is_not_a_str_is_a_type_error(source):
    with pytest.raises(TypeError, match="str") as caught:
        hnncompile.compile(source)
    assert type(source).__name__ in str(caught.value)


@pytest.mark.parametrize("filename", [None, b"x.hnn", 3])
def test_a_filename_that_is_not_a_str_is_a_type_error(filename):
    with pytest.raises(TypeError, match="filename.*str"):
        hnncompile.compile("a*b", filename=filename)


def test_compile_file_takes_a_bytes_path_and_names_it_as_text(tmp_path):
    path = tmp_path / "p.hnn"
    path.write_text("f = expp(a)\n")
    with pytest.raises(CompileError) as caught:
        hnncompile.compile_file(bytes(path))
    assert caught.value.filename == str(path)
    assert str(caught.value).startswith(f"{path}:1:5: unknown function")


def test_a_path_as_filename_is_fine(tmp_path):
    error = compile_error("a ?", filename=tmp_path / "p.hnn")
    assert error.filename == str(tmp_path / "p.hnn")


def test_a_number_of_more_than_4300_digits_is_a_compile_error():
    error = compile_error("f = x + " + "0" * 5000 + "1")
    assert (error.line, error.column) == (1, 9)
    assert "5001 digits" in str(error)
    # A shorter one is fine, leading zeros and all.
    assert hnncompile.compile("f = x + " + "0" * 4000 + "1")(1.0) == 2.0


@pytest.mark.parametrize(
    "source, words",
    [
        ("x" * 10**6 + " ? 1", "unexpected character '?'"),
        ("f = " + "q" * 10**6 + "(x)", "unknown function 'qqqq"),
        ("f = a + " + "1" * 4000 + "0" * 300, "too large"),
        ("f = a + 1" + "0" * 10**6, "digits"),
        ("f = a\n" + "g" * 10**6 + " = a\n" + "g" * 10**6 + " = b", "assigned twice"),
        ("f = a " + "z" * 10**6, "unexpected name 'zzzz"),
    ],
)
def test_a_huge_token_is_cut_short_in_the_message(source, words):
    error = compile_error(source)
    assert words in str(error)
    assert len(str(error)) < 1000
    assert len(error.message) < 400


def test_compile_error_pickles_and_copies():
    error = compile_error("q = a\nf = expp(q)", filename="n.hnn")
    for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error)):
        assert type(clone) is CompileError
        assert str(clone) == str(error)
        assert (clone.message, clone.line, clone.column, clone.filename) == (
            error.message,
            2,
            5,
            "n.hnn",
        )
    assert str(copy.deepcopy(error)) == str(error)


def _inputs_of(source: str) -> tuple[str, ...]:
    return hnncompile.compile(source).inputs


def test_a_compile_error_comes_back_from_a_process_pool():
    # A fresh interpreter, not a fork of this one (whose threads a fork
    # could deadlock): the error crosses by pickle.
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
        good = pool.submit(_inputs_of, "a*b")
        bad = pool.submit(hnncompile.compile, "f = expp(q)", filename="w.hnn")
        with pytest.raises(CompileError) as caught:
            bad.result(timeout=60)
        assert good.result(timeout=60) == ("a", "b")
    assert (caught.value.line, caught.value.column) == (1, 5)
    assert str(caught.value).startswith("w.hnn:1:5: unknown function 'expp'")


def test_a_huge_method_or_attribute_name_is_cut_short_in_the_message():
    for source, words in [
        ("f = x." + "m" * 10**5 + "()", "unknown method 'mmmm"),
        ("f = x." + "a" * 10**5, "unknown attribute 'aaaa"),
        ("f = x.sum(" + "k" * 10**5 + "=1)", "has no keyword 'kkkk"),
    ]:
        error = compile_error(source, target="numpy")
        assert words in error.message and len(error.message) < 400
        assert len(str(error)) < 1000


def test_a_long_chain_of_trailers_is_refused_on_the_python_target_without_recursion():
    error = compile_error("f = x" + "[0].T" * 50_000)
    assert (error.line, error.column) == (1, 6)
    assert error.message.startswith("indexing needs the array target")


def test_a_compile_error_of_the_matrix_language_pickles():
    error = compile_error("f = x.sum(axes=1)", target="numpy", filename="m.hnn")
    clone = pickle.loads(pickle.dumps(error))
    assert str(clone) == str(error) and (clone.line, clone.column) == (1, 11)
