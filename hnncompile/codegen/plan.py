"""The backward planner every target shares: what backward computes.

Given a gate list and the inputs to differentiate, `plan_backward` decides
which local gradients backward writes and in what order (reverse gate
order, only for gradients that reach a `wrt` input), which forward values
its rules read (and so must be recomputed), and, on a target whose inputs
broadcast together, where a gradient is summed back over the axes its wire
was broadcast along (`broadcast_sources`, `unbroadcast_points`). `Names`
holds every identifier the generated code uses, from naming.py.

Nothing here writes text: the targets (python_target.py, numpy_target.py,
js_target.py) write the plan in their own language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Collection, Sequence

from .. import naming
from ..gates import GATES
from ..ir import Eqn, GateList, Wire

if TYPE_CHECKING:
    from .target import Target


def identifiers(gates: GateList) -> dict[str, str]:
    """The generated code's identifier for each wire (see naming.py)."""
    wires = [*gates.inputs, *(eqn.out for eqn in gates.eqns)]
    return naming.python_names(wires, gates.source_names)


@dataclass(frozen=True)
class Names:
    """The generated code's identifier for every wire and every gradient
    (`Names.of(gates)`; the explorer page reads them too).

    Each gate's placeholders are worked out once, when first asked for (the
    forward line), and read again by its backward lines: do not change the
    dicts they return, nor `grad` once they are asked for (copy the object)."""

    value: dict[str, str]
    grad: dict[str, str]
    _placeholders: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, gates: GateList) -> Names:
        value = identifiers(gates)
        return cls(value, naming.gradient_names(value, gates.output))

    def operand(self, operand) -> str:
        return self.value[operand.name] if isinstance(operand, Wire) else operand.text

    def placeholders(self, eqn: Eqn) -> dict[str, str]:
        known = self._placeholders.get(eqn.out)
        if known is not None:
            return known
        gate = GATES[eqn.gate]
        values = {p: self.operand(a) for p, a in zip(gate.inputs, eqn.args)}
        values.update({p: c.text for p, c in zip(gate.params, eqn.params)})
        values["out"] = self.value[eqn.out]
        values["dout"] = self.grad[eqn.out]
        self._placeholders[eqn.out] = values
        return values


@dataclass(frozen=True)
class BackwardPlan:
    """Which local gradients backward computes, and which values it needs.

    `steps` lists, in reverse gate order, each gate with the positions of the
    inputs it sends a gradient to: those whose gradient reaches a `wrt`
    input. `needed` holds every forward value those rules read.
    """

    steps: tuple[tuple[Eqn, tuple[int, ...]], ...]
    needed: frozenset[str]
    read: frozenset[str]  # the values the rules themselves read (in `needed`)
    # Array target: the (gate output, argument position) pairs whose gradient
    # is summed back to the argument's shape; see `unbroadcast_points`.
    summed: frozenset[tuple[str, int]] = frozenset()
    # Array target: the output may be an array, and a scalar `dout` must be
    # given its shape (so that sums over broadcast axes count every element).
    spread_dout: bool = False
    # Array target, given the inputs' shapes (compile's `shapes`): each
    # wire's shape (None where unknown), and, where they are all known, the
    # axes each summed point sums over, as shapes.summed_axes gives them
    # ("all" for a one-number wire); else the generic `unbroadcast`.
    shapes: dict | None = None
    ranks: dict = field(default_factory=dict)  # each wire's axes, where known
    sums: dict = field(default_factory=dict)


