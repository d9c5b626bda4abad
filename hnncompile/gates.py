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
  {p}, {p_minus_1}  the constant exponent of `powc` and `fracpow`, and that
               minus one
  {c}, {log_c} the constant of `maxc`, `minc` and `cpow` (the base, with its
               log, so that float32 stays float32 on the array target)

NaN in gives NaN out on every target, and a real program never returns a
complex number: where a power has no real value (a negative base, a
fractional exponent) its value and gradients are NaN, as NumPy's and
JavaScript's are. Where a template would need a test that a constant could
decide while lowering, lowering picks a gate that needs none instead: an
integer exponent (`powc`) or a fractional one (`fracpow`), a positive
constant base (`cpow`), max and min with a constant (`maxc`, `minc`).
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
        name="powc",  # an integer exponent: real for every x
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
        name="fracpow",  # a fractional exponent: no real value below 0
        called="pow",
        inputs=("x",),
        params=("p", "p_minus_1"),
        forward="{x}**{p} if {x} >= 0 else math.nan",
        grads=("{p} * {x}**{p_minus_1} * {dout} if {x} >= 0 else math.nan",),
        explain=(
            "pow gate: d({x}**{p})/d{x} = {p}*{x}**{p_minus_1}"
            " (NaN for {x} < 0: no real power there)"
        ),
        written="{x}**{p}",
        symbol="x^{p}",
        numpy_forward="np.power({x}, {p})",
        numpy_grads=("{p} * np.power({x}, {p_minus_1}) * {dout}",),
        js_forward="Math.pow({x}, {p})",
        js_grads=("{p} * Math.pow({x}, {p_minus_1}) * {dout}",),
    ),
    Gate(
        name="cpow",  # a positive constant to a power
        called="pow",
        inputs=("x",),
        params=("c", "log_c"),
        forward="{c}**{x}",
        grads=("math.log({c}) * {out} * {dout}",),
        explain="pow gate: d({c}**{x})/d{x} = log({c})*{c}**{x}, and log({c}) = {log_c}",
        written="{c}**{x}",
        symbol="{c}^x",
        numpy_grads=("{log_c} * {out} * {dout}",),
        js_forward="Math.pow({c}, {x})",
        js_grads=("Math.log({c}) * {out} * {dout}",),
    ),
    Gate(
        name="pow",
        inputs=("x", "y"),
        # A negative base has a real power only at an integer exponent.
        forward="{x}**{y} if {x} >= 0 or {y} % 1 == 0 else math.nan",
        grads=(
            "{y} * {x} ** ({y} - 1) * {dout} if {x} >= 0 or {y} % 1 == 0 else math.nan",
            "math.log({x}) * {out} * {dout} if {x} > 0 else math.nan",
        ),
        explain=(
            "pow gate: {y}*{x}**({y}-1) flows to {x} and log({x})*{x}**{y}"
            " flows to {y} (NaN unless {x} > 0)"
        ),
        explain_inputs=(
            "pow gate: {y}*{x}**({y}-1) flows to {x}",
            "pow gate: log({x})*{x}**{y} flows to {y} (NaN unless {x} > 0)",
        ),
        written="{x}**{y}",
        numpy_forward="np.power({x}, {y})",
        numpy_grads=(
            "{y} * np.power({x}, {y} - 1) * {dout}",
            "np.log({x}) * {out} * {dout}",
        ),
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
        # exp of a negative number only, so that no x overflows: for x < 0,
        # 1/(1+e^-x) is e^x/(1+e^x). NumPy computes both branches at once:
        # e^min(x,0) / (1 + e^-|x|) is each branch's number, bit for bit,
        # at a third less time than exp(-logaddexp(0, -x)).
        forward=(
            "1 / (1 + math.exp(-{x})) if {x} >= 0"
            " else math.exp({x}) / (1 + math.exp({x}))"
        ),
        grads=("{out} * (1 - {out}) * {dout}",),
        explain="the sigmoid gate's local gradient is s*(1-s), s being its output {out}",
        numpy_forward="np.exp(np.minimum({x}, 0.0)) / (1 + np.exp(-np.abs({x})))",
        numpy_grads=("{out} * (1 - {out}) * {dout}",),
        # JavaScript's exp gives Infinity instead of failing, and 1/Infinity
        # is 0: the tutorial's own line is exact on both sides.
        js_forward="1 / (1 + Math.exp(-{x}))",
    ),
    Gate(
        name="relu",
        function="relu",
        inputs=("x",),
        forward="max({x}, 0.0)",  # NaN first: Python's max keeps a NaN only there
        grads=("{dout} if {x} > 0 else 0.0 if {x} <= 0 else math.nan",),
        explain="the ReLU passes {dout} on if {x} > 0 (it fired), else stops it",
        kink="{x}",
        numpy_forward="np.maximum({x}, 0.0)",
        # The sign of the output is the step: 0 below and at 0, 1 above, NaN
        # at NaN (the output is NaN there); a quarter of heaviside's time.
        numpy_grads=("np.sign({out}) * {dout}",),
        js_forward="Math.max({x}, 0.0)",
        js_grads=("{x} > 0 ? {dout} : {x} <= 0 ? 0.0 : NaN",),
    ),
    Gate(
        name="abs",
        function="abs",
        inputs=("x",),
        forward="abs({x})",
        grads=(
            "{dout} if {x} > 0 else -{dout} if {x} < 0"
            " else 0.0 if {x} == 0 else math.nan",
        ),
        explain="abs multiplies {dout} by the sign of {x} (0 at 0)",
        kink="{x}",
        numpy_forward="np.abs({x})",
        numpy_grads=("np.sign({x}) * {dout}",),
        js_forward="Math.abs({x})",
        js_grads=("{x} > 0 ? {dout} : {x} < 0 ? -{dout} : {x} == 0 ? 0.0 : NaN",),
    ),
    Gate(
        name="max",
        function="max",
        variadic=True,
        inputs=("x", "y"),
        # The first input attaining the extreme wins; with a NaN, none does.
        forward="{x} if {x} >= {y} else {y} if {y} > {x} else math.nan",
        grads=(
            "{dout} if {x} >= {y} else 0.0 if {x} < {y} else math.nan",
            "{dout} if {y} > {x} else 0.0 if {y} <= {x} else math.nan",
        ),
        explain="max routes {dout} to the input that won (the first, at a tie)",
        explain_inputs=(
            "max passes {dout} on to {x} if {x} won, else 0",
            "max passes {dout} on to {y} if {y} won, else 0",
        ),
        kink="{x} - {y}",
        numpy_forward="np.maximum({x}, {y})",
        # Steps of the difference: NaN at NaN, as the value is; a tie is a
        # difference of 0, at an infinity too (where inf - inf is NaN).
        numpy_grads=(
            "np.heaviside(np.where({x} == {y}, 0.0, {x} - {y}), 1.0) * {dout}",
            "np.heaviside(np.where({x} == {y}, 0.0, {y} - {x}), 0.0) * {dout}",
        ),
        js_forward="Math.max({x}, {y})",
        js_grads=(
            "{x} >= {y} ? {dout} : {x} < {y} ? 0.0 : NaN",
            "{y} > {x} ? {dout} : {y} <= {x} ? 0.0 : NaN",
        ),
    ),
    Gate(
        name="maxc",  # with a constant, which wins a tie
        called="max",
        inputs=("x",),
        params=("c",),
        forward="max({x}, {c})",  # NaN first: Python's max keeps a NaN only there
        grads=("{dout} if {x} > {c} else 0.0 if {x} <= {c} else math.nan",),
        explain=(
            "max passes {dout} on to {x} if {x} > {c}, else 0"
            " (the constant wins a tie)"
        ),
        kink="{x} - {c}",
        symbol="max(x, {c})",
        numpy_forward="np.maximum({x}, {c})",
        numpy_grads=("np.heaviside({x} - {c}, 0.0) * {dout}",),
        js_forward="Math.max({x}, {c})",
        js_grads=("{x} > {c} ? {dout} : {x} <= {c} ? 0.0 : NaN",),
    ),
    Gate(
        name="min",
        function="min",
        variadic=True,
        inputs=("x", "y"),
        # The first input attaining the extreme wins; with a NaN, none does.
        forward="{x} if {x} <= {y} else {y} if {y} < {x} else math.nan",
        grads=(
            "{dout} if {x} <= {y} else 0.0 if {x} > {y} else math.nan",
            "{dout} if {y} < {x} else 0.0 if {y} >= {x} else math.nan",
        ),
        explain="min routes {dout} to the input that won (the first, at a tie)",
        explain_inputs=(
            "min passes {dout} on to {x} if {x} won, else 0",
            "min passes {dout} on to {y} if {y} won, else 0",
        ),
        kink="{x} - {y}",
        numpy_forward="np.minimum({x}, {y})",
        numpy_grads=(  # as max's, the other way round
            "np.heaviside(np.where({x} == {y}, 0.0, {y} - {x}), 1.0) * {dout}",
            "np.heaviside(np.where({x} == {y}, 0.0, {x} - {y}), 0.0) * {dout}",
        ),
        js_forward="Math.min({x}, {y})",
        js_grads=(
            "{x} <= {y} ? {dout} : {x} > {y} ? 0.0 : NaN",
            "{y} < {x} ? {dout} : {y} >= {x} ? 0.0 : NaN",
        ),
    ),
    Gate(
        name="minc",  # with a constant, which wins a tie
        called="min",
        inputs=("x",),
        params=("c",),
        forward="min({x}, {c})",  # NaN first: Python's min keeps a NaN only there
        grads=("{dout} if {x} < {c} else 0.0 if {x} >= {c} else math.nan",),
        explain=(
            "min passes {dout} on to {x} if {x} < {c}, else 0"
            " (the constant wins a tie)"
        ),
        kink="{x} - {c}",
        symbol="min(x, {c})",
        numpy_forward="np.minimum({x}, {c})",
        numpy_grads=("np.heaviside({c} - {x}, 0.0) * {dout}",),
        js_forward="Math.min({x}, {c})",
        js_grads=("{x} < {c} ? {dout} : {x} >= {c} ? 0.0 : NaN",),
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
        # n as a Python int, which keeps float32 float32 (np.prod would not)
        numpy_grads=("{dout} * np.ones_like({x}) / np.ones_like({x}).size",),
    ),
)

