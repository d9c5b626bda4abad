"""hnncompile: small math programs -> readable Python forward and backward code.

    >>> import hnncompile
    >>> f = hnncompile.compile("pow((a*b+c)*d, 2)")
    >>> f(1.0, 2.0, 3.0, 4.0)
    400.0
    >>> f.backward(1.0, 2.0, 3.0, 4.0)
    (320.0, 160.0, 160.0, 200.0)

The pipeline, one module per stage: parse (text -> AST, syntax.py) ->
lower (AST -> gate list, ir.py, from the catalogue in gates/) -> codegen
(gate list -> Python, NumPy or JavaScript source, long lines split by
layout.py) -> compiled (the source's functions); lint.py warns about a
program that compiles but looks unintended. The study tools (gradcheck.py
with slope.py, trace.py, draw.py, explore.py) and cli.py sit on top.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import threading
import warnings
from os import PathLike, fsdecode, fspath
from typing import Iterator, Mapping, Sequence

from . import codegen, lint, lower, parse, stabilize
from . import optimize as optimization
from .optimize import PassResult
from .compiled import CompiledFunction
from .errors import CompileError, CompileWarning
from .gradcheck import GradcheckReport, gradcheck
from .ir import GateList
from .trace import Trace, trace

__all__ = [
    "CompileError",
    "CompileWarning",
    "CompiledFunction",
    "GradcheckReport",
    "Trace",
    "compile",
    "compile_file",
    "gradcheck",
    "trace",
]

TARGETS = tuple(codegen.TARGETS)


def __getattr__(name: str) -> str:
    # hnncompile.__version__, from the installed package's metadata; read
    # when asked for, so that importing hnncompile does not pay for it.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("hnncompile")
        except PackageNotFoundError:  # a checkout on sys.path, not installed
            return "0+unknown"
    raise AttributeError(f"module 'hnncompile' has no attribute {name!r}")


def compile(
    source: str,
    *,
    wrt: Sequence[str] | None = None,
    target: str = "python",
    filename: str = "<string>",
    comments: bool = True,
    optimize: bool = False,
    shapes: Mapping[str, Sequence[int]] | None = None,
    stable: bool = True,
) -> CompiledFunction:
    """Compile a program to forward and backward functions.

    `wrt` names the inputs to differentiate (all of them by default); the
    others are constants, and backward computes nothing for them.
    `optimize` runs the passes of optimize.py over the gate list (the
    default module keeps one gate per operation of the source, as the
    tutorial writes it); `f.passes` then holds each pass's result.
    `shapes` (the numpy target) gives inputs' shapes, `{"W1": (30, 200)}`:
    backward is then written for them, as the lecture writes it by hand
    (`dh = dlogits @ W2.T`, `db1 = dhprebn.sum(0)`), and works for any
    arrays with the same numbers of axes and the same axes of size 1.
    Without it, the module is right for every shape.
    `stable` (on by default) rewrites the forms that overflow or round to
    nothing into stable gates (`log(sigmoid(q))` into `log_sigmoid(q)`,
    see stabilize.py), each with a comment in the module saying what the
    source wrote and why; `f.rewrites` holds a record of each. `f.passes`
    then begins with the gate list as lowered and after `stabilize` (the
    optimisation passes follow with `optimize`); a program with nothing
    to rewrite has none of these entries, as with `stable=False`.
    Raises CompileError for any mistake in the source, ValueError for an
    unknown target or a `wrt` name that is not an input, and TypeError for
    a source or filename that is not a str. A program that compiles but
    looks unintended (a statement that never reaches the output, an input
    named like a gradient, `dx` beside an assigned `x`) gets a
    CompileWarning for each such place.
    """
    if not isinstance(source, str):
        raise TypeError(
            f"compile() wants the program as a str, not {type(source).__name__}"
            + (
                " (decode it first, or use compile_file)"
                if isinstance(source, (bytes, bytearray))
                else ""
            )
        )
    if isinstance(filename, PathLike):
        filename = fspath(filename)
    if not isinstance(filename, str):
        raise TypeError(
            f"compile()'s filename wants a str, not {type(filename).__name__}"
        )
    _check_target(target)
    return _compile(source, filename, wrt, target, comments, optimize, shapes, stable)


def _compile(
    source: str,
    filename: str,
    wrt: Sequence[str] | None,
    target: str,
    comments: bool,
    optimize: bool,
    shapes: Mapping[str, Sequence[int]] | None = None,
    stable: bool = True,
    stacklevel: int = 3,  # warn at the line that called compile()
) -> CompiledFunction:
    with _garbage_collection_paused():
        program = parse.parse(source, filename)
        gates = lower.lower(program, target)
        wrt_inputs = _check_wrt(gates, wrt)
        found = lint.lint(program, gates.output)
        # The syntax tree goes before the collector comes back on: its first
        # collection walks every object made while it was off and still held.
        del program
        passes: tuple[PassResult, ...] = ()
        rewrites: tuple[stabilize.Rewrite, ...] = ()
        if stable:
            lowered = gates
            gates, rewrites = stabilize.stabilize(gates)
            if rewrites:
                passes = (
                    PassResult("lower", lowered),
                    PassResult("stabilize", gates, rewrites),
                )
        if optimize:
            passes = passes or (PassResult("lower", gates),)
            gates, more = optimization.optimize(gates)
            passes += more
        if shapes is not None:
            gates = dataclasses.replace(
                gates, shapes=_check_shapes(gates, target, shapes)
            )
        module = codegen.generate_module(
            gates,
            wrt=wrt_inputs,
            comments=comments,
            target=target,
            propagate_copies=optimize,
        )
        f = CompiledFunction(gates, module, comments=comments)
        f.passes = passes
        f.rewrites = rewrites
    for warning in found:
        warnings.warn(warning, stacklevel=stacklevel)
    return f


def compile_file(
    path: str | PathLike[str],
    *,
    wrt: Sequence[str] | None = None,
    target: str = "python",
    comments: bool = True,
    optimize: bool = False,
    shapes: Mapping[str, Sequence[int]] | None = None,
    stable: bool = True,
) -> CompiledFunction:
    """Compile the program in a `.hnn` file (see `compile`): UTF-8 text, a
    byte-order mark allowed."""
    filename = fsdecode(path)
    with open(path, "rb") as file:
        data = file.read()
    _check_target(target)
    source = _decode(data, filename)
    return _compile(source, filename, wrt, target, comments, optimize, shapes, stable)


def _decode(data: bytes, filename: str) -> str:
    """A program file's bytes as text (UTF-8), or a CompileError that
    quotes the line and points at the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        # Everything before the bad byte is good UTF-8: count lines and
        # characters in it as the parser would, and quote the line with the
        # bad bytes shown as U+FFFD.
        before = parse.normalize(data[: error.start].decode("utf-8"))
        line_start = before.rfind("\n") + 1
        raise CompileError(
            f"the program is not UTF-8 text (at byte {error.start})",
            line=before.count("\n") + 1,
            column=len(before) - line_start + 1,
            filename=filename,
            source=parse.normalize(data.decode("utf-8", "replace")),
        ) from None


