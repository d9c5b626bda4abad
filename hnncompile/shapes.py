"""Shapes: what each wire of a program is on the array target, where its
inputs' shapes say.

`compile(..., shapes={"W1": (30, 200), ...})` tells the numpy code
generator the shapes of some inputs; `infer` works out every wire's shape
from them, so that the backward pass can be written as the "Becoming a
backprop ninja" lecture writes it by hand: `dh = dlogits @ W2.T` with no
test of W2's rank, and `db1 = dhprebn.sum(0)` where the generic code would
call `unbroadcast`.

There is no table of shape rules here. A gate's output shape is what
NumPy makes of the gate's own template in the catalogue (its numpy
forward, `gates.GATES[name].code("numpy")[0]`) on stand-in arrays of its
operands' shapes: zeros broadcast from one number, which cost no memory
(only our template is evaluated, never the program's source). A new gate
in the catalogue has its shapes worked out with no change here.

What is not known is worked out in two worlds at once. A wire of unknown
shape stands in as zeros of one probe shape in the first world and of
another in the second; a data input (an index array, a length), whose
values nobody gives, as zeros in one and -1s in the other (both valid
indices along any axis of size >= 1). A gate whose output has the same
shape in both worlds has that shape whatever the unknowns are (`sum(x)` is
`()`, `x.shape[0]` is `()`); else its shape is unknown (None). An integer
result that differs between the worlds (`m = n - 1`) is a value nobody
knows, and one that does not (`Xb.shape[0]` for a given `Xb`) is known.

A length (the catalogue's `{n}` placeholder, as in the gather
`{x}[np.arange({n}), {i}]`) is one number whose value the shape depends
on: where the program does not give it, it is taken to be what the
program implies, the length of the first axis of the array it indexes.

The rest are the small pure functions the code generator writes a
broadcast sum and a comment with: `summed_axes`, `sum_text`, `ndim` and
`describe`.
"""

from __future__ import annotations

import builtins
import functools
from typing import Any, Collection, Mapping, Sequence, Union

import numpy as np

from . import gates as catalogue
from .errors import CompileError
from .ir import Const, Eqn, GateList, Operand, Wire

Shape = tuple[int, ...]
# One `.sum(axes)` of a gradient: the axes, and whether keepdims is needed.
Sum = tuple[Shape, bool]
# How a gradient is summed back to its input's shape: one sum, or, where the
# input both lacks leading axes and has others of size 1, two (see
# `summed_axes`).
Summing = Union[Sum, tuple[Sum, Sum]]

# The catalogue's placeholder for a length: a number whose value sets a shape.
LENGTH = "n"
# The two worlds' shapes for a wire of unknown shape: sizes that differ on
# every axis, none of them 1 (which broadcasts), few elements, and ranks
# that differ, so that a result that depends on any size or on the rank
# tells the two apart.
_PROBE_SHAPES = ((2, 3, 4, 5), (3, 2, 5, 4, 2))
# Only our templates are evaluated; NumPy's C code may import (`x.sum(0,
# keepdims=True)` does), which looks for `__import__` among our builtins.
_NAMESPACE = {"__builtins__": {"__import__": builtins.__import__}, "np": np}
# What NumPy raises when shapes do not fit: a broadcast, a matmul's inner
# sizes, a reshape's element count, an index out of range or too many.
_MISFITS = (ValueError, IndexError)

# A wire in the two worlds: its stand-in in each. The same object twice
# means the wire is known exactly (its shape, and its value where an
# integer's value matters).
_Worlds = tuple[Any, Any]