# --- Vectors and matrices (SPEC section 5): the array target only ---------
#
# The forward templates are NumPy's; these gates have no python or js form
# (lowering refuses them there, with `array_only`'s words). Their
# parameters (an axis, an index, a dimension) are constants written into
# the templates as the program wrote them: `x.sum(1)` is `sum_axis x 1`.


def _axis_gate(name: str, called: str, forward: str, grad: str, explain: str, **more):
    return Gate(
        name=name,
        called=called,
        inputs=("x",),
        params=("axis",),
        forward=forward,
        grads=(grad,),
        explain=explain,
        array_only="a reduction over an axis",
        symbol=f"{called}(axis={{axis}})",
        **more,
    )


def _reduction_gates(reduction: str, scale: str, why: str) -> tuple[Gate, ...]:
    """`sum` or `mean` over one axis, without and with keepdims."""
    return (
        _axis_gate(
            f"{reduction}_axis",
            reduction,
            f"{{x}}.{reduction}({{axis}})",
            f"np.expand_dims({{dout}}, {{axis}}) * np.ones_like({{x}}){scale}",
            f"the {reduction} gate {why}: {{dout}} lacks axis {{axis}}, so it "
            f"gets it back (size 1) and is stretched along it to {{x}}'s shape",
        ),
        _axis_gate(
            f"{reduction}_keepdims",
            reduction,
            f"{{x}}.{reduction}({{axis}}, keepdims=True)",
            f"np.ones_like({{x}}) * {{dout}}{scale}",
            f"the {reduction} gate {why}: {{dout}} kept axis {{axis}} (size 1), "
            f"so it broadcasts along it to {{x}}'s shape",
        ),
    )


