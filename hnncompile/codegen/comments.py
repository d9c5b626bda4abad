"""The comments over backward's lines, for the learner who reads them.

Over each gate's backward lines: the gate as the program writes it and why
its gradient is what it is (`explained`, from the catalogue's `explain`);
where the matrix product's rule is picked at run time, the other choice
(`picked_at_run_time`); and, where compile() was given the inputs' shapes,
the shapes themselves and the sums that take a broadcast input's gradient
back (`shapes_said`). Over forward's line of a gate a pass rewrote (the
stability pass), its note: what the user wrote and why; and over a gate
whose forward is not the plain math (the sigmoid's two branches, the
stable gates), why it is written so (`noted`).
"""

from __future__ import annotations

from typing import Any

from ..gates import GATES, Gate, fill
from ..ir import Eqn, GateList, Wire
from ..shapes import describe
from .plan import BackwardPlan, Names
from .text import _comment, _said


def picked_at_run_time(
    gate: Gate, eqn: Eqn, targets: tuple[int, ...], rules, names: Names
) -> list[str]:
    """Where a rule is picked at run time by an operand's number of axes
    (the matrix product, shapes unknown), what the other choice is."""
    if not gate.vector_grads:
        return []
    others = [
        names.operand(eqn.args[1 - i]) for i in targets if " if np.ndim(" in rules[i]
    ]
    if not others:
        return []
    which = " or ".join(dict.fromkeys(others))
    return _comment(
        f"where {which} is a vector (1-D) the rule is an outer product instead"
    )


def shapes_said(
    gate: Gate,
    eqn: Eqn,
    targets: tuple[int, ...],
    plan: BackwardPlan,
    names: Names,
    data: frozenset[str],
) -> list[str]:
    """Where the shapes are known (compile's `shapes`), what they are: for a
    gate that changes shapes, its operands' and its output's (`h (32, 64)
    and W2 (64, 27) make t10 (32, 27)`, `C (27, 10) makes emb (32, 3,
    10)`); where an elementwise gate
    broadcast an input, that its gradient is summed back."""
    shapes = plan.shapes
    out = names.value[eqn.out]
    lines = []
    if gate.array_only:
        operands = [  # a size (data, one number) says nothing of shapes
            f"{names.value[a.name]} {describe(shapes[a.name])}"
            for a in eqn.args
            if isinstance(a, Wire) and (a.name not in data or shapes[a.name])
        ]
        made = "make" if len(operands) > 1 else "makes"
        result = f"{out} {describe(shapes[eqn.out])}"
        lines += _comment(f"shapes: {' and '.join(operands)} {made} {result}")
    for i in targets:
        arg = eqn.args[i].name
        if (eqn.out, i) in plan.sums:
            lines += _comment(
                f"{names.value[arg]} {describe(shapes[arg])} was broadcast to "
                f"{describe(shapes[eqn.out])}: its gradient is summed back"
            )
    return lines


def explained(
    gate: Gate, targets: tuple[int, ...], values: dict[str, Any]
) -> list[str]:
    """The comment over a gate's backward lines: the gate as the program
    writes it (`f = sigmoid(q)`), which names its forward line more plainly
    than the line itself (a two-branch form that cannot overflow, a test for
    NaN), and why its gradient is what it is."""
    explanation = fill(gate.explanation(targets), values)
    written = f"{values['out']} = {fill(gate.notation, values)}"
    return _comment(f"{written}: {explanation}")


def noted(
    gates: GateList, forward_lines: dict[str, str], names: Names, target: str
) -> dict[str, str]:
    """Forward's lines with the comments above a gate's line: its note
    (Eqn.note: what the stability pass rewrote, and why), then why the
    catalogue writes its forward as it does on `target` (Gate.why: the
    sigmoid's two branches); the same dict where no gate has either."""
    whys = {name: gate.why(target) for name, gate in GATES.items()}
    if not any(eqn.note or whys[eqn.gate] for eqn in gates.eqns):
        return forward_lines
    lines = {}
    for eqn in gates.eqns:
        comments = _said(eqn.note) if eqn.note else []
        why = whys[eqn.gate]
        if why:
            comments += _said(fill(why, names.placeholders(eqn)))
        for k, comment in enumerate(comments):
            lines[f"# {eqn.out} {k}"] = comment  # no wire's name has a space
        lines[eqn.out] = forward_lines[eqn.out]
    return lines
