"""The spellings of SPEC section 5: vectors and matrices (the array target).

The python and js targets refuse each construct where it stands
(`needs_array`); on the numpy target the spellings of NumPy and PyTorch
become the catalogue's array gates:
  - `A @ B` (in lower.py, with the other operators), `np.dot(A, B)`,
    `A.dot(B)` and `np.matmul` are `matmul`; `A.T`, `transpose(A)`,
    `A.t()` are `transpose`;
  - `sum(x, axis=1)`, `x.sum(1)`, `x.mean(0, keepdim=True)`,
    `x.max(1).values`, `torch.logsumexp(x, dim=1)` are the reductions over
    an axis (`sum_axis`, `sum_keepdims`, ...), and `x.sum()` is `sum` as
    `sum(x)` is; `max(x)` of one array is `max_all`; `softmax(x, 1)`,
    `F.log_softmax(x, dim=1)` are along an axis too (no keepdims: they keep
    every axis), and over all elements without one; `F.cross_entropy(logits,
    Yb)` is `cross_entropy` (Yb data, a name);
  - a method `x.exp()` is the function `exp(x)`, and `np.`, `numpy.`,
    `torch.`, `F.` and `torch.nn.functional.` prefix a function as `Math.`
    does (`np.maximum(0, x)` is `max(0, x)`);
  - `x[1]`, `x[:, 2]`, `x[:, None]` are `index`, `C[X]` is `take` and
    `P[range(n), Y]` is `pick`;
  - `x.reshape(a, b)`, `x.view(a, b)` and `reshape(x, (a, b))` are
    `reshape2`, their sizes integer literals or `y.shape[k]` (a `dim` gate).
A part that is no value by itself (a keyword, a slice, `x.shape`,
`range(n)`) is `Pending` until the node around it takes it.

`ArraySpellings` is mixed into the lowering of lower.py, whose walk calls
`call` for every call and `array_spelling` for the other nodes of section
5; it uses that lowering's `program`, `target`, `error`, `value`, `values`,
`emit`, `binary`, `elementwise_call` and `check_arity`. The words both
halves read are lower_words.py's; this module does not import lower.py.
"""

from __future__ import annotations

import difflib

from dataclasses import dataclass

from .gates import FUNCTIONS
from .ir import Const, Operand, Wire
from .lower_words import ALIASES, ALL_ELEMENTS, ALONG_ALWAYS, ARRAY_FUNCTIONS
from .lower_words import ARRAY_TARGET, ATTRIBUTES, AXIS_WORDS, CROSS_ENTROPY
from .lower_words import ELEMENTWISE_EXTREMES, KEEPING_AXES, MATMUL_FUNCTIONS
from .lower_words import MATMUL_METHODS, MAX_RESHAPE_RANK, OPERATOR_FUNCTIONS
from .lower_words import RANGE_FUNCTIONS, REDUCTIONS, RESHAPE_FUNCTIONS, RESHAPE_METHODS
from .lower_words import TRANSPOSE_FUNCTIONS, TRANSPOSE_METHODS, literal_text
from .lower_words import method_names
from .parse import ARRAY_NAMESPACES, KEEPDIMS_WORDS
from .syntax import (
    Attribute,
    Call,
    Expr,
    Keyword,
    Name,
    Number,
    Slice,
    Subscript,
    Tuple,
    UnaryOp,
    Word,
    leftmost,
    walk_postorder,
)

_EXTREME_GATES = frozenset(
    f"{e}_{form}" for e in ("max", "min") for form in ("axis", "keepdims")
)


@dataclass(frozen=True)
class Pending:
    """A part of an expression that is not a value by itself and waits for
    the node around it: a keyword argument, a slice, `True`, `x.shape`,
    `x.shape[k]`, `range(n)`, a tuple of sizes. Anywhere else it is the
    mistake `misuse` says."""

    kind: str
    node: object
    operands: tuple = ()
    misuse: str = ""


def integer_literal(node: Expr) -> bool:
    """`2` or `-1`, as the program writes them: an axis, an index, a size."""
    if isinstance(node, UnaryOp) and node.op == "-":
        node = node.operand
    return isinstance(node, Number) and node.text.isdigit()