def plan_backward(
    gates: GateList, wrt: Collection[str], target: Target, exact: bool = False
) -> BackwardPlan:
    """The plan of `gates`' backward pass on `target` (whose gradient rules
    it reads, and whether its inputs broadcast together), for the gradients
    of the wires in `wrt`. `exact`: every wire's gradient has the wire's
    own shape (the trace shows each), no sum waiting for a later one."""
    data = gates.data_wires()
    wrt = frozenset(wrt) - data
    # `wrt` names inputs; the trace names every wire, so that a wire made
    # from constants alone (`q = 3`) still gets its gradient.
    reaches_wrt = {name: name in wrt for name in gates.inputs}
    for eqn in gates.eqns:
        reaches_wrt[eqn.out] = eqn.out not in data and (
            eqn.out in wrt
            or any(isinstance(a, Wire) and reaches_wrt[a.name] for a in eqn.args)
        )
    shapes, ranks = known_shapes(gates) if target.broadcasts else (None, {})
    has_gradient = {gates.output}
    steps = []
    needed: set[str] = set()
    for eqn in reversed(gates.eqns):
        if eqn.out not in has_gradient:
            continue
        rules = target.rules(eqn, ranks)
        targets = tuple(
            i
            for i, a in enumerate(eqn.args)
            if isinstance(a, Wire) and reaches_wrt[a.name] and rules[i]
        )
        if not targets:
            continue
        steps.append((eqn, targets))
        for i in targets:
            has_gradient.add(eqn.args[i].name)
            needed |= values_read(eqn, rules[i])
    spread_dout, summed, sums = False, frozenset(), {}
    # A matrix program's every gradient has its wire's shape, as a learner
    # comparing them with PyTorch's (as the lecture does) expects; a sum
    # waits for a later one only in elementwise programs, where it is cheaper.
    exact = exact or any(GATES[eqn.gate].array_only for eqn in gates.eqns)
    if steps and target.broadcasts:
        if shapes is not None and None not in shapes.values():
            spread_dout = shapes[gates.output] != ()
            sums = shaped_sums(gates, steps, shapes)
            summed = frozenset(sums)
        else:
            sources = broadcast_sources(gates)
            spread_dout = bool(sources[gates.output])
            summed = unbroadcast_points(gates, steps, sources, exact)
            needed.update(_summed_wires(gates, summed))
        if spread_dout:
            needed.add(gates.output)  # for its shape
    read = frozenset(needed)
    # A needed value needs the values its own gate reads.
    for eqn in reversed(gates.eqns):
        if eqn.out in needed:
            needed.update(a.name for a in eqn.args if isinstance(a, Wire))
    return BackwardPlan(
        tuple(steps),
        frozenset(needed),
        read,
        summed=summed,
        spread_dout=spread_dout,
        shapes=shapes,
        ranks=ranks,
        sums=sums,
    )


def values_read(eqn: Eqn, rule: str) -> set[str]:
    """The forward values one of `eqn`'s gradient rules reads: its output
    (`s*(1-s)`), its input wires, and for a scatter its index and the
    input whose zeros it fills."""
    gate = GATES[eqn.gate]
    used = gate.placeholders(rule)
    if gate.scatter:  # zeros of the input's shape, then its index
        used = used | gate.placeholders(gate.scatter) | {gate.inputs[0]}
    read = {eqn.out} if "out" in used else set()
    for placeholder, arg in zip(gate.inputs, eqn.args):
        if placeholder in used and isinstance(arg, Wire):
            read.add(arg.name)
    return read


def known_shapes(gates: GateList) -> tuple[dict | None, dict[str, int]]:
    """Each wire's shape (None where unknown) when the program was given its
    inputs' shapes (compile's `shapes`), else None; and the number of axes
    of every wire where that is known, shapes or not (`x.reshape(n, -1)` is
    a matrix), which the matrix product's rule depends on."""
    if not gates.shapes and not any(eqn.gate == "matmul" for eqn in gates.eqns):
        return None, {}
    from .. import shapes as shape_pass

    ranks: dict[str, int] = {}
    shapes = shape_pass.infer(gates, dict(gates.shapes), ranks)
    return (shapes if gates.shapes else None), ranks