def infer(
    gates: GateList,
    input_shapes: Mapping[str, Sequence[int]],
    ranks: dict[str, int] | None = None,
) -> dict[str, Shape | None]:
    """Every wire's shape on the numpy target (None where it is unknown),
    inputs first, then each gate's output in order.

    `input_shapes` gives some inputs' shapes (tuples of ints; `()` for a
    number); an input left out has an unknown shape, and so has everything
    computed from it, except where the gate fixes the shape regardless
    (`sum(x)`, `x.shape[0]`). Shapes that do not fit (a matmul of (3, 4) by
    (5, 6)) are a CompileError (a ValueError) at the gate's line. Linear in
    the number of gates. Given `ranks`, a dict, it is filled with the number
    of axes of every wire that has the same number in both worlds, shape
    known or not (`x.reshape(n, -1)` is a matrix whatever x is).
    """
    given = checked_shapes(gates, input_shapes)
    data = frozenset(getattr(gates, "data", frozenset()))
    lengths = _length_inputs(gates)
    # Data inputs given as arrays: index arrays, whose 0s are valid indices
    # along any axis, so that where they do not fit, their shape is why.
    indices = {name for name, shape in given.items() if name in data and shape}
    shapes: dict[str, Shape | None] = {}
    worlds: dict[str, _Worlds] = {}
    for name in gates.inputs:
        shape = given.get(name)
        if shape is None and name in lengths:
            shape = ()  # a length is one number
        shapes[name] = shape
        worlds[name] = _input_worlds(shape, name in data or name in lengths)
    # A gate met again on floats of the same shapes has the same result:
    # a long program of a few kinds of line is evaluated a few times.
    seen: dict[tuple, Any] = {}
    with np.errstate(all="ignore"):
        for eqn in gates.eqns:
            shapes[eqn.out], worlds[eqn.out] = _gate_shape(
                eqn, shapes, worlds, gates, indices, seen
            )
            one, other = worlds[eqn.out]
            if ranks is not None and np.ndim(one) == np.ndim(other):
                ranks[eqn.out] = np.ndim(one)
    if ranks is not None:
        ranks.update((k, len(v)) for k, v in shapes.items() if v is not None)
    return shapes


def summed_axes(
    grad_shape: Sequence[int], input_shape: Sequence[int]
) -> Summing | None:
    """How to sum a gradient of `grad_shape` back to `input_shape`, the
    shape that was broadcast to it: None if no sum is needed, else the
    axes and whether keepdims is needed, as `sum_text` writes them:

        (32, 27) to (32, 1)  ->  ((1,), True)    g.sum(1, keepdims=True)
        (32, 200) to (200,)  ->  ((0,), False)   g.sum(0)
        (32, 200) to (1, 200) -> ((0,), True)    g.sum(0, keepdims=True)

    An input that both lacks leading axes and has others of size 1 takes
    two sums, the leading axes first: (4, 3, 5) to (3, 1) is
    (((0,), False), ((1,), True)), `g.sum(0).sum(1, keepdims=True)`. That
    is how one writes it by hand: once the axes the input lacks are summed
    away, the array has the input's rank, and the second sum names the
    input's own axis (axis 1 of the (3, 1) bias). One sum and a reshape,
    `np.sum(g, axis=(0, 2)).reshape(3, 1)`, would write the sizes into the
    module, which must work for any sizes with the same number of axes.
    """
    grad, like = _shape(grad_shape, "grad_shape"), _shape(input_shape, "input_shape")
    extra = len(grad) - len(like)
    if extra < 0 or any(
        n != 1 and n != m for n, m in zip(like, grad[extra:], strict=True)
    ):
        raise ValueError(
            f"a gradient of shape {describe(grad)} is not a broadcast of an input"
            f" of shape {describe(like)}"
        )
    leading = tuple(range(extra))
    stretched = tuple(
        axis for axis, (n, m) in enumerate(zip(like, grad[extra:])) if n == 1 != m
    )
    if not leading and not stretched:
        return None
    if not stretched:
        return leading, False
    if not leading:
        return stretched, True
    return (leading, False), (stretched, True)


def sum_text(expression: str, axes_and_keepdims: Summing) -> str:
    """The sum `summed_axes` asks for, written after `expression`:
    `dhprebn.sum(0)`, `(counts * dprobs).sum(1, keepdims=True)`. The
    expression is bracketed unless it is a plain name."""
    steps = (
        (axes_and_keepdims,)
        if isinstance(axes_and_keepdims[1], bool)
        else axes_and_keepdims
    )
    text = expression if expression.isidentifier() else f"({expression})"
    for axes, keepdims in steps:
        if not axes or not all(isinstance(a, int) for a in axes):
            raise ValueError(f"not a sum over axes: {axes_and_keepdims!r}")
        axis = str(axes[0]) if len(axes) == 1 else str(tuple(axes))
        text += f".sum({axis}, keepdims=True)" if keepdims else f".sum({axis})"
    return text


