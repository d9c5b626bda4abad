"""The command line: hnncompile compile | grad | check | trace | draw | explore.

Each takes a program as FILE (`-`: standard input) or `-e PROGRAM`, and the
study commands a point as NAME=VALUE (trace, draw and explore start an
input not given at 1). `compile -o` picks the target from the output's
name (.js, .mjs) unless --target says otherwise; `--version` prints it.

Programs of vectors and matrices (SPEC section 5) run on the numpy
target: the study commands pick it for a program the python target
refuses, or when given `--shapes` or `--inputs`. `--shapes
C=27x10,W1=30x64,b1=64,n=` gives inputs' shapes (sizes joined by `x`;
nothing, or `()`, for one number): `compile` writes backward for them
(compile's `shapes=`), and `check`, `trace`, `draw` and `grad` draw the
inputs not given at random with those shapes (seeded by --seed), a data
input (an index array, a length) as integers that fit what it indexes.
`--inputs POINT.npz` gives arrays by input name (NumPy's np.savez); on the
command line, NAME=VALUE gives numbers only.

Exit codes: 0 success, 1 a gradient check that failed, 2 bad input (a
compile error, a missing file, a bad argument, a value given twice, an
output that is the source), with the error on stderr and no traceback.
Warnings (hnncompile.CompileWarning) go to stderr as
`FILE:LINE:COL: warning: ...` and leave the exit code alone.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import warnings
from pathlib import Path
from typing import Sequence

from . import (
    TARGETS,
    CompiledFunction,
    CompileError,
    CompileWarning,
    _decode,
    compile,
    gradcheck,
)

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2
# FILE that means standard input, and the name its program goes by.
STDIN, STDIN_NAME = "-", "<stdin>"
STDOUT = "-"  # `compile -o -`, as FILE `-` is standard input
# Output names that pick the JavaScript target, and those that want Python
# (any Python target: python or numpy); other names take any target.
JS_SUFFIXES = (".js", ".mjs")
PYTHON_SUFFIXES = (".py",)


class _UserMistake(Exception):
    """Bad input from the command line: printed, then exit 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:
        # `hnncompile compile big.hnn | head`: the reader left; not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (CompileError, _UserMistake) as error:
        print(
            f"hnncompile: error: {error}" if isinstance(error, _UserMistake) else error,
            file=sys.stderr,
        )
    except OSError as error:
        reason = error.strerror or str(error)
        output = getattr(args, "output", None)
        if error.filename is not None:
            message = f"{reason}: {error.filename}"
        elif output is not None:
            # Writing to a full disk fails at close, naming no file.
            message = f"cannot write {output}: {reason}"
        else:
            message = reason
        print(f"hnncompile: error: {message}", file=sys.stderr)
    except ValueError as error:  # an unknown --wrt name
        print(f"hnncompile: error: {error}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hnncompile",
        description="Compile small math programs to readable Python (or "
        "JavaScript) forward and backward functions.",
    )
    parser.add_argument(
        "--version", action=_Version, help="print hnncompile's version and exit"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    compile_ = commands.add_parser(
        "compile", help="write the generated module (Python, NumPy or JavaScript)"
    )
    _add_program(compile_)
    compile_.add_argument(
        "-o",
        "--output",
        metavar="OUT.py|OUT.js",
        help="write here (default, or '-': stdout); without --target, a .js "
        "or .mjs name picks the js target",
    )
    compile_.add_argument(
        "--target",
        choices=TARGETS,
        help="python (the default): floats and math; numpy: arrays that "
        "broadcast together; js: an ES module in the tutorial's JavaScript",
    )
    compile_.add_argument(
        "--wrt", metavar="a,b", help="inputs to differentiate (default: all)"
    )
    compile_.add_argument(
        "--no-comments", action="store_true", help="leave out the explanatory comments"
    )
    _add_shapes(compile_, "write backward for these shapes (the numpy target)")
    compile_.add_argument(
        "-O",
        "--optimize",
        action="store_true",
        help="run the optimisation passes (constant identities, common "
        "subexpressions, copies, dead code)",
    )
    compile_.add_argument(
        "--emit",
        choices=("module", "gates", "passes"),
        default="module",
        help="module: the generated code (default); gates: the gate list; "
        "passes: the gate list before and after each optimisation pass",
    )
    compile_.set_defaults(run=_compile)

    grad = commands.add_parser(
        "grad", help="print the value and the gradients at a point"
    )
    _add_program(grad)
    grad.add_argument("values", nargs="*", metavar="NAME=VALUE")
    grad.add_argument(
        "--wrt", metavar="a,b", help="inputs to differentiate (default: all)"
    )
    _add_arrays(grad)
    grad.add_argument("--seed", type=int, help="seed for the random inputs")
    grad.set_defaults(run=_grad)

    check = commands.add_parser(
        "check",
        help="compare the gradients with numerical ones (random inputs by default)",
    )
    _add_program(check)
    check.add_argument("values", nargs="*", metavar="NAME=VALUE")
    check.add_argument("--seed", type=int, help="seed for the random inputs")
    _add_arrays(check)
    check.set_defaults(run=_check)

    trace = commands.add_parser(
        "trace", help="every wire's value and gradient at a point, in forward order"
    )
    _add_program(trace)
    trace.add_argument("values", nargs="*", metavar="NAME=VALUE")
    _add_arrays(trace)
    trace.add_argument("--seed", type=int, help="seed for the random inputs")
    trace.set_defaults(run=_trace)

    draw = commands.add_parser(
        "draw",
        help="draw the circuit (.svg, .png or .dot), with values and gradients "
        "when a point is given",
    )
    _add_program(draw)
    draw.add_argument("values", nargs="*", metavar="NAME=VALUE")
    draw.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="CIRCUIT.svg",
        help=".svg, .png or .dot",
    )
    _add_arrays(draw)
    draw.add_argument("--seed", type=int, help="seed for the random inputs")
    draw.set_defaults(run=_draw)

    explore = commands.add_parser(
        "explore",
        help="write an HTML page to play with the inputs and watch every wire's "
        "value and gradient move (inputs not given start at 1)",
    )
    _add_program(explore)
    explore.add_argument("values", nargs="*", metavar="NAME=VALUE")
    explore.add_argument(
        "-o", "--output", required=True, metavar="PAGE.html", help="the page to write"
    )
    explore.add_argument(
        "--wrt",
        metavar="a,b",
        help="inputs to differentiate (default: all); with --train, the others "
        "that are not data are held where they start",
    )
    explore.add_argument(
        "--train",
        metavar="DATA",
        help="train in the page on DATA: a built-in data set (tutorial, circle, "
        "xor, spiral, moons) or a CSV file with a header row",
    )
    explore.add_argument(
        "--data",
        metavar="x,y,label",
        help="with --train: the inputs taking a point's x, y and label "
        "(default x,y,label; a CSV file's columns by these names)",
    )
    explore.add_argument(
        "--score",
        metavar="NAME",
        help="with --train: the wire whose sign is the decision (default score)",
    )
    explore.add_argument(
        "--step", type=float, help="with --train: the step size (default 0.01)"
    )
    explore.add_argument(
        "--seed",
        type=int,
        help="with --train: seeds the parameters not given and the page's "
        "choice of points (default 0)",
    )
    explore.set_defaults(run=_explore)
    return parser


