"""AST -> gate list: split every expression into primitive gates.

All desugaring happens here, in one place:
  - `Math.` prefixes were already dropped by the parser; `sig` is `sigmoid`,
    `pow(x, y)` and `x^y` are `x**y`;
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
  - an operation on constants only is computed here, once;
  - the vectors and matrices of SPEC section 5 (the array target only; the
    python and js targets refuse each construct where it stands):
    `A @ B`, `np.dot(A, B)`, `A.dot(B)` and `np.matmul` are `matmul`;
    `A.T`, `transpose(A)`, `A.t()` are `transpose`; `sum(x, axis=1)`,
    `x.sum(1)`, `x.mean(0, keepdim=True)`, `x.max(1).values` are the
    reductions over an axis (`sum_axis`, `sum_keepdims`, ...), and
    `x.sum()` is `sum` as `sum(x)` is; `max(x)` of one array is `max_all`;
    a method `x.exp()` is the function `exp(x)`, and `np.`, `numpy.` and
    `torch.` prefix a function as `Math.` does (`np.maximum(0, x)` is
    `max(0, x)`); `x[1]`, `x[:, 2]`, `x[:, None]` are `index`, `C[X]` is
    `take` and `P[range(n), Y]` is `pick`; `x.reshape(a, b)`, `x.view(a,
    b)` and `reshape(x, (a, b))` are `reshape2`, their sizes integer
    literals or `y.shape[k]` (a `dim` gate).
It also checks the program: single assignment, no name used before the line
that assigns it, known functions with the right number of arguments, and it
finds the data inputs (an index, a length, a size: see ir.find_data).
"""

from __future__ import annotations

import difflib
import math

from dataclasses import dataclass

from . import naming
from .errors import CompileError
from .gates import FUNCTIONS, GATES, Gate, fill
from .ir import Const, Eqn, GateList, Operand, Wire, find_data
from .parse import ARRAY_NAMESPACES, KEEPDIMS_WORDS
from .syntax import (
    Attribute,
    BinOp,
    Call,
    Expr,
    Keyword,
    Name,
    Number,
    Program,
    Slice,
    Subscript,
    Tuple,
    UnaryOp,
    Word,
    children,
    leftmost,
    walk_postorder,
)

# Other names a program may call a gate by.
ALIASES = {"sig": "sigmoid"}
# Functions that are operators in disguise.
OPERATOR_FUNCTIONS = {"pow": "**"}
_BINARY_GATES = {"+": "add", "-": "sub", "*": "mul"}
# What a gate's Python template may call when it is folded on constants.
_FOLDING_NAMESPACE = {
    "__builtins__": {},
    "math": math,
    "max": max,
    "min": min,
    "abs": abs,
}


def known_functions() -> list[str]:
    return sorted(set(FUNCTIONS) | set(ALIASES) | set(OPERATOR_FUNCTIONS))


# The array target's functions beside those, for a message.
ARRAY_FUNCTIONS = sorted(
    {"dot", "matmul", "transpose", "reshape", "maximum", "minimum", "arange"}
)


def method_names() -> list[str]:
    """The methods an array has (`x.exp()`, `x.sum(1)`), for a message."""
    one_argument = [
        name
        for name in known_functions()
        if (gate := FUNCTIONS.get(ALIASES.get(name, name))) is not None
        and len(gate.inputs) == 1
    ]
    return sorted(
        {*one_argument, "max", "min", "dot", "matmul", "t", "transpose"}
        | {"reshape", "view", "pow"}
    )


def number_text(value: float) -> str:
    """How the generated code writes a computed constant (black's style)."""
    if value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(value).replace("e+", "e")


