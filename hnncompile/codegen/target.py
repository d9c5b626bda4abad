"""What every target shares: the lines of forward and backward.

A target (python_target.py, numpy_target.py, js_target.py) is an object of
a subclass of `Target`. The base class writes the statements themselves,
in Python's syntax, from the gate catalogue and the backward plan (plan.py):
`forward` one gate per line; `backward` recomputing the forward values its
rules need, then walking the gates in reverse, one line per local gradient,
adding up where a wire fans out, and only for gradients that reach a `wrt`
input. Where a target writes a statement its own way it overrides one of
the hooks below (`spread_dout`, `summed_back`, `added`); how the statements
become a module is each subclass's `assemble` and `trace_function`; the
comments over backward's lines, and the notes over forward's, are
comments.py's.

A target that cannot do an operation says so in one place: `refuses`.
"""

from __future__ import annotations

from typing import Any, Callable, Collection

from .. import naming
from ..errors import CompileError
from ..gates import GATES, Gate, fill
from ..ir import Eqn, GateList
from .plan import BackwardPlan, Names, contribution_counts, plan_backward
from .comments import explained, noted, picked_at_run_time, shapes_said
from .text import _comment


class Target:
    """What differs between the modules the code generator writes."""

    name = ""
    import_line = ""  # the one module the generated code imports...
    prefix = ""  # ...and how its templates refer to it
    zero = "0.0"  # a gradient that is zero, as a template on the input {x}
    # `d += g` where a wire fans out. NumPy arrays can be shared between
    # gradients (`da = dout; db = dout`), so there it is `d = d + g`.
    in_place = True
    # Inputs may be arrays of different shapes that broadcast together, so an
    # input's gradient is summed back to its own shape (`unbroadcast`).
    broadcasts = False
    runs_in_python = True  # else the compiled object runs the python target

    def __repr__(self) -> str:
        return f"<hnncompile target {self.name!r}>"

    # -- what the target can do -------------------------------------------

    def refuses(self, gate: Gate) -> str | None:
        """What `gate` computes, in a phrase ("the matrix product"), when
        this target cannot write it; None when it can. Gates that need
        arrays say so in the catalogue (`array_only`)."""
        return getattr(gate, "array_only", None)

    def check(self, gates: GateList) -> None:
        """A CompileError at the first gate this target refuses."""
        refused = {name for name, gate in GATES.items() if self.refuses(gate)}
        if not refused:  # the common case: no gate to look for
            return
        for eqn in gates.eqns:
            if eqn.gate in refused:
                what = self.refuses(GATES[eqn.gate])
                raise CompileError(
                    f"{what} needs the array target: compile with target='numpy'",
                    line=eqn.line,
                    column=eqn.column,
                    filename=gates.filename,
                    source=gates.source,
                )

    def code(self, gate: Gate, fast: bool = False) -> tuple[str, tuple[str, ...]]:
        """The gate's forward template and gradient templates here."""
        return gate.code(self.name, fast)

    def rules(self, eqn: Eqn, ranks: dict | None = None) -> tuple[str, ...]:
        """The gradient templates of one gate of the program, one per input
        ("" where an input gets none); `ranks`: the wires' numbers of axes
        where known (see plan.known_shapes)."""
        return self.code(GATES[eqn.gate])[1]

    # -- the module, the trace ---------------------------------------------

    def module(
        self,
        gates: GateList,
        names: Names,
        wrt: Collection[str],
        comments: bool = True,
        propagate_copies: bool = False,
    ) -> str:
        """The standalone module for `gates`, as text."""
        wrt = frozenset(wrt)
        params = [names.value[i] for i in gates.inputs]
        grads = [names.grad[i] for i in gates.inputs if i in wrt]
        output = names.value[gates.output]
        forward_lines = self.forward_lines(gates, names)
        backward_lines = self.backward_body(
            gates,
            wrt,
            names,
            forward_lines,
            comments,
            propagate_copies=propagate_copies,
        )
        if comments:  # above a rewritten gate's line, what the source wrote
            forward_lines = noted(gates, forward_lines, names, self.name)
        return self.assemble(
            gates, comments, params, output, grads, forward_lines, backward_lines
        )

    def assemble(
        self,
        gates: GateList,
        comments: bool,
        params: list[str],
        output: str,
        grads: list[str],
        forward_lines: dict[str, str],
        backward_lines: list[str],
    ) -> str:
        """The module around forward's and backward's lines."""
        raise NotImplementedError

    def trace_module(self, gates: GateList) -> str:
        """A module with one function, `trace(*inputs, dout=1.0)`, returning
        every wire's value and every wire's gradient, keyed by the source's
        wire names (0.0 where a wire does not reach the output)."""
        names = Names.of(gates)
        forward_lines = self.forward_lines(gates, names)
        wires = [*gates.inputs, *(eqn.out for eqn in gates.eqns)]
        # Each wire's gradient in the wire's own shape, as the trace shows it.
        plan = plan_backward(gates, frozenset(wires), self, exact=True)
        body = self.backward_body(
            gates,
            frozenset(wires),
            names,
            forward_lines,
            False,
            recompute_all=True,
            plan=plan,
        )
        assigned = {line.split(" ", 1)[0] for line in body}
        assigned.add(naming.UPSTREAM_GRADIENT)
        value_of = {wire: names.value[wire] for wire in wires}
        grad_of = {
            wire: names.grad[wire] if names.grad[wire] in assigned else "0.0"
            for wire in wires
        }
        params = [names.value[i] for i in gates.inputs]
        return self.trace_function(gates, wires, params, body, value_of, grad_of)

    def trace_function(
        self,
        gates: GateList,
        wires: list[str],
        params: list[str],
        body: list[str],
        value_of: dict[str, str],
        grad_of: dict[str, str],
    ) -> str:
        raise NotImplementedError

    def value_and_grad_module(self, gates: GateList, wrt: Collection[str]) -> str:
        raise ValueError(
            f"the {self.name} target has no value_and_grad module (its "
            "compiled object runs the python target's)"
        )

    def switches_module(self, gates: GateList) -> tuple[str, list[Eqn]]:
        raise ValueError(f"the {self.name} target has no switches module")

    # -- the statements ----------------------------------------------------

    def forward_line(self, eqn: Eqn, names: Names) -> str:
        values = names.placeholders(eqn)
        forward, _ = self.code(GATES[eqn.gate])
        return f"{values['out']} = {fill(forward, values)}"

    def forward_lines(self, gates: GateList, names: Names) -> dict[str, str]:
        return {eqn.out: self.forward_line(eqn, names) for eqn in gates.eqns}

    def spread_dout(self, dout: str, out: str, comments: bool) -> list[str]:
        """The lines that give a one-number `dout` the output's shape
        (BackwardPlan.spread_dout; only a target whose inputs broadcast)."""
        raise NotImplementedError

    def summed_back(self, contribution: str, like: str, axes: Any = None) -> str:
        """A gradient summed back to the shape of the wire `like`
        (BackwardPlan.summed; only a target whose inputs broadcast), over
        `axes` where the shapes are known (BackwardPlan.sums)."""
        raise NotImplementedError

    def scattered(
        self, grad: str, gate: Gate, values: dict[str, str], value: str, first: bool
    ) -> list[str]:
        """The lines sending a gather's gradient back into zeros of its
        input's shape (the catalogue's `scatter`); only the array target
        has gathers."""
        raise NotImplementedError

    def added(self, grad: str, contribution: str) -> str:
        """The line adding one more branch's gradient to `grad`."""
        if self.in_place:
            return f"{grad} += {contribution}"
        return f"{grad} = {grad} + {contribution}"

    def named_after_the_source(
        self,
        gates: GateList,
        plan: BackwardPlan,
        names: Names,
        contributions: dict[str, int],
    ) -> None:
        """Where copies are left out and a temporary's gradient is only ever
        passed on, unchanged, to one wire the source names (`t8 = bnvar +
        1e-5`: dt8 is dbnvar), give it that wire's name, as a hand writer
        would: `dbnvar = ...`, not `dt8 = ...` for both."""
        inputs = set(gates.inputs)
        for eqn, targets in plan.steps:
            if eqn.out in gates.source_names or eqn.out == gates.output:
                continue
            rules = self.rules(eqn, plan.ranks)
            copied = _copied_from(rules, eqn, targets, plan, contributions)
            if len(copied) != 1:
                continue
            arg = eqn.args[copied[0]].name
            if arg in gates.source_names and arg not in inputs:
                names.grad[eqn.out] = names.grad[arg]

    def backward_body(
        self,
        gates: GateList,
        wrt: frozenset[str],
        names: Names,
        forward_lines: dict[str, str],
        comments: bool,
        recompute_all: bool = False,
        propagate_copies: bool = False,
        plan: BackwardPlan | None = None,
        returned: dict[str, str] | None = None,
        then: Callable[[Eqn, int], list[str]] | None = None,
    ) -> list[str]:
        """Recompute what the rules need, then one line per local gradient.

        With `propagate_copies`, a gradient that a gate passes on unchanged to a
        wire with no other use (the add gate's `dt1 = dt2`) gets no line: the
        wire's gradient is the gate's own, under its name. Given `returned` as
        well (the fast path), inputs are such wires too: `returned` is filled
        with the name each input's gradient is returned under (`dc` is `dt2`).
        `then(eqn, i)` gives lines to write after the one sending `eqn`'s
        gradient to its input `i` (hvp's tangent lines: forward_mode.py).
        """
        if plan is None:
            plan = plan_backward(gates, wrt, self)
        contributions = contribution_counts(plan.steps)
        if propagate_copies:  # it renames gradients as it goes: a fresh copy
            names = Names(names.value, dict(names.grad))
            self.named_after_the_source(gates, plan, names, contributions)
        lines = []
        if recompute_all:
            recompute = list(forward_lines)
        else:
            recompute = [eqn.out for eqn in gates.eqns if eqn.out in plan.needed]
        if recompute and comments:
            lines.append("# forward pass")
        lines += [forward_lines[out] for out in recompute]
        if plan.steps and comments:
            lines.append("# backward pass, in reverse")
        if plan.spread_dout:
            out = names.value[gates.output]
            lines += self.spread_dout(names.grad[gates.output], out, comments)
        assigned: set[str] = set()
        branched: set[str] = set()
        inputs = set(gates.inputs)
        # Where every shape is known, the comments say them.
        shaped = comments and plan.shapes is not None
        shaped = shaped and None not in plan.shapes.values()
        data = gates.data_wires() if shaped else frozenset()
        for eqn, targets in plan.steps:
            gate = GATES[eqn.gate]
            rules = self.rules(eqn, plan.ranks)
            values = names.placeholders(eqn)
            if propagate_copies:
                copied = [
                    i
                    for i in _copied_from(rules, eqn, targets, plan, contributions)
                    if returned is not None or eqn.args[i].name not in inputs
                ]
                for i in copied:
                    names.grad[eqn.args[i].name] = values["dout"]
                targets = tuple(i for i in targets if i not in copied)
                if not targets:
                    continue
            if comments:
                lines += explained(gate, targets, values)
                lines += picked_at_run_time(gate, eqn, targets, rules, names)
                if shaped:
                    lines += shapes_said(gate, eqn, targets, plan, names, data)
            for i in targets:
                arg = eqn.args[i].name
                grad = names.grad[arg]
                if gate.scatter:
                    value = fill(rules[i], values)
                    first = grad not in assigned
                    lines += self.scattered(grad, gate, values, value, first)
                    assigned.add(grad)
                    lines += then(eqn, i) if then else []
                    continue
                contribution = fill(rules[i], values)
                if (eqn.out, i) in plan.summed:
                    contribution = self.summed_back(
                        contribution, names.value[arg], plan.sums.get((eqn.out, i))
                    )
                if grad not in assigned:
                    lines.append(f"{grad} = {contribution}")
                    assigned.add(grad)
                    lines += then(eqn, i) if then else []
                    continue
                if comments and grad not in branched:
                    branched.add(grad)
                    lines += _comment(
                        f"{names.value[arg]} is used more than once: "
                        "the gradients from its branches add up"
                    )
                lines.append(self.added(grad, contribution))
                lines += then(eqn, i) if then else []
        if returned is not None:
            returned.update((name, names.grad[name]) for name in gates.inputs)
        for name in gates.inputs:
            grad = names.grad[name]
            if name in wrt and grad not in assigned and contributions.get(name) != 1:
                if comments:
                    lines.append(
                        f"# {names.value[name]} does not reach the output: "
                        "its gradient is 0"
                    )
                lines.append(f"{grad} = {fill(self.zero, {'x': names.value[name]})}")
        return lines


def _copied_from(
    rules: tuple[str, ...],
    eqn: Eqn,
    targets: tuple[int, ...],
    plan: BackwardPlan,
    contributions: dict[str, int],
) -> list[int]:
    """The positions among `targets` of `eqn`'s inputs whose gradient is the
    gate's own, unchanged: a wire used once, whose rule is `{dout}` (an add
    gate's), not summed back nor scattered."""
    gate = GATES[eqn.gate]
    return [
        i
        for i in targets
        if rules[i] == "{dout}"
        and not gate.scatter
        and contributions[eqn.args[i].name] == 1
        and (eqn.out, i) not in plan.summed
    ]
