"""The numba target's module, as text: its helpers and its loops.

numba_target.py puts the parts together (and black formats them); this
writes `helpers` (the inputs' conversion and broadcasting, running a loop
in chunks, the gradients back in their inputs' shapes) and `kernels` (each
level's loops, `@numba.njit`, whose bodies are the python target's lines
for one element); numba_wrappers.py writes the functions that call them.
"""

from __future__ import annotations

import re

from .numba_loops import Loop, domains
from .numpy_target import FLOATS, UNBROADCAST
from .text import LINE_LENGTH, _comment, _wrap

# Below this many elements one thread is faster than several (a thread
# costs its start; measured with benchmarks/fused.py).
PARALLEL_FROM = 100_000

_ELEMENTS = '''
def elements(shape, *inputs):
    """What a loop reads of each input broadcast to `shape`: one number (an
    array of one element too) as that number; an array as the flat array of
    its elements, a view of an array of that shape, a copy of one broadcast
    along some axes."""
    return [
        np.asarray(x).reshape(-1)[0]
        if np.size(x) == 1
        else np.ascontiguousarray(np.broadcast_to(x, shape)).reshape(-1)
        for x in inputs
    ]


def element(x, i):
    """Element i of what `elements` gave: x[i] of an array, x itself for one
    number."""
    return x[i] if np.ndim(x) else x


@numba.extending.overload(element)
def element_compiled(x, i):
    """`element` as Numba compiles it. Numba compiles a loop once for each
    mix of numbers and arrays it is called with, so the choice is made then,
    not at every element: a weight that is one number is read once, and
    stays in a register."""
    if isinstance(x, numba.types.Number):
        return lambda x, i: x
    return lambda x, i: x[i]
'''.strip("\n")
_SHAPES = '''
def broadcast(*inputs):
    """The shape of the inputs broadcast together: the loop's elements."""
    return np.broadcast_shapes(*(np.shape(x) for x in inputs))


def gradient_arrays(shape, dtype, *inputs):
    """Where a loop writes each input's gradient, one element per step: for
    an input of more than one element, an array of the loop's size; for one
    number, None (the loop adds its gradient up instead)."""
    n = math.prod(shape)
    return [None if np.size(x) == 1 else np.empty(n, dtype) for x in inputs]
'''.strip("\n")
_RUN = '''
def gradient(total, each, like, shape, dtype):
    """An input's gradient from one loop, in the input's shape: the elements
    the loop wrote, summed over the axes along which the input was
    broadcast; or, for one number, the sum the loop added up."""
    if each is not None:
        return unbroadcast(each.reshape(shape), like)
    if np.ndim(like):
        return np.full(np.shape(like), total, dtype)
    return dtype.type(total)


# Below this many elements one thread is faster than several.
PARALLEL_FROM = {parallel_from}


def run(loop, loop_in_chunks, shape, count, *arrays):
    """Run `loop` over the elements of `shape` and return its `count` sums:
    on one thread for a small array, else in chunks, one per thread, each
    chunk's sums in a row of its own, added at the end."""
    n = math.prod(shape)
    chunks = numba.get_num_threads() if n >= PARALLEL_FROM else 1
    sums = np.zeros((chunks, count))
    if chunks == 1:
        loop(0, n, sums[0], *arrays)
    else:
        loop_in_chunks(chunks, n, sums, *arrays)
    return sums.sum(axis=0)
'''.strip("\n")

_IN_CHUNKS = '''
@numba.njit(cache=True, parallel=True)
def {name}(chunks, n, sums, *arrays):
    """{loop} on every thread at once: chunk k runs over the elements from
    k*n//chunks to (k+1)*n//chunks and writes its sums in row k."""
    for k in numba.prange(chunks):
        {loop}(k * n // chunks, (k + 1) * n // chunks, sums[k], *arrays)
'''.strip("\n")

# The helpers' functions (their own locals need no fresh names: only the
# wrappers call them, and only by these names).
HELPERS = ("elements", "element", "broadcast", "gradient_arrays", "gradient", "run")
_NJIT = '@numba.njit(cache=True, error_model="numpy")'


