"""The python target: a module of floats and `math`, in black's style.

`PythonTarget` writes the four modules the python-like targets share (the
numpy target, numpy_target.py, is this one with arrays): the learner's
module (`assemble`: header, import, `forward`, `backward`), the fast path
(`value_and_grad_module`: forward expressions folded, copies like
`dc = dt2` not written, the catalogue's `fast_forward` forms such as
`x * x`), the study tools' `trace` and the gradient checker's `switches`.
The hooks `notes`, `converted_inputs`, `helpers` and `released` are where
the numpy target adds its own lines; here they add nothing.
"""

from __future__ import annotations

from typing import Collection

from .. import naming
from ..gates import GATES, fill
from ..ir import Eqn, GateList, Wire
from .plan import BackwardPlan, Names, plan_backward
from .target import Target
from .text import _body, _def, _header, _return, _tuple

_FUSED_DEPTH = 8  # Python's parser allows ~200 nested brackets; stay well below


class PythonTarget(Target):
    name = "python"
    import_line = "import math"
    prefix = "math."

    # -- hooks for the targets built on this one ---------------------------

    def notes(self, gates: GateList) -> list[str]:
        """Comment lines after the header, saying what the functions take."""
        return []

    def converted_inputs(self, params: list[str], gates: GateList) -> list[str]:
        """The lines at the top of each function that convert the inputs
        (`params`: the identifiers of `gates`' inputs, in order)."""
        return []

    def helpers(self, converted: bool, unbroadcast: bool) -> list[str]:
        """The helper functions the module needs: for the inputs' conversion
        (when `converted`), and for summing gradients back (`unbroadcast`)."""
        return []

    def released(self, body: list[str], keep: set[str]) -> list[str]:
        """The fast path's body, with what frees memory early."""
        return body

    # -- the modules -------------------------------------------------------

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
        backward_params = [*params, f"{naming.UPSTREAM_GRADIENT}=1.0"]
        lines = []
        if comments:
            lines += _header(
                gates,
                ", ".join(params),
                ", ".join(backward_params),
                output,
                _tuple(grads),
            )
            lines += self.notes(gates)
        body = [*forward_lines.values(), *backward_lines]
        if any(self.prefix in line for line in body):
            lines += [self.import_line, "", ""]
        elif lines:
            lines += ["", ""]
        converted = self.converted_inputs(params, gates)
        summed = self.broadcasts and any("unbroadcast(" in s for s in backward_lines)
        for helper in self.helpers(bool(converted), summed):
            lines += [helper, "", ""]
        lines += _def("forward", params)
        lines += _body([*converted, *forward_lines.values(), f"return {output}"])
        lines += ["", ""]
        lines += _def("backward", backward_params)
        lines += _body([*converted, *backward_lines])
        lines += _return(grads)
        return "\n".join(lines) + "\n"

    def value_and_grad_module(self, gates: GateList, wrt: Collection[str]) -> str:
        """A module with one function, `value_and_grad(*inputs, dout=1.0)`,
        that returns `(value, gradients)` from one pass (see
        codegen.generate_value_and_grad)."""
        wrt = frozenset(wrt)
        names = Names.of(gates)
        plan = plan_backward(gates, wrt, self)
        forward_lines = self.fused_forward_lines(gates, names, plan)
        returned: dict[str, str] = {}  # input -> the gradient returned for it
        body = self.backward_body(
            gates,
            wrt,
            names,
            forward_lines,
            False,
            recompute_all=True,
            propagate_copies=True,
            plan=plan,
            returned=returned,
        )
        grads = [returned.get(i, names.grad[i]) for i in gates.inputs if i in wrt]
        output = names.value[gates.output]
        body = self.released(body, keep={output, *grads})
        params = [names.value[i] for i in gates.inputs]
        converted = self.converted_inputs(params, gates)
        params.append(f"{naming.UPSTREAM_GRADIENT}=1.0")
        lines = [self.import_line, "", ""]
        summed = self.broadcasts and any("unbroadcast(" in line for line in body)
        for helper in self.helpers(bool(converted), summed):
            lines += [helper, "", ""]
        lines += _def("value_and_grad", params)
        lines += [f"    {line}" for line in [*converted, *body]]
        lines.append(f"    return {output}, ({_tuple(grads)})")
        return "\n".join(lines) + "\n"

    def trace_function(
        self,
        gates: GateList,
        wires: list[str],
        params: list[str],
        body: list[str],
        value_of: dict[str, str],
        grad_of: dict[str, str],
    ) -> str:
        converted = self.converted_inputs(params, gates)
        params = [*params, f"{naming.UPSTREAM_GRADIENT}=1.0"]
        lines = [self.import_line]
        lines += self.helpers(bool(converted), self.broadcasts)
        lines += _def("trace", params)
        lines += [f"    {line}" for line in [*converted, *body]]

        def literal(identifiers: dict[str, str]) -> str:
            return "{" + ", ".join(f"{w!r}: {identifiers[w]}" for w in wires) + "}"

        lines.append(f"    return {literal(value_of)}, {literal(grad_of)}")
        return "\n".join(lines) + "\n"

    def switches_module(self, gates: GateList) -> tuple[str, list[Eqn]]:
        """The gradient checker's module (see codegen.generate_switches)."""
        names = Names.of(gates)
        kinked = [eqn for eqn in gates.eqns if GATES[eqn.gate].kink]
        params = ", ".join(names.value[i] for i in gates.inputs)
        lines = [self.import_line, f"def switches({params}):"]
        lines += [f"    {self.forward_line(eqn, names)}" for eqn in gates.eqns]
        kinks = [fill(GATES[eqn.gate].kink, names.placeholders(eqn)) for eqn in kinked]
        lines.append(f"    return ({''.join(k + ', ' for k in kinks)})")
        return "\n".join(lines) + "\n", kinked

    def fused_forward_lines(
        self, gates: GateList, names: Names, plan: BackwardPlan
    ) -> dict[str, str]:
        """Forward lines, each temporary used once (and read by no rule) folded
        into its user: `f = 1 / (1 + np.exp(-((a * x) + (b * y))))`."""
        uses: dict[str, int] = {}
        for eqn in gates.eqns:
            for arg in eqn.args:
                if isinstance(arg, Wire):
                    uses[arg.name] = uses.get(arg.name, 0) + 1
        # A template that reads an input twice (sigmoid's two branches, the
        # fast `x * x`) would compute a folded expression twice: such an
        # input keeps its line.
        read_twice = set()
        for eqn in gates.eqns:
            forward, _ = self.code(GATES[eqn.gate], fast=True)
            for placeholder, arg in zip(GATES[eqn.gate].inputs, eqn.args):
                if isinstance(arg, Wire) and forward.count(f"{{{placeholder}}}") > 1:
                    read_twice.add(arg.name)
        foldable = {
            eqn.out
            for eqn in gates.eqns
            if uses.get(eqn.out) == 1
            and eqn.out not in plan.read
            and eqn.out != gates.output
            and eqn.out not in read_twice
        }
        expressions: dict[str, tuple[str, int]] = {}  # folded wire -> (text, depth)
        lines = {}
        for eqn in gates.eqns:
            values = dict(names.placeholders(eqn))  # changed below: a copy
            forward, _ = self.code(GATES[eqn.gate], fast=True)
            depth = 0
            for placeholder, arg in zip(GATES[eqn.gate].inputs, eqn.args):
                if isinstance(arg, Wire) and arg.name in expressions:
                    text, inner = expressions.pop(arg.name)
                    values[placeholder] = f"({text})"
                    depth = max(depth, inner + 1)
            text = fill(forward, values)
            if eqn.out in foldable and depth < _FUSED_DEPTH:
                expressions[eqn.out] = (text, depth)
            else:
                lines[eqn.out] = f"{values['out']} = {text}"
        return lines