# Compiles running now (in any thread), and whether the collector was on
# when the first of them began: only the last one to finish turns it back on.
_pause_lock = threading.Lock()
_pause_count = 0
_collector_was_enabled = False


@contextlib.contextmanager
def _garbage_collection_paused() -> Iterator[None]:
    """Compiling makes many small objects and no cycles worth collecting:
    Python's cyclic collector, rescanning them all as they pile up, would
    cost a third of the time on a large program.

    Safe across threads: the first compile to begin pauses the collector
    (if it was on), the last to end resumes it."""
    global _pause_count, _collector_was_enabled
    with _pause_lock:
        if _pause_count == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _pause_count += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pause_count -= 1
            if _pause_count == 0 and _collector_was_enabled:
                gc.enable()


def _check_shapes(
    gates: GateList, target: str, shapes: Mapping[str, Sequence[int]]
) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """compile()'s `shapes`, checked as shapes.infer checks them (a shape
    is a tuple of ints, or one int for one axis), as the gate list holds
    them: in input order."""
    if target != "numpy":
        raise ValueError(f"shapes= is for target='numpy', not {target!r}")
    if not isinstance(shapes, Mapping):
        raise TypeError("shapes= wants a dict from input name to shape")
    from . import shapes as shape_pass  # NumPy, only for a program with shapes

    one_axis = {
        name: (shape,)
        for name, shape in shapes.items()
        if isinstance(shape, int) and not isinstance(shape, bool)
    }
    checked = shape_pass.checked_shapes(gates, {**shapes, **one_axis})
    return tuple((name, checked[name]) for name in gates.inputs if name in checked)


def _check_target(target: str) -> None:
    if target not in TARGETS:
        raise ValueError(
            f"unknown target {target!r}; the targets are {', '.join(TARGETS)}"
        )


def _check_wrt(gates: GateList, wrt: Sequence[str] | None) -> tuple[str, ...]:
    """The inputs to differentiate, in input order: those `wrt` names, or
    (None) every input that is not data. Naming data (an index, a length,
    a size) is a ValueError: it has no gradient."""
    inputs = gates.inputs
    if wrt is None:
        return tuple(name for name in inputs if name not in gates.data)
    if isinstance(wrt, str):
        wrt = [wrt]
    wrt = set(wrt)
    unknown = sorted(wrt.difference(inputs))
    if unknown:
        listed = ", ".join(inputs) if inputs else "none"
        raise ValueError(
            f"wrt names {', '.join(map(repr, unknown))}, which "
            f"{'is not an input' if len(unknown) == 1 else 'are not inputs'}; "
            f"the inputs are: {listed}"
        )
    for name in inputs:
        if name in wrt and name in gates.data:
            raise ValueError(
                f"{name!r} is data ({gates.why_data(name)}): it has no gradient"
            )
    return tuple(name for name in inputs if name in wrt)
