"""The Gate: one entry of the catalogue, and `fill`, which puts names and
numbers into its templates.

A gate holds its templates as text (Python `math` code, with the NumPy and
JavaScript forms beside it where they differ) and says what the rest of
the compiler needs to know about it: its inputs, its parameters, where it
has a kink, whether it reduces, which of its inputs are data, whether it
exists on the array target only. The placeholders its templates use are
listed in the catalogue's docstring (hnncompile/gates/__init__.py).
"""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass

from . import tangent as _tangent


@dataclass(frozen=True)
class Gate:
    name: str
    inputs: tuple[str, ...]  # placeholder names, in argument order
    forward: str  # Python expression for the output
    grads: tuple[str, ...]  # per input: gradient contribution, a Python expression
    explain: str  # why the gradient is what it is, for the generated comments
    function: str | None = None  # name to call it by in a program, if any
    variadic: bool = False  # f(a, b, c) means f(f(a, b), c)
    kink: str | None = None  # expression whose sign change flips the gate's branch
    params: tuple[str, ...] = ()  # constant parameters chosen when lowering
    numpy_forward: str | None = None  # the array target's forward, if not `forward`
    numpy_grads: tuple[str, ...] | None = None  # ... and its gradients
    js_forward: str | None = None  # the JavaScript target's, if not `forward`
    js_grads: tuple[str, ...] | None = None  # ... and its gradients
    # The scalar fast path's forward (value_and_grad on the python target),
    # where a cheaper form gives the same number: `x * x` for `x**2`.
    fast_forward: str | None = None
    reduces: bool = False  # on arrays, the output is one number, not elementwise
    symbol: str | None = None  # an operator's sign in a drawing; else the function
    # Per input, the comment's text when only that input gets a gradient
    # (the other is a constant, or reaches no `wrt` input): `explain` speaks
    # of both, and `f = 3*a` should not say "each gets the other".
    explain_inputs: tuple[str, ...] = ()
    # How a program writes the gate, where `forward` (the python target's
    # code) says more: `{x}**{y}` for the power with its test for NaN.
    written: str | None = None
    # What comments and traces call the gate, where its name is an inner
    # one: `x**2` and `x**3` are "pow" gates, as `x**y` is.
    called: str | None = None
    # The vectors and matrices of SPEC section 5 (the array target only).
    # Argument positions that are data: an index, a length, a size. They
    # never get a gradient, and their `grads` entry is "".
    data_inputs: tuple[int, ...] = ()
    # The gate exists on the array target only; this is what the refusal on
    # the python and js targets calls it: "the matrix product needs the
    # array target: compile with target='numpy'".
    array_only: str | None = None
    # A gradient written into zeros rather than as one expression: the
    # index the code generator assigns through, `dx = np.zeros_like(x)`
    # then `dx[{index}] = dout`, the value being the input's `grads` entry.
    # With `scatter_repeats` the same element may be picked more than once
    # (rows of an embedding table), so the contributions are added:
    # `np.add.at(dC, X, demb)`.
    scatter: str | None = None
    scatter_repeats: bool = False
    # matmul only: each input's gradient when the OTHER operand is a vector
    # (1-D); `numpy_grads` holds the forms for matrices.
    vector_grads: tuple[str, ...] | None = None
    # Forward mode (hnncompile/gates/tangent.py says how these are read).
    # The output is linear in the inputs: its tangent is its forward on the
    # tangents (`{x_dot}.T`), and its second derivatives are all zero.
    linear: bool = False
    # Per input, its share of the output's tangent, where it is not derived
    # from the gradient rules (a gate that is not elementwise): `{x_dot} @
    # {y}` and `{x} @ {y_dot}` for the matrix product; "" for data.
    tangents: tuple[str, ...] | None = None
    numpy_tangents: tuple[str, ...] | None = None
    js_tangents: tuple[str, ...] | None = None
    # seconds[i][j]: how input j's nudge moves gradient rule i, times dout
    # (d2 out / dx_i dx_j * {x_j_dot} * {dout}); "" where that is zero.
    seconds: tuple[tuple[str, ...], ...] | None = None
    numpy_seconds: tuple[tuple[str, ...], ...] | None = None
    js_seconds: tuple[tuple[str, ...], ...] | None = None
    # matmul only: seconds[i] when the other operand is a vector, beside
    # `vector_grads` (the other operand's share; its own is "").
    vector_seconds: tuple[tuple[str, ...], ...] | None = None
    # Why the gradient rules move as they do, for the comments of the
    # second derivatives: "the sigmoid's slope {out}*(1-{out}) itself moves".
    second_explain: str | None = None
    # Why the forward is written as it is, where its line is not the plain
    # math (the comment above it in forward, comments on): "sigmoid in two
    # branches, so that exp never sees a positive number: no overflow at
    # any {x}". On the other targets, their own where it differs ("" for
    # none: JavaScript's sigmoid is the tutorial's own line).
    forward_why: str | None = None
    numpy_forward_why: str | None = None
    js_forward_why: str | None = None

    @property
    def elementwise(self) -> bool:
        """On arrays, the output is its inputs broadcast together, and each
        rule's gradient has the output's shape (not a reduction, nor an
        array gate, whose rule gives its input's own shape)."""
        return not (self.reduces or self.array_only)

    @property
    def gives_data(self) -> bool:
        """The output is data (a size): no gradient flows through the gate."""
        return all(rule == "" for rule in self.grads)

    def explanation(self, targets: tuple[int, ...]) -> str:
        """The comment's template for a backward group sending gradients to
        the inputs at positions `targets`."""
        if not self.explain_inputs or len(targets) == len(self.inputs):
            return self.explain
        return "; ".join(self.explain_inputs[i] for i in targets)

    @property
    def title(self) -> str:
        """The gate's name for a learner: `pow` for `x**2`, `mul` for `*`."""
        return self.called or self.name

    @property
    def notation(self) -> str:
        """The gate as a program writes it: `{x} + {y}`, `sigmoid({x})`."""
        if self.function:
            return f"{self.function}({', '.join('{%s}' % p for p in self.inputs)})"
        return self.written or self.forward

    @property
    def label(self) -> str:
        """What a drawing writes in the gate's box: `+`, `*`, `sigmoid`."""
        return self.symbol or self.function or self.name

    def code(self, target: str, fast: bool = False) -> tuple[str, tuple[str, ...]]:
        """The forward template and the gradient templates for `target`;
        `fast`: those of the fast path (see `fast_forward`)."""
        if fast and target == "python" and self.fast_forward:
            return self.fast_forward, self.grads
        if target == "numpy":
            return self.numpy_forward or self.forward, self.numpy_grads or self.grads
        if target == "js":
            return self.js_forward or self.forward, self.js_grads or self.grads
        return self.forward, self.grads

    def why(self, target: str) -> str:
        """The template of the comment on why the forward is written as it
        is on `target` ("" where it is the plain math)."""
        own = {"numpy": self.numpy_forward_why, "js": self.js_forward_why}.get(target)
        return (own if own is not None else self.forward_why) or ""

    def tangent(
        self, target: str, moving: tuple[bool, ...], broadcast: bool = True
    ) -> str:
        """The template of the output's tangent on `target`, given which
        inputs carry one (`moving[i]`; a data input's flag is ignored):
        the inputs' placeholders and `{x_dot}`, `{y_dot}`, ..., the moving
        inputs' tangents. "" where nothing moves (or the output is data).
        On arrays it has the output's shape: where the nudge alone would
        not (`x + b`, only b moving), it is spread with np.broadcast_to;
        `broadcast=False` leaves that out (the shapes are known to agree).
        NotImplementedError, naming the gate, where the catalogue has none."""
        return _tangent.tangent(self, target, moving, broadcast)

    def second(
        self, target: str, i: int, moving: tuple[bool, ...], vector: bool = False
    ) -> str:
        """The part of the tangent of gradient rule i that comes from the
        moving inputs, sum over moving j of d2out/dx_i dx_j * {x_j_dot} *
        {dout}; the rule's whole tangent is the rule with `{dout_dot}` for
        `{dout}`, plus this. "" where it is zero (a linear gate; relu, abs,
        max and min away from their kinks). Besides the placeholders of the
        rules: `{x_dot}`, `{y_dot}`, ... and the output's `{out_dot}`.
        `vector`: the matrix product's rule for a vector other operand (the
        code generator's `vector_grads`). NotImplementedError, naming the
        gate, where the catalogue has no second derivative for it."""
        return _tangent.second(self, target, i, moving, vector)

    @property
    def has_second(self) -> bool:
        """The catalogue knows this gate's second derivatives."""
        return bool(self.linear or self.gives_data or self.seconds is not None)

    def placeholders(self, template: str) -> frozenset[str]:
        """The placeholder names a template of this gate uses."""
        return _fields(template)


