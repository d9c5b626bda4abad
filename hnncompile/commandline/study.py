"""The study commands: grad (the value and a table of gradients), check
(the gradient check, at random points where none is given), trace (every
wire), draw (the circuit) and explore (the page), each run on the program
cli.py compiled for it, on numbers or, on the numpy target, on arrays."""

from __future__ import annotations

import random
import sys
from typing import TYPE_CHECKING

from .. import detective, gradcheck
from ..clues import words
from . import EXIT_CHECK_FAILED, EXIT_OK, UserMistake
from .points import (
    POSITIVE_LOW,
    RANDOM_HIGH,
    RANDOM_LOW,
    all_given,
    array_point,
    full_point,
    given_point,
    read_inputs,
    study_point,
)

# What evaluating a program at a point may raise for a point or a program
# that cannot go together (log of -1, an index out of range, `@` of two
# numbers): the user's mistake, said in a line, never a traceback.
EVALUATION_ERRORS = (ArithmeticError, ValueError, IndexError, TypeError)
CHECK_ATTEMPTS = 40  # random points tried before `check` gives up

if TYPE_CHECKING:
    from ..compiled import CompiledFunction


def grad(f: CompiledFunction, args) -> int:
    """`hnncompile grad`: the value and a table of the gradients at the
    point given (every input), or, on the numpy target, their summaries."""
    if f.target == "numpy":
        return _grad_arrays(f, args)
    point = full_point(f, args.values)
    x = [point[name] for name in f.inputs]
    value, grads = _evaluate(f, x)
    print(f"{f.output} = {value:.10g}")
    width = max([len("input")] + [len(name) for name in f.wrt])
    print(f"{'input'.ljust(width)}  {'value':>14}  gradient d{f.output}/d(input)")
    for name in f.wrt:
        print(f"{name.ljust(width)}  {point[name]:>14.10g}  {grads[name]:.10g}")
    _say_what_went_wrong(f, x, value, grads)
    return EXIT_OK


def check(f: CompiledFunction, args) -> int:
    """`hnncompile check`: the gradient check at the point given, inputs
    not given drawn at random (again where the check cannot decide); exit 1
    when it fails."""
    if f.target == "numpy":
        return _check_arrays(f, args)
    given = given_point(f, args.values)
    rng = random.Random(args.seed)

    def point(low: float) -> tuple:
        return tuple(
            given[n] if n in given else round(rng.uniform(low, RANDOM_HIGH), 4)
            for n in f.inputs
        )

    return _check_at_random(f, point, len(given) == len(f.inputs), say_why=False)


def _check_at_random(f: CompiledFunction, point, every_input_given, say_why) -> int:
    """The gradient check at `point(low)`, the inputs to gradcheck: drawn
    first anywhere from RANDOM_LOW, then, where the program is not defined
    (log or sqrt of a negative) or the check cannot decide (not finite, a
    pole), from POSITIVE_LOW; once only where every input is given.
    `say_why`: the last error goes into the message when none would do."""
    unsure, reason, last = None, None, ()
    attempts = 1 if every_input_given else CHECK_ATTEMPTS
    for attempt in range(attempts):
        low = RANDOM_LOW if attempt < CHECK_ATTEMPTS // 2 else POSITIVE_LOW
        drawn = point(low)
        try:
            report = gradcheck(f, *drawn)
        except EVALUATION_ERRORS as error:
            if every_input_given:
                raise UserMistake(str(error)) from None
            reason, last = error, drawn
            continue
        if report.passed or report.failed:
            print(report)
            return EXIT_OK if report.passed else EXIT_CHECK_FAILED
        unsure = report  # inconclusive here: draw again
    if unsure is not None:
        print(unsure)
        raise UserMistake(
            "the gradients cannot be checked at this point (see the report); "
            "give another point"
            if every_input_given
            else "found no random point where the gradients can be checked; give one"
        )
    why = f" ({reason})" if say_why else ""
    found = ""
    if reason is not None and not say_why:  # gradcheck's error, made from f's
        found = detective.where(f, list(last), reason.__cause__ or reason)
    if found:  # which wire went wrong, at the last point tried
        shown = ", ".join(f"{name}={value:g}" for name, value in zip(f.inputs, last))
        why = f" (at the last one tried, {shown}: {found[2:]})"
    raise UserMistake(
        f"found no random point where the program can be evaluated{why}; give one"
    )


def trace(f: CompiledFunction, args) -> int:
    """`hnncompile trace`: every wire's value and gradient at the point."""
    if f.target == "numpy":
        point = array_point(f, args, random_missing=bool(args.shapes))
    else:
        point = study_point(f, args.values)
    try:
        numbers = f.trace(*(point[name] for name in f.inputs))
    except EVALUATION_ERRORS as error:
        raise UserMistake(
            f"the program cannot be evaluated there: {words(error)}"
        ) from None
    print(numbers)
    if numbers.error is not None:  # the python target raised: the trace stops
        found = numbers.problem
        stop = found.gradient or found.wire  # at dx, for x's gradient
        raise UserMistake(
            f"the program cannot be evaluated there: {words(numbers.error)} (the "
            f"trace stops at {stop})"
        )
    return EXIT_OK


