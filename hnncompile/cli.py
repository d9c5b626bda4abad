"""The command line: hnncompile compile | grad | check | trace | draw | explore.

Each takes a program as FILE (`-`: standard input) or `-e PROGRAM`, and the
study commands a point as NAME=VALUE (trace, draw and explore start an
input not given at 1). `compile -o` picks the target from the output's
name (.js, .mjs) unless --target says otherwise; `compile --mode jvp|hvp`
writes the forward-mode module instead; `--version` prints it.

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
Every command takes `--no-stable`: the program as written, without the
stability rewrites (`log(sigmoid(x))` into `log_sigmoid(x)`, stabilize.py).
Warnings (hnncompile.CompileWarning) go to stderr as
`FILE:LINE:COL: warning: ...` and leave the exit code alone.

This module holds the parser, main (which turns each mistake into exit 2
and a message) and the compile command, and compiles the program of every
command; the study commands and the reading of points and shapes are in
the commandline package (study.py, points.py).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence

from . import TARGETS, CompiledFunction, CompileError, CompileWarning, _decode, compile
from .commandline import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, UserMistake
from .commandline import check_mode, study
from .commandline.points import parse_shapes
from .stabilize import summary

_NAME_VALUE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
# FILE that means standard input, and the name its program goes by.
STDIN, STDIN_NAME = "-", "<stdin>"
STDOUT = "-"  # `compile -o -`, as FILE `-` is standard input
# Output names that pick the JavaScript target, and those that want Python
# (any Python target: python or numpy); other names take any target.
JS_SUFFIXES = (".js", ".mjs")
PYTHON_SUFFIXES = (".py",)
# compile --mode: the attribute of the compiled object holding each module
MODULES = {"backward": "source", "jvp": "jvp_source", "hvp": "hvp_source"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    # NAME=VALUE may come after the options too (`explore F --train tutorial
    # x=3`): argparse takes positionals only before them, so the rest are
    # picked up here.
    args, rest = parser.parse_known_args(argv)
    late = [word for word in rest if _NAME_VALUE.match(word)]
    if late and hasattr(args, "values"):
        args.values = [*args.values, *late]
        rest = [word for word in rest if word not in late]
    if rest:
        parser.parse_args(argv)  # says what it does not know, and exits 2
    try:
        return args.run(args)
    except BrokenPipeError:
        # `hnncompile compile big.hnn | head`: the reader left; not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (CompileError, UserMistake) as error:
        print(
            f"hnncompile: error: {error}" if isinstance(error, UserMistake) else error,
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
        "broadcast together; js: an ES module in the tutorial's JavaScript; "
        "numba: the numpy target's numbers from one loop compiled by Numba",
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
        "passes: the gate list before and after the stability rewrites and "
        "each optimisation pass",
    )
    compile_.add_argument(
        "--mode",
        choices=tuple(MODULES),
        default="backward",
        help="backward: forward and backward (default); jvp: forward, each line "
        "with its tangent's; hvp: the Hessian times a vector (python, numpy, js)",
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
    grad.set_defaults(run=_on_its_program(study.grad))

    check = commands.add_parser(
        "check",
        help="compare the gradients with numerical ones (random inputs by default)",
    )
    _add_program(check)
    check.add_argument("values", nargs="*", metavar="NAME=VALUE")
    check.add_argument("--seed", type=int, help="seed for the random inputs")
    _add_arrays(check)
    check.set_defaults(run=_on_its_program(study.check))

    trace = commands.add_parser(
        "trace", help="every wire's value and gradient at a point, in forward order"
    )
    _add_program(trace)
    trace.add_argument("values", nargs="*", metavar="NAME=VALUE")
    _add_arrays(trace)
    trace.add_argument("--seed", type=int, help="seed for the random inputs")
    trace.set_defaults(run=_on_its_program(study.trace))

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
    draw.set_defaults(run=_on_its_program(study.draw))

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
    explore.set_defaults(run=_on_its_program(study.explore))
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
    command.add_argument(
        "--no-stable",
        action="store_true",
        help="keep log(sigmoid(x)), log(1 + exp(x)), ... as written, not "
        "rewritten into the stable gates log_sigmoid, softplus, ...",
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
            raise UserMistake("give either FILE or -e PROGRAM, not both")
        # With -e, every positional argument is a NAME=VALUE.
        args.values.insert(0, args.file)
        args.file = None
    if args.expr is None and args.file is None:
        raise UserMistake("give a program: a FILE, or -e PROGRAM")
    _refuse_to_overwrite_the_source(args)
    options = {"stable": False} if args.no_stable else {}
    wrt = getattr(args, "wrt", None)
    if wrt is not None:
        options["wrt"] = [name.strip() for name in wrt.split(",") if name.strip()]
    shapes = getattr(args, "shapes", None)
    if shapes:
        options["shapes"] = parse_shapes(shapes)
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
        raise UserMistake(
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
        raise UserMistake(
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
    raise UserMistake(
        f"--target {args.target} does not write {wanted}, which the output "
        f"{args.output} is named for: drop --target (the name picks the "
        "target) or rename the output"
    )


def _compile(args) -> int:
    optimize = args.optimize or args.emit == "passes"
    target = _compile_target(args)
    check_mode(args.mode, args.emit, target)
    options = dict(target=target, comments=not args.no_comments, optimize=optimize)
    program = _program(args)
    try:
        f = _compiled(program, options)
    except CompileError as error:
        if args.target is not None or target != "python":
            raise
        try:  # would the numpy target take it? then say how to ask for it
            _compiled(program, {**options, "target": "numpy"})
        except (CompileError, ValueError, UserMistake):
            raise error from None
        print(error, file=sys.stderr)
        print(
            "hnncompile: hint: a program of vectors and matrices compiles with "
            "--target numpy",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    if args.emit == "module":
        text = getattr(f, MODULES[args.mode])
    elif args.emit == "gates":
        text = f"{f.gates}\n"
    else:
        text = "".join(
            f"# {'as lowered' if p.name == 'lower' else 'after ' + p.name}: "
            f"{len(p.gates.eqns)} gates\n{_rewrites(p.rewrites)}{p.gates}\n\n"
            for p in f.passes
        )
    if args.output and args.output != STDOUT:
        _write(args.output, text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _rewrites(rewrites: tuple) -> str:
    """The stability pass's report in --emit passes: its counts, then each
    rewrite with its line and why."""
    if not rewrites:
        return ""
    lines = [summary(rewrites), *(f"  {rewrite}" for rewrite in rewrites)]
    return "".join(f"# {line}\n" for line in lines)


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
        raise UserMistake(f"cannot write {path}: {error.strerror or error}") from None


def _on_its_program(
    command: Callable[[CompiledFunction, Any], int],
) -> Callable[[Any], int]:
    """A study command (commandline/study.py), run on the program its
    command line gives, compiled as _load_study does."""

    def run(args) -> int:
        return command(_load_study(args), args)

    return run


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