def ndim(shapes: Mapping[str, Shape | None], wire: str | Operand) -> int | None:
    """The number of axes of a wire (a name, a Wire or a Const, which is a
    number: 0), None if its shape is unknown."""
    if isinstance(wire, Const):
        return 0
    shape = shapes[wire.name if isinstance(wire, Wire) else wire]
    return None if shape is None else len(shape)


def describe(shape: Shape | None) -> str:
    """A shape for a comment: `(32, 27)`, `(200,)`, `()` for a number, `?`
    where it is unknown."""
    return "?" if shape is None else str(tuple(shape))


def checked_shapes(
    gates: GateList, input_shapes: Mapping[str, Sequence[int]]
) -> dict[str, Shape]:
    """The given inputs' shapes as tuples of ints: a ValueError for a name
    that is not an input or a negative size, a TypeError for a shape that
    is not a tuple (or list) of ints."""
    inputs = set(gates.inputs)
    checked = {}
    for name, shape in input_shapes.items():
        if name not in inputs:
            known = ", ".join(gates.inputs) or "none"
            raise ValueError(
                f"a shape is given for {name!r}, which is not an input of the"
                f" program (its inputs: {known})"
            )
        checked[name] = _shape(shape, f"the shape of {name!r}")
    return checked


def _shape(shape: Sequence[int], what: str) -> Shape:
    if isinstance(shape, (str, bytes)) or not isinstance(shape, (tuple, list)):
        raise TypeError(f"{what} must be a tuple of ints, not {shape!r}")
    for size in shape:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(f"{what} must be a tuple of ints, not {shape!r}")
        if size < 0:
            raise ValueError(f"{what} has a negative size: {tuple(shape)!r}")
    return tuple(int(size) for size in shape)


def _length_inputs(gates: GateList) -> frozenset[str]:
    """The inputs a gate takes as a length (at a `{n}` placeholder)."""
    inputs = set(gates.inputs)
    found = set()
    for eqn in gates.eqns:
        for placeholder, arg in zip(catalogue.GATES[eqn.gate].inputs, eqn.args):
            if placeholder == LENGTH and isinstance(arg, Wire) and arg.name in inputs:
                found.add(arg.name)
    return frozenset(found)


def _standin(shape: Shape, dtype: type, fill: int = 0) -> np.ndarray:
    """An array of `shape` that costs one number of memory."""
    return np.broadcast_to(np.full((), fill, dtype), shape)


def _input_worlds(shape: Shape | None, data: bool) -> _Worlds:
    dtype = np.intp if data else np.float64
    if shape is None:
        return tuple(_standin(probe, dtype) for probe in _PROBE_SHAPES)
    if data:  # its values are not given: 0 in one world, -1 in the other
        return _standin(shape, dtype), _standin(shape, dtype, -1)
    standin = _standin(shape, dtype)
    return standin, standin


def _unknown() -> _Worlds:
    return tuple(_standin(probe, np.float64) for probe in _PROBE_SHAPES)


def _gate_shape(
    eqn: Eqn,
    shapes: Mapping[str, Shape | None],
    worlds: Mapping[str, _Worlds],
    gates: GateList,
    indices: Collection[str],
    seen: dict[tuple, Any],
) -> tuple[Shape | None, _Worlds]:
    """One gate's output shape and its stand-ins in the two worlds: the
    operands' stand-ins bound to the template's placeholders (a length the
    program leaves open taken from what it indexes), the template evaluated
    once where everything is known and in both worlds where not."""
    gate = catalogue.GATES[eqn.gate]
    code = _compiled(gate.code("numpy")[0], _slots(gate, eqn))
    first: dict[str, Any] = {}
    second: dict[str, Any] = {}
    known = True  # every operand known but the values of index arrays
    for placeholder, arg in zip(gate.inputs, eqn.args):
        if isinstance(arg, Wire):
            first[placeholder], second[placeholder] = worlds[arg.name]
            if first[placeholder] is not second[placeholder]:
                known = known and arg.name in indices
    guessed = False
    for placeholder, arg in zip(gate.inputs, eqn.args):
        if (
            placeholder == LENGTH
            and placeholder in first
            and first[placeholder] is not second[placeholder]
        ):
            length = _implied_length(gate, eqn, shapes, worlds)
            if length is None:  # 0 and -1 would both give np.arange(...) no rows
                return None, _unknown()
            first[placeholder] = second[placeholder] = length
            guessed = True
    exact = all(first[p] is second[p] for p in first)
    key = None
    if exact and not any(_carries_value(v) for v in first.values()):
        key = (code, *((p, np.shape(v), np.result_type(v)) for p, v in first.items()))
        if key in seen:
            standin = seen[key]
            return np.shape(standin), (standin, standin)
    try:
        one = eval(code, _NAMESPACE, first)  # noqa: S307 (our template only)
    except _MISFITS as error:
        if known and not guessed:
            raise _misfit(eqn, gate, shapes, gates, error) from None
        return None, _unknown()
    except Exception:  # not evaluable on arrays for another reason
        return None, _unknown()
    if exact:
        standin = _settled(one)
        if key is not None:
            seen[key] = standin
        return np.shape(one), (standin, standin)
    try:
        other = eval(code, _NAMESPACE, second)  # noqa: S307 (our template only)
    except Exception:
        return None, _unknown()
    if np.shape(one) != np.shape(other):
        return None, (_settled(one), _settled(other))
    if _carries_value(one) and not np.array_equal(one, other):
        return np.shape(one), (_settled(one), _settled(other))
    standin = _settled(one)
    return np.shape(one), (standin, standin)