def helpers(ids, comments: bool) -> list[str]:
    text = "\n\n\n".join(
        [
            FLOATS,
            UNBROADCAST,
            _ELEMENTS,
            _SHAPES,
            _RUN.replace("{parallel_from}", f"{PARALLEL_FROM:_}"),
        ]
    )
    for helper in HELPERS:  # each under the name naming.fresh gave it
        if ids[helper] != helper:
            text = re.sub(rf"(?<![.\w]){helper}(?=[()])", ids[helper], text)
    return [text, "", ""]


def _suffix(loops: list[Loop], loop: Loop) -> str:
    return str(loop.level) if len(loops) > 1 else ""


def kernels(target, gates, names, loops, ids, wrt, comments) -> list[str]:
    """Each loop's functions: its values pass (forward) and, where gradients
    flow through it, its backward pass, each with its driver in chunks."""
    forward_lines = target.forward_lines(gates, names)
    # Above a gate's line in the values pass, the python target's forward's
    # comments (what a rewrite replaced, why a line is written so): once,
    # in the first loop that computes the gate.
    above = target.forward_comments(gates, names, wrt) if comments else {}
    said: set[str] = set()
    value = names.value
    lines: list[str] = []
    for loop in loops:
        suffix = _suffix(loops, loop)
        name = ids[f"forward_loop{suffix}"]
        arrays = [ids[f"{value[i]}_all"] for i in loop.inputs]
        given = [value[g] for g in loop.given]
        out = [ids[f"{value[gates.output]}_all"]] if loop.writes_output else []
        params = [ids["start"], ids["stop"], ids["sums"], *arrays, *given, *out]
        sums = [ids[f"{value[r.out]}_sum"] for r in loop.reductions]
        body = _reads(loop.inputs, value, ids)
        for eqn in loop.forward:
            if eqn.out not in said:
                body += above.get(eqn.out, [])
                said.add(eqn.out)
            body.append(forward_lines[eqn.out])
        if loop.writes_output:
            body.append(f"{out[0]}[{ids['i']}] = {value[gates.output]}")
        for r, total in zip(loop.reductions, sums):
            arg = names.operand(r.args[0])
            body.append(f"{total} += {arg}")
        doc = (
            f"forward's loop{_level(loops, loop)}: one element of each input "
            "in, "
            + ("the output's element out" if loop.writes_output else "")
            + (" and " if loop.writes_output and sums else "")
            + ("the elements added up for the sums" if sums else "")
            + "."
        )
        lines += _kernel(name, params, doc, sums, body, ids)
        lines += [_IN_CHUNKS.format(name=ids[f"{name}_in_chunks"], loop=name), "", ""]
        if loop.plan is None:
            continue
        name = ids[f"backward_loop{suffix}"]
        lines += _kernel(
            name,
            _backward_params(gates, names, loop, ids),
            f"value_and_grad's loop{_level(loops, loop)}: one element of each "
            "input in, every gate's value and gradient for it, and each "
            "input's gradient out: written element by element for an array, "
            "added up for one number.",
            [ids[f"{names.grad[w]}_sum"] for w in loop.grad_inputs + loop.grad_given],
            _backward_body(target, gates, names, loop, ids, forward_lines, comments),
            ids,
        )
        lines += [_IN_CHUNKS.format(name=ids[f"{name}_in_chunks"], loop=name), "", ""]
    return lines


def _level(loops, loop) -> str:
    return f" at level {loop.level}" if len(loops) > 1 else ""


def _reads(inputs, value, ids) -> list[str]:
    element, i = ids["element"], ids["i"]
    return [f"{value[x]} = {element}({ids[f'{value[x]}_all']}, {i})" for x in inputs]


def _kernel(name, params, doc, sums, body, ids) -> list[str]:
    lines = [_NJIT, f"def {name}({', '.join(params)}):", *_docstring(doc)]
    lines += [f"    {total} = 0.0" for total in sums]
    lines.append(f"    for {ids['i']} in range({ids['start']}, {ids['stop']}):")
    lines += [f"        {line}" for line in rewrapped(body, indent=8)]
    lines += [f"    {ids['sums']}[{j}] = {total}" for j, total in enumerate(sums)]
    return lines + ["", ""]