# The target whose language has arrays; the others refuse section 5.
ARRAY_TARGET = "numpy"
# Reductions, and the keywords they take (NumPy's and PyTorch's words).
REDUCTIONS = ("sum", "mean", "max", "min")
AXIS_WORDS = ("axis", "dim")
# Functions of the array target beside the elementwise ones.
MATMUL_FUNCTIONS = ("dot", "matmul")
TRANSPOSE_FUNCTIONS = ("transpose",)
RESHAPE_FUNCTIONS = ("reshape",)
RANGE_FUNCTIONS = ("range", "arange")
# NumPy's names for the elementwise max and min: np.maximum(0, x).
ELEMENTWISE_EXTREMES = {"maximum": "max", "minimum": "min"}
# Methods beside the one-argument functions and the reductions.
MATMUL_METHODS = ("dot", "matmul")
TRANSPOSE_METHODS = ("t", "transpose")
RESHAPE_METHODS = ("reshape", "view")
ATTRIBUTES = ("T", "shape", "values")
MAX_RESHAPE_RANK = 4
_EXTREME_GATES = frozenset(
    f"{e}_{form}" for e in ("max", "min") for form in ("axis", "keepdims")
)


def lower(program: Program, target: str = "python") -> GateList:
    """Split a parsed program into a flat list of primitive gates; `target`
    refuses what it cannot do (the python and js targets: section 5)."""
    return _Lowering(program, target).run()


@dataclass(frozen=True)
class _Pending:
    """A part of an expression that is not a value by itself and waits for
    the node around it: a keyword argument, a slice, `True`, `x.shape`,
    `x.shape[k]`, `range(n)`, a tuple of sizes. Anywhere else it is the
    mistake `misuse` says."""

    kind: str
    node: object
    operands: tuple = ()
    misuse: str = ""


def _integer_literal(node: Expr) -> bool:
    """`2` or `-1`, as the program writes them: an axis, an index, a size."""
    if isinstance(node, UnaryOp) and node.op == "-":
        node = node.operand
    return isinstance(node, Number) and node.text.isdigit()