@functools.lru_cache(maxsize=None)
def _parsed(template: str) -> tuple[tuple, ...]:
    return tuple(string.Formatter().parse(template))


@functools.lru_cache(maxsize=None)
def _fields(template: str) -> frozenset[str]:
    return frozenset(field for _, field, _, _ in _parsed(template) if field)


_SIGNS = ("-", "(")  # a negative number, bracketed or not


@functools.lru_cache(maxsize=None)
def _signed(template: str) -> tuple[str, ...]:
    """The fields of `template` where `fill` looks at a value's sign: those
    just before a `**` and just after a `-`."""
    parsed = _parsed(template)
    fields = []
    for index, (literal, field, _, _) in enumerate(parsed):
        follows = parsed[index + 1][0] if index + 1 < len(parsed) else ""
        if field and (follows.lstrip().startswith("**") or literal.endswith("-")):
            fields.append(field)
    return tuple(fields)


def fill(template: str, values: dict[str, str]) -> str:
    """Put names or numbers into a template.

    A negative number is bracketed where its sign would run into an
    operator: before `**`, as Python needs, spaced as black spaces it
    (`(-2) ** t1`); and after a minus sign, where `--2` would be a
    decrement in JavaScript (`-(-2) / (b * b)`).
    """
    for field in _signed(template):
        if values[field][:1] in _SIGNS:
            return _bracketed(template, values)
    # No value where a sign matters is signed: nothing to bracket.
    return template.format_map(values)


def _bracketed(template: str, values: dict[str, str]) -> str:
    """`fill`, piece by piece."""
    parsed = _parsed(template)
    pieces = []
    for index, (literal, field, _, _) in enumerate(parsed):
        if index and pieces[-1].startswith("(-") and literal.startswith("**"):
            literal = " ** " + literal[2:]
        pieces.append(literal)
        if field is None:
            continue
        text = values[field]
        follows = parsed[index + 1][0] if index + 1 < len(parsed) else ""
        if text.startswith("-") and (
            follows.lstrip().startswith("**") or literal.endswith("-")
        ):
            text = f"({text})"
        pieces.append(text)
    return "".join(pieces)