# The width of a comment's text in a function's body, where the python
# target's comments are filled (text.py's _comment and _wrap, at indent 4).
_FILLED = LINE_LENGTH - 4 - 2


def rewrapped(lines: list[str], indent: int) -> list[str]:
    """`lines` (statements and comments, as a function's body has them) with
    each comment that is too long at `indent` (a loop's body is indented
    twice) filled again at that indent. A comment of several lines is taken
    whole: a line continues the one before where that one was filled (the
    next word would not have fitted it) and does not end with a ':'."""
    out: list[str] = []
    start = 0
    while start < len(lines):
        if not lines[start].startswith("# "):
            out.append(lines[start])
            start += 1
            continue
        stop = start + 1
        while stop < len(lines) and _continues(lines[stop - 1], lines[stop]):
            stop += 1
        paragraph = lines[start:stop]
        if max(map(len, paragraph)) + indent > LINE_LENGTH:
            out += _wrap(" ".join(line[2:] for line in paragraph), indent)
        else:
            out += paragraph
        start = stop
    return out


def _continues(before: str, line: str) -> bool:
    """Whether comment `line` goes on with the comment line `before`."""
    if not line.startswith("# ") or before.endswith(":") or not line[2:].split():
        return False
    return len(before) - 2 + 1 + len(line[2:].split()[0]) > _FILLED


def _docstring(text: str) -> list[str]:
    """A function's docstring, filled to the line length."""
    lines = [line[2:] for line in _wrap(text, indent=7)]
    lines[0] = '"""' + lines[0]
    if len(lines[-1]) + 7 <= 88:
        lines[-1] += '"""'
    else:
        lines.append('"""')
    return [f"    {line}" for line in lines]


def _backward_params(gates, names, loop: Loop, ids) -> list[str]:
    value, grad = names.value, names.grad
    arrays = [ids[f"{value[i]}_all"] for i in loop.backward_inputs]
    given = [value[g] for g in loop.backward_given]
    dout = []
    if loop.writes_output:
        dout = [ids[f"{grad[gates.output]}_all"]]
    seeds = [grad[r.out] for r in loop.reductions if _seeded(loop, r)]
    out = [ids[f"{value[gates.output]}_all"]] if loop.writes_output else []
    grads = [ids[f"{grad[i]}_all"] for i in loop.grad_inputs]
    fixed = [ids["start"], ids["stop"], ids["sums"]]
    return [*fixed, *arrays, *dout, *given, *seeds, *out, *grads]


def _seeded(loop: Loop, r) -> bool:
    return any(eqn.out == r.out for eqn, _ in loop.plan.steps)


def _backward_body(target, gates, names, loop: Loop, ids, forward_lines, comments):
    value, grad = names.value, names.grad
    body = _reads(loop.backward_inputs, value, ids)
    if loop.writes_output:
        dout = grad[gates.output]
        body += _reads([gates.output], grad, ids)
    body += target.backward_body(
        gates,
        frozenset(loop.grad_inputs),
        names,
        forward_lines,
        comments,
        plan=loop.plan,
    )
    if loop.writes_output:
        output = value[gates.output]
        body.append(f"{ids[f'{output}_all']}[{ids['i']}] = {output}")
    if comments and loop.grad_inputs:
        body += _comment(
            "each input's gradient: kept per element for an array, added up "
            "for a number"
        )
    for i in loop.grad_inputs:
        each, total = ids[f"{grad[i]}_all"], ids[f"{grad[i]}_sum"]
        body += [
            f"if {each} is None:",
            f"    {total} += {grad[i]}",
            "else:",
            f"    {each}[{ids['i']}] = {grad[i]}",
        ]
    for g in loop.grad_given:
        body.append(f"{ids[f'{grad[g]}_sum']} += {grad[g]}")
    return body
