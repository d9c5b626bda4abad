"""The command line: hnncompile compile | grad | check | trace | draw | explore.

Each takes a program as FILE (`-`: standard input) or `-e PROGRAM`, and the
study commands a point as NAME=VALUE (trace, draw and explore start an
input not given at 1). `compile -o` picks the target from the output's
name (.js, .mjs) unless --target says otherwise; `--version` prints it.

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
    compile_file,
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
    grad.set_defaults(run=_grad)

    check = commands.add_parser(
        "check",
        help="compare the gradients with numerical ones (random inputs by default)",
    )
    _add_program(check)
    check.add_argument("values", nargs="*", metavar="NAME=VALUE")
    check.add_argument("--seed", type=int, help="seed for the random inputs")
    check.set_defaults(run=_check)

    trace = commands.add_parser(
        "trace", help="every wire's value and gradient at a point, in forward order"
    )
    _add_program(trace)
    trace.add_argument("values", nargs="*", metavar="NAME=VALUE")
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


def _load(args, **options) -> CompiledFunction:
    if args.expr is not None and args.file is not None:
        if not hasattr(args, "values"):
            raise _UserMistake("give either FILE or -e PROGRAM, not both")
        # With -e, every positional argument is a NAME=VALUE.
        args.values.insert(0, args.file)
        args.file = None
    if args.expr is None and args.file is None:
        raise _UserMistake("give a program: a FILE, or -e PROGRAM")
    _refuse_to_overwrite_the_source(args)
    wrt = getattr(args, "wrt", None)
    if wrt is not None:
        options["wrt"] = [name.strip() for name in wrt.split(",") if name.strip()]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CompileWarning)
        if args.expr is not None:
            f = compile(args.expr, filename="<expression>", **options)
        elif args.file == STDIN:
            source = _decode(sys.stdin.buffer.read(), STDIN_NAME)
            f = compile(source, filename=STDIN_NAME, **options)
        else:
            f = compile_file(args.file, **options)
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
        return "js" if suffix in JS_SUFFIXES else "python"
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
    f = _load(args, target=target, comments=not args.no_comments, optimize=optimize)
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
    f = _load(args)
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
    f = _load(args)
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
    f = _load(args)
    point = _study_point(f, args.values)
    try:
        print(f.trace(*(point[name] for name in f.inputs)))
    except (ArithmeticError, ValueError) as error:
        raise _UserMistake(f"the program cannot be evaluated there: {error}") from None
    return EXIT_OK


def _draw(args) -> int:
    from .draw import DrawingUnavailable, draw

    f = _load(args)
    point = _study_point(f, args.values) if args.values else None
    try:
        draw(f, args.output, point)
    except DrawingUnavailable as error:
        raise _UserMistake(str(error)) from None
    except (ArithmeticError, ValueError) as error:
        raise _UserMistake(str(error)) from None
    return EXIT_OK


def _explore(args) -> int:
    from .draw import DrawingUnavailable
    from .explore import training, write

    f = _load(args)
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
            raise _UserMistake(f"{item!r}: {text!r} is not a number") from None
        if not math.isfinite(value):
            raise _UserMistake(f"{item!r}: give a finite number")
        point[name] = value
    return point


def _evaluate(f: CompiledFunction, x: list[float]):
    try:
        return f.grad(*x)
    except (ArithmeticError, ValueError) as error:
        raise _UserMistake(f"the program cannot be evaluated there: {error}") from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
