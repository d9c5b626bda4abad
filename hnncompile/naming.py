"""Every naming rule of the generated code, in one place.

- temporaries are t1, t2, ... in forward order, skipping any name the
  source uses;
- a bare expression's result is `out`;
- a gradient is `d` + the wire's own name in the source (`da`, `dq`, and
  `dclass` for `class`, though the wire itself is `class_`), and the
  gradient on the output arrives as the parameter `dout`;
- a wire inside an inlined function's call is `<call>_<local>`: the
  call's target and the body's own name (`h1 = neuron(...)` computes
  neuron's `q` as `h1_q`), and for a call inside a larger expression
  `<function><k>_<local>` (`neuron2_q`, k counting that function's calls
  in the order they are computed); the wire the function returns is the
  call's own (`h1`). A clash with a name already handed out becomes
  `h1_q_2`, ...;
- a name Python or JavaScript cannot use (a keyword such as `lambda` or
  `new`, or `__debug__`, which Python will not assign) or one the
  generated code needs itself (`math`, `np`, `Math`, `max`, `dout`, ...)
  gets a `_` suffix, the same on every target.
Every name handed out is unique.
"""

from __future__ import annotations

import keyword
from typing import Iterable, Iterator

TEMPORARY_PREFIX = "t"
OUTPUT_NAME = "out"
GRADIENT_PREFIX = "d"
UPSTREAM_GRADIENT = "dout"  # backward's parameter: the gradient on the output
INLINED_SEPARATOR = "_"  # between a call's name and a function's local: h1_q
TANGENT_SUFFIX = "_dot"  # a tangent's name: the value's or the gradient's + this

# Names the generated code uses for itself, so a wire may not take them.
GENERATED_CODE_NAMES = frozenset(
    {
        *("math", "np", "numba", "max", "min", "abs"),  # modules and builtins
        *("forward", "backward", UPSTREAM_GRADIENT, "unbroadcast"),  # our own
        "floats",  # the array target's input conversion
    }
)
# JavaScript's reserved words (ES2023, strict mode, as a module is), and the
# globals its generated code must still see.
JAVASCRIPT_RESERVED = frozenset(
    """await break case catch class const continue debugger default delete do
    else enum export extends false finally for function if implements import in
    instanceof interface let new null package private protected public return
    static super switch this throw true try typeof var void while with yield
    arguments eval undefined NaN Infinity Math Number""".split()
)
# Python's keywords, and `__debug__`: not a keyword, but no Python code may
# assign it or take it as a parameter ("cannot assign to __debug__").
PYTHON_RESERVED = frozenset(keyword.kwlist) | {"__debug__"}
RESERVED = PYTHON_RESERVED | GENERATED_CODE_NAMES | JAVASCRIPT_RESERVED


def temporaries(taken: Iterable[str]) -> Iterator[str]:
    """t1, t2, ... skipping every name in `taken`."""
    taken = set(taken)
    n = 0
    while True:
        n += 1
        name = f"{TEMPORARY_PREFIX}{n}"
        if name not in taken:
            yield name


def output_name(taken: Iterable[str]) -> str:
    """The name of a bare final expression: `out`, unless the source uses it."""
    return _first_free([OUTPUT_NAME], set(taken))


def call_name(function: str, count: int) -> str:
    """What a call inside a larger expression is called, for the names of
    the wires inside it: the `count`-th call of `function` is `neuron2`."""
    return f"{function}{count}"


def inlined_name(call: str, local: str, taken: set[str]) -> str:
    """The wire of a function's local `local` in the call named `call`
    (`h1_q`), or `h1_q_2`, ... where a name in `taken` has it; the name is
    added to `taken`."""
    name = _first_free([f"{call}{INLINED_SEPARATOR}{local}"], taken)
    taken.add(name)
    return name


def _first_free(candidates: list[str], taken: set[str]) -> str:
    for name in candidates:
        if name not in taken:
            return name
    base = candidates[-1]
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


def fresh(wanted: Iterable[str], taken: Iterable[str]) -> dict[str, str]:
    """The generated code's own identifiers (the numba target's loops and
    arrays, `i`, `a_all`): each wanted name, or `name_2`, ... where a name
    in `taken` (the wires' and gradients') or an earlier one has it."""
    taken = set(taken) | (RESERVED - GENERATED_CODE_NAMES)  # those are ours
    names = {}
    for name in wanted:
        if name not in names:
            names[name] = _first_free([name], taken)
            taken.add(names[name])
    return names


def python_names(wires: Iterable[str], source_names: Iterable[str]) -> dict[str, str]:
    """Map each wire to the identifier the generated code gives it.

    A wire keeps its own name when Python allows it; otherwise it becomes
    `name_` (or `name_2`, ...), never clashing with a name in the source.
    """
    wires = list(wires)
    taken = set(source_names) | set(wires) | RESERVED
    names = {}
    for wire in wires:
        if wire in RESERVED:
            names[wire] = _first_free([f"{wire}_"], taken)
            taken.add(names[wire])
        else:
            names[wire] = wire
    return names


def gradient_names(python_names: dict[str, str], output: str) -> dict[str, str]:
    """Map each wire (the keys of `python_names`, the source's names) to the
    identifier of its gradient: `da` for `a`, `dclass` for `class`.

    The output's gradient is the parameter `dout`. Where `d` + name is
    already a wire (a source with both `x` and `dx`) or a reserved word
    (`del` for a wire `el`) it becomes `d_x`.
    """
    taken = set(python_names.values()) | RESERVED
    grads = {}
    for wire in python_names:
        if wire == output:
            grads[wire] = UPSTREAM_GRADIENT
            continue
        candidates = [f"{GRADIENT_PREFIX}{wire}", f"{GRADIENT_PREFIX}_{wire}"]
        grads[wire] = _first_free(candidates, taken)
        taken.add(grads[wire])
    return grads


def tangent_names(names: Iterable[str], taken: Iterable[str]) -> dict[str, str]:
    """Map each identifier in `names` (wires' and gradients' identifiers) to
    its tangent's: `q_dot` for `q`, `dq_dot` for `dq`; `q_dot_2`, ... where
    that is already a name in `taken` (the source's and the generated
    code's) or an earlier tangent's."""
    taken = set(taken) | RESERVED
    dots = {}
    for name in names:
        if name not in dots:
            dots[name] = _first_free([f"{name}{TANGENT_SUFFIX}"], taken)
            taken.add(dots[name])
    return dots
