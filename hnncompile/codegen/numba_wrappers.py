"""The numba target's `forward`, `value_and_grad` and `backward`, as text.

Plain Python around the loops (numba_text.py): each function converts its
inputs as the numpy target's do (`floats`), runs the loops of
numba_loops.py in order, each over its inputs broadcast together, scales
each loop's sums to what the program's `sum` and `mean` mean, and puts
each gradient back in its input's shape.
"""

from __future__ import annotations

from .numba_loops import Loop, domains
from .numba_text import _level, _seeded, _suffix
from .text import _comment


def wrappers(target, gates, names, loops, ids, wrt, comments) -> list[str]:
    """`forward`, `value_and_grad` and `backward`: the inputs converted,
    then each loop run over its elements, the sums scaled to what the
    program's reductions mean, the gradients put back in their inputs'
    shapes."""
    value, grad = names.value, names.grad
    params = [value[i] for i in gates.inputs]
    converted = target.converted_inputs(params, gates)
    dtype = f"{ids['dtype']} = np.result_type({', '.join([*params, '1.0'])})"
    output = value[gates.output]
    reduced = {r.out for loop in loops for r in loop.reductions}
    # forward: every loop's values pass, level 0 first.
    body = [*converted, dtype]
    for loop in loops:
        body += _values_pass(gates, names, loops, loop, ids, comments)
    body.append(f"return {_result(gates, names, ids, reduced)}")
    lines = [f"def forward({', '.join(params)}):", *(f"    {s}" for s in body)]
    lines += ["", ""]
    # value_and_grad: the values passes below the top, then the backward
    # passes from the top down.
    upstream = grad[gates.output]
    body = [*converted]
    body.append(f"{ids['dtype']} = np.result_type({', '.join([*params, upstream])})")
    for loop in loops:  # the top loop's backward pass writes the output too
        if not (loop.writes_output and loop.plan is not None):
            body += _values_pass(gates, names, loops, loop, ids, comments)
    assigned: set[str] = set()
    for loop in reversed(loops):
        if loop.plan is not None:
            body += _backward_pass(gates, names, loops, loop, ids, assigned, comments)
    for i in gates.inputs:
        if i in wrt and grad[i] not in assigned:
            if comments:
                body.append(
                    f"# {value[i]} does not reach the output: its gradient is 0"
                )
            body.append(f"{grad[i]} = 0.0 * np.ones_like({value[i]})")
    grads = [grad[i] for i in gates.inputs if i in wrt]
    returned = ", ".join(grads) + ("," if len(grads) == 1 else "")
    body.append(f"return {_result(gates, names, ids, reduced)}, ({returned})")
    signature = ", ".join([*params, f"{upstream}=1.0"])
    lines += [f"def value_and_grad({signature}):", *(f"    {s}" for s in body)]
    lines += ["", ""]
    lines.append(f"def backward({signature}):")
    if comments:
        lines.append(
            "    # value_and_grad's loop writes the output too: one pass for both"
        )
    call = ", ".join([*params, upstream])
    lines.append(f"    return value_and_grad({call})[1]")
    return lines


def _result(gates, names, ids, reduced) -> str:
    return names.value[gates.output]


def _output(gates, names, ids) -> str:
    """The output's elements in its shape (one number for shape ())."""
    output = names.value[gates.output]
    return f"{output} = {ids[f'{output}_all']}.reshape({ids['shape']})[()]"


def _shape(loop: Loop, names, ids) -> str:
    inputs = ", ".join(names.value[i] for i in loop.inputs)
    return f"{ids['shape']} = broadcast({inputs})".replace(
        "broadcast", ids["broadcast"]
    )


def _run(kind, loops, loop, ids, count, arrays, rest) -> str:
    name = ids[f"{kind}_loop{_suffix(loops, loop)}"]
    parts = [name, ids[f"{name}_in_chunks"], ids["shape"], str(count)]
    if arrays:
        parts.append(f"*{ids['elements']}({ids['shape']}, {', '.join(arrays)})")
    parts += rest
    call = f"{ids['run']}({', '.join(parts)})"
    return f"{ids['sums']} = {call}" if count else call