class _Lowering:
    def __init__(self, program: Program, target: str = "python") -> None:
        self.program = program
        self.target = target
        self.eqns: list[Eqn] = []
        # The outputs of an axis max or min, which `.values` may follow.
        self.extremes: set[str] = set()
        # The names used as values, not only before a method's dot: worked
        # out when first asked (see `is_value`).
        self.values_named: set[str] | None = None

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

    def needs_array(self, construct: str, node) -> None:
        """Refuse a construct of section 5 on a target without arrays."""
        if self.target != ARRAY_TARGET:
            raise self.error(
                f"{construct} needs the array target: compile with "
                f"target='{ARRAY_TARGET}'",
                node,
            )

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

    def fold(self, gate: Gate, args, params, node) -> Const:
        """Compute a gate on constants now, with the gate's own template."""
        values = {p: repr(float(a.value)) for p, a in zip(gate.inputs, args)}
        values.update({p: repr(float(c.value)) for p, c in zip(gate.params, params)})
        expression = fill(gate.forward, values)
        try:
            # Only our template and float literals: nothing from the source.
            value = eval(expression, _FOLDING_NAMESPACE)  # noqa: S307
        except ZeroDivisionError:
            raise self.error(
                "division by zero in a constant expression", node
            ) from None
        except (OverflowError, ValueError) as exc:
            raise self.error(
                f"this constant expression has no value ({exc})", node
            ) from None
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.error(
                "this constant expression is not a finite real number", node
            )
        return Const(float(value), number_text(float(value)))

    def expression(self, root: Expr, name: str | None) -> Operand:
        """Lower one statement's expression; its last gate is called `name`."""
        # `m = x.max(1).values`: the max itself is `m` (`.values` is no gate).
        named = root
        while isinstance(named, Attribute) and named.attr == "values":
            named = named.value
        results: dict[Expr, Operand | _Pending] = {}
        for node in walk_postorder(root):
            out = name if node is named else None
            args = tuple(results.pop(child) for child in children(node))
            results[node] = self.node(node, args, out)
        return self.value(results[root])

    def value(self, operand: Operand | _Pending) -> Operand:
        """`operand`, which must be a value: a pending part is a mistake."""
        if isinstance(operand, _Pending):
            raise self.error(operand.misuse, operand.node)
        return operand

    def node(self, node: Expr, args: tuple, out: str | None) -> Operand | _Pending:
        kind = type(node)
        if kind is Number:
            return Const(node.value, _literal_text(node))
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
        if kind is Attribute:
            return self.attribute(node, args[0], out)
        if kind is Subscript:
            return self.subscript(node, args[0], args[1:], out)
        if kind is Keyword:
            return _Pending("keyword", node, args)
        if kind is Slice:
            return _Pending(
                "slice", node, misuse="a slice stands only inside brackets: x[1:3]"
            )
        if kind is Tuple:
            return _Pending(
                "tuple",
                node,
                args,
                misuse="a tuple is allowed only as the sizes of reshape(x, (a, b))",
            )
        assert kind is Word, node
        return _Pending("word", node, misuse=f"'{node.text}' has no value here")

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
            params = (right, Const(p - 1, number_text(p - 1)))
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
            close = difflib.get_close_matches(func, known + also, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise self.error(
                f"unknown function '{node.func}'{hint}; the known functions are "
                + ", ".join(known)
                + (f"; and on arrays {', '.join(also)}" if also else ""),
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

    # --- Section 5: calls, methods, attributes, subscripts ---------------

    def call(self, node: Call, args: tuple, out: str | None) -> Operand | _Pending:
        """A function (`exp(x)`, `np.exp(x)`, `sum(x, axis=1)`) or a method
        (`x.exp()`, `x.sum(1)`); `args` holds the lowered receiver, the
        positional arguments and the keywords, in that order."""
        if node.namespace in ARRAY_NAMESPACES:
            self.needs_array(f"the '{node.namespace}.' prefix", node)
        receiver = None
        if node.receiver is not None:
            receiver, args = args[0], args[1:]
        positional = args[: len(node.args)]
        keywords = {
            k.name: (k, v) for k, v in zip(node.keywords, args[len(node.args) :])
        }
        if receiver is not None:
            return self.method(node, receiver, positional, keywords, out)
        func = node.func
        if func in REDUCTIONS and (keywords or func in ("sum", "mean")):
            if func in ("max", "min") and len(positional) > 1:
                raise self.error(
                    f"{func}() with an axis takes one array; {func}(a, b) is "
                    "the elementwise one, and takes no keywords",
                    keywords[next(iter(keywords))][0],
                )
            if keywords:
                self.needs_array("a reduction over an axis", node)
            if len(positional) != 1 and (
                self.target != ARRAY_TARGET or len(positional) != 2
            ):
                self.check_arity(node, len(positional), 1)
            axis_nodes = node.args[1:2]
            return self.reduction(node, func, positional[:1], axis_nodes, keywords, out)
        if func in ("max", "min") and len(positional) == 1:
            if self.target != ARRAY_TARGET:
                self.check_arity(node, 1, 2, more=True)  # the words of before
            return self.emit(f"{func}_all", self.values(positional), node, out)
        self.no_keywords(node, keywords)
        if func in ELEMENTWISE_EXTREMES and node.namespace in ARRAY_NAMESPACES:
            renamed = Call(
                ELEMENTWISE_EXTREMES[func], node.args, node.line, node.column
            )
            return self.elementwise_call(renamed, self.values(positional), out)
        if func in MATMUL_FUNCTIONS:
            self.check_arity(node, len(positional), 2)
            return self.emit("matmul", self.values(positional), node, out)
        if func in TRANSPOSE_FUNCTIONS:
            self.check_arity(node, len(positional), 1)
            return self.emit("transpose", self.values(positional), node, out)
        if func in RESHAPE_FUNCTIONS:
            self.check_arity(node, len(positional), 2)
            (array,), sizes = self.values(positional[:1]), positional[1]
            if isinstance(sizes, _Pending) and sizes.kind == "tuple":
                size_nodes, sizes = sizes.node.items, sizes.operands
            else:
                size_nodes, sizes = node.args[1:], (sizes,)
            return self.reshape(node, array, sizes, size_nodes, out)
        if func in RANGE_FUNCTIONS and node.namespace in (None, "np", "torch"):
            self.check_arity(node, len(positional), 1)
            (length,) = node.args
            if not (isinstance(length, Name) or _integer_literal(length)):
                raise self.error(
                    f"the length of {func}(n) is a name or an integer literal",
                    length,
                )
            return _Pending(
                "range",
                node,
                positional,
                misuse=f"{func}(n) is allowed only as the rows of a pick: "
                f"P[{func}(n), Y]",
            )
        return self.elementwise_call(node, self.values(positional), out)

    def method(self, node: Call, receiver, positional, keywords, out) -> Operand:
        """`x.exp()`, `x.sum(1, keepdim=True)`, `A.dot(B)`, `x.view(n, -1)`."""
        func = ALIASES.get(node.func, node.func)
        gate = FUNCTIONS.get(func)
        elementwise = gate is not None and len(gate.inputs) == 1 and not gate.reduces
        if (
            isinstance(node.receiver, Name)
            and positional
            and elementwise
            and not self.is_value(node.receiver.id)
        ):
            # Maths.exp(q), F.relu(x): a function through an unknown namespace.
            raise self.error(
                f"unknown namespace '{node.receiver.id}': only "
                + ", ".join(f"'{n}.'" for n in ("Math", *ARRAY_NAMESPACES))
                + " may prefix a function, as in Math.exp(x)",
                node.receiver,
            )
        self.needs_array("a method call", node)
        (array,) = self.values((receiver,))
        if func in REDUCTIONS:
            if len(positional) > 1:
                raise self.error(
                    f".{func}() takes at most one axis, got {len(positional)} "
                    "arguments",
                    node,
                )
            return self.reduction(
                node, func, (array,), node.args, keywords, out, method=True
            )
        if func in RESHAPE_METHODS:
            self.no_keywords(node, keywords)
            sizes, size_nodes = positional, node.args
            if len(sizes) == 1 and isinstance(sizes[0], _Pending):
                if sizes[0].kind == "tuple":
                    size_nodes, sizes = sizes[0].node.items, sizes[0].operands
            return self.reshape(node, array, sizes, size_nodes, out)
        self.no_keywords(node, keywords)
        if func in MATMUL_METHODS:
            self.check_arity(node, len(positional), 1)
            return self.emit("matmul", (array, *self.values(positional)), node, out)
        if func in TRANSPOSE_METHODS:
            self.check_arity(node, len(positional), 0)
            return self.emit("transpose", (array,), node, out)
        if elementwise:
            if positional:
                raise self.error(
                    f".{node.func}() takes no arguments, got {len(positional)}: "
                    f"x.{node.func}() is {node.func}(x)",
                    node,
                )
            return self.emit(gate.name, (array,), node, out)
        if func in OPERATOR_FUNCTIONS:  # x.pow(2)
            self.check_arity(node, len(positional), 1)
            exponent = self.values(positional)
            return self.binary(OPERATOR_FUNCTIONS[func], (array, *exponent), node, out)
        known = method_names()
        close = difflib.get_close_matches(node.func, known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise self.error(
            f"unknown method '{node.func}'{hint}; the methods are " + ", ".join(known),
            node,
        )

    def is_value(self, name: str) -> bool:
        """Whether the program uses `name` as a value: assigns it, or uses it
        other than before a method's dot. `Maths` in `Maths.exp(q)` is
        an unknown namespace unless it is."""
        if self.values_named is None:
            statements = self.program.statements
            named = {s.target.id for s in statements if s.target is not None}
            prefixes: set[Name] = set()
            nodes = [n for s in statements for n in walk_postorder(s.value)]
            for node in nodes:
                if type(node) is Call and type(node.receiver) is Name:
                    prefixes.add(node.receiver)
            named.update(n.id for n in nodes if type(n) is Name and n not in prefixes)
            self.values_named = named
        return name in self.values_named

    def reduction(
        self, node, func, array, axis_nodes, keywords, out, method=False
    ) -> Operand:
        """sum, mean, max or min: over every element, or over one axis."""
        for keyword, _ in keywords.values():
            if keyword.name not in AXIS_WORDS + KEEPDIMS_WORDS:
                raise self.error(
                    f"{func}() has no keyword '{keyword.name}'; its keywords are "
                    "axis (or dim) and keepdims (or keepdim)",
                    keyword,
                )
        given = [k for k, _ in keywords.values() if k.name in AXIS_WORDS]
        if axis_nodes and given:
            raise self.error(f"{func}() is given its axis twice", given[0])
        if len(given) > 1:
            raise self.error(f"{func}() is given its axis twice", given[1])
        axis_node = axis_nodes[0] if axis_nodes else (given[0].value if given else None)
        kept = [k for k, _ in keywords.values() if k.name in KEEPDIMS_WORDS]
        if len(kept) > 1:
            raise self.error(f"{func}() is given keepdims twice", kept[1])
        keepdims = False
        if kept:
            value = kept[0].value
            if not isinstance(value, Word):
                raise self.error(
                    f"{kept[0].name} is True or False, as the program writes it",
                    value,
                )
            keepdims = value.text == "True"
        if not array:
            raise self.error(f"{func}() takes an array", node)
        (array,) = self.values(array)
        if axis_node is None:
            if keepdims:
                raise self.error(
                    f"{kept[0].name}=True needs an axis, as in "
                    f"{func}(x, axis=1, keepdims=True)",
                    kept[0],
                )
            if func in ("sum", "mean"):
                return self.emit(func, (array,), node, out)
            return self.emit(f"{func}_all", (array,), node, out)
        if not _integer_literal(axis_node):
            raise self.error(
                "an axis is an integer literal, as in x.sum(0) or axis=-1",
                leftmost(axis_node),
            )
        axis = self.value(self.literal(axis_node))
        gate = f"{func}_keepdims" if keepdims else f"{func}_axis"
        result = self.emit(gate, (array,), node, out, (axis,))
        if gate in _EXTREME_GATES:
            self.extremes.add(result.name)
        return result

    def literal(self, node: Expr) -> Const:
        """An integer literal's constant, `-1` included."""
        if isinstance(node, UnaryOp):
            inner = _literal_text(node.operand)
            return Const(-node.operand.value, inner if inner == "0" else "-" + inner)
        return Const(node.value, _literal_text(node))

    def reshape(self, node, array: Operand, sizes, size_nodes, out) -> Operand:
        """`x.reshape(a, b)`: the sizes are integer literals, -1 or y.shape[k]."""
        if not 1 <= len(sizes) <= MAX_RESHAPE_RANK:
            raise self.error(
                f"reshape takes 1 to {MAX_RESHAPE_RANK} sizes, got {len(sizes)}", node
            )
        operands = []
        for size, size_node in zip(sizes, size_nodes):
            if isinstance(size, _Pending) and size.kind == "dim":
                measured, k = size.operands
                operands.append(self.emit("dim", (measured,), size.node, None, (k,)))
            elif _integer_literal(size_node):
                operands.append(self.literal(size_node))
            else:
                raise self.error(
                    "a size in reshape/view is an integer literal, -1 or y.shape[k]",
                    leftmost(size_node),
                )
        return self.emit(f"reshape{len(sizes)}", (array, *operands), node, out)

    def attribute(self, node: Attribute, value, out) -> Operand | _Pending:
        """`x.T`, `x.shape` (waiting for its `[k]`), `x.max(1).values`."""
        self.needs_array(f"the attribute '.{node.attr}'", node)
        if node.attr == "shape":
            return _Pending(
                "shape",
                node,
                (self.value(value),),
                misuse="x.shape[k] is allowed only as a size in reshape/view",
            )
        (value,) = self.values((value,))
        if node.attr == "T":
            return self.emit("transpose", (value,), node, out)
        if node.attr == "values":
            if not (isinstance(value, Wire) and value.name in self.extremes):
                raise self.error(
                    "'.values' follows an axis max or min, as in x.max(1).values",
                    node,
                )
            return value
        close = difflib.get_close_matches(node.attr, ATTRIBUTES, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise self.error(
            f"unknown attribute '{node.attr}'{hint}; the attributes are "
            + ", ".join(ATTRIBUTES),
            node,
        )

    def subscript(self, node: Subscript, value, parts, out) -> Operand | _Pending:
        """`x[1]`, `x[:, None]` (index), `C[X]` (take), `P[range(n), Y]`
        (pick), and `y.shape[k]` (a size, waiting for its reshape)."""
        self.needs_array("indexing", node)
        if isinstance(value, _Pending) and value.kind == "shape":
            if len(node.index) != 1 or not _integer_literal(node.index[0]):
                raise self.error("a dimension is one integer literal: y.shape[0]", node)
            return _Pending(
                "dim",
                value.node,
                (*value.operands, self.literal(node.index[0])),
                misuse=value.misuse,
            )
        (array,) = self.values((value,))
        index = node.index
        first = parts[0]
        if isinstance(first, _Pending) and first.kind == "range":
            if len(index) != 2 or not isinstance(index[1], Name):
                raise self.error(
                    "a pick is P[range(n), Y]: one element of each row, Y a name",
                    node,
                )
            (length,) = first.operands
            return self.emit("pick", (array, length, parts[1]), node, out)
        if len(index) == 1 and isinstance(index[0], Name):
            return self.emit("take", (array, parts[0]), node, out)
        texts = []
        for part, part_node in zip(parts, index):
            texts.append(self.basic_index(part, part_node))
        param = Const(0.0, ", ".join(texts))
        return self.emit("index", (array,), node, out, (param,))

    def basic_index(self, part, node) -> str:
        """One part of a basic index, as the generated code writes it."""
        if _integer_literal(node):
            return self.literal(node).text
        if isinstance(node, Word):
            return node.text
        if isinstance(node, Slice):
            bounds = []
            for bound in (node.lower, node.upper):
                if bound is not None and not _integer_literal(bound):
                    raise self.error(
                        "a slice's bounds are integer literals, as in x[1:3]",
                        leftmost(bound),
                    )
                bounds.append("" if bound is None else self.literal(bound).text)
            return ":".join(bounds)
        if isinstance(part, _Pending) and part.kind == "range":
            raise self.error(part.misuse, part.node)
        raise self.error(
            "an index is an integer literal, a slice (1:3, :), None, an array "
            "of indices (C[X]) or a pick (P[range(n), Y])",
            leftmost(node),
        )

    def values(self, operands) -> tuple[Operand, ...]:
        return tuple(self.value(o) for o in operands)

    def no_keywords(self, node: Call, keywords) -> None:
        if keywords:
            keyword = keywords[next(iter(keywords))][0]
            raise self.error(
                f"{node.func}() takes no keyword '{keyword.name}'", keyword
            )

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


def _literal_text(number: Number) -> str:
    """A literal as the generated code writes it: `2` stays `2`, `1.0` stays
    `1.0`, and `.5`, `1e-3` or `2.5E+4` are written the way Python prints them."""
    if number.text.isdigit() and abs(number.value) < 2**53:
        return str(int(number.text))
    return repr(number.value).replace("e+", "e")
