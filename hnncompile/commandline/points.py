"""Points and shapes from the command line: NAME=VALUE for the study
commands (an input not given starts at 1, or is drawn at random), the
--shapes option (C=27x10,b1=64,n=), the arrays of --inputs POINT.npz, and
random points of arrays on the numpy target, a data input drawn as
integers that fit what it indexes."""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Sequence

from . import UserMistake

if TYPE_CHECKING:
    from ..compiled import CompiledFunction

RANDOM_LOW, RANDOM_HIGH = -2.0, 2.0  # where random inputs are drawn, as for numbers
POSITIVE_LOW = 0.1  # ...and, after 20 draws where the program is not defined, from here
SHAPE_SIZES = "x"  # --shapes W1=30x64


def study_point(f: CompiledFunction, values: Sequence[str]) -> dict[str, float]:
    """NAME=VALUE for trace, draw and explore: an input not given starts at
    1 (trace.MISSING_INPUT_VALUE), and stderr says which did."""
    from ..trace import MISSING_INPUT_VALUE

    point = given_point(f, values)
    missing = [name for name in f.inputs if name not in point]
    if missing:
        print(
            f"hnncompile: note: {', '.join(missing)} not given: "
            f"{'they start' if len(missing) > 1 else 'it starts'} at "
            f"{MISSING_INPUT_VALUE:g}",
            file=sys.stderr,
        )
    return {name: point.get(name, MISSING_INPUT_VALUE) for name in f.inputs}


def full_point(f: CompiledFunction, values: Sequence[str]) -> dict[str, float]:
    """NAME=VALUE for every input, or a clear complaint."""
    point = given_point(f, values)
    missing = [name for name in f.inputs if name not in point]
    if missing:
        raise UserMistake(
            f"give a value for every input: missing {', '.join(missing)} "
            f"(for example {missing[0]}=1.5)"
        )
    return point


def given_point(f: CompiledFunction, values: Sequence[str]) -> dict[str, float]:
    """NAME=VALUE as the command line gives them: numbers by input name; a
    name that is not an input, a value given twice or one that is not a
    finite number is a UserMistake."""
    point = {}
    given: dict[str, str] = {}
    for item in values:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep:
            raise UserMistake(f"expected NAME=VALUE, got {item!r}")
        if name not in f.inputs:
            raise UserMistake(
                f"{name!r} is not an input; the inputs are {', '.join(f.inputs) or 'none'}"
            )
        if name in given:
            raise UserMistake(
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
            raise UserMistake(f"{item!r}: {text!r} is not a number{arrays}") from None
        if not math.isfinite(value):
            raise UserMistake(f"{item!r}: give a finite number")
        point[name] = value
    return point


# -- programs of vectors and matrices (the numpy target) ---------------------


def parse_shapes(options: Sequence[str]) -> dict[str, tuple[int, ...]]:
    """--shapes C=27x10,b1=64,n= (each --shapes may list several): a shape
    by input name; a mistake in the syntax is a UserMistake (the names are
    checked against the program's inputs by compile)."""
    shapes: dict[str, tuple[int, ...]] = {}
    for option in options:
        for item in option.split(","):
            if not item.strip():
                continue
            name, sep, text = item.partition("=")
            name, text = name.strip(), text.strip()
            if not sep or not name:
                raise UserMistake(
                    f"--shapes {item.strip()!r}: write NAME=SHAPE, the sizes "
                    "joined by x: W1=30x64, b1=64, n= for one number"
                )
            if name in shapes:
                raise UserMistake(f"--shapes gives {name}'s shape twice")
            if text in ("", "()"):
                shapes[name] = ()
                continue
            sizes = []
            for size in text.split(SHAPE_SIZES):
                size = size.strip()
                if not size.isdigit():
                    raise UserMistake(
                        f"--shapes {item.strip()!r}: {size!r} is not a size; write "
                        "the sizes as whole numbers joined by x: W1=30x64"
                    )
                sizes.append(int(size))
            shapes[name] = tuple(sizes)
    return shapes


def shape_text(shape: tuple[int, ...]) -> str:
    return SHAPE_SIZES.join(map(str, shape)) if shape else "()"


def read_inputs(path: str, f: CompiledFunction) -> dict:
    """--inputs POINT.npz: the arrays it holds, by input name."""
    import numpy as np

    try:
        loaded = np.load(path, allow_pickle=False)
    except OSError:
        raise
    except Exception as error:  # not a NumPy file: BadZipFile, ValueError, ...
        raise UserMistake(
            f"--inputs {path}: cannot read it as a NumPy .npz file ({error})"
        ) from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise UserMistake(
            f"--inputs {path}: a .npy file holds one array with no name; give a "
            ".npz file of arrays by input name: np.savez('point.npz', C=C, Xb=Xb)"
        )
    with loaded:
        values = {}
        for name in loaded.files:
            if name not in f.inputs:
                raise UserMistake(
                    f"--inputs {path}: {name!r} is not an input; the inputs "
                    f"are {', '.join(f.inputs) or 'none'}"
                )
            array = loaded[name]
            if array.dtype.kind not in "biuf":
                raise UserMistake(
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
            raise UserMistake(
                f"{where}: {name} is data ({f.gates.why_data(name)}): give "
                "whole numbers"
            )
        array = array.astype(np.intp)
    return int(array) if array.ndim == 0 else array


def array_point(
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

    from ..trace import MISSING_INPUT_VALUE

    given: dict = {}
    if getattr(args, "inputs", None):
        given.update(read_inputs(args.inputs, f))
    for name, value in given_point(f, args.values).items():
        if name in given:
            raise UserMistake(
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
    shapes = parse_shapes(args.shapes) if getattr(args, "shapes", None) else {}
    for name, shape in shapes.items():
        if name in point and np.shape(point[name]) != shape:
            raise UserMistake(
                f"{name}: --shapes says {shape_text(shape)}, its value has shape "
                f"{shape_text(np.shape(point[name]))}"
            )
    missing = [name for name in f.inputs if name not in point]
    if not missing:
        return {name: point[name] for name in f.inputs}
    if not random_missing:
        data = [name for name in missing if name in f.gates.data]
        if data:
            name = data[0]
            raise UserMistake(
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
    from ..shapes import infer

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
    input that cannot be worked out so is a UserMistake naming it."""
    import numpy as np

    from ..gates import GATES
    from ..ir import Wire
    from ..shapes import infer

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
                raise UserMistake(
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
                raise UserMistake(
                    f"{name} is data ({f.gates.why_data(name)}): give its shape "
                    f"with --shapes {name}=... (its values are drawn below "
                    f"{size}, the size of {indexed}'s axis {axis})"
                )
            if size == 0:
                raise UserMistake(
                    f"cannot choose values for {name}: {indexed}'s axis {axis}, "
                    "which it indexes, has no elements"
                )
            point[name] = rng.integers(0, size, size=index_shape)
    for name in f.inputs:
        if name in data and name not in point:
            raise UserMistake(
                f"cannot choose a value for {name}, data ({f.gates.why_data(name)}): "
                f"give it as {name}=VALUE or in --inputs POINT.npz"
            )


def all_given(f: CompiledFunction, args) -> bool:
    """Whether the command line gives every input (so nothing is random)."""
    given = {item.partition("=")[0].strip() for item in args.values}
    if args.inputs:
        given |= set(read_inputs(args.inputs, f))
    return given >= set(f.inputs)
