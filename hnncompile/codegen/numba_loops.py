"""The numba target's loops: which gates each loop over the elements runs.

A program without `sum` or `mean` is one loop: for each element of the
inputs broadcast together, every gate's value, then every gradient, before
the next element. A reduction needs all of its input's elements before the
gates that read it can run, so it starts a new *level*: an input is at
level 0, a gate at the highest level of its arguments, and a reduction's
output one level above its input. Level k's loop computes the wires of
level k (and recomputes those below that it reads); a reduction's output
is one number there, a parameter of the loop.

Going forward, the loops run from level 0 up, each adding up the elements
of the reductions it feeds; the top loop writes the output. Going back,
they run from the top down. A loop's gradients start from its *seeds*:
the top loop's from `dout`, level k's from the gradients on the outputs
of the reductions whose inputs are at level k, which the loops above have
added up by then. Backward is linear in the gradient arriving at a wire,
so a wire read by gates of several levels gets each level's share in that
level's loop, and the shares add up.

Each loop runs over the inputs its gates read, broadcast together; a sum
over fewer elements than its loop has (`sum(a)` in `sum(a) * x` with `a`
(3, 1) and `x` (4,)) counts each of them more than once, and is scaled
back by the wrapper (`Loop.scales`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..gates import GATES
from ..ir import Eqn, GateList, Wire
from .plan import BackwardPlan, broadcast_sources, values_read

# The reductions a loop computes by adding its elements up as it goes (and
# dividing by their number, for the mean); the target refuses every other.
ADDED_UP = ("sum", "mean")


@dataclass(frozen=True)
class Loop:
    """One level's loop: the gates it runs forward, and going back."""

    level: int
    forward: tuple[Eqn, ...]  # the elementwise gates of the values pass
    reductions: tuple[Eqn, ...]  # the reductions whose inputs it adds up
    writes_output: bool  # the top loop: the output's elements
    inputs: tuple[str, ...]  # the program's inputs it reads, in input order
    given: tuple[str, ...]  # reduction outputs it reads: one number each
    plan: BackwardPlan | None  # its backward pass (None: no gradient here)
    grad_inputs: tuple[str, ...]  # the wrt inputs it sends a gradient to
    grad_given: tuple[str, ...]  # the given numbers it sends a gradient to
    backward_inputs: tuple[str, ...]  # the inputs its backward loop reads
    backward_given: tuple[str, ...]


def levels(gates: GateList) -> dict[str, int]:
    """Each wire's level: 0 for an input, one more than its input's for a
    reduction's output, else the highest of its arguments'."""
    level = {name: 0 for name in gates.inputs}
    for eqn in gates.eqns:
        args = [level[a.name] for a in eqn.args if isinstance(a, Wire)]
        level[eqn.out] = max(args, default=0) + (1 if GATES[eqn.gate].reduces else 0)
    return level


def reductions(gates: GateList) -> dict[str, Eqn]:
    """The reductions, by output; each one a loop adds up (NumbaTarget's
    `refuses` has turned the others away before this is asked)."""
    found = {eqn.out: eqn for eqn in gates.eqns if GATES[eqn.gate].reduces}
    for eqn in found.values():
        if eqn.gate not in ADDED_UP:
            raise ValueError(f"the numba loops cannot add up {eqn.gate!r}")
    return found


def _closure(gates: GateList, wanted: set[str], stops: set[str]) -> list[Eqn]:
    """The elementwise gates that compute `wanted`, in program order,
    stopping at inputs and at `stops` (reduction outputs: parameters)."""
    producers = {eqn.out: eqn for eqn in gates.eqns}
    needed, stack = set(), list(wanted)
    while stack:  # an explicit stack: any depth works
        wire = stack.pop()
        if wire in needed or wire in stops or wire not in producers:
            continue
        needed.add(wire)
        stack += [a.name for a in producers[wire].args if isinstance(a, Wire)]
    return [eqn for eqn in gates.eqns if eqn.out in needed]


def _reads(eqns, gates: GateList, given_pool: set[str]) -> tuple[tuple, tuple]:
    """The inputs and the given numbers the gates `eqns` read."""
    read = {a.name for eqn in eqns for a in eqn.args if isinstance(a, Wire)}
    inputs = tuple(name for name in gates.inputs if name in read)
    given = tuple(e.out for e in gates.eqns if e.out in read and e.out in given_pool)
    return inputs, given