def draw(f: CompiledFunction, args) -> int:
    """`hnncompile draw`: the circuit, with the numbers at a point given."""
    from ..draw import DrawingUnavailable
    from ..draw import draw as draw_circuit

    if f.target == "numpy" and (args.values or args.shapes or args.inputs):
        point = array_point(f, args, random_missing=bool(args.shapes))
    else:
        point = study_point(f, args.values) if args.values else None
    try:
        draw_circuit(f, args.output, point)
    except DrawingUnavailable as error:
        raise UserMistake(str(error)) from None
    except EVALUATION_ERRORS as error:
        raise UserMistake(str(error)) from None
    if point is not None:  # an inf or a NaN drawn: which went wrong first, as trace
        from ..trace import point_of

        full, _ = point_of(f, (), dict(point), upstream=False)
        found = detective.find(f, [full[name] for name in f.inputs])
        if found is not None:
            print(found)
    return EXIT_OK


def explore(f: CompiledFunction, args) -> int:
    """`hnncompile explore`: the explorer page, at the point given or,
    with --train, training on a data set."""
    from ..draw import DrawingUnavailable
    from ..explore import refuse_matrices, training, write

    try:
        refuse_matrices(f)
    except ValueError as error:
        raise UserMistake(str(error)) from None
    train = None
    if args.train is None:
        options = [f"--{name}" for name in ("data", "score", "step", "seed")]
        given = [o for o in options if getattr(args, o[2:]) is not None]
        if given:
            raise UserMistake(f"{', '.join(given)}: only with --train DATA")
        point = study_point(f, args.values)
    else:
        try:
            train = training(
                f,
                args.train,
                data=args.data,
                score=args.score,
                step=args.step,
                seed=0 if args.seed is None else args.seed,
                point=given_point(f, args.values),
            )
        except ValueError as error:  # a data set, a name or a value that is wrong
            raise UserMistake(str(error)) from None
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
        raise UserMistake(str(error)) from None
    except EVALUATION_ERRORS as error:
        raise UserMistake(
            f"the program cannot be evaluated at the starting point: {words(error)}; "
            "give other values (NAME=VALUE)"
        ) from None
    return EXIT_OK


def _grad_arrays(f: CompiledFunction, args) -> int:
    """grad on the numpy target: the value, and each gradient's shape and
    summary (the arrays themselves are the API's: f.grad)."""
    from ..trace import summary

    if not args.shapes and not all_given(f, args):
        given = {item.partition("=")[0].strip() for item in args.values}
        if args.inputs:
            given |= set(read_inputs(args.inputs, f))
        missing = [name for name in f.inputs if name not in given]
        raise UserMistake(
            f"give a value for every input: missing {', '.join(missing)} (numbers "
            "as NAME=VALUE, arrays with --inputs POINT.npz, or --shapes to draw "
            "them at random)"
        )
    import numpy as np

    point = array_point(f, args, random_missing=True)
    x = [point[name] for name in f.inputs]
    with np.errstate(all="ignore"):  # an inf or a NaN: the table's last line says
        value, grads = _evaluate(f, x)
    print(f"{f.output} = {summary(value)}")
    rows = [("input", "value", f"gradient d{f.output}/d(input)")] + [
        (name, summary(point[name]), summary(grads[name])) for name in f.wrt
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for name, shown, gradient in rows:
        print(f"{name.ljust(widths[0])}  {shown.ljust(widths[1])}  {gradient}")
    _say_what_went_wrong(f, x, value, grads)
    return EXIT_OK


def _check_arrays(f: CompiledFunction, args) -> int:
    """check on the numpy target: inputs not given are drawn with their
    --shapes (a number where none is given), data inputs to fit; a point
    where the check is inconclusive is drawn again, as for numbers."""
    import numpy as np

    rng = np.random.default_rng(0 if args.seed is None else args.seed)

    def point(low: float) -> tuple:
        drawn = array_point(f, args, random_missing=True, rng=rng, low=low, note=False)
        return (drawn,)

    return _check_at_random(f, point, all_given(f, args), say_why=True)


def _evaluate(f: CompiledFunction, x: list[float]):
    try:
        return f.grad(*x)
    except EVALUATION_ERRORS as error:
        where = detective.where(f, x, error)
        raise UserMistake(
            f"the program cannot be evaluated there: {words(error)}{where}"
        ) from None


def _say_what_went_wrong(f: CompiledFunction, x: list, value, grads) -> None:
    """Under grad's table, where a number in it is inf or NaN: which number
    went wrong first, and why."""
    if detective.went_wrong(value, *grads.values()):
        found = detective.find(f, x)
        if found is not None:
            print(found)