def _first_extreme(x: str, extreme: str, axis: str) -> str:
    """1 at the first element along `axis` that equals `extreme`, else 0."""
    return f"({x} == {extreme}) * (np.cumsum({x} == {extreme}, axis={axis}) == 1)"


def _extreme_gates(extreme: str) -> tuple[Gate, ...]:
    """`max` or `min` over one axis, without and with keepdims."""
    winner = (
        "the gradient goes to the element that attains the {extreme} along "
        "axis {{axis}} (the first, at a tie): a mask of {{x}}'s shape"
    ).format(extreme="maximum" if extreme == "max" else "minimum")
    kept = f"{{x}}.{extreme}({{axis}}, keepdims=True)"
    # The mask of the winning elements: it changes where the winner does.
    kink = _first_extreme("{x}", kept, "{axis}")
    return (
        _axis_gate(
            f"{extreme}_axis",
            extreme,
            f"{{x}}.{extreme}({{axis}})",
            _first_extreme("{x}", "np.expand_dims({out}, {axis})", "{axis}")
            + " * np.expand_dims({dout}, {axis})",
            f"the {extreme} gate: {winner}; {{dout}} gets axis {{axis}} back "
            "(size 1) to fit it",
            kink=kink,
        ),
        _axis_gate(
            f"{extreme}_keepdims",
            extreme,
            kept,
            _first_extreme("{x}", "{out}", "{axis}") + " * {dout}",
            f"the {extreme} gate: {winner}; {{dout}} kept axis {{axis}} (size 1), "
            "so it broadcasts over it",
            kink=kink,
        ),
        Gate(
            name=f"{extreme}_all",
            called=extreme,
            inputs=("x",),
            forward=f"np.{extreme}({{x}})",
            grads=(
                "({x} == {out}) * (np.cumsum({x} == {out}).reshape(np.shape({x}))"
                " == 1) * {dout}",
            ),
            explain=(
                f"the {extreme} gate over all elements: the gradient goes to the "
                "element that attains it (the first, in reading order, at a tie): "
                "a mask of {x}'s shape times the one number {dout}"
            ),
            reduces=True,
            kink="({x} == np.%s({x})) * (np.cumsum({x} == np.%s({x})).reshape("
            "np.shape({x})) == 1)" % (extreme, extreme),
            array_only=f"the {extreme} over all elements",
            symbol=extreme,
        ),
    )