def plan_loops(gates: GateList, wrt: frozenset[str]) -> list[Loop]:
    """The loops of `gates`, level 0 first (a level with nothing to run
    has none)."""
    level = levels(gates)
    reduced = reductions(gates)
    top = level[gates.output]
    # Which wires depend on a wrt input (through reductions too).
    reaches = {name: name in wrt for name in gates.inputs}
    for eqn in gates.eqns:
        reaches[eqn.out] = any(
            isinstance(a, Wire) and reaches[a.name] for a in eqn.args
        )
    live = {eqn.out for eqn in _closure(gates, {gates.output}, set())}
    graded = _graded(gates, reaches)
    pool = set(reduced)
    loops = []
    for k in range(top + 1):
        own = [r for r in reduced.values() if level[r.out] == k + 1 and r.out in live]
        writes = k == top and gates.output not in reduced
        wanted = {r.args[0].name for r in own if isinstance(r.args[0], Wire)}
        if writes:
            wanted.add(gates.output)
        forward = _closure(gates, wanted, pool)
        if not forward and not own:
            continue
        inputs, given = _reads([*forward, *own], gates, pool)
        seeds = {r.out for r in own if r.out in graded}
        plan, grad_inputs, grad_given = _plan(
            gates, forward, own, writes, reaches, pool, seeds
        )
        if plan is None:
            back_inputs, back_given = (), ()
        else:
            steps = [eqn for eqn, _ in plan.steps]
            computed = [e for e in gates.eqns if e.out in plan.needed]
            back_inputs, back_given = _reads([*steps, *computed], gates, pool)
            # The values a rule reads straight from an input count too.
            names = set(back_inputs) | set(grad_inputs)
            back_inputs = tuple(i for i in gates.inputs if i in names)
            names = set(back_given) | set(grad_given)
            back_given = tuple(e.out for e in gates.eqns if e.out in names)
        loops.append(
            Loop(
                level=k,
                forward=tuple(forward),
                reductions=tuple(own),
                writes_output=writes,
                inputs=inputs,
                given=given,
                plan=plan,
                grad_inputs=grad_inputs,
                grad_given=grad_given,
                backward_inputs=back_inputs,
                backward_given=back_given,
            )
        )
    return loops


def _graded(gates: GateList, reaches: dict[str, bool]) -> set[str]:
    """The wires that get a gradient: the output and, walking back, every
    argument that reaches a wrt input and has a rule."""
    graded = {gates.output} if reaches[gates.output] else set()
    for eqn in reversed(gates.eqns):
        if eqn.out in graded:
            rules = GATES[eqn.gate].code("python")[1]
            graded.update(
                a.name
                for a, rule in zip(eqn.args, rules)
                if isinstance(a, Wire) and reaches[a.name] and rule
            )
    return graded


def _plan(gates, forward, own, writes, reaches, pool, seeds):
    """The backward plan of one loop (plan.plan_backward's walk, from this
    loop's seeds, each reduction a stop), with the inputs and the given
    numbers it sends gradients to."""
    has_gradient = set(seeds)
    if writes and reaches[gates.output]:
        has_gradient.add(gates.output)
    if not has_gradient:
        return None, (), ()
    in_loop = {eqn.out for eqn in forward} | {r.out for r in own}
    steps, needed = [], set()
    for eqn in reversed(gates.eqns):
        if eqn.out not in has_gradient or eqn.out not in in_loop:
            continue
        gate = GATES[eqn.gate]
        rules = gate.code("python")[1]
        targets = tuple(
            i
            for i, a in enumerate(eqn.args)
            if isinstance(a, Wire) and reaches[a.name] and rules[i]
        )
        if not targets:
            continue
        steps.append((eqn, targets))
        for i in targets:
            has_gradient.add(eqn.args[i].name)
            needed |= values_read(eqn, rules[i])
    if writes:
        needed.add(gates.output)  # value_and_grad writes it in the same loop
    read = frozenset(needed)
    producers = {eqn.out: eqn for eqn in gates.eqns}
    for eqn in reversed(gates.eqns):  # a value needs what its gate reads
        if eqn.out in needed and eqn.out not in pool:
            needed.update(a.name for a in eqn.args if isinstance(a, Wire))
    needed = {w for w in needed if w in producers and w not in pool}
    grad_inputs = tuple(i for i in gates.inputs if i in has_gradient)
    grad_given = tuple(
        e.out for e in gates.eqns if e.out in has_gradient and e.out in pool
    )
    grad_given = tuple(g for g in grad_given if g not in seeds)
    return BackwardPlan(tuple(steps), frozenset(needed), read), grad_inputs, grad_given


def domains(gates: GateList) -> dict[str, frozenset[str]]:
    """For each wire, the inputs whose shapes broadcast into its shape
    (plan.broadcast_sources): a sum's elements are those of its input's."""
    return broadcast_sources(gates)
