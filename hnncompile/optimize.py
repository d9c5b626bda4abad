"""Optimisation passes over the gate list: each one small, named, and run
only when asked (`compile(..., optimize=True)`, `hnncompile compile -O`).

The default module is the tutorial's: one gate for each operation the
source writes, every name kept. With optimisation on, these passes run in
order, each a function from a gate list to a smaller (or equal) one:

- fold_identities: `x * 1`, `1 * x`, `x + 0`, `0 + x`, `x - 0`, `x / 1` and
  `x ** 1` are `x` (constants alone, `2 * 3`, are folded while lowering);
- eliminate_common_subexpressions: the same gate on the same inputs is
  computed once (`a * b` and `b * a` too), forward and so backward;
- propagate_copies: a wire that only renames another (`q = a`) is replaced
  by what it renames;
- eliminate_dead_code: a gate whose value reaches neither the output nor
  any gate that does is dropped.

Backward needs no pass of its own: code generation already writes only the
gradients that reach a `wrt` input, and with optimisation on it also
propagates the gradient copies (`dt1 = dt2`) that add gates make.
A wire a pass removes is replaced everywhere by what it equals; the output
keeps its name (as a copy, if it has to).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from .ir import Const, Eqn, GateList, Operand, Wire
from .stabilize import Rewrite, summary

# gate -> (argument position, constant) pairs that make it the other argument
_IDENTITIES = {
    "mul": ((0, 1.0), (1, 1.0)),
    "add": ((0, 0.0), (1, 0.0)),
    "sub": ((1, 0.0),),
    "div": ((1, 1.0),),
}
_COMMUTATIVE = {"add", "mul"}  # not max/min: at a tie, the order picks the winner


@dataclass(frozen=True)
class PassResult:
    name: str  # the pass's function name
    gates: GateList  # the gate list after it
    rewrites: tuple[Rewrite, ...] = ()  # the stability pass's (stabilize.py)

    def __str__(self) -> str:
        title = f"after {self.name} ({len(self.gates.eqns)} gates)"
        if self.rewrites:
            title += "\n" + "\n".join(
                [summary(self.rewrites), *map(str, self.rewrites)]
            )
        return f"{title}\n{self.gates}"


def fold_identities(gates: GateList) -> GateList:
    replaced: dict[str, Operand] = {}
    eqns = []
    for eqn in _substituted(gates.eqns, replaced):
        kept = _identity_operand(eqn)
        if kept is None:
            eqns.append(eqn)
        else:
            replaced[eqn.out] = kept
    return _finish(gates, eqns, replaced)


def eliminate_common_subexpressions(gates: GateList) -> GateList:
    replaced: dict[str, Operand] = {}
    seen: dict[tuple, str] = {}
    eqns = []
    for eqn in _substituted(gates.eqns, replaced):
        args = tuple(map(_key, eqn.args))
        if eqn.gate in _COMMUTATIVE:
            args = tuple(sorted(args))
        key = (eqn.gate, args, tuple(c.value for c in eqn.params))
        if key in seen:
            replaced[eqn.out] = Wire(seen[key])
        else:
            seen[key] = eqn.out
            eqns.append(eqn)
    return _finish(gates, eqns, replaced)


def propagate_copies(gates: GateList) -> GateList:
    replaced: dict[str, Operand] = {}
    eqns = []
    for eqn in _substituted(gates.eqns, replaced):
        if eqn.gate == "copy":
            replaced[eqn.out] = eqn.args[0]
        else:
            eqns.append(eqn)
    return _finish(gates, eqns, replaced)


def eliminate_dead_code(gates: GateList) -> GateList:
    live = {gates.output}
    kept = []
    for eqn in reversed(gates.eqns):
        if eqn.out in live:
            kept.append(eqn)
            live.update(a.name for a in eqn.args if isinstance(a, Wire))
    return replace(gates, eqns=tuple(reversed(kept)))


PASSES: tuple[Callable[[GateList], GateList], ...] = (
    fold_identities,
    eliminate_common_subexpressions,
    propagate_copies,
    eliminate_dead_code,
)


def optimize(gates: GateList) -> tuple[GateList, tuple[PassResult, ...]]:
    """Run every pass in order; return the result and each pass's output."""
    results = []
    for run in PASSES:
        gates = run(gates)
        gates.check()
        results.append(PassResult(run.__name__, gates))
    return gates, tuple(results)


def _identity_operand(eqn: Eqn) -> Operand | None:
    """The operand a gate merely passes on (`x` for `x * 1`), if it does."""
    if eqn.gate == "powc" and eqn.params[0].value == 1.0:
        return eqn.args[0]
    for position, neutral in _IDENTITIES.get(eqn.gate, ()):
        arg = eqn.args[position]
        if isinstance(arg, Const) and arg.value == neutral:
            return eqn.args[1 - position]
    return None


def _substituted(eqns, replaced: dict[str, Operand]):
    """The equations with every wire in `replaced` swapped for its stand-in,
    as the pass fills `replaced` in (a wire is replaced before it is used)."""
    for eqn in eqns:
        if any(isinstance(a, Wire) and a.name in replaced for a in eqn.args):
            args = tuple(
                replaced.get(a.name, a) if isinstance(a, Wire) else a for a in eqn.args
            )
            eqn = replace(eqn, args=args)
        yield eqn


def _finish(gates: GateList, eqns: list[Eqn], replaced: dict[str, Operand]) -> GateList:
    """The new gate list; if the output itself was replaced, it is kept as a
    copy of its stand-in, so the program's value keeps its name."""
    if gates.output in replaced:
        eqns.append(Eqn(gates.output, "copy", (replaced[gates.output],)))
    return replace(gates, eqns=tuple(eqns))


def _key(operand: Operand) -> tuple:
    if isinstance(operand, Wire):
        return (0, operand.name)
    return (1, operand.value)