class ArraySpellings:
    """The section-5 half of the lowering (see the module's docstring)."""

    def __init__(self) -> None:
        # The outputs of an axis max or min, which `.values` may follow.
        self.extremes: set[str] = set()
        # The names used as values, not only before a method's dot: worked
        # out when first asked (see `is_value`).
        self.values_named: set[str] | None = None

    def needs_array(self, construct: str, node) -> None:
        """Refuse a construct of section 5 on a target without arrays."""
        if self.target != ARRAY_TARGET:
            raise self.error(
                f"{construct} needs the array target: compile with "
                f"target='{ARRAY_TARGET}'",
                node,
            )

    def array_spelling(
        self, node: Expr, args: tuple, out: str | None
    ) -> Operand | Pending:
        """A node of section 5 other than a call: `x.T`, `x[1]`, and the
        parts that wait for the node around them."""
        kind = type(node)
        if kind is Attribute:
            return self.attribute(node, args[0], out)
        if kind is Subscript:
            return self.subscript(node, args[0], args[1:], out)
        if kind is Keyword:
            return Pending("keyword", node, args)
        if kind is Slice:
            return Pending(
                "slice", node, misuse="a slice stands only inside brackets: x[1:3]"
            )
        if kind is Tuple:
            return Pending(
                "tuple",
                node,
                args,
                misuse="a tuple is allowed only as the sizes of reshape(x, (a, b))",
            )
        assert kind is Word, node
        return Pending("word", node, misuse=f"'{node.text}' has no value here")

    def call(self, node: Call, args: tuple, out: str | None) -> Operand | Pending:
        """A function (`exp(x)`, `np.exp(x)`, `sum(x, axis=1)`) or a method
        (`x.exp()`, `x.sum(1)`); `args` holds the lowered receiver, the
        positional arguments and the keywords, in that order. A function
        of chapters 1-2 goes on to the lowering's `elementwise_call`."""
        if node.namespace in ARRAY_NAMESPACES:
            self.needs_array(f"the '{node.namespace}.' prefix", node)
        if node.namespace == "F" and self.is_value("F"):
            raise self.error(
                "F is torch.nn.functional here, as in the lecture's F.softmax(x, "
                "1), and a value of the program too: give that value another name",
                node,
            )
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
        if func in KEEPING_AXES or func in CROSS_ENTROPY:
            self.needs_array(func, node)
        if func in CROSS_ENTROPY:
            return self.cross_entropy(node, positional, keywords, out)
        if func in REDUCTIONS and (keywords or func in ALONG_ALWAYS):
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
            if isinstance(sizes, Pending) and sizes.kind == "tuple":
                size_nodes, sizes = sizes.node.items, sizes.operands
            else:
                size_nodes, sizes = node.args[1:], (sizes,)
            return self.reshape(node, array, sizes, size_nodes, out)
        if func in RANGE_FUNCTIONS and node.namespace in (None, "np", "torch"):
            self.check_arity(node, len(positional), 1)
            (length,) = node.args
            if not (isinstance(length, Name) or integer_literal(length)):
                raise self.error(
                    f"the length of {func}(n) is a name or an integer literal",
                    length,
                )
            return Pending(
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
        if func in CROSS_ENTROPY:  # logits.cross_entropy(Y) is no PyTorch
            raise self.error(f"{func} is a function: {func}(logits, Y)", node)
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
            if len(sizes) == 1 and isinstance(sizes[0], Pending):
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
        """sum, mean, max, min, logsumexp, softmax or log_softmax: over every
        element, or along one axis."""
        keeping = func in KEEPING_AXES  # the output keeps every axis
        for keyword, _ in keywords.values():
            allowed = AXIS_WORDS if keeping else AXIS_WORDS + KEEPDIMS_WORDS
            if keyword.name not in allowed:
                words = "keyword is axis (or dim)"
                if not keeping:
                    words = "keywords are axis (or dim) and keepdims (or keepdim)"
                raise self.error(
                    f"{func}() has no keyword '{keyword.name}'; its {words}",
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
        if axis_node is None and keeping and node.namespace in ("F", "torch"):
            name = f"{node.namespace}.{func}"
            raise self.error(
                f"{name} needs dim=: PyTorch's implicit dim is deprecated (on a "
                f"matrix it is dim=1, not every element): write {name}(x, dim=1)",
                node,
            )
        if axis_node is None:
            if keepdims:
                raise self.error(
                    f"{kept[0].name}=True needs an axis, as in "
                    f"{func}(x, axis=1, keepdims=True)",
                    kept[0],
                )
            return self.emit(ALL_ELEMENTS[func], (array,), node, out)
        if not integer_literal(axis_node):
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

    def cross_entropy(self, node: Call, positional, keywords, out) -> Operand:
        """`F.cross_entropy(logits, Yb)`: the mean over the rows of logits
        (n, C) of -log softmax at each row's label, Yb n integers (data)."""
        self.no_keywords(node, keywords)
        self.check_arity(node, len(positional), 2)
        if not isinstance(node.args[1], Name):
            raise self.error(
                f"the labels of {node.func}(logits, Y) are a name: Y, an array "
                "of integers, one a row",
                leftmost(node.args[1]),
            )
        return self.emit("cross_entropy", self.values(positional), node, out)

    def literal(self, node: Expr) -> Const:
        """An integer literal's constant, `-1` included."""
        if isinstance(node, UnaryOp):
            inner = literal_text(node.operand)
            return Const(-node.operand.value, inner if inner == "0" else "-" + inner)
        return Const(node.value, literal_text(node))

    def reshape(self, node, array: Operand, sizes, size_nodes, out) -> Operand:
        """`x.reshape(a, b)`: the sizes are integer literals, -1 or y.shape[k]."""
        if not 1 <= len(sizes) <= MAX_RESHAPE_RANK:
            raise self.error(
                f"reshape takes 1 to {MAX_RESHAPE_RANK} sizes, got {len(sizes)}", node
            )
        operands = []
        for size, size_node in zip(sizes, size_nodes):
            if isinstance(size, Pending) and size.kind == "dim":
                measured, k = size.operands
                operands.append(self.emit("dim", (measured,), size.node, None, (k,)))
            elif integer_literal(size_node):
                operands.append(self.literal(size_node))
            else:
                raise self.error(
                    "a size in reshape/view is an integer literal, -1 or y.shape[k]",
                    leftmost(size_node),
                )
        return self.emit(f"reshape{len(sizes)}", (array, *operands), node, out)

    def attribute(self, node: Attribute, value, out) -> Operand | Pending:
        """`x.T`, `x.shape` (waiting for its `[k]`), `x.max(1).values`."""
        self.needs_array(f"the attribute '.{node.attr}'", node)
        if node.attr == "shape":
            return Pending(
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

    def subscript(self, node: Subscript, value, parts, out) -> Operand | Pending:
        """`x[1]`, `x[:, None]` (index), `C[X]` (take), `P[range(n), Y]`
        (pick), and `y.shape[k]` (a size, waiting for its reshape)."""
        self.needs_array("indexing", node)
        if isinstance(value, Pending) and value.kind == "shape":
            if len(node.index) != 1 or not integer_literal(node.index[0]):
                raise self.error("a dimension is one integer literal: y.shape[0]", node)
            return Pending(
                "dim",
                value.node,
                (*value.operands, self.literal(node.index[0])),
                misuse=value.misuse,
            )
        (array,) = self.values((value,))
        index = node.index
        first = parts[0]
        if isinstance(first, Pending) and first.kind == "range":
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
        if integer_literal(node):
            return self.literal(node).text
        if isinstance(node, Word):
            return node.text
        if isinstance(node, Slice):
            bounds = []
            for bound in (node.lower, node.upper):
                if bound is not None and not integer_literal(bound):
                    raise self.error(
                        "a slice's bounds are integer literals, as in x[1:3]",
                        leftmost(bound),
                    )
                bounds.append("" if bound is None else self.literal(bound).text)
            return ":".join(bounds)
        if isinstance(part, Pending) and part.kind == "range":
            raise self.error(part.misuse, part.node)
        raise self.error(
            "an index is an integer literal, a slice (1:3, :), None, an array "
            "of indices (C[X]) or a pick (P[range(n), Y])",
            leftmost(node),
        )

    def no_keywords(self, node: Call, keywords) -> None:
        if keywords:
            keyword = keywords[next(iter(keywords))][0]
            raise self.error(
                f"{node.func}() takes no keyword '{keyword.name}'", keyword
            )