def shaped_sums(
    gates: GateList, steps: Sequence[tuple[Eqn, tuple[int, ...]]], shapes: dict
) -> dict[tuple[str, int], object]:
    """Where shapes are known, every (gate output, argument position) whose
    gradient is summed back, with the axes: where an elementwise gate
    broadcast its argument to a larger shape, as a hand writer sums at once
    (`db1 = dhprebn.sum(0)`)."""
    from .. import shapes as shape_pass

    sums = {}
    for eqn, targets in steps:
        gate = GATES[eqn.gate]
        if not gate.elementwise:  # its rule has the input's shape
            continue
        for i in targets:
            arg, out = shapes[eqn.args[i].name], shapes[eqn.out]
            if arg == out:
                continue
            sums[(eqn.out, i)] = (
                "all" if arg == () else shape_pass.summed_axes(out, arg)
            )
    return sums


def broadcast_sources(gates: GateList) -> dict[str, frozenset[str]]:
    """For each wire, the inputs whose shapes broadcast together into its
    shape on the array target (none: it is one number).

    Two wires with the same sources have the same shape. Where a gate's
    input has fewer sources than its output, that input may have been
    broadcast, and its gradient is summed back to its shape.
    """
    sources = {name: frozenset([name]) for name in gates.inputs}
    nothing: frozenset[str] = frozenset()
    for eqn in gates.eqns:
        gate = GATES[eqn.gate]
        result = nothing
        if gate.array_only:  # a shape of its own (a product, a slice, ...)
            result = frozenset([eqn.out])
        elif not gate.reduces:
            for arg in eqn.args:
                if isinstance(arg, Wire) and not sources[arg.name] <= result:
                    result = result | sources[arg.name]
        sources[eqn.out] = result
    return sources


def unbroadcast_points(
    gates: GateList,
    steps: Sequence[tuple[Eqn, tuple[int, ...]]],
    sources: dict[str, frozenset[str]],
    exact: bool = False,
) -> frozenset[tuple[str, int]]:
    """Where the array target sums a gradient back to its wire's shape, as
    (gate output, argument position) pairs.

    A gradient may carry the broadcast axes of the gates downstream of its
    wire for a while: the rules multiply it by values that are constant
    along those axes, so summing over them can wait. It waits as a hand
    writer would, until one of three points: an input's gradient, or that
    of any wire in `wrt` (the trace asks for every wire's), must have the
    wire's shape; a wire that fans out adds contributions that may be
    broadcast differently; and a reduction (sum, mean) needs the gradient of
    its one-number output as one number.
    """
    # A reduction's output, and that of a gate that changes shapes (whose
    # rule reads its gradient as its own shape), is summed back at once.
    reduced = {eqn.out for eqn in gates.eqns if not GATES[eqn.gate].elementwise}
    inputs = set(gates.inputs)
    uses = contribution_counts(steps)
    # The inputs whose shapes each gradient's array has, as it is written.
    carried = {gates.output: sources[gates.output]}
    points = set()
    for eqn, targets in steps:
        for i in targets:
            wire = eqn.args[i].name
            gate = GATES[eqn.gate]
            if not gate.elementwise:  # its rule has `wire`'s shape
                carried[wire] = sources[wire]
            elif carried[eqn.out] == sources[wire]:
                carried[wire] = sources[wire]
            elif exact or wire in inputs or wire in reduced or uses[wire] > 1:
                points.add((eqn.out, i))
                carried[wire] = sources[wire]
            else:
                carried[wire] = carried[eqn.out]
    return frozenset(points)


def _summed_wires(gates: GateList, summed: Collection[tuple[str, int]]) -> set[str]:
    """The wires whose values `unbroadcast` reads for their shapes."""
    producers = {eqn.out: eqn for eqn in gates.eqns}
    return {producers[out].args[i].name for out, i in summed}


def contribution_counts(steps) -> dict[str, int]:
    """How many gradient contributions each wire receives."""
    counts: dict[str, int] = {}
    for eqn, targets in steps:
        for i in targets:
            counts[eqn.args[i].name] = counts.get(eqn.args[i].name, 0) + 1
    return counts