def _reshape_gate(rank: int) -> Gate:
    sizes = tuple(f"s{k}" for k in range(1, rank + 1))
    return Gate(
        name=f"reshape{rank}",
        called="reshape",
        inputs=("x", *sizes),
        forward="{x}.reshape(%s)" % ", ".join("{%s}" % s for s in sizes),
        grads=("{dout}.reshape({x}.shape)", *("" for _ in sizes)),
        explain=(
            "reshape only regroups the elements, in the same order: "
            "{dout} reshaped back has {x}'s shape"
        ),
        data_inputs=tuple(range(1, rank + 1)),
        array_only="reshape",
        symbol="reshape",
    )


_ARRAY_GATES = (
    Gate(
        name="matmul",
        inputs=("x", "y"),
        forward="{x} @ {y}",
        grads=("{dout} @ {y}.T", "{x}.T @ {dout}"),
        vector_grads=(
            "np.multiply.outer({dout}, {y})",
            "np.multiply.outer({x}, {dout})",
        ),
        explain=(
            "the matrix product sends {dout} @ {y}.T to {x}, (n, k) @ (k, m) is "
            "{x}'s (n, m), and {x}.T @ {dout} to {y}, (m, n) @ (n, k) is {y}'s (m, k)"
        ),
        explain_inputs=(
            "the matrix product sends {dout} @ {y}.T to {x}: (n, k) @ (k, m) is "
            "{x}'s shape (n, m)",
            "the matrix product sends {x}.T @ {dout} to {y}: (m, n) @ (n, k) is "
            "{y}'s shape (m, k)",
        ),
        array_only="the matrix product",
        symbol="@",
    ),
    Gate(
        name="transpose",
        inputs=("x",),
        forward="{x}.T",
        grads=("{dout}.T",),
        explain=(
            "a transpose only swaps the axes: {dout} transposed back has "
            "{x}'s shape, (m, n) to (n, m)"
        ),
        array_only="a transpose",
        symbol=".T",
    ),
    *_reduction_gates("sum", "", "passes {dout} back to every element it added"),
    *_reduction_gates(
        "mean",
        " / {x}.shape[{axis}]",
        "passes {dout}/n back to each of the n elements along axis {axis}",
    ),
    *_extreme_gates("max"),
    *_extreme_gates("min"),
    Gate(
        name="index",
        inputs=("x",),
        params=("index",),
        forward="{x}[{index}]",
        grads=("{dout}",),
        explain=(
            "indexing picks some elements of {x}: {dout} goes back to those "
            "places, in zeros of {x}'s shape, and the rest get 0"
        ),
        scatter="{index}",
        array_only="indexing",
        symbol="[{index}]",
    ),
    Gate(
        name="take",
        inputs=("x", "i"),
        forward="{x}[{i}]",
        grads=("{dout}", ""),
        explain=(
            "a lookup takes a row of {x} for each element of {i}: each row of "
            "{dout} is added back to the row of {x} it came from, in zeros of "
            "{x}'s shape (a row taken twice gets both)"
        ),
        data_inputs=(1,),
        scatter="{i}",
        scatter_repeats=True,
        array_only="indexing",
        symbol="[i]",
    ),
    Gate(
        name="pick",
        inputs=("x", "n", "i"),
        forward="{x}[np.arange({n}), {i}]",
        grads=("{dout}", "", ""),
        explain=(
            "a pick takes one element of each row of {x}, at column {i}: "
            "{dout}, one number per row, goes back to those places, in zeros "
            "of {x}'s shape"
        ),
        data_inputs=(1, 2),
        scatter="np.arange({n}), {i}",
        array_only="indexing",
        symbol="[range(n), i]",
    ),
    Gate(
        name="dim",
        inputs=("x",),
        params=("k",),
        forward="{x}.shape[{k}]",
        grads=("",),
        explain="a size is data: no gradient flows through it",
        array_only="a shape",
        symbol=".shape[{k}]",
    ),
    *(_reshape_gate(rank) for rank in range(1, 5)),
)

GATES: dict[str, Gate] = {gate.name: gate for gate in _GATES + _ARRAY_GATES}

# The functions a program may call, by the name it calls them.
FUNCTIONS: dict[str, Gate] = {gate.function: gate for gate in _GATES if gate.function}
