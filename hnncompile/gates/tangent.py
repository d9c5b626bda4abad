"""Forward mode in the catalogue: each gate's tangent and its second
derivatives, as templates the code generator fills like the others.

The tangent of a gate's output is how much it moves when its inputs are
nudged, each input `x` by its own tangent `{x_dot}` (the tutorial's nudge,
pushed forward instead of pulled back). It is written once per gate kind:
  - an elementwise gate's is DERIVED from its own gradient rules: a rule is
    the local gradient times `{dout}`, and the same local gradient times
    the input's nudge `{x_dot}` is that input's share of the output's
    nudge (sigmoid: `{out} * (1 - {out}) * {x_dot}`; mul: `{y} * {x_dot} +
    {x} * {y_dot}`), so no rule is written twice;
  - a linear gate's (`linear`: sum, mean, transpose, indexing, reshape,
    add, sub, neg, copy) is its forward on the tangents: `{x_dot}.T`;
  - the rest (matmul, the reductions that are not linear, softmax and its
    kin) write theirs in `tangents`, one share per input, with NumPy and
    JavaScript forms beside it where they differ.

The second derivatives are what forward mode over the backward program
needs: when the inputs move, a gradient rule `g(x, y) * dout` moves by
`g * dout_dot` (the upstream gradient's nudge: the code generator writes
that part, the rule with `{dout_dot}` for `{dout}`) plus how `g` itself
moves, sum over the moving j of d g / d x_j * x_j_dot * dout. That second
part is `seconds[i][j]` in the gate's entry (rule i, input j's nudge), ""
where it is zero: everywhere for a linear gate, away from the kink for
relu, abs, max and min, whose slopes are constants on each side. A
one-input gate may write its share with the output's own nudge
`{out_dot}` (sigmoid: `(1 - 2 * {out}) * {out_dot} * {dout}`).

Shares are joined with " + " (" - " before a negated product, brackets
round a conditional), and a data input never moves.
"""

from __future__ import annotations

import ast
import functools
import string
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .gate import Gate

# The operators through which a leading minus sign stays a minus of the
# whole product: -a * b / c is -(a * b / c), exactly, in floating point.
_PRODUCTS = (ast.Mult, ast.Div, ast.MatMult)


def dot(placeholder: str) -> str:
    """The placeholder of an input's tangent: `x` -> `x_dot`."""
    return f"{placeholder}_dot"


@functools.lru_cache(maxsize=None)
def _fields(template: str) -> frozenset[str]:
    parsed = string.Formatter().parse(template)
    return frozenset(field for _, field, _, _ in parsed if field)


def _as_python(template: str) -> ast.expr | None:
    """The template's expression tree with names for its fields, or None
    where it is not Python (JavaScript's `c ? a : b`)."""
    names = {field: field for field in _fields(template)}
    try:
        return ast.parse(template.format_map(names), mode="eval").body
    except SyntaxError:
        return None


@functools.lru_cache(maxsize=None)
def _shape(template: str) -> str:
    """How a share sits in a sum: "negated" (a product with a leading
    minus), "loose" (a conditional, a sum or anything not plain Python:
    bracketed after the first share) or "tight"."""
    tree = _as_python(template)
    if tree is None or not isinstance(tree, (ast.BinOp, ast.UnaryOp, ast.Call)):
        plain = tree is not None and isinstance(
            tree, (ast.Name, ast.Attribute, ast.Subscript, ast.Constant)
        )
        return "tight" if plain else "loose"
    if isinstance(tree, ast.BinOp) and not isinstance(tree.op, _PRODUCTS):
        return "tight" if isinstance(tree.op, ast.Pow) else "loose"
    left = tree
    while isinstance(left, ast.BinOp) and isinstance(left.op, _PRODUCTS):
        left = left.left
    negated = isinstance(left, ast.UnaryOp) and isinstance(left.op, ast.USub)
    return "negated" if negated and template.startswith("-") else "tight"


def joined(shares: list[str]) -> str:
    """Shares of one sum as one expression: `a * x_dot + b * y_dot`, with
    `- b * y_dot` for a negated share and brackets round a conditional."""
    shares = [share for share in shares if share]
    if len(shares) == 1:
        return shares[0]
    text = ""
    for k, share in enumerate(shares):
        shape = _shape(share)
        if k and shape == "negated":
            text += " - " + share[1:]
            continue
        if shape == "loose":
            share = f"({share})"
        text += (" + " if k else "") + share
    return text


def _moving(gate: Gate, moving: tuple[bool, ...]) -> list[int]:
    """The positions of the inputs that carry a tangent (data never does)."""
    if len(moving) != len(gate.inputs):
        raise ValueError(
            f"the {gate.title} gate has {len(gate.inputs)} inputs, "
            f"got {len(moving)} flags of which move"
        )
    return [i for i, flag in enumerate(moving) if flag and i not in gate.data_inputs]


def _pick(gate: Gate, target: str, field: str):
    """A forward-mode field in `target`'s form: `numpy_seconds` or
    `js_seconds` where the gate gives them, else the plain one."""
    if target in ("numpy", "js"):
        own = getattr(gate, f"{target}_{field}")
        if own is not None:
            return own
    return getattr(gate, field)


def tangent(
    gate: Gate, target: str, moving: tuple[bool, ...], broadcast: bool = True
) -> str:
    """See Gate.tangent."""
    positions = _moving(gate, moving)
    if not positions or gate.gives_data:
        return ""
    written = _pick(gate, target, "tangents")
    if written is not None:
        return joined([written[i] for i in positions])
    forward, rules = gate.code(target)
    differentiable = [i for i in range(len(gate.inputs)) if i not in gate.data_inputs]
    if gate.linear and positions == differentiable:
        for i in positions:  # the forward, on the tangents
            name = gate.inputs[i]
            forward = forward.replace("{%s}" % name, "{%s}" % dot(name))
        return forward
    if not gate.elementwise:
        raise NotImplementedError(
            f"the tangent of {gate.title} ({gate.name}) is not in the catalogue yet"
        )
    # The local gradient times the input's nudge instead of times dout.
    text = joined(
        [rules[i].replace("{dout}", "{%s}" % dot(gate.inputs[i])) for i in positions]
    )
    if target == "numpy" and broadcast and not _spans(gate, text):
        # `x + b` where only b moves: b's nudge, spread over the output's
        # shape, so that a sum of the output adds it once per element.
        return f"np.broadcast_to({text}, np.shape({{out}}))"
    return text


def _spans(gate: Gate, template: str) -> bool:
    """The template has the output's broadcast shape on arrays: it reads
    every input (or its nudge) or the output itself."""
    used = _fields(template)
    return "out" in used or all(
        name in used or dot(name) in used for name in gate.inputs
    )


def second(
    gate: Gate, target: str, i: int, moving: tuple[bool, ...], vector: bool = False
) -> str:
    """See Gate.second."""
    positions = _moving(gate, moving)
    if i in gate.data_inputs or gate.gives_data or gate.linear or not positions:
        return ""
    field = "vector_seconds" if vector else "seconds"
    if vector and gate.vector_seconds is None:
        raise ValueError(f"the {gate.title} gate has no rule for a vector operand")
    written = gate.vector_seconds if vector else _pick(gate, target, field)
    if written is None:
        raise NotImplementedError(
            f"the second derivative of {gate.title} ({gate.name}) "
            "is not in the catalogue yet"
        )
    return joined([written[i][j] for j in positions])