def _slots(gate: catalogue.Gate, eqn: Eqn) -> tuple[tuple[str, str | None], ...]:
    """Each placeholder and the constant's text written in its place (None
    for a wire, which the evaluation binds by the placeholder's name)."""
    slots = [
        (p, arg.text if isinstance(arg, Const) else None)
        for p, arg in zip(gate.inputs, eqn.args)
    ]
    slots += [(p, c.text) for p, c in zip(gate.params, eqn.params)]
    return tuple(slots)


@functools.lru_cache(maxsize=4096)
def _compiled(template: str, slots: tuple[tuple[str, str | None], ...]):
    values = {p: p if text is None else text for p, text in slots}
    return compile(catalogue.fill(template, values), "<shapes>", "eval")


def _implied_length(
    gate: catalogue.Gate,
    eqn: Eqn,
    shapes: Mapping[str, Shape | None],
    worlds: Mapping[str, _Worlds],
) -> np.intp | None:
    """A length the program does not give: that of the first axis of the
    array the gate indexes (its first input), where that is known."""
    indexed = eqn.args[0] if eqn.args else None
    if not isinstance(indexed, Wire) or gate.inputs[0] == LENGTH:
        return None
    shape = shapes[indexed.name]
    one, other = worlds[indexed.name]
    if shape is None or not shape or one is not other:
        return None
    return np.intp(shape[0])


def _carries_value(result: Any) -> bool:
    """An integer (or boolean) result, whose value may be a length or an
    index: floats' values never set a shape."""
    dtype = np.asarray(result).dtype
    return dtype.kind in "biu"


def _settled(result: Any) -> Any:
    """A result as the next gates see it: a float array as a stand-in of
    its shape, so that memory does not grow with the program; integers
    (indices, lengths) and numbers as they are."""
    if isinstance(result, np.ndarray) and result.ndim and not _carries_value(result):
        return _standin(result.shape, result.dtype.type)
    return result


def _misfit(
    eqn: Eqn,
    gate: catalogue.Gate,
    shapes: Mapping[str, Shape | None],
    gates: GateList,
    error: Exception,
) -> CompileError:
    """`logits = h @ W2: shapes (32, 64) and (27, 64) do not fit`."""
    template = gate.notation if gate.function or gate.written else gate.code("numpy")[0]
    names = {p: str(arg) for p, arg in zip(gate.inputs, eqn.args)}
    names.update({p: c.text for p, c in zip(gate.params, eqn.params)})
    arrays = [describe(shapes[a.name]) for a in eqn.args if isinstance(a, Wire)]
    if len(arrays) == 1:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        problem = f"shape {arrays[0]} does not fit" + (f" ({reason})" if reason else "")
    else:
        listed = ", ".join(arrays[:-1]) + " and " + arrays[-1]
        problem = f"shapes {listed} do not fit"
    return CompileError(
        f"{eqn.out} = {catalogue.fill(template, names)}: {problem}",
        line=eqn.line,
        column=eqn.column,
        filename=gates.filename,
        source=gates.source,
    )
