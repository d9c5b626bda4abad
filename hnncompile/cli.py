"""The command line: hnncompile compile | grad | check.

Exit codes: 0 success, 1 a gradient check that failed, 2 bad input (a
compile error, a missing file, a bad argument), with the error on stderr
and no traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
from typing import Sequence

from . import (
    TARGETS,
    CompiledFunction,
    CompileError,
    compile,
    compile_file,
    gradcheck,
)

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2


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
        print(
            f"hnncompile: error: {error.strerror or error}: {error.filename}",
            file=sys.stderr,
        )
    except ValueError as error:  # an unknown --wrt name
        print(f"hnncompile: error: {error}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hnncompile",
        description="Compile small math programs to readable Python (or "
        "JavaScript) forward and backward functions.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    compile_ = commands.add_parser(
        "compile", help="write the generated module (Python, NumPy or JavaScript)"
    )
    _add_program(compile_)
    compile_.add_argument(
        "-o", "--output", metavar="OUT.py|OUT.js", help="write here (default: stdout)"
    )
    compile_.add_argument(
        "--target",
        default="python",
        choices=TARGETS,
        help="python: floats and math; numpy: arrays that broadcast together; "
        "js: an ES module in the tutorial's JavaScript",
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
    explore.set_defaults(run=_explore)
    return parser


def _add_program(command: argparse.ArgumentParser) -> None:
    command.add_argument("file", nargs="?", metavar="FILE", help="a .hnn program")
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
    wrt = getattr(args, "wrt", None)
    if wrt is not None:
        options["wrt"] = [name.strip() for name in wrt.split(",") if name.strip()]
    if args.expr is not None:
        return compile(args.expr, filename="<expression>", **options)
    return compile_file(args.file, **options)


def _compile(args) -> int:
    optimize = args.optimize or args.emit == "passes"
    f = _load(
        args, target=args.target, comments=not args.no_comments, optimize=optimize
    )
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
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


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
    # Random inputs where none are given: first anywhere in [-2, 2], then,
    # if the program is not defined there (log or sqrt of a negative),
    # in (0, 2].
    for attempt in range(40):
        low = -2.0 if attempt < 20 else 0.1
        x = [
            given[n] if n in given else round(rng.uniform(low, 2.0), 4)
            for n in f.inputs
        ]
        try:
            report = gradcheck(f, *x)
        except (ArithmeticError, ValueError) as error:
            if len(given) == len(f.inputs):
                raise _UserMistake(
                    f"the program cannot be evaluated there: {error}"
                ) from None
            continue
        print(report)
        return EXIT_OK if report.passed else EXIT_CHECK_FAILED
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
    from .explore import write

    f = _load(args)
    point = _study_point(f, args.values)
    try:
        write(f, args.output, point)
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
    for item in values:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep:
            raise _UserMistake(f"expected NAME=VALUE, got {item!r}")
        if name not in f.inputs:
            raise _UserMistake(
                f"{name!r} is not an input; the inputs are {', '.join(f.inputs) or 'none'}"
            )
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