class _Version(argparse.Action):
    """--version, read from the package's metadata only when asked for."""

    def __init__(self, option_strings, dest, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from . import __version__

        print(f"hnncompile {__version__}")
        parser.exit()


def _add_program(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "file", nargs="?", metavar="FILE", help="a .hnn program ('-': standard input)"
    )
    command.add_argument(
        "-e", "--expr", metavar="PROGRAM", help="the program itself, instead of FILE"
    )


def _add_shapes(command: argparse.ArgumentParser, what: str) -> None:
    command.add_argument(
        "--shapes",
        action="append",
        metavar="NAME=AxB,...",
        help=f"inputs' shapes, sizes joined by x: C=27x10,b1=64,n= (nothing or "
        f"'()': one number); {what}; may be repeated",
    )


def _add_arrays(command: argparse.ArgumentParser) -> None:
    _add_shapes(
        command,
        "inputs not given are drawn at random with them (data inputs as "
        "integers that fit what they index)",
    )
    command.add_argument(
        "--inputs",
        metavar="POINT.npz",
        help="inputs' values by name, arrays included, from a NumPy .npz file "
        "(np.savez('point.npz', C=C, Xb=Xb, ...))",
    )


def _load_study(args) -> CompiledFunction:
    """The program for grad, check, trace, draw and explore: on the python
    target, or on the numpy target when --shapes or --inputs is given or
    the python target refuses it (a program of vectors and matrices)."""
    arrays = getattr(args, "shapes", None) or getattr(args, "inputs", None)
    if arrays:
        return _load(args, target="numpy")
    program = _program(args)
    try:
        return _compiled(program, {})
    except CompileError as error:
        try:  # a program of matrices: the python target refuses what it needs
            return _compiled(program, {"target": "numpy"})
        except (CompileError, ValueError):
            raise error from None


def _load(args, **options) -> CompiledFunction:
    return _compiled(_program(args), options)


def _program(args) -> tuple[str, str, dict]:
    """The program's source, its file's name, and the options every command
    takes (--wrt), read once (standard input cannot be read twice)."""
    if args.expr is not None and args.file is not None:
        if not hasattr(args, "values"):
            raise _UserMistake("give either FILE or -e PROGRAM, not both")
        # With -e, every positional argument is a NAME=VALUE.
        args.values.insert(0, args.file)
        args.file = None
    if args.expr is None and args.file is None:
        raise _UserMistake("give a program: a FILE, or -e PROGRAM")
    _refuse_to_overwrite_the_source(args)
    options = {}
    wrt = getattr(args, "wrt", None)
    if wrt is not None:
        options["wrt"] = [name.strip() for name in wrt.split(",") if name.strip()]
    shapes = getattr(args, "shapes", None)
    if shapes:
        options["shapes"] = _shapes(shapes)
    if args.expr is not None:
        return args.expr, "<expression>", options
    if args.file == STDIN:
        return _decode(sys.stdin.buffer.read(), STDIN_NAME), STDIN_NAME, options
    with open(args.file, "rb") as file:
        return _decode(file.read(), os.fsdecode(args.file)), args.file, options


def _compiled(program: tuple[str, str, dict], options: dict) -> CompiledFunction:
    """The program compiled with its options and `options`; its warnings
    printed to stderr as FILE:LINE:COL: warning: ..."""
    source, filename, common = program
    options = {**common, **options}
    if "shapes" in options and options.get("target", "python") != "numpy":
        raise _UserMistake(
            f"--shapes is for the numpy target, not {options.get('target', 'python')}: "
            "give --target numpy"
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CompileWarning)
        f = compile(source, filename=filename, **options)
    for warning in caught:
        if isinstance(warning.message, CompileWarning):
            w = warning.message
            print(
                f"{w.filename}:{w.line}:{w.column}: warning: {w.message}",
                file=sys.stderr,
            )
        else:  # pragma: no cover - nothing else warns today
            warnings.showwarning(
                warning.message,
                warning.category,
                warning.filename,
                warning.lineno,
            )
    return f


def _refuse_to_overwrite_the_source(args) -> None:
    """-o naming the program's own file (or a link to it) is refused."""
    output = getattr(args, "output", None)
    if output is None or args.file is None or args.file == STDIN:
        return
    try:
        same = os.path.samefile(args.file, output)
    except OSError:  # one of them does not exist: they cannot be one file
        return
    if same:
        raise _UserMistake(
            f"the output {output} is the program's source {args.file}: writing "
            "it would destroy the program; give another -o"
        )


def _compile_target(args) -> str:
    """--target, or the one the output's name asks for; a contradiction is
    a mistake."""
    suffix = Path(args.output).suffix.lower() if args.output else ""
    if args.emit != "module":  # the gate list is the same for every target
        return args.target or "python"
    if args.target is None:
        if suffix in JS_SUFFIXES:
            return "js"
        return "numpy" if args.shapes else "python"
    if suffix in JS_SUFFIXES and args.target != "js":
        wanted = "JavaScript"
    elif suffix in PYTHON_SUFFIXES and args.target == "js":
        wanted = "Python"
    else:
        return args.target
    raise _UserMistake(
        f"--target {args.target} does not write {wanted}, which the output "
        f"{args.output} is named for: drop --target (the name picks the "
        "target) or rename the output"
    )


def _compile(args) -> int:
    optimize = args.optimize or args.emit == "passes"
    target = _compile_target(args)
    options = dict(target=target, comments=not args.no_comments, optimize=optimize)
    program = _program(args)
    try:
        f = _compiled(program, options)
    except CompileError as error:
        if args.target is not None or target != "python":
            raise
        try:  # would the numpy target take it? then say how to ask for it
            _compiled(program, {**options, "target": "numpy"})
        except (CompileError, ValueError, _UserMistake):
            raise error from None
        print(error, file=sys.stderr)
        print(
            "hnncompile: hint: a program of vectors and matrices compiles with "
            "--target numpy",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    if args.emit == "module":
        text = f.source
    elif args.emit == "gates":
        text = f"{f.gates}\n"
    else:
        text = "".join(
            f"# {'as lowered' if p.name == 'lower' else 'after ' + p.name}: "
            f"{len(p.gates.eqns)} gates\n{p.gates}\n\n"
            for p in f.passes
        )
    if args.output and args.output != STDOUT:
        _write(args.output, text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _write(path: str, text: str) -> None:
    """Write the finished text; a failure names the file and leaves no new,
    half-written one behind."""
    existed = os.path.lexists(path)
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as error:
        if not existed and os.path.isfile(path):
            os.remove(path)
        raise _UserMistake(f"cannot write {path}: {error.strerror or error}") from None


def _grad(args) -> int:
    f = _load_study(args)
    if f.target == "numpy":
        return _grad_arrays(f, args)
    point = _full_point(f, args.values)
    x = [point[name] for name in f.inputs]
    value, grads = _evaluate(f, x)
    print(f"{f.output} = {value:.10g}")
    width = max([len("input")] + [len(name) for name in f.wrt])
    print(f"{'input'.ljust(width)}  {'value':>14}  gradient d{f.output}/d(input)")
    for name in f.wrt:
        print(f"{name.ljust(width)}  {point[name]:>14.10g}  {grads[name]:.10g}")
    return EXIT_OK


def _check(args) -> int:
    f = _load_study(args)
    if f.target == "numpy":
        return _check_arrays(f, args)
    given = _point(f, args.values)
    rng = random.Random(args.seed)
    every_input_given = len(given) == len(f.inputs)
    # Random inputs where none are given: first anywhere in [-2, 2], then,
    # if the program is not defined there (log or sqrt of a negative) or its
    # value is not a finite real number there, in (0, 2].
    unsure = None
    for attempt in range(1 if every_input_given else 40):
        low = -2.0 if attempt < 20 else 0.1
        x = [
            given[n] if n in given else round(rng.uniform(low, 2.0), 4)
            for n in f.inputs
        ]
        try:
            report = gradcheck(f, *x)
        except (ArithmeticError, ValueError) as error:
            if every_input_given:
                raise _UserMistake(str(error)) from None
            continue
        if report.passed or report.failed:
            print(report)
            return EXIT_OK if report.passed else EXIT_CHECK_FAILED
        unsure = report  # inconclusive here (not finite, a pole): draw again
    if unsure is not None:
        print(unsure)
        raise _UserMistake(
            "the gradients cannot be checked at this point (see the report); "
            "give another point"
            if every_input_given
            else "found no random point where the gradients can be checked; give one"
        )
    raise _UserMistake(
        "found no random point where the program can be evaluated; give one"
    )


def _trace(args) -> int:
    f = _load_study(args)
    if f.target == "numpy":
        point = _array_point(f, args, random_missing=bool(args.shapes))
    else:
        point = _study_point(f, args.values)
    try:
        print(f.trace(*(point[name] for name in f.inputs)))
    except (ArithmeticError, ValueError, IndexError) as error:
        raise _UserMistake(f"the program cannot be evaluated there: {error}") from None
    return EXIT_OK


def _draw(args) -> int:
    from .draw import DrawingUnavailable, draw

    f = _load_study(args)
    if f.target == "numpy" and (args.values or args.shapes or args.inputs):
        point = _array_point(f, args, random_missing=bool(args.shapes))
    else:
        point = _study_point(f, args.values) if args.values else None
    try:
        draw(f, args.output, point)
    except DrawingUnavailable as error:
        raise _UserMistake(str(error)) from None
    except (ArithmeticError, ValueError, IndexError) as error:
        raise _UserMistake(str(error)) from None
    return EXIT_OK


def _explore(args) -> int:
    from .draw import DrawingUnavailable
    from .explore import refuse_matrices, training, write

    f = _load_study(args)
    try:
        refuse_matrices(f)
    except ValueError as error:
        raise _UserMistake(str(error)) from None
    train = None
    if args.train is None:
        options = [f"--{name}" for name in ("data", "score", "step", "seed")]
        given = [o for o in options if getattr(args, o[2:]) is not None]
        if given:
            raise _UserMistake(f"{', '.join(given)}: only with --train DATA")
        point = _study_point(f, args.values)
    else:
        try:
            train = training(
                f,
                args.train,
                data=args.data,
                score=args.score,
                step=args.step,
                seed=0 if args.seed is None else args.seed,
                point=_point(f, args.values),
            )
        except ValueError as error:  # a data set, a name or a value that is wrong
            raise _UserMistake(str(error)) from None
        point = train.start
        if train.chosen:
            started = ", ".join(
                f"{name}={train.start[name]:g}" for name in train.chosen
            )
            print(
                f"hnncompile: note: parameters not given start at random (seed "
                f"{train.seed}): {started}",
                file=sys.stderr,
            )
    try:
        write(f, args.output, point, train)
    except DrawingUnavailable as error:
        raise _UserMistake(str(error)) from None
    except (ArithmeticError, ValueError) as error:
        raise _UserMistake(
            f"the program cannot be evaluated at the starting point: {error}; "
            "give other values (NAME=VALUE)"
        ) from None
    return EXIT_OK


def _study_point(f: CompiledFunction, values: Sequence[str]) -> dict[str, float]:
    """NAME=VALUE for trace, draw and explore: an input not given starts at
    1 (trace.MISSING_INPUT_VALUE), and stderr says which did."""
    from .trace import MISSING_INPUT_VALUE

    point = _point(f, values)
    missing = [name for name in f.inputs if name not in point]
    if missing:
        print(
            f"hnncompile: note: {', '.join(missing)} not given: "
            f"{'they start' if len(missing) > 1 else 'it starts'} at "
            f"{MISSING_INPUT_VALUE:g}",
            file=sys.stderr,
        )
    return {name: point.get(name, MISSING_INPUT_VALUE) for name in f.inputs}


def _full_point(f: CompiledFunction, values: Sequence[str]) -> dict[str, float]:
    """NAME=VALUE for every input, or a clear complaint."""
    point = _point(f, values)
    missing = [name for name in f.inputs if name not in point]
    if missing:
        raise _UserMistake(
            f"give a value for every input: missing {', '.join(missing)} "
            f"(for example {missing[0]}=1.5)"
        )
    return point


def _point(f: CompiledFunction, values: Sequence[str]) -> dict[str, float]:
    point = {}
    given: dict[str, str] = {}
    for item in values:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep:
            raise _UserMistake(f"expected NAME=VALUE, got {item!r}")
        if name not in f.inputs:
            raise _UserMistake(
                f"{name!r} is not an input; the inputs are {', '.join(f.inputs) or 'none'}"
            )
        if name in given:
            raise _UserMistake(
                f"{name} is given twice ({given[name]}, {item.strip()}): "
                "give each input once"
            )
        given[name] = item.strip()
        try:
            value = float(text)
        except ValueError:
            arrays = (
                "; give arrays with --inputs POINT.npz" if f.target == "numpy" else ""
            )
            raise _UserMistake(f"{item!r}: {text!r} is not a number{arrays}") from None
        if not math.isfinite(value):
            raise _UserMistake(f"{item!r}: give a finite number")
        point[name] = value
    return point


# -- programs of vectors and matrices (the numpy target) ---------------------

RANDOM_LOW, RANDOM_HIGH = -2.0, 2.0  # where random inputs are drawn, as for numbers
POSITIVE_LOW = 0.1  # ...and, after 20 draws where the program is not defined, from here
SHAPE_SIZES = "x"  # --shapes W1=30x64


def _shapes(options: Sequence[str]) -> dict[str, tuple[int, ...]]:
    """--shapes C=27x10,b1=64,n= (each --shapes may list several): a shape
    by input name; a mistake in the syntax is a _UserMistake (the names are
    checked against the program's inputs by compile)."""
    shapes: dict[str, tuple[int, ...]] = {}
    for option in options:
        for item in option.split(","):
            if not item.strip():
                continue
            name, sep, text = item.partition("=")
            name, text = name.strip(), text.strip()
            if not sep or not name:
                raise _UserMistake(
                    f"--shapes {item.strip()!r}: write NAME=SHAPE, the sizes "
                    "joined by x: W1=30x64, b1=64, n= for one number"
                )
            if name in shapes:
                raise _UserMistake(f"--shapes gives {name}'s shape twice")
            if text in ("", "()"):
                shapes[name] = ()
                continue
            sizes = []
            for size in text.split(SHAPE_SIZES):
                size = size.strip()
                if not size.isdigit():
                    raise _UserMistake(
                        f"--shapes {item.strip()!r}: {size!r} is not a size; write "
                        "the sizes as whole numbers joined by x: W1=30x64"
                    )
                sizes.append(int(size))
            shapes[name] = tuple(sizes)
    return shapes


def _shape_text(shape: tuple[int, ...]) -> str:
    return SHAPE_SIZES.join(map(str, shape)) if shape else "()"


def _read_inputs(path: str, f: CompiledFunction) -> dict:
    """--inputs POINT.npz: the arrays it holds, by input name."""
    import numpy as np

    try:
        loaded = np.load(path, allow_pickle=False)
    except OSError:
        raise
    except Exception as error:  # not a NumPy file: BadZipFile, ValueError, ...
        raise _UserMistake(
            f"--inputs {path}: cannot read it as a NumPy .npz file ({error})"
        ) from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise _UserMistake(
            f"--inputs {path}: a .npy file holds one array with no name; give a "
            ".npz file of arrays by input name: np.savez('point.npz', C=C, Xb=Xb)"
        )
    with loaded:
        values = {}
        for name in loaded.files:
            if name not in f.inputs:
                raise _UserMistake(
                    f"--inputs {path}: {name!r} is not an input; the inputs "
                    f"are {', '.join(f.inputs) or 'none'}"
                )
            array = loaded[name]
            if array.dtype.kind not in "biuf":
                raise _UserMistake(
                    f"--inputs {path}: {name} holds {array.dtype} values; give "
                    "real numbers"
                )
            values[name] = array
    return values


def _data_value(f: CompiledFunction, name: str, value, where: str):
    """A data input's value as integers (an index array, a length)."""
    import numpy as np

    array = np.asarray(value)
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise _UserMistake(
                f"{where}: {name} is data ({f.gates.why_data(name)}): give "
                "whole numbers"
            )
        array = array.astype(np.intp)
    return int(array) if array.ndim == 0 else array


def _array_point(
    f: CompiledFunction,
    args,
    random_missing: bool,
    rng=None,
    low: float = RANDOM_LOW,
    note: bool = True,
) -> dict:
    """The point of a study command on the numpy target: --inputs FILE.npz
    and NAME=VALUE (numbers), then, with `random_missing`, every input not
    given drawn at random with its --shapes shape (one number when it has
    none), a data input as integers that fit what it indexes (see
    _draw_data); without it, a parameter not given starts at 1 and a data
    input not given is a mistake."""
    import numpy as np

    from .trace import MISSING_INPUT_VALUE

    given: dict = {}
    if getattr(args, "inputs", None):
        given.update(_read_inputs(args.inputs, f))
    for name, value in _point(f, args.values).items():
        if name in given:
            raise _UserMistake(
                f"{name} is given twice (in --inputs {args.inputs} and as "
                f"{name}=...): give each input once"
            )
        given[name] = value
    point = {}
    for name, value in given.items():
        if name in f.gates.data:
            point[name] = _data_value(f, name, value, "the point")
        elif isinstance(value, np.ndarray) and value.ndim == 0:
            point[name] = float(value)
        else:
            point[name] = value
    shapes = _shapes(args.shapes) if getattr(args, "shapes", None) else {}
    for name, shape in shapes.items():
        if name in point and np.shape(point[name]) != shape:
            raise _UserMistake(
                f"{name}: --shapes says {_shape_text(shape)}, its value has shape "
                f"{_shape_text(np.shape(point[name]))}"
            )
    missing = [name for name in f.inputs if name not in point]
    if not missing:
        return {name: point[name] for name in f.inputs}
    if not random_missing:
        data = [name for name in missing if name in f.gates.data]
        if data:
            name = data[0]
            raise _UserMistake(
                f"{name} is data ({f.gates.why_data(name)}) and has no value: "
                "give the inputs' shapes with --shapes (inputs not given are then "
                f"drawn at random, {name} below the size of what it indexes) or "
                "their values with --inputs POINT.npz"
            )
        print(
            f"hnncompile: note: {', '.join(missing)} not given: "
            f"{'they start' if len(missing) > 1 else 'it starts'} at "
            f"{MISSING_INPUT_VALUE:g} (--shapes draws them at random)",
            file=sys.stderr,
        )
        point.update({name: MISSING_INPUT_VALUE for name in missing})
        return {name: point[name] for name in f.inputs}
    seed = getattr(args, "seed", None)
    if rng is None:
        rng = np.random.default_rng(0 if seed is None else seed)
    if note:
        print(
            f"hnncompile: note: drawn at random (seed {0 if seed is None else seed}; "
            f"--seed changes it): {', '.join(missing)}",
            file=sys.stderr,
        )
    for name in missing:
        if name not in f.gates.data:
            shape = shapes.get(name, ())
            drawn = np.round(rng.uniform(low, RANDOM_HIGH, size=shape), 4)
            point[name] = float(drawn) if shape == () else drawn
    _draw_data(f, point, shapes, rng)
    from .shapes import infer

    # Shapes that do not fit are a CompileError at the gate's line.
    infer(f.gates, {name: np.shape(value) for name, value in point.items()})
    return {name: point[name] for name in f.inputs}


def _draw_data(f: CompiledFunction, point: dict, shapes: dict, rng) -> None:
    """Give each data input not in `point` random values that fit: where a
    gate indexes an array with it, integers below the size of the axis it
    indexes (`C[Xb]`: Xb below C's rows; `P[range(n), Yb]`: n the number
    of P's rows, Yb below its columns, one per row). Which axis each data
    input indexes is read from the catalogue's `scatter` template, the
    index its gradient goes back through: `{i}` alone along an axis, an
    index array; `np.arange({n})`, a length. An index array takes its
    shape from --shapes, or one element per row beside a length. A data
    input that cannot be worked out so is a _UserMistake naming it."""
    import numpy as np

    from .gates import GATES
    from .ir import Wire
    from .shapes import infer

    data = f.gates.data
    for eqn in f.gates.eqns:
        gate = GATES[eqn.gate]
        open_ = [
            position
            for position in gate.data_inputs
            if isinstance(eqn.args[position], Wire)
            and eqn.args[position].name in data
            and eqn.args[position].name not in point
        ]
        if not open_ or gate.scatter is None or not isinstance(eqn.args[0], Wire):
            continue
        known = {name: np.shape(value) for name, value in point.items()}
        known.update((n, s) for n, s in shapes.items() if n not in known)
        indexed = eqn.args[0].name
        shape = infer(f.gates, known)[indexed]
        parts = [part.strip() for part in gate.scatter.split(",")]
        lengths = {}
        for axis, part in enumerate(parts):
            for position in gate.data_inputs:
                placeholder = "{%s}" % gate.inputs[position]
                if part == f"np.arange({placeholder})":
                    lengths[position] = axis
        for position in open_:
            name = eqn.args[position].name
            placeholder = "{%s}" % gate.inputs[position]
            axis = lengths.get(position)
            if axis is None and placeholder in parts:
                axis = parts.index(placeholder)
            if axis is None:
                continue
            if shape is None or len(shape) <= axis:
                raise _UserMistake(
                    f"cannot choose values for {name} ({f.gates.why_data(name)}): "
                    f"the shape of {indexed}, which it indexes, is not known; give "
                    "the shapes of the inputs it comes from with --shapes"
                )
            size = shape[axis]
            if position in lengths:
                point[name] = int(size)
                continue
            if name in shapes:
                index_shape = shapes[name]
            elif lengths:
                index_shape = (shape[min(lengths.values())],)
            else:
                raise _UserMistake(
                    f"{name} is data ({f.gates.why_data(name)}): give its shape "
                    f"with --shapes {name}=... (its values are drawn below "
                    f"{size}, the size of {indexed}'s axis {axis})"
                )
            if size == 0:
                raise _UserMistake(
                    f"cannot choose values for {name}: {indexed}'s axis {axis}, "
                    "which it indexes, has no elements"
                )
            point[name] = rng.integers(0, size, size=index_shape)
    for name in f.inputs:
        if name in data and name not in point:
            raise _UserMistake(
                f"cannot choose a value for {name}, data ({f.gates.why_data(name)}): "
                f"give it as {name}=VALUE or in --inputs POINT.npz"
            )


def _grad_arrays(f: CompiledFunction, args) -> int:
    """grad on the numpy target: the value, and each gradient's shape and
    summary (the arrays themselves are the API's: f.grad)."""
    from .trace import summary

    if not args.shapes and not _all_given(f, args):
        given = {item.partition("=")[0].strip() for item in args.values}
        if args.inputs:
            given |= set(_read_inputs(args.inputs, f))
        missing = [name for name in f.inputs if name not in given]
        raise _UserMistake(
            f"give a value for every input: missing {', '.join(missing)} (numbers "
            "as NAME=VALUE, arrays with --inputs POINT.npz, or --shapes to draw "
            "them at random)"
        )
    point = _array_point(f, args, random_missing=True)
    x = [point[name] for name in f.inputs]
    value, grads = _evaluate(f, x)
    print(f"{f.output} = {summary(value)}")
    rows = [("input", "value", f"gradient d{f.output}/d(input)")] + [
        (name, summary(point[name]), summary(grads[name])) for name in f.wrt
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for name, shown, gradient in rows:
        print(f"{name.ljust(widths[0])}  {shown.ljust(widths[1])}  {gradient}")
    return EXIT_OK


def _check_arrays(f: CompiledFunction, args) -> int:
    """check on the numpy target: inputs not given are drawn with their
    --shapes (a number where none is given), data inputs to fit; a point
    where the check is inconclusive is drawn again, as for numbers."""
    import numpy as np

    rng = np.random.default_rng(0 if args.seed is None else args.seed)
    unsure, reason = None, None
    attempts = 40
    every_input_given = _all_given(f, args)
    for attempt in range(attempts):
        low = RANDOM_LOW if attempt < attempts // 2 else POSITIVE_LOW
        point = _array_point(f, args, random_missing=True, rng=rng, low=low, note=False)
        try:
            report = gradcheck(f, point)
        except (ArithmeticError, ValueError) as error:
            if every_input_given:
                raise _UserMistake(str(error)) from None
            reason = error
            continue
        if report.passed or report.failed:
            print(report)
            return EXIT_OK if report.passed else EXIT_CHECK_FAILED
        unsure = report
        if every_input_given:
            break
    if unsure is not None:
        print(unsure)
        raise _UserMistake(
            "the gradients cannot be checked at this point (see the report); "
            "give another point"
            if every_input_given
            else "found no random point where the gradients can be checked; give one"
        )
    raise _UserMistake(
        f"found no random point where the program can be evaluated ({reason}); "
        "give one"
    )


def _all_given(f: CompiledFunction, args) -> bool:
    """Whether the command line gives every input (so nothing is random)."""
    given = {item.partition("=")[0].strip() for item in args.values}
    if args.inputs:
        given |= set(_read_inputs(args.inputs, f))
    return given >= set(f.inputs)


def _evaluate(f: CompiledFunction, x: list[float]):
    try:
        return f.grad(*x)
    except (ArithmeticError, ValueError, IndexError) as error:
        raise _UserMistake(f"the program cannot be evaluated there: {error}") from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
