"""THE catalogue of gates: every primitive hnncompile knows, written once.

Each entry says how a gate computes its output going forward and, for each
input, what it sends back: the local gradient times the gradient arriving
from above (the chain rule), written as a Python template. Everything else
reads these entries: lowering (which functions exist, how many arguments),
the code generator (the lines it writes), the explanatory comments, the
gradient checker (where a gate has a kink) and the tests (every gate checked
against a numerical gradient). Adding a gate is adding one entry here.

Templates are Python (`math`) code; a gate whose NumPy form differs (the
array target: ufuncs, masks instead of `if`, real reductions) gives that
form beside it, in `numpy_forward` and `numpy_grads`, and a gate whose
JavaScript differs (the tutorial's own language: `Math.exp`, `c ? a : b`)
gives it in `js_forward` and `js_grads`.

Placeholders in the templates (the explanations may use them all too):
  {x}, {y}     the gate's inputs (a wire's name or a number)
  {out}        the gate's own output, as in the tutorial's sigmoid: s*(1-s)
  {dout}       the gradient arriving on the output from above
  {p}, {p_minus_1}  the constant exponent of `powc`, and that minus one
"""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass


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
    # What comments and traces call the gate, where its name is an inner
    # one: `x**2` and `x**3` are "pow" gates, as `x**y` is.
    called: str | None = None

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
        return self.forward

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

    def placeholders(self, template: str) -> frozenset[str]:
        """The placeholder names a template of this gate uses."""
        return _fields(template)


@functools.lru_cache(maxsize=None)
def _parsed(template: str) -> tuple[tuple, ...]:
    return tuple(string.Formatter().parse(template))


@functools.lru_cache(maxsize=None)
def _fields(template: str) -> frozenset[str]:
    return frozenset(field for _, field, _, _ in _parsed(template) if field)


def fill(template: str, values: dict[str, str]) -> str:
    """Put names or numbers into a template.

    A negative number is bracketed where its sign would run into an
    operator: before `**`, as Python needs, spaced as black spaces it
    (`(-2) ** t1`); and after a minus sign, where `--2` would be a
    decrement in JavaScript (`-(-2) / (b * b)`).
    """
    if "**" not in template and "-{" not in template:
        return template.format_map(values)
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


