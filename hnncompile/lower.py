"""AST -> gate list: split every expression into primitive gates.

The stage after parsing, where all desugaring happens. This module walks
each statement's expression (an explicit stack: any depth) and lowers the
forms of the tutorial's chapters 1-2:
  - `Math.` prefixes were already dropped by the parser; `sig` is `sigmoid`,
    `pow(x, y)` and `x^y` are `x**y` (the words: lower_words.py);
  - `x**2` is the `square` gate, `x**c` for another constant c is `powc`
    (an integer c) or `fracpow` (real only for x >= 0), and `c**y` for a
    constant c > 0 is `cpow`;
  - `a / b` becomes `t = 1.0 / b` then `a * t`, as the tutorial writes it
    (a constant denominator stays a plain division: `x / 2`);
  - `max(a, b, c)` is `max(max(a, b), c)`, which keeps the rule that the
    first input attaining the maximum gets the gradient; a pair with a
    constant is the `maxc` gate (`max(a, 2)` and `max(2, a)` alike are
    `max(a, 2.0)`), whose constant wins a tie, and the same for min;
    `max(a, 0)` is the ReLU, as the tutorial's `Math.max(a, 0)` is;
  - an operation on constants only is computed here, once.
The program's own functions (`def`, SPEC section 7) are inlined as they
are called: lower_functions.py, mixed into the lowering here too.
The vectors and matrices of SPEC section 5 (methods, namespaces, keywords,
reductions over an axis, indexing and gathers, reshape, `.shape[k]`,
`.values`, and their refusal on the python and js targets) are
lower_arrays.py's, mixed into the lowering here.
It also checks the program: single assignment, no name used before the line
that assigns it, known functions with the right number of arguments, and it
finds the data inputs (an index, a length, a size: see ir.find_data).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import replace

from . import naming, stabilize
from .errors import CompileError
from .gates import FUNCTIONS, GATES, Gate, fill
from .ir import Const, Eqn, GateList, Operand, Wire, find_data
from .lower_arrays import ARRAY_FUNCTIONS, ARRAY_TARGET, ArraySpellings, Pending
from .lower_functions import FunctionInlining
from .lower_words import (
    ALIASES,
    OPERATOR_FUNCTIONS,
    known_functions,
    literal_text,
    number_text,
)
from .syntax import (
    Attribute,
    BinOp,
    Call,
    Expr,
    Name,
    Number,
    Program,
    UnaryOp,
    children,
    walk_postorder,
)

_BINARY_GATES = {"+": "add", "-": "sub", "*": "mul"}
# What a gate's Python template may call when it is folded on constants.
_FOLDING_NAMESPACE = {
    "__builtins__": {},
    "math": math,
    "max": max,
    "min": min,
    "abs": abs,
}


def lower(program: Program, target: str = "python") -> GateList:
    """Split a parsed program into a flat list of primitive gates; `target`
    refuses what it cannot do (the python and js targets: section 5)."""
    return _Lowering(program, target).run()


class _Lowering(FunctionInlining, ArraySpellings):
    def __init__(self, program: Program, target: str = "python") -> None:
        super().__init__()
        self.program = program
        self.target = target
        self.eqns: list[Eqn] = []

    def error(self, message: str, node) -> CompileError:
        return CompileError(
            message,
            line=node.line,
            column=node.column,
            filename=self.program.filename,
            source=self.program.source,
        )

    def run(self) -> GateList:
        inputs = self.check_names()
        self.source_names = set(inputs) | {
            s.target.id for s in self.program.statements if s.target is not None
        }
        self.temporaries = naming.temporaries(self.source_names)
        self.prepare_functions()
        statements = self.program.statements
        output = None
        for index, statement in enumerate(statements):
            is_last = index == len(statements) - 1
            if statement.target is not None:
                name = statement.target.id
            elif is_last:
                name = naming.output_name(self.source_names)
            else:
                name = None
            result = self.expression(statement.value, name)
            if name is not None and result != Wire(name):
                # `q = a` or `q = 3`: the statement itself is a copy gate,
                # kept even for a constant, since the user named it.
                node = statement.value
                self.eqns.append(
                    Eqn(name, "copy", (result,), (), node.line, node.column)
                )
            output = name
        eqns = tuple(self.eqns)
        gates = GateList(
            inputs=tuple(inputs),
            eqns=eqns,
            output=output,
            source_names=frozenset(self.source_names),
            filename=self.program.filename,
            source=self.program.source,
            data=find_data(inputs, eqns),
        )
        gates.check()
        return gates

    def check_names(self) -> list[str]:
        """Enforce single assignment; return the inputs in order of appearance."""
        assigned_on: dict[str, int] = {}
        for statement in self.program.statements:
            if statement.target is not None:
                target = statement.target
                if target.id in assigned_on:
                    raise self.error(
                        f"'{target.id}' is assigned twice (first on line "
                        f"{assigned_on[target.id]}): give the new value a new name",
                        target,
                    )
                assigned_on[target.id] = target.line
        inputs: dict[str, None] = {}
        defined: set[str] = set()
        for statement in self.program.statements:
            for node in walk_postorder(statement.value):
                if not isinstance(node, Name):
                    continue
                if node.id not in assigned_on:
                    inputs.setdefault(node.id)
                elif node.id not in defined:
                    raise self.error(
                        f"'{node.id}' is used before it is assigned "
                        f"(on line {assigned_on[node.id]})",
                        node,
                    )
            if statement.target is not None:
                defined.add(statement.target.id)
        return list(inputs)

    def emit(self, gate: str, args: tuple[Operand, ...], node, name=None, params=()):
        """Append `name = gate(args)`, or fold it if every input is a constant."""
        phrase = GATES[gate].array_only
        if phrase is not None:
            self.needs_array(phrase, node)
            data = GATES[gate].data_inputs
            if any(isinstance(a, Const) for i, a in enumerate(args) if i not in data):
                raise self.error(f"{phrase} needs an array, not a number", node)
        elif all(isinstance(a, Const) for a in args):
            return self.fold(GATES[gate], args, params, node)
        out = name if name is not None else next(self.temporaries)
        self.eqns.append(Eqn(out, gate, args, tuple(params), node.line, node.column))
        return Wire(out)

    def fold(self, gate: Gate, args, params, node) -> Operand:
        """Compute a gate on constants now, with the gate's own template.

        But not a pattern of the stability pass (stabilize.py) whose folded
        number would lose what its stable gate keeps: `log(sigmoid(-1000))`
        has no value, `exp(1e-20) - 1` folds to 0, and `log(1 + exp(1000))`
        overflows on the way. Those gates stay, on their constants, for the
        pass to rewrite (and record) like any other."""
        folded = self.__dict__.setdefault("_folded", {})  # id(Const) -> its gate

        def evaluate(gate: Gate, args, params) -> float | None:
            values = {p: repr(float(a.value)) for p, a in zip(gate.inputs, args)}
            values.update(
                {p: repr(float(c.value)) for p, c in zip(gate.params, params)}
            )
            try:
                # Only our template and float literals: nothing from the source.
                value = eval(
                    fill(gate.forward, values), _FOLDING_NAMESPACE
                )  # noqa: S307
            except ZeroDivisionError:
                raise self.error(
                    "division by zero in a constant expression", node
                ) from None
            except (OverflowError, ValueError) as exc:
                problems.append(f"this constant expression has no value ({exc})")
                return None
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                problems.append("this constant expression is not a finite real number")
                return None
            return float(value)

        def kept(eqns) -> Wire:  # the gates, each given a temporary's name
            names: dict[str, str] = {}
            for eqn in eqns:
                names[eqn.out] = next(self.temporaries)
                wired = tuple(
                    Wire(names[a.name]) if isinstance(a, Wire) else a for a in eqn.args
                )
                self.eqns.append(replace(eqn, out=names[eqn.out], args=wired))
            return Wire(names[eqns[-1].out])

        def under_softplus() -> bool:  # the exp of log(1 + exp(c)), log1p(exp(c))
            parents = self.__dict__.get("_parents")
            if parents is None:  # once, a walk of the program: no recursion
                parents = self.__dict__.setdefault("_parents", {})
                for statement in self.program.statements:
                    for above in walk_postorder(statement.value):
                        parents.update((id(c), above) for c in children(above))
            parent = parents.get(id(node))
            if isinstance(parent, Call):
                return parent.func == "log1p"
            if not isinstance(parent, BinOp) or parent.op != "+":
                return False
            other = parent.right if parent.left is node else parent.left
            above = parents.get(id(parent))
            return (
                isinstance(other, Number)
                and other.value == 1.0
                and isinstance(above, Call)
                and above.func == "log"
            )

        problems: list[str] = []
        root = Eqn("folding", gate.name, tuple(args), tuple(params))
        root = replace(root, line=node.line, column=node.column)
        value = evaluate(gate, args, params)
        pattern = stabilize.folding(root, lambda c: folded.get(id(c), (c, None))[1])
        if pattern is not None:
            stable = evaluate(GATES[pattern.gate], (pattern.operand,), pattern.params)
            if stable is not None and (
                value is None or not math.isclose(value, stable, rel_tol=1e-12)
            ):
                return kept(pattern.eqns)
        if value is None and gate.name == "exp" and under_softplus():
            return kept([root])
        if value is None:
            raise self.error(problems[0], node)
        result = Const(value, number_text(value))
        folded[id(result)] = (result, root)  # kept alive, so the id stays its own
        return result

    def expression(self, root: Expr, name: str | None) -> Operand:
        """Lower one statement's expression; its last gate is called `name`."""
        if self.functions:  # calls to inline: lower_functions.py's walk
            return self.inline_expression(root, name)
        # `m = x.max(1).values`: the max itself is `m` (`.values` is no gate).
        named = root
        while isinstance(named, Attribute) and named.attr == "values":
            named = named.value
        results: dict[Expr, Operand | Pending] = {}
        for node in walk_postorder(root):
            out = name if node is named else None
            args = tuple(results.pop(child) for child in children(node))
            results[node] = self.node(node, args, out)
        return self.value(results[root])

    def value(self, operand: Operand | Pending) -> Operand:
        """`operand`, which must be a value: a pending part is a mistake."""
        if isinstance(operand, Pending):
            raise self.error(operand.misuse, operand.node)
        return operand

    def node(self, node: Expr, args: tuple, out: str | None) -> Operand | Pending:
        kind = type(node)
        if kind is Number:
            return Const(node.value, literal_text(node))
        if kind is Name:
            return Wire(node.id)
        if kind is BinOp:
            return self.binary(node.op, tuple(map(self.value, args)), node, out)
        if kind is Call:
            return self.call(node, args, out)
        if kind is UnaryOp:
            (operand,) = map(self.value, args)
            if node.op == "+":
                return operand
            if isinstance(operand, Const):
                text = (
                    operand.text[1:]
                    if operand.text.startswith("-")
                    else "-" + operand.text
                )
                return Const(-operand.value, text)
            return self.emit("neg", (operand,), node, out)
        return self.array_spelling(node, args, out)

    def binary(self, op: str, args, node, out) -> Operand:
        left, right = args
        if op in _BINARY_GATES:
            return self.emit(_BINARY_GATES[op], args, node, out)
        if op == "/":
            if isinstance(right, Const):
                if right.value == 0:
                    raise self.error("division by zero", node)
                return self.emit("div", args, node, out)
            if isinstance(left, Const) and left.value == 1:
                return self.emit("div", args, node, out)
            # The tutorial's way: x3 = 1.0 / x2; x = x1 * x3.
            reciprocal = self.emit("div", (Const(1.0, "1.0"), right), node)
            return self.emit("mul", (left, reciprocal), node, out)
        if op == "@":
            return self.emit("matmul", args, node, out)
        assert op == "**", op
        if isinstance(right, Const) and isinstance(left, Wire):
            p = right.value
            if p == 0:
                return Const(1.0, "1")  # x**0 is 1, even at 0, as in Python
            if p == 1:
                return left if out is None else self.emit("copy", (left,), node, out)
            if p == 2:
                return self.emit("square", (left,), node, out)
            # The constants the rules need, folded now: the slope's exponent,
            # and the second derivative's factor and exponent (hvp).
            params = tuple(
                Const(value, number_text(value))
                for value in (p - 1, p * (p - 1), p - 2)
            )
            params = (right, *params)
            gate = "powc" if float(p).is_integer() else "fracpow"
            return self.emit(gate, (left,), node, out, params)
        if isinstance(left, Const) and isinstance(right, Wire) and left.value > 0:
            log_c = math.log(left.value)
            params = (left, Const(log_c, number_text(log_c)))
            return self.emit("cpow", (right,), node, out, params)
        return self.emit("pow", args, node, out)

    def elementwise_call(self, node: Call, args, out) -> Operand:
        """A function of the language's first two chapters: `exp(x)`,
        `max(a, b, c)`, `pow(x, y)`."""
        func = ALIASES.get(node.func, node.func)
        if func in OPERATOR_FUNCTIONS:
            self.check_arity(node, len(args), 2)
            return self.binary(OPERATOR_FUNCTIONS[func], args, node, out)
        gate = FUNCTIONS.get(func)
        if gate is None:
            known = known_functions()
            also = ARRAY_FUNCTIONS if self.target == ARRAY_TARGET else []
            yours = list(self.functions)  # the program's own, as defined
            close = difflib.get_close_matches(func, yours + known + also, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise self.error(
                f"unknown function '{node.func}'{hint}; the known functions are "
                + ", ".join(known)
                + (f"; and on arrays {', '.join(also)}" if also else "")
                + (f"; yours: {', '.join(yours)}" if yours else ""),
                node,
            )
        arity = len(gate.inputs)
        if gate.variadic:
            if len(args) < arity:
                raise self.error(
                    f"{node.func}() takes {arity} or more arguments, got {len(args)}",
                    node,
                )
            result = args[0]
            for index, arg in enumerate(args[1:], start=2):
                last = index == len(args)
                result = self.extreme(gate.name, result, arg, node, last and out)
            return result
        self.check_arity(node, len(args), arity)
        return self.emit(gate.name, args, node, out)

    def values(self, operands) -> tuple[Operand, ...]:
        return tuple(self.value(o) for o in operands)

    def extreme(self, gate: str, left: Operand, right: Operand, node, out) -> Operand:
        """`max(left, right)` or `min`: with one constant, the gate that
        takes it as a float (a float input gives a float) and lets it win
        a tie, whichever side it is on."""
        pair = [left, right]
        constants = [a for a in pair if isinstance(a, Const)]
        if len(constants) != 1:
            return self.emit(gate, (left, right), node, out or None)
        (constant,) = constants
        (wire,) = [a for a in pair if isinstance(a, Wire)]
        value = float(constant.value)
        if gate == "max" and value == 0:  # the tutorial's Math.max(a, 0)
            return self.emit("relu", (wire,), node, out or None)
        as_float = Const(value, repr(value).replace("e+", "e"))  # 0.0, 2.0, 1e20
        return self.emit(f"{gate}c", (wire,), node, out or None, (as_float,))

    def check_arity(self, node: Call, got: int, arity: int, more=False) -> None:
        if got != arity or more:
            plural = "argument" if arity == 1 else "arguments"
            more = " or more" if more else ""
            raise self.error(
                f"{node.func}() takes {arity}{more} {plural}, got {got}", node
            )