def _scale(gates, names, loop, r, ids) -> str:
    """What a loop's sum of a reduction's elements is multiplied by: 1 for
    a sum over the loop's own elements, the share of them its input has
    for one over fewer, and 1/n for a mean."""
    n = f"math.prod({ids['shape']})"
    if r.gate == "mean":
        return f" / {n}"
    sources = domains(gates)
    arg = r.args[0]
    own = sources[arg.name] if hasattr(arg, "name") else frozenset()
    if own == frozenset(loop.inputs):
        return ""
    inputs = ", ".join(names.value[i] for i in gates.inputs if i in own)
    return f" * math.prod({ids['broadcast']}({inputs})) / {n}"


def _values_pass(gates, names, loops, loop, ids, comments) -> list[str]:
    value = names.value
    lines = []
    if comments:
        what = "the output" if loop.writes_output else "the sums"
        lines += _comment(
            f"loop{_level(loops, loop)}: {what}, over the elements of "
            + (", ".join(value[i] for i in loop.inputs) or "no array")
            + " broadcast together"
        )
    lines.append(_shape(loop, names, ids))
    rest = [value[g] for g in loop.given]
    if loop.writes_output:
        out = ids[f"{value[gates.output]}_all"]
        lines.append(f"{out} = np.empty(math.prod({ids['shape']}), {ids['dtype']})")
        rest.append(out)
    arrays = [value[i] for i in loop.inputs]
    lines.append(_run("forward", loops, loop, ids, len(loop.reductions), arrays, rest))
    if loop.writes_output:
        lines.append(_output(gates, names, ids))
    for j, r in enumerate(loop.reductions):
        scale = _scale(gates, names, loop, r, ids)
        lines.append(f"{value[r.out]} = {ids['dtype']}.type({ids['sums']}[{j}]{scale})")
    return lines


def _backward_pass(gates, names, loops, loop, ids, assigned, comments) -> list[str]:
    value, grad = names.value, names.grad
    lines = []
    if comments:
        lines += _comment(
            f"loop{_level(loops, loop)}: the gradients, over the elements of "
            + (", ".join(value[i] for i in loop.inputs) or "no array")
            + " broadcast together"
        )
    lines.append(_shape(loop, names, ids))
    arrays = [value[i] for i in loop.backward_inputs]
    if loop.writes_output:
        arrays.append(grad[gates.output])
    rest = [value[g] for g in loop.backward_given]
    for r in loop.reductions:
        if _seeded(loop, r):
            total = grad[r.out]
            if r.out == gates.output:  # one number: dout
                total = f"{ids['dtype']}.type({total})"
            rest.append(f"{total}{_scale(gates, names, loop, r, ids)}")
    if loop.writes_output:
        out = ids[f"{value[gates.output]}_all"]
        lines.append(f"{out} = np.empty(math.prod({ids['shape']}), {ids['dtype']})")
        rest.append(out)
    each = [ids[f"{grad[i]}_all"] for i in loop.grad_inputs]
    if each:
        inputs = ", ".join(value[i] for i in loop.grad_inputs)
        lines.append(
            f"{', '.join(each)}{',' if len(each) == 1 else ''} = "
            f"{ids['gradient_arrays']}({ids['shape']}, {ids['dtype']}, {inputs})"
        )
    rest += each
    count = len(loop.grad_inputs) + len(loop.grad_given)
    lines.append(_run("backward", loops, loop, ids, count, arrays, rest))
    if loop.writes_output:
        lines.append(_output(gates, names, ids))
    for j, i in enumerate(loop.grad_inputs):
        part = (
            f"{ids['gradient']}({ids['sums']}[{j}], {each[j]}, {value[i]}, "
            f"{ids['shape']}, {ids['dtype']})"
        )
        if grad[i] in assigned:
            lines.append(f"{grad[i]} = {grad[i]} + {part}")
        else:
            lines.append(f"{grad[i]} = {part}")
            assigned.add(grad[i])
    for j, g in enumerate(loop.grad_given, start=len(loop.grad_inputs)):
        if grad[g] in assigned:
            lines.append(f"{grad[g]} = {grad[g]} + {ids['sums']}[{j}]")
        else:
            lines.append(f"{grad[g]} = {ids['sums']}[{j}]")
            assigned.add(grad[g])
    return lines