_GATES = (
    Gate(
        name="copy",
        inputs=("x",),
        forward="{x}",
        grads=("{dout}",),
        explain="a copy passes {dout} through unchanged",
        symbol="=",
    ),
    Gate(
        name="add",
        inputs=("x", "y"),
        forward="{x} + {y}",
        grads=("{dout}", "{dout}"),
        explain="the add gate passes {dout} through to both inputs",
        explain_inputs=(
            "the add gate passes {dout} through to {x}",
            "the add gate passes {dout} through to {y}",
        ),
        symbol="+",
    ),
    Gate(
        name="sub",
        inputs=("x", "y"),
        forward="{x} - {y}",
        grads=("{dout}", "-{dout}"),
        explain="the sub gate passes {dout} to {x} and -{dout} to {y}",
        explain_inputs=(
            "the sub gate passes {dout} to {x}",
            "the sub gate passes -{dout} to {y}",
        ),
        symbol="-",
    ),
    Gate(
        name="mul",
        inputs=("x", "y"),
        forward="{x} * {y}",
        grads=("{y} * {dout}", "{x} * {dout}"),
        explain="the mul gate swaps its inputs: each gets the other times {dout}",
        explain_inputs=(
            "the mul gate sends {x} the other input, {y}, times {dout}",
            "the mul gate sends {y} the other input, {x}, times {dout}",
        ),
        symbol="*",
    ),
    Gate(
        name="div",
        inputs=("x", "y"),
        forward="{x} / {y}",
        grads=("{dout} / {y}", "-{x} / ({y} * {y}) * {dout}"),
        explain="division's local gradient is 1/{y} on {x} and -{x}/({y}*{y}) on {y}",
        explain_inputs=(
            "division's local gradient on {x} is 1/{y}",
            "division's local gradient on {y} is -{x}/({y}*{y})",
        ),
        symbol="/",
    ),
    Gate(
        name="neg",
        inputs=("x",),
        forward="-{x}",
        grads=("-{dout}",),
        explain="negation flips the sign of {dout}",
        symbol="-x",
    ),
    Gate(
        name="square",
        inputs=("x",),
        forward="{x}**2",
        grads=("2 * {x} * {dout}",),
        explain="pow gate: d({x}**2)/d{x} = 2*{x}",
        called="pow",
        symbol="x²",
        js_forward="Math.pow({x}, 2)",
        fast_forward="{x} * {x}",
    ),
    Gate(
        name="powc",
        inputs=("x",),
        params=("p", "p_minus_1"),
        forward="{x}**{p}",
        grads=("{p} * {x}**{p_minus_1} * {dout}",),
        explain="pow gate: d({x}**{p})/d{x} = {p}*{x}**{p_minus_1}",
        called="pow",
        symbol="x^{p}",
        js_forward="Math.pow({x}, {p})",
        js_grads=("{p} * Math.pow({x}, {p_minus_1}) * {dout}",),
    ),
    Gate(
        name="pow",
        inputs=("x", "y"),
        forward="{x}**{y}",
        grads=("{y} * {x} ** ({y} - 1) * {dout}", "math.log({x}) * {out} * {dout}"),
        explain="pow gate: {y}*{x}**({y}-1) flows to {x} and log({x})*{x}**{y} flows to {y}",
        explain_inputs=(
            "pow gate: {y}*{x}**({y}-1) flows to {x}",
            "pow gate: log({x})*{x}**{y} flows to {y}",
        ),
        numpy_grads=("{y} * {x} ** ({y} - 1) * {dout}", "np.log({x}) * {out} * {dout}"),
        symbol="x^y",
        js_forward="Math.pow({x}, {y})",
        js_grads=(
            "{y} * Math.pow({x}, {y} - 1) * {dout}",
            "Math.log({x}) * {out} * {dout}",
        ),
    ),
    Gate(
        name="exp",
        function="exp",
        inputs=("x",),
        forward="math.exp({x})",
        grads=("{out} * {dout}",),
        explain="exp is its own derivative: the local gradient is the output {out}",
        numpy_forward="np.exp({x})",
        numpy_grads=("{out} * {dout}",),
        js_forward="Math.exp({x})",
    ),
    Gate(
        name="log",
        function="log",
        inputs=("x",),
        forward="math.log({x})",
        grads=("{dout} / {x}",),
        explain="d(log {x})/d{x} = 1/{x}",
        numpy_forward="np.log({x})",
        numpy_grads=("{dout} / {x}",),
        js_forward="Math.log({x})",
    ),
    Gate(
        name="sqrt",
        function="sqrt",
        inputs=("x",),
        forward="math.sqrt({x})",
        grads=("0.5 / {out} * {dout}",),
        explain="d(sqrt {x})/d{x} = 0.5/sqrt({x}), and sqrt({x}) is the output {out}",
        numpy_forward="np.sqrt({x})",
        numpy_grads=("0.5 / {out} * {dout}",),
        js_forward="Math.sqrt({x})",
    ),
    Gate(
        name="sin",
        function="sin",
        inputs=("x",),
        forward="math.sin({x})",
        grads=("math.cos({x}) * {dout}",),
        explain="d(sin {x})/d{x} = cos({x})",
        numpy_forward="np.sin({x})",
        numpy_grads=("np.cos({x}) * {dout}",),
        js_forward="Math.sin({x})",
        js_grads=("Math.cos({x}) * {dout}",),
    ),
    Gate(
        name="cos",
        function="cos",
        inputs=("x",),
        forward="math.cos({x})",
        grads=("-math.sin({x}) * {dout}",),
        explain="d(cos {x})/d{x} = -sin({x})",
        numpy_forward="np.cos({x})",
        numpy_grads=("-np.sin({x}) * {dout}",),
        js_forward="Math.cos({x})",
        js_grads=("-Math.sin({x}) * {dout}",),
    ),
    Gate(
        name="tanh",
        function="tanh",
        inputs=("x",),
        forward="math.tanh({x})",
        grads=("(1 - {out}**2) * {dout}",),
        explain="d(tanh {x})/d{x} = 1 - tanh({x})**2, and tanh({x}) is the output {out}",
        numpy_forward="np.tanh({x})",
        numpy_grads=("(1 - {out}**2) * {dout}",),
        js_forward="Math.tanh({x})",
        js_grads=("(1 - {out} * {out}) * {dout}",),
    ),
    Gate(
        name="sigmoid",
        function="sigmoid",
        inputs=("x",),
        forward="1 / (1 + math.exp(-{x}))",
        grads=("{out} * (1 - {out}) * {dout}",),
        explain="the sigmoid gate's local gradient is s*(1-s), s being its output {out}",
        numpy_forward="1 / (1 + np.exp(-{x}))",
        numpy_grads=("{out} * (1 - {out}) * {dout}",),
        js_forward="1 / (1 + Math.exp(-{x}))",
    ),
    Gate(
        name="relu",
        function="relu",
        inputs=("x",),
        forward="max(0.0, {x})",
        grads=("{dout} if {x} > 0 else 0.0",),
        explain="the ReLU passes {dout} on if {x} > 0 (it fired), else stops it",
        kink="{x}",
        numpy_forward="np.maximum(0.0, {x})",
        numpy_grads=("({x} > 0) * {dout}",),
        js_forward="Math.max(0.0, {x})",
        js_grads=("{x} > 0 ? {dout} : 0.0",),
    ),
    Gate(
        name="abs",
        function="abs",
        inputs=("x",),
        forward="abs({x})",
        grads=("{dout} if {x} > 0 else -{dout} if {x} < 0 else 0.0",),
        explain="abs multiplies {dout} by the sign of {x} (0 at 0)",
        kink="{x}",
        numpy_forward="np.abs({x})",
        numpy_grads=("np.sign({x}) * {dout}",),
        js_forward="Math.abs({x})",
        js_grads=("{x} > 0 ? {dout} : {x} < 0 ? -{dout} : 0.0",),
    ),
    Gate(
        name="max",
        function="max",
        variadic=True,
        inputs=("x", "y"),
        forward="max({x}, {y})",
        grads=("{dout} if {x} >= {y} else 0.0", "{dout} if {y} > {x} else 0.0"),
        explain="max routes {dout} to the input that won (the first, at a tie)",
        explain_inputs=(
            "max passes {dout} on to {x} if {x} won, else 0",
            "max passes {dout} on to {y} if {y} won, else 0",
        ),
        kink="{x} - {y}",
        numpy_forward="np.maximum({x}, {y})",
        numpy_grads=(
            "({x} >= {y}) * {dout}",
            "({y} > {x}) * {dout}",
        ),
        js_forward="Math.max({x}, {y})",
        js_grads=("{x} >= {y} ? {dout} : 0.0", "{y} > {x} ? {dout} : 0.0"),
    ),
    Gate(
        name="min",
        function="min",
        variadic=True,
        inputs=("x", "y"),
        forward="min({x}, {y})",
        grads=("{dout} if {x} <= {y} else 0.0", "{dout} if {y} < {x} else 0.0"),
        explain="min routes {dout} to the input that won (the first, at a tie)",
        explain_inputs=(
            "min passes {dout} on to {x} if {x} won, else 0",
            "min passes {dout} on to {y} if {y} won, else 0",
        ),
        kink="{x} - {y}",
        numpy_forward="np.minimum({x}, {y})",
        numpy_grads=(
            "({x} <= {y}) * {dout}",
            "({y} < {x}) * {dout}",
        ),
        js_forward="Math.min({x}, {y})",
        js_grads=("{x} <= {y} ? {dout} : 0.0", "{y} < {x} ? {dout} : 0.0"),
    ),
    Gate(
        name="sum",
        function="sum",
        inputs=("x",),
        forward="{x}",
        grads=("{dout}",),
        explain="the sum gate passes {dout} back to every element it added",
        reduces=True,
        numpy_forward="np.sum({x})",
        numpy_grads=("{dout} * np.ones_like({x})",),
    ),
    Gate(
        name="mean",
        function="mean",
        inputs=("x",),
        forward="{x}",
        grads=("{dout}",),
        explain="the mean gate passes {dout}/n back to each of its n elements",
        reduces=True,
        numpy_forward="np.mean({x})",
        numpy_grads=("{dout} * np.ones_like({x}) / np.prod(np.shape({x}))",),
    ),
)

GATES: dict[str, Gate] = {gate.name: gate for gate in _GATES}

# The functions a program may call, by the name it calls them.
FUNCTIONS: dict[str, Gate] = {gate.function: gate for gate in _GATES if gate.function}
